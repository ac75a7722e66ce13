"""Tables on a phone-wide screen: a table wider than the screen scrolls sideways in its box, and a keyboard
user can reach that box (axe `scrollable-region-focusable`) even when the table holds nothing to focus, as
an empty list or a list still loading does."""

from __future__ import annotations

import uuid

from playwright.sync_api import Page, expect

from tests.support.console import ADMIN, SALES_A, ConsoleApp, assert_accessible, sign_in

LEADS_TABLE = "Danh sách khách hàng tiềm năng"


def _open(page: Page, app: ConsoleApp, path: str, title: str) -> None:
    """Go to a screen by its address and wait until it has loaded what it shows."""
    page.goto(f"{app.url}/#/{path}")
    expect(page.get_by_role("heading", level=1, name=title)).to_be_visible(timeout=15_000)
    expect(page.get_by_role("status").filter(has_text="Đang tải")).to_have_count(0, timeout=15_000)


def _an_empty_lead_list(page: Page, app: ConsoleApp, screenshot: str) -> None:
    """The lead list filtered to a campaign nobody ran: a wide table with no lead in it, and so (for a
    salesperson, who has no selection boxes) nothing in it to focus; its box takes the focus itself."""
    _open(page, app, f"leads?utm_campaign=nothing-{uuid.uuid4().hex}", "Khách hàng tiềm năng")
    expect(page.get_by_role("status").filter(has_text="0 lead trên trang này")).to_be_visible()
    expect(page.get_by_role("table", name=LEADS_TABLE)).to_be_visible()
    assert_accessible(page, screenshot)
    region = page.get_by_role("region", name=LEADS_TABLE)
    region.focus()
    expect(region).to_be_focused()


def test_a_salesperson_on_a_phone_reaches_an_empty_lead_list_by_keyboard(
    page: Page, console_app: ConsoleApp
) -> None:
    # Given a salesperson on a phone-wide screen
    sign_in(page, console_app, SALES_A)
    page.set_viewport_size({"width": 420, "height": 800})
    # When their lead list shows nothing (a filter no lead matches)
    # Then the table's scrolling box is within a keyboard user's reach
    _an_empty_lead_list(page, console_app, "70-tables-sales-empty-leads")


def test_an_admin_on_a_phone_reaches_every_table_by_keyboard(page: Page, console_app: ConsoleApp) -> None:
    # Given an admin on a phone-wide screen
    sign_in(page, console_app, ADMIN)
    page.set_viewport_size({"width": 420, "height": 800})
    # Then an empty lead list, the users, the staff, the form sources and the distribution report (plain
    # text tables) are each within a keyboard user's reach
    _an_empty_lead_list(page, console_app, "71-tables-admin-empty-leads")
    _open(page, console_app, "users", "Người dùng")
    expect(page.get_by_role("table", name="Người dùng của công ty")).to_be_visible()
    assert_accessible(page, "72-tables-users")
    _open(page, console_app, "staff", "Nhân viên")
    assert_accessible(page, "73-tables-staff")
    _open(page, console_app, "sources", "Nguồn lead")
    assert_accessible(page, "74-tables-sources")
    _open(page, console_app, "distribution", "Phân bổ")
    assert_accessible(page, "75-tables-distribution")
