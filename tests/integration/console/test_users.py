"""Người dùng: an admin invites, changes, disables, enables and re-invites users of their own tenant; the
other tenant's users are never shown; a salesperson cannot open the screen nor call its API."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
import uuid

from playwright.sync_api import Page, expect

from tests.support.console import (
    ADMIN,
    ADMIN_B,
    OPERATOR_TOKEN,
    SALES_A,
    ConsoleApp,
    assert_accessible,
    open_screen,
    sign_in,
    sign_out,
)


def _users(app: ConsoleApp, admin: str) -> dict[str, dict[str, object]]:
    status, body = app.call(admin, "GET", "/users")
    assert status == 200, body
    return {str(user["email"]): user for user in body["items"]}


def test_the_admin_invites_a_salesperson_changes_disables_enables_and_resends(
    page: Page, console_app: ConsoleApp
) -> None:
    email = f"nv-{uuid.uuid4().hex[:8]}@example.vn"
    sign_in(page, console_app, ADMIN)
    open_screen(page, "Người dùng")
    table = page.get_by_role("table")
    expect(table.get_by_role("row", name=re.compile("lead@demo.test"))).to_be_visible()
    # A salesperson without a staff id is refused before anything is sent.
    page.get_by_label("E-mail", exact=True).fill(email)
    page.get_by_label("Họ tên").fill("Đặng Thu Hà")
    page.get_by_label("Vai trò", exact=True).select_option("staff")
    page.get_by_role("button", name="Gửi lời mời").click()
    expect(page.get_by_role("alert")).to_have_text("Nhân viên kinh doanh cần gắn với một mã nhân viên.")
    assert email not in _users(console_app, ADMIN)

    page.get_by_label("Mã nhân viên", exact=True).select_option("B")
    page.get_by_role("button", name="Gửi lời mời").click()
    expect(page.get_by_role("status").filter(has_text=f"Đã gửi lời mời tới {email}.")).to_be_visible()
    row = table.get_by_role("row", name=re.compile(re.escape(email)))
    expect(row).to_contain_text("Nhân viên kinh doanh")
    expect(row).to_contain_text("Chờ đăng nhập lần đầu")
    stored = _users(console_app, ADMIN)[email]
    assert (stored["role"], stored["staff_id"], stored["enabled"]) == ("staff", "B", True)
    assert_accessible(page, "80-users-invited")

    row.get_by_role("button", name="Đổi vai trò").click()
    change = page.get_by_role("form", name=f"Đổi vai trò của {email}")
    change.get_by_label("Vai trò").select_option("team_lead")
    change.get_by_label("Nhóm").fill("kinh-doanh")
    change.get_by_role("button", name="Lưu thay đổi").click()
    expect(row).to_contain_text("Trưởng nhóm")
    assert _users(console_app, ADMIN)[email]["role"] == "team_lead"

    row.get_by_role("button", name="Khóa").click()
    expect(row).to_contain_text("Đã khóa")
    assert _users(console_app, ADMIN)[email]["enabled"] is False
    row.get_by_role("button", name="Mở khóa").click()
    expect(row).to_contain_text("Đang hoạt động")
    assert _users(console_app, ADMIN)[email]["enabled"] is True

    row.get_by_role("button", name="Gửi lại lời mời").click()
    expect(page.get_by_role("status").filter(has_text=f"Đã gửi lại lời mời tới {email}.")).to_be_visible()
    expect(table.get_by_role("row", name=re.compile(re.escape(email)))).to_have_count(1)
    listed = console_app.call(ADMIN, "GET", "/users")[1]["items"]
    assert [user["email"] for user in listed].count(email) == 1  # one user, however often invited
    assert_accessible(page, "81-users-list")

    # Tenant B's admin sees none of tenant A's users, in the console or through the API.
    sign_out(page)
    sign_in(page, console_app, ADMIN_B)
    expect(page.get_by_role("banner")).to_contain_text("Công ty B")
    open_screen(page, "Người dùng")
    expect(page.get_by_role("table").get_by_role("row", name=re.compile("admin@demo-b.test"))).to_be_visible()
    expect(page.get_by_role("table")).not_to_contain_text("@demo.test")
    expect(page.get_by_role("table")).not_to_contain_text(email)
    assert not any(
        address.endswith("@demo.test") or address == email for address in _users(console_app, ADMIN_B)
    )


def test_an_invalid_address_is_named_and_nothing_is_invited(page: Page, console_app: ConsoleApp) -> None:
    sign_in(page, console_app, ADMIN)
    open_screen(page, "Người dùng")
    page.get_by_label("E-mail", exact=True).fill("someone@reserved.test")
    page.get_by_label("Vai trò", exact=True).select_option("admin")
    page.get_by_role("button", name="Gửi lời mời").click()
    expect(page.get_by_role("alert")).to_contain_text("email:")
    assert "someone@reserved.test" not in _users(console_app, ADMIN)


def test_a_salesperson_has_no_users_screen_and_the_api_refuses_them(
    page: Page, console_app: ConsoleApp
) -> None:
    sign_in(page, console_app, SALES_A)
    expect(
        page.get_by_role("navigation", name="Menu chính").get_by_role("link", name="Người dùng")
    ).to_have_count(0)
    status, _ = console_app.call(SALES_A, "GET", "/users")
    assert status == 403
    own = _users(console_app, ADMIN)[SALES_A]
    status, _ = console_app.call(SALES_A, "PATCH", f"/users/{own['username']}", {"role": "admin"})
    assert status == 403
    assert _users(console_app, ADMIN)[SALES_A]["role"] == "staff"


def test_an_admin_cannot_disable_or_demote_themself(page: Page, console_app: ConsoleApp) -> None:
    sign_in(page, console_app, ADMIN)
    open_screen(page, "Người dùng")
    own = page.get_by_role("table").get_by_role("row", name=re.compile("admin@demo.test"))
    expect(own).to_contain_text("(bạn)")
    expect(own.get_by_role("button")).to_have_count(0)
    username = _users(console_app, ADMIN)[ADMIN]["username"]
    assert console_app.call(ADMIN, "POST", f"/users/{username}/disable", None)[0] == 403
    assert (
        console_app.call(ADMIN, "PATCH", f"/users/{username}", {"role": "staff", "staff_id": "A"})[0] == 403
    )
    assert _users(console_app, ADMIN)[ADMIN]["enabled"] is True


def test_the_operator_creates_a_tenant_and_its_first_admin_who_sees_only_that_tenant(
    console_app: ConsoleApp,
) -> None:
    tenant = f"cty-{uuid.uuid4().hex[:6]}"
    email = f"giamdoc-{tenant}@example.vn"
    body = {"tenant_id": tenant, "name": "Công ty C", "time_zone": "Asia/Ho_Chi_Minh", "admin_email": email}

    def operator(token: str | None) -> int:
        request = urllib.request.Request(
            f"{console_app.url}/operator/tenants",
            data=json.dumps(body).encode(),
            method="POST",
            headers={"Content-Type": "application/json", **({"X-Operator-Token": token} if token else {})},
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                return int(answer.status)
        except urllib.error.HTTPError as error:
            return int(error.code)

    assert operator(None) == 403
    assert operator("not-the-token") == 403
    assert operator(OPERATOR_TOKEN) == 201
    assert operator(OPERATOR_TOKEN) == 409  # the tenant exists: nothing written twice
    # The tenant's first admin is in the pool, invited (not signed in yet), in that tenant only.
    assert email not in _users(console_app, ADMIN) and email not in _users(console_app, ADMIN_B)
