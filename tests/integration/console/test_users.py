"""Người dùng: an admin invites, changes, disables, enables and re-invites users of their own tenant; the
other tenant's users are never shown; a salesperson cannot open the screen nor call its API."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import Page, expect

from tests.support.console import (
    ADMIN,
    ADMIN_B,
    SALES_A,
    ConsoleApp,
    assert_accessible,
    open_screen,
    sign_in,
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
    assert_accessible(page, "81-users-list")

    # Tenant B's admin sees none of tenant A's users, in the console or through the API.
    page.get_by_role("button", name="Đăng xuất").click()
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
