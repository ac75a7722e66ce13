"""Khách hàng tiềm năng in a real Chromium: why a lead went to its owner, filters in the URL, manual
assignment, step change, a campaign mass update, delete and restore, and a salesperson's own list."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from leadrouter_local.demo_data import FORM_KEY, SOURCE_SECRET
from tests.support import stack as local_stack
from tests.support.console import ADMIN, SALES_A, ConsoleApp, assert_accessible, sign_in

CRM = {"X-Form-Key": FORM_KEY, "X-Source-Secret": SOURCE_SECRET}


def post_lead(app: ConsoleApp, name: str, phone: str | None = None, **fields: str) -> str:
    """A lead through the demo's web form source (pool web, step new: the 3:4:5 rule's scope)."""
    body: dict[str, Any] = {"name": name, "phone": phone or f"0912{uuid.uuid4().int % 10**6:06d}"}
    if fields:
        body["fields"] = fields
    status, answer = local_stack.request(f"{app.url}/intake/leads", "POST", body, CRM)
    assert status == 201, answer
    lead_id: str = answer["lead_id"]
    return lead_id


def lead_of(app: ConsoleApp, lead_id: str) -> dict[str, Any]:
    status, answer = app.call(ADMIN, "GET", f"/leads/{lead_id}")
    assert status == 200, answer
    detail: dict[str, Any] = answer
    return detail


def assigned(app: ConsoleApp, lead_id: str) -> dict[str, Any]:
    """The lead once the rule has assigned it (on arrival, through the emulated stream)."""
    local_stack.until(lambda: lead_of(app, lead_id)["lead"]["status"] == "assigned", 20, "the assignment")
    return lead_of(app, lead_id)


def unique(prefix: str) -> str:
    return f"{prefix} {uuid.uuid4().hex[:8]}"


def sign_in_as_admin(page: Page, app: ConsoleApp) -> None:
    """Signed in and landed on the home screen (so a later hash change is not undone by the landing)."""
    sign_in(page, app, ADMIN)
    expect(page).to_have_url(re.compile(r"#/home$"))


@pytest.fixture
def chi_paused(console_app: ConsoleApp) -> Iterator[None]:
    """Staff C (Chi, weight 5) paused through the API for one test, unpaused after it."""
    status, answer = console_app.call(ADMIN, "PATCH", "/staff/C", {"paused": True})
    assert status == 200, answer
    try:
        yield
    finally:
        status, answer = console_app.call(ADMIN, "PATCH", "/staff/C", {"paused": False})
        assert status == 200, answer


def test_the_admin_sees_why_a_lead_went_to_its_owner_and_who_was_skipped(
    page: Page, console_app: ConsoleApp, chi_paused: None
) -> None:
    # Given Chi paused, leads arrive until one lands on Chi's turn (5 of every 12 in the 3:4:5 cycle)
    skipped_lead = None
    for _ in range(12):
        lead_id = post_lead(console_app, unique("Khách lượt"))
        detail = assigned(console_app, lead_id)
        (decision,) = [h for h in detail["history"] if h["type"] == "decision"]
        if decision.get("skipped"):
            skipped_lead, owner = lead_id, decision["staff_id"]
            break
    assert skipped_lead is not None, "no lead fell on Chi's turn in a whole cycle"
    owner_name = {"A": "An", "B": "Bình"}[owner]
    # When the admin opens it
    sign_in_as_admin(page, console_app)
    page.goto(f"{console_app.url}/#/leads/{skipped_lead}")
    history = page.get_by_role("region", name="Lịch sử")
    # Then its history says who got it and why: the rule, its version, the turn; and why not Chi
    expect(history.get_by_text(f"Chia tự động cho {owner_name} ({owner})")).to_be_visible()
    expect(
        history.get_by_text(
            re.compile(r'Theo quy tắc "Website leads, 3:4:5" \(web-new-weighted\), phiên bản \d+\.')
        )
    ).to_be_visible()
    expect(history.get_by_text(re.compile(r"Lượt số \d+: người có lượt không nhận được"))).to_be_visible()
    expect(history.get_by_role("heading", name="Vì sao không phải người khác")).to_be_visible()
    expect(history.get_by_text("Chi (C): đang tạm dừng nhận lead")).to_be_visible()
    assert_accessible(page, "40-leads-lead-history")
    # …and in English
    page.get_by_role("button", name="Switch to English").click()
    expect(page.get_by_text("Chi (C): is paused")).to_be_visible()
    page.get_by_role("button", name="Chuyển sang tiếng Việt").click()


def test_filters_by_status_and_owner_are_kept_in_the_url(page: Page, console_app: ConsoleApp) -> None:
    name = unique("Khách lọc")
    lead = assigned(console_app, post_lead(console_app, name, utm_source="facebook"))["lead"]
    owner = lead["owner"]
    sign_in_as_admin(page, console_app)
    page.get_by_role("navigation", name="Menu chính").get_by_role("link", name="Khách hàng tiềm năng").click()
    table = page.get_by_role("table", name="Danh sách khách hàng tiềm năng")
    expect(table.get_by_role("link", name=name)).to_be_visible()
    assert_accessible(page, "40-leads-list")
    filters = page.get_by_role("form", name="Bộ lọc")
    filters.get_by_label("Tình trạng chăm sóc").select_option(label="Lead đã được gán")
    filters.get_by_label("Người phụ trách").select_option(value=owner)
    filters.get_by_role("button", name="Lọc", exact=True).click()
    expect(page).to_have_url(re.compile(rf"#/leads\?status=assigned&assignee={owner}$"))
    expect(table.get_by_role("link", name=name)).to_be_visible()
    # (waits for the filtered page: the unfiltered one listed the lead too, with others' leads)
    owners = table.locator("tbody tr td:nth-child(4)")
    expect(owners.filter(has_not_text=f"({owner})")).to_have_count(0)
    assert all(f"({owner})" in row_owner for row_owner in owners.all_inner_texts())
    assert_accessible(page, "41-leads-filtered")
    # A shared link opens the same view; another status does not list the lead
    page.goto(f"{console_app.url}/#/leads?status=pending&assignee={owner}")
    expect(page.get_by_role("form", name="Bộ lọc").get_by_label("Tình trạng chăm sóc")).to_have_value(
        "pending"
    )
    expect(page.get_by_role("status").filter(has_text="lead trên trang này")).to_have_text(
        "0 lead trên trang này"
    )
    expect(table.get_by_role("link", name=name)).to_have_count(0)
    # The source it came through and its first touch's utm_source, then its page's attribution
    filters = page.get_by_role("form", name="Bộ lọc")
    filters.get_by_role("button", name="Xóa bộ lọc").click()
    expect(page).to_have_url(re.compile(r"#/leads$"))
    # The form takes its values from the URL once it changed: typed before that, a value would be reset.
    expect(filters.get_by_label("Tình trạng chăm sóc")).to_have_value("")
    filters.get_by_label("Nguồn", exact=True).fill("website")
    filters.get_by_label("utm_source (lần đầu)").fill("facebook")
    filters.get_by_role("button", name="Lọc", exact=True).click()
    expect(page).to_have_url(re.compile(r"#/leads\?source=website&utm_source=facebook$"))
    table.get_by_role("link", name=name).click()
    attribution = page.get_by_role("region", name="Nguồn và chiến dịch quảng cáo")
    # first touch and latest touch (one submission: the same)
    expect(attribution.get_by_role("definition").filter(has_text="facebook")).to_have_count(2)
    page.goto(f"{console_app.url}/#/leads?source=another-source&utm_source=facebook")
    expect(page.get_by_role("status").filter(has_text="lead trên trang này")).to_have_text(
        "0 lead trên trang này"
    )


#: A busy browser: every frame and short timer (what Preact runs effects on) fires 1.5 s late;
#: ``window.__held`` counts those not run yet.
LATE_EFFECTS = """
(() => {
  const held = new Set();
  const later = window.setTimeout.bind(window);
  const clear = window.clearTimeout.bind(window);
  const hold = (run, ms) => {
    const id = later(() => { held.delete(id); run(); }, ms + 1500);
    held.add(id);
    return id;
  };
  const release = (id) => { held.delete(id); clear(id); };
  window.setTimeout = (fn, ms = 0, ...args) =>
    ms <= 200 && typeof fn === "function" ? hold(() => fn(...args), ms) : later(fn, ms, ...args);
  window.clearTimeout = release;
  window.requestAnimationFrame = (fn) => hold(() => fn(performance.now()), 0);
  window.cancelAnimationFrame = release;
  Object.defineProperty(window, "__held", { get: () => held.size });
})();
"""


def test_a_filter_typed_while_the_screen_is_still_settling_is_the_one_applied(
    page: Page, console_app: ConsoleApp
) -> None:
    # Given the admin opening the lead list in a browser so busy that the screen's effects run late
    campaign = f"loc-som-{uuid.uuid4().hex[:8]}"
    sign_in_as_admin(page, console_app)
    page.add_init_script(LATE_EFFECTS)
    page.goto(f"{console_app.url}/#/leads")
    page.reload()
    filters = page.get_by_role("form", name="Bộ lọc")
    field = filters.get_by_label("utm_campaign (lần đầu)")

    # When they type a utm_campaign before those effects ran, and then the effects run
    field.fill(campaign)
    page.wait_for_function("window.__held === 0")

    # Then what they typed is kept, and it is what "Lọc" applies
    expect(field).to_have_value(campaign)
    filters.get_by_role("button", name="Lọc", exact=True).click()
    expect(page).to_have_url(re.compile(rf"#/leads\?utm_campaign={campaign}$"))


def test_assign_by_hand_to_two_staff_change_step_and_see_a_refusal(
    page: Page, console_app: ConsoleApp
) -> None:
    lead_id = assigned(console_app, post_lead(console_app, unique("Khách giao tay")))["lead"]["lead_id"]
    sign_in_as_admin(page, console_app)
    page.goto(f"{console_app.url}/#/leads/{lead_id}")
    assign = page.get_by_role("group", name="Giao thủ công")
    assign.get_by_label("Bình (B)").check()
    assign.get_by_label("An (A)").check()
    assign.get_by_role("button", name="Giao cho 2 nhân viên").click()
    expect(page.get_by_role("status").filter(has_text="Đã giao lead.")).to_be_visible()
    expect(page.get_by_text("Giao thủ công cho Bình (B), An (A)")).to_be_visible()
    lead = lead_of(console_app, lead_id)["lead"]
    assert (lead["owner"], lead["assignees"]) == ("B", ["B", "A"])
    # A step the API refuses: its message, nothing changed
    step = page.get_by_role("group", name="Chuyển bước")
    step.get_by_label("Bước mới").fill("liên hệ#1")
    step.get_by_role("button", name="Chuyển bước").click()
    expect(page.get_by_role("alert")).to_contain_text("Chưa lưu gì")
    expect(page.get_by_role("alert")).to_contain_text("step")
    assert lead_of(console_app, lead_id)["lead"]["step"] == "new"
    # A step it accepts
    step.get_by_label("Bước mới").fill("đã liên hệ")
    step.get_by_role("button", name="Chuyển bước").click()
    expect(page.get_by_text("Chuyển bước: new → đã liên hệ")).to_be_visible()
    assert lead_of(console_app, lead_id)["lead"]["step"] == "đã liên hệ"
    assert_accessible(page, "42-leads-lead-assigned")


def test_select_two_leads_and_move_them_into_a_campaign(page: Page, console_app: ConsoleApp) -> None:
    names = [unique("Khách chiến dịch"), unique("Khách chiến dịch")]
    ids = [assigned(console_app, post_lead(console_app, n))["lead"]["lead_id"] for n in names]
    campaign = f"tet-{uuid.uuid4().hex[:6]}"
    sign_in_as_admin(page, console_app)
    page.goto(f"{console_app.url}/#/leads")
    for name in names:
        page.get_by_label(f"Chọn lead {name}").check()
    mass = page.get_by_role("form", name="Cập nhật hàng loạt")
    expect(mass.get_by_text("Đã chọn 2 lead")).to_be_visible()
    mass.get_by_label("Chuyển vào chiến dịch").fill(campaign)
    assert_accessible(page, "43-leads-mass-update")
    mass.get_by_role("button", name="Chuyển 2 lead vào chiến dịch").click()
    expect(page.get_by_text(f"Đã chuyển 2 lead vào chiến dịch {campaign}.")).to_be_visible()
    # Under that campaign's filter: exactly these two, waiting for assignment ("Lead gán tự động")
    filters = page.get_by_role("form", name="Bộ lọc")
    filters.get_by_label("Chiến dịch").fill(campaign)
    filters.get_by_role("button", name="Lọc", exact=True).click()
    expect(page).to_have_url(re.compile(rf"#/leads\?campaign={campaign}$"))
    table = page.get_by_role("table", name="Danh sách khách hàng tiềm năng")
    expect(table.locator("tbody tr")).to_have_count(2)
    for name in names:
        expect(table.get_by_role("row", name=re.compile(name))).to_contain_text("Lead gán tự động")
    for lead_id in ids:
        assert lead_of(console_app, lead_id)["lead"]["campaign"] == campaign
    # No rule splits that campaign: the admin's "unrouted" view says so
    filters.get_by_label("Chỉ lead chưa có quy tắc chia").check()
    filters.get_by_role("button", name="Lọc", exact=True).click()
    expect(page).to_have_url(re.compile(rf"campaign={campaign}&unrouted=true$"))
    expect(table.locator("tbody tr")).to_have_count(2)
    expect(table.locator("tbody tr").first).to_contain_text(
        "không có quy tắc chia cho kho dữ liệu và bước này"
    )
    assert_accessible(page, "44-leads-unrouted")


def test_pages_follow_the_api_cursor_forward_and_back(page: Page, console_app: ConsoleApp) -> None:
    # Given 26 leads in a campaign of their own (one more than a page of 25)
    names = [unique(f"Khách trang {i:02d}") for i in range(26)]
    ids = [post_lead(console_app, n) for n in names]
    for lead_id in ids:
        assigned(console_app, lead_id)
    campaign = f"trang-{uuid.uuid4().hex[:6]}"
    status, moved = console_app.call(ADMIN, "POST", f"/campaigns/{campaign}/leads", {"lead_ids": ids})
    assert status == 200 and moved["updated"] == 26, moved
    sign_in_as_admin(page, console_app)
    page.goto(f"{console_app.url}/#/leads?campaign={campaign}")
    rows = page.get_by_role("table", name="Danh sách khách hàng tiềm năng").locator("tbody tr")
    pager = page.get_by_role("navigation", name="Phân trang")
    # Then page 1 holds the 25 newest, page 2 the oldest one, and "previous" comes back
    expect(rows).to_have_count(25)
    expect(pager.get_by_role("button", name="Trang trước")).to_be_disabled()
    pager.get_by_role("button", name="Trang sau").click()
    expect(pager).to_contain_text("Trang 2")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(names[0])
    expect(pager.get_by_role("button", name="Trang sau")).to_be_disabled()
    pager.get_by_role("button", name="Trang trước").click()
    expect(pager).to_contain_text("Trang 1")
    expect(rows).to_have_count(25)
    expect(rows.first).to_contain_text(names[-1])


def test_delete_a_lead_and_restore_it(page: Page, console_app: ConsoleApp) -> None:
    name = unique("Khách xóa")
    lead_id = assigned(console_app, post_lead(console_app, name))["lead"]["lead_id"]
    sign_in_as_admin(page, console_app)
    page.goto(f"{console_app.url}/#/leads/{lead_id}")
    page.get_by_role("button", name="Xóa lead").click()
    expect(page.get_by_text("Đã xóa lead này (có thể khôi phục).")).to_be_visible()
    assert console_app.call(ADMIN, "GET", f"/leads/{lead_id}")[0] == 404
    # It is listed under "Đã xóa", with a restore button
    page.goto(f"{console_app.url}/#/leads?status=deleted")
    table = page.get_by_role("table", name="Danh sách khách hàng tiềm năng")
    expect(table.get_by_role("row", name=re.compile(name))).to_contain_text("Đã xóa")
    assert_accessible(page, "45-leads-deleted")
    table.get_by_role("button", name=f"Khôi phục {name}").click()
    expect(page.get_by_text("Đã khôi phục lead")).to_be_visible()
    expect(table.get_by_role("row", name=re.compile(name))).to_have_count(0)
    # pending again, and assigned anew by the rule (waited for: a delete racing it would be a 409)
    assigned(console_app, lead_id)
    # …and from its own page too
    page.goto(f"{console_app.url}/#/leads/{lead_id}")
    page.get_by_role("button", name="Xóa lead").click()
    page.get_by_role("button", name="Khôi phục").click()
    expect(page.get_by_text("Đã khôi phục lead")).to_be_visible()
    expect(page.get_by_role("heading", level=1, name=name)).to_be_visible()


def test_a_restore_the_api_refuses_shows_why_and_changes_nothing(page: Page, console_app: ConsoleApp) -> None:
    # Given a deleted lead whose phone a newer lead took meanwhile
    phone = f"0913{uuid.uuid4().int % 10**6:06d}"
    name = unique("Khách cũ")
    old = assigned(console_app, post_lead(console_app, name, phone))["lead"]["lead_id"]
    assert console_app.call(ADMIN, "DELETE", f"/leads/{old}")[0] == 200
    newer = post_lead(console_app, unique("Khách mới"), phone)
    assert newer != old
    # When the admin restores the old one from the list of deleted leads
    sign_in_as_admin(page, console_app)
    page.goto(f"{console_app.url}/#/leads?status=deleted")
    table = page.get_by_role("table", name="Danh sách khách hàng tiềm năng")
    table.get_by_role("button", name=f"Khôi phục {name}").click()
    # Then the API's 409 is shown, naming the phone, and the lead stays deleted
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Có người vừa thay đổi mục này")
    expect(alert).to_contain_text("phone")
    expect(table.get_by_role("row", name=re.compile(name))).to_contain_text("Đã xóa")
    assert console_app.call(ADMIN, "GET", f"/leads/{old}")[0] == 404


def test_a_salesperson_sees_only_their_own_leads(page: Page, console_app: ConsoleApp) -> None:
    # Given leads for everyone (3:4:5), some of them An's
    for _ in range(4):
        assigned(console_app, post_lead(console_app, unique("Khách của ai")))
    status, mine = console_app.call(SALES_A, "GET", "/leads?limit=25")
    assert status == 200, mine
    expected = sorted(x["lead"]["name"] for x in mine["items"])
    assert expected and all(x["lead"]["owner"] == "A" or "A" in x["lead"]["assignees"] for x in mine["items"])
    sign_in(page, console_app, SALES_A)
    page.get_by_role("navigation", name="Menu chính").get_by_role("link", name="Khách hàng tiềm năng").click()
    table = page.get_by_role("table", name="Danh sách khách hàng tiềm năng")
    expect(table.locator("tbody tr")).to_have_count(len(expected))
    assert sorted(table.locator("tbody tr td:first-child").all_inner_texts()) == expected
    # No owner filter, no selection, no mass update for a salesperson
    expect(page.get_by_label("Người phụ trách")).to_have_count(0)
    expect(page.get_by_role("form", name="Cập nhật hàng loạt")).to_have_count(0)
    expect(table.get_by_role("checkbox")).to_have_count(0)
    assert_accessible(page, "46-leads-salesperson")
    # On a phone: the table scrolls in its frame, the page does not
    page.set_viewport_size({"width": 390, "height": 844})
    table.get_by_role("link").first.click()
    expect(page.get_by_role("region", name="Lịch sử")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert_accessible(page, "47-leads-lead-phone")
