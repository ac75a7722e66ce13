"""Khách hàng tiềm năng → "Xuất Excel" in a real Chromium: the list's current filters exported to an
.xlsx made by the export worker on the local stack, downloaded from its signed link and read back with
openpyxl; the export history (who, which filters, how many rows); a salesperson sees no export."""

from __future__ import annotations

import io
import re
import urllib.request
import uuid
from typing import Any

from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from tests.integration.console.test_leads import post_lead, sign_in_as_admin
from tests.support.console import SALES_A, TEAM_LEAD, ConsoleApp, assert_accessible, sign_in


def export_the_list_to_excel(
    page: Page, rows: int, screenshot: str
) -> tuple[list[Any], list[dict[str, Any]]]:
    """ "Xuất Excel" of the list as filtered now, with the defaults (xlsx, Vietnamese headers), followed
    to its end (``rows`` rows; axe-checked, kept as ``screenshot``), and the file behind its link read
    back: the header row and each row by header."""
    page.get_by_role("button", name="Xuất Excel").click()
    panel = page.get_by_role("region", name="Xuất danh sách theo bộ lọc")
    expect(panel.get_by_label("Định dạng file")).to_have_value("xlsx")
    expect(panel.get_by_label("Ngôn ngữ tiêu đề cột")).to_have_value("vi")
    panel.get_by_role("button", name="Bắt đầu xuất").click()

    # The export is followed to its end: done with its rows and a download link
    state = panel.get_by_role("status").filter(has_text="Đã xuất xong")
    expect(state).to_have_text(f"Đã xuất xong {rows} dòng trong file.", timeout=30_000)
    link = panel.get_by_role("link", name="Tải file (xlsx)")
    expect(link).to_be_visible()
    assert_accessible(page, screenshot)

    url = link.get_attribute("href")
    assert url is not None
    with urllib.request.urlopen(url, timeout=10) as answer:
        book = load_workbook(io.BytesIO(answer.read()))
    table = list(book.worksheets[0].iter_rows(values_only=True))
    header = list(table[0])
    return header, [dict(zip(header, row, strict=True)) for row in table[1:]]


def test_the_admin_exports_the_filtered_list_to_excel_with_vietnamese_headers(
    page: Page, console_app: ConsoleApp
) -> None:
    # Given two leads of an ad campaign of their own, and one lead of another campaign
    campaign = f"xuat-{uuid.uuid4().hex[:8]}"
    names = {f"Khách xuất {n} {campaign}" for n in (1, 2)}
    phones = {"0912000101", "0912000102"}
    for name, phone in zip(sorted(names), sorted(phones), strict=True):
        post_lead(console_app, name, phone, utm_campaign=campaign)
    post_lead(console_app, f"Khách khác {campaign}", utm_campaign=f"{campaign}-khac")

    # When the admin filters the list by that campaign's utm_campaign and exports it as Excel
    sign_in_as_admin(page, console_app)
    page.goto(f"{console_app.url}/#/leads")
    filters = page.get_by_role("form", name="Bộ lọc")
    filters.get_by_label("utm_campaign (lần đầu)").fill(campaign)
    filters.get_by_role("button", name="Lọc", exact=True).click()
    expect(page).to_have_url(re.compile(rf"#/leads\?utm_campaign={campaign}$"))
    listed = page.get_by_role("table", name="Danh sách khách hàng tiềm năng").locator("tbody tr")
    expect(listed).to_have_count(2)
    header, body = export_the_list_to_excel(page, rows=2, screenshot="27-leads-export-done")

    # Then the file holds exactly the filtered leads under the Vietnamese headers
    assert header[:4] == ["Mã lead", "Họ tên", "Số điện thoại", "Email"]
    assert "Nhân viên phụ trách" in header and "utm_campaign" in header
    assert {row["Họ tên"] for row in body} == names
    assert {row["utm_campaign"] for row in body} == {campaign}
    # Phones are text, so Excel keeps the leading +
    assert {str(row["Số điện thoại"]).replace(" ", "") for row in body} == {"+84912000101", "+84912000102"}
    assert all(isinstance(row["Số điện thoại"], str) for row in body)

    # And the export history records it: the filter it was made with and its rows
    panel = page.get_by_role("region", name="Xuất danh sách theo bộ lọc")
    panel.get_by_role("button", name="Xem lịch sử xuất").click()
    history = panel.get_by_role("table", name="Các lần xuất danh sách")
    made = history.locator("tbody tr").filter(has_text=campaign)
    expect(made).to_have_count(1)
    expect(made).to_contain_text(f"utm_campaign: {campaign}")
    expect(made).to_contain_text("Đã xuất xong")
    expect(made.locator("td").nth(4)).to_have_text("2")
    assert_accessible(page, "27-leads-export-history")


def test_a_salesperson_sees_no_export_nor_import(page: Page, console_app: ConsoleApp) -> None:
    # Given a salesperson on their lead list
    sign_in(page, console_app, SALES_A)
    page.goto(f"{console_app.url}/#/leads")
    expect(page.get_by_role("heading", level=1, name="Khách hàng tiềm năng")).to_be_visible()
    expect(page.get_by_role("table", name="Danh sách khách hàng tiềm năng")).to_be_visible()
    # Then neither the export nor the import is offered, and the import screen is not in the menu
    expect(page.get_by_role("button", name="Xuất Excel")).to_have_count(0)
    expect(page.get_by_role("link", name="Nhập khách hàng")).to_have_count(0)
    assert_accessible(page, "27-leads-staff-no-export")
    page.goto(f"{console_app.url}/#/imports")  # nor the import screen, whatever the URL says
    expect(page.get_by_role("heading", level=1, name="Không tìm thấy trang này.")).to_be_visible()


def test_a_team_lead_may_export_but_not_import(page: Page, console_app: ConsoleApp) -> None:
    # Given the team lead on the lead list (their team's leads)
    sign_in(page, console_app, TEAM_LEAD)
    page.goto(f"{console_app.url}/#/leads")
    expect(page.get_by_role("heading", level=1, name="Khách hàng tiềm năng")).to_be_visible()
    # Then the export is offered, the import (admins only) is not
    page.get_by_role("button", name="Xuất Excel").click()
    expect(page.get_by_role("region", name="Xuất danh sách theo bộ lọc")).to_be_visible()
    expect(page.get_by_role("link", name="Nhập khách hàng")).to_have_count(0)
