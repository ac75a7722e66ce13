"""Quyền riêng tư in Chromium against `make run`'s stack: a customer's requests recorded with their due
date, an access request fulfilled into a JSON file and another refused; privacy settings refusing a
changed notice without a new version; Do-Not-Call numbers refused for one bad line, then added; the
access audit showing the reads just made and an intact chain; the inventory and its CSV; and a
salesperson recording a withdrawal on a lead whose decision says it may not be called."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect

from leadrouter_local.demo_data import FORM_KEY, SOURCE_SECRET
from tests.support import stack as local_stack
from tests.support.console import (
    ADMIN,
    SALES_A,
    ConsoleApp,
    assert_accessible,
    lead_source_for,
    sign_in,
)

SCREEN = "Quyền riêng tư"
CRM = {"X-Form-Key": FORM_KEY, "X-Source-Secret": SOURCE_SECRET}


def new_phone() -> str:
    return f"0912{uuid.uuid4().int % 10**6:06d}"  # 0912…: always a valid mobile


def post_lead(app: ConsoleApp, phone: str, headers: dict[str, str] = CRM) -> str:
    status, answer = local_stack.request(
        f"{app.url}/intake/leads", "POST", {"name": "Khách quyền riêng tư", "phone": phone}, headers
    )
    assert status == 201, answer
    lead_id: str = answer["lead_id"]
    return lead_id


def vi_date(page: Page, day: str) -> str:
    """A calendar day as the console shows it in Vietnamese."""
    shown: str = page.evaluate(
        "(d) => new Intl.DateTimeFormat('vi-VN', {timeZone: 'UTC', dateStyle: 'medium'})"
        ".format(new Date(d + 'T00:00:00Z'))",
        day,
    )
    return shown


def tab(page: Page, name: str) -> None:
    page.get_by_role("navigation", name="Các mục quyền riêng tư").get_by_role("link", name=name).click()
    expect(page.get_by_role("heading", level=1, name=name)).to_be_visible()


def open_requests(app: ConsoleApp) -> list[dict[str, Any]]:
    status, body = app.call(ADMIN, "GET", "/privacy/requests?status=open")
    assert status == 200, body
    requests: list[dict[str, Any]] = body["requests"]
    return requests


def record_request(page: Page, kind: str, phone: str, received_on: date | None = None) -> None:
    page.get_by_label("Loại yêu cầu").select_option(label=kind)
    page.get_by_label("Số điện thoại của khách").fill(phone)
    if received_on is not None:
        page.get_by_label("Ngày khách gửi yêu cầu").fill(received_on.isoformat())
    page.get_by_role("button", name="Ghi nhận yêu cầu").click()
    expect(page.get_by_text(re.compile(r"^Đã ghi nhận yêu cầu\. Hạn trả lời: "))).to_be_visible()


def test_requests_are_recorded_with_their_due_date_fulfilled_into_a_file_or_refused(
    page: Page, console_app: ConsoleApp
) -> None:
    # Given a customer with a lead
    phone = new_phone()
    e164 = "+84" + phone[1:]
    lead_id = post_lead(console_app, phone)
    sign_in(page, console_app, ADMIN)
    page.get_by_role("navigation", name="Menu chính").get_by_role("link", name=SCREEN).click()
    expect(page.get_by_role("heading", level=1, name="Yêu cầu của khách hàng")).to_be_visible()

    # When the admin records their access request
    record_request(page, "Xem dữ liệu", phone)
    (made,) = [r for r in open_requests(console_app) if (r.get("subject") or {}).get("phone") == e164]
    # Then it is listed, open, with its due date as a date
    row = page.get_by_role("row").filter(has_text=e164)
    expect(row).to_have_count(1)
    expect(row).to_contain_text(vi_date(page, made["next_due"]))
    expect(row).to_contain_text(re.compile("Đang mở|Sắp đến hạn|Quá hạn"))
    assert_accessible(page, "90-privacy-requests")
    # …readable on a phone: the list scrolls inside its frame, the page itself does not
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    assert_accessible(page, "98-privacy-requests-phone")
    page.set_viewport_size({"width": 1280, "height": 900})

    # When they open it and fulfil it
    row.get_by_role("link").click()
    expect(page.get_by_role("heading", level=1, name="Yêu cầu Xem dữ liệu")).to_be_visible()
    expect(page.get_by_text(vi_date(page, made["answer_due"])).first).to_be_visible()
    page.get_by_role("button", name="Thực hiện: lấy dữ liệu của khách").click()
    # Then the customer's data is offered once, as a JSON file naming their lead
    expect(page.get_by_text("Đã hoàn tất yêu cầu.")).to_be_visible(timeout=15_000)
    with page.expect_download() as got:
        page.get_by_role("button", name="Tải dữ liệu (JSON)").click()
    download = got.value
    assert download.suggested_filename.endswith(".json")
    assert lead_id in json.dumps(json.loads(Path(download.path()).read_text(encoding="utf-8")))
    expect(page.locator(".pv-facts")).to_contain_text("Đã thực hiện")
    assert_accessible(page, "91-privacy-request-fulfilled")

    # When another request of the same customer is refused with a reason
    page.get_by_role("link", name="← Danh sách yêu cầu").click()
    record_request(page, "Xuất dữ liệu (máy đọc được)", phone)
    page.get_by_role("row").filter(has_text=e164).get_by_role("link").click()
    # …after extending it once, with a reason
    page.get_by_label(re.compile("^Lý do gia hạn")).fill("Cần xác minh danh tính qua điện thoại")
    page.get_by_role("button", name="Gia hạn", exact=True).click()
    expect(page.get_by_text(re.compile(r"^Đã gia hạn đến "))).to_be_visible()
    expect(page.locator(".pv-facts")).to_contain_text("Cần xác minh danh tính qua điện thoại")
    expect(page.get_by_role("button", name="Gia hạn", exact=True)).to_have_count(0)  # once only
    page.get_by_label("Lý do từ chối").select_option(label="Chưa xác minh được danh tính")
    page.get_by_role("button", name="Từ chối yêu cầu").click()
    # Then it is closed as refused, with the reason, and no phone kept on it
    expect(page.locator(".pv-facts")).to_contain_text("Từ chối: Chưa xác minh được danh tính")
    expect(page.locator(".pv-facts")).not_to_contain_text(e164)

    # When an erasure made two weeks ago is recorded only now
    page.get_by_role("link", name="← Danh sách yêu cầu").click()
    other = new_phone()
    two_weeks_ago = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date() - timedelta(days=14)
    record_request(page, "Xóa dữ liệu", other, received_on=two_weeks_ago)
    # Then it is listed as received that day, and overdue
    late = page.get_by_role("row").filter(has_text="+84" + other[1:])
    expect(late).to_contain_text(vi_date(page, two_weeks_ago.isoformat()))
    expect(late).to_contain_text("Quá hạn")
    # …and, fulfilling it, the admin is first told what erasure does, and may change their mind
    late.get_by_role("link").click()
    page.get_by_role("button", name="Thực hiện: xóa dữ liệu của khách…").click()
    dialog = page.get_by_role("dialog", name="Xóa vĩnh viễn dữ liệu của khách này?")
    expect(dialog).to_contain_text("danh sách chặn")
    expect(dialog).to_contain_text("Không thể hoàn tác.")
    expect(dialog.get_by_role("button", name="Hủy")).to_be_focused()  # the safe choice first
    assert_accessible(page, "97-privacy-erase-confirm")
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    expect(page.locator(".badge")).to_have_text(re.compile("Đang mở|Sắp đến hạn|Quá hạn"))


@pytest.fixture
def settings_restored(console_app: ConsoleApp) -> Iterator[dict[str, Any]]:
    """The tenant's privacy settings as they were, put back after the test (its old notices stay valid)."""
    status, before = console_app.call(ADMIN, "GET", "/privacy/settings")
    assert status == 200, before
    yield before
    status, now = console_app.call(ADMIN, "GET", "/privacy/settings")
    assert status == 200, now
    body = before["settings"] | {"expected_revision": now["revision"]}
    status, answer = console_app.call(ADMIN, "PUT", "/privacy/settings", body)
    assert status == 200, answer


def test_a_changed_notice_needs_a_new_version_and_then_saves(
    page: Page, console_app: ConsoleApp, settings_restored: dict[str, Any]
) -> None:
    keys = [p["key"] for p in settings_restored["settings"]["purposes"]]
    index = keys.index("call")
    sign_in(page, console_app, ADMIN)
    page.get_by_role("navigation", name="Menu chính").get_by_role("link", name=SCREEN).click()
    tab(page, "Cài đặt quyền riêng tư")
    text = page.get_by_label("Nội dung thông báo (call)")
    expect(text).not_to_have_value("")
    # When the call notice's text changes under its old version
    text.fill(text.input_value() + " Bạn có thể rút lại bất cứ lúc nào.")
    page.get_by_role("button", name="Lưu cài đặt").click()
    # Then the API's 422 is shown next to the version, and nothing is saved
    error = page.locator(f"#pv-p{index}-version-error")
    expect(error).to_contain_text("Phiên bản thông báo (call):")
    expect(page.get_by_label("Phiên bản thông báo (call)")).to_have_attribute("aria-invalid", "true")
    _, now = console_app.call(ADMIN, "GET", "/privacy/settings")
    assert now["revision"] == settings_restored["revision"]
    assert_accessible(page, "92-privacy-settings-422")

    # When it gets a new version
    version = f"v-{uuid.uuid4().hex[:6]}"
    page.get_by_label("Phiên bản thông báo (call)").fill(version)
    page.get_by_role("button", name="Lưu cài đặt").click()
    # Then it is saved, and the consent boxes to copy carry the new version
    expect(page.get_by_text("Đã lưu cài đặt quyền riêng tư.")).to_be_visible()
    expect(error).to_be_empty()
    expect(page.get_by_label("Ô đồng ý cho biểu mẫu (HTML)")).to_have_value(re.compile(re.escape(version)))


def dnc_counts(app: ConsoleApp) -> dict[str, int]:
    status, body = app.call(ADMIN, "GET", "/privacy/do-not-call")
    assert status == 200, body
    counts: dict[str, int] = body
    return counts


def test_do_not_call_numbers_are_refused_for_a_bad_line_then_added_and_one_removed(
    page: Page, console_app: ConsoleApp
) -> None:
    sign_in(page, console_app, ADMIN)
    page.get_by_role("navigation", name="Menu chính").get_by_role("link", name=SCREEN).click()
    tab(page, "Danh sách không gọi (DNC)")
    before = dnc_counts(console_app)
    first, second = new_phone(), new_phone()
    box = page.get_by_label("Số điện thoại, mỗi dòng một số (tối đa 1.000)")

    # When a paste holds one line that is not a number
    box.fill(f"{first}\n\nkhông phải số\n{second}\n")
    page.get_by_role("button", name="Thêm vào danh sách").click()
    # Then that line is named, as the admin counts lines, and nothing is written
    errors = page.locator("#pv-phones-error")
    expect(errors).to_contain_text("Chưa thêm số nào")
    expect(errors).to_contain_text("Dòng 3:")
    assert dnc_counts(console_app) == before
    assert_accessible(page, "93-privacy-dnc-422")

    # When the good numbers are sent
    box.fill(f"{first}\n{second}\n")
    page.get_by_role("button", name="Thêm vào danh sách").click()
    # Then both are added and the count shows them
    expect(page.get_by_text("Đã thêm 2 số vào danh sách Của doanh nghiệp.")).to_be_visible()
    expect(errors).to_be_empty()
    after = dnc_counts(console_app)
    assert after["tenant"] == before["tenant"] + 2
    expect(page.locator(".cards")).to_contain_text(f"{after['tenant']} số")

    # When one is removed
    page.get_by_label("Số cần gỡ").fill(first)
    page.get_by_role("button", name="Gỡ khỏi danh sách").click()
    expect(page.get_by_text("Đã gỡ số khỏi danh sách Của doanh nghiệp.")).to_be_visible()
    assert dnc_counts(console_app)["tenant"] == before["tenant"] + 1


def test_the_audit_shows_the_reads_just_made_its_chain_is_intact_and_the_inventory_downloads(
    page: Page, console_app: ConsoleApp
) -> None:
    lead_id = post_lead(console_app, new_phone())
    sign_in(page, console_app, ADMIN)
    # Given the admin read a lead
    page.goto(f"{console_app.url}/#/leads/{lead_id}")
    expect(page.get_by_role("heading", level=1, name="Khách quyền riêng tư")).to_be_visible()

    # When they look the lead up in the access audit
    page.get_by_role("navigation", name="Menu chính").get_by_role("link", name=SCREEN).click()
    tab(page, "Nhật ký truy cập")
    page.get_by_label("Mã lead").fill(lead_id)
    page.get_by_role("button", name="Lọc").click()
    # Then their read is there
    expect(page.get_by_role("row").filter(has_text="Xem").filter(has_text=lead_id).first).to_be_visible()
    # …and the chain verifies intact
    page.get_by_role("button", name="Kiểm tra tính toàn vẹn").click()
    expect(page.get_by_text(re.compile(r"^Chuỗi nhật ký nguyên vẹn: đã kiểm tra \d+ mục\.$"))).to_be_visible(
        timeout=20_000
    )
    expect(page.get_by_label(re.compile("^Đầu chuỗi"))).to_have_value(re.compile(r"^\d+:[0-9a-f]{64}$"))
    assert_accessible(page, "94-privacy-audit")

    # When they open the inventory
    tab(page, "Bảng kê xử lý dữ liệu")
    expect(page.get_by_role("heading", level=2, name="Loại dữ liệu cá nhân")).to_be_visible()
    expect(page.get_by_role("heading", level=2, name="Bên xử lý phụ")).to_be_visible()
    assert_accessible(page, "95-privacy-inventory")
    with page.expect_download() as got:
        page.get_by_role("button", name="Tải file CSV (Excel)").click()
    raw = Path(got.value.path()).read_bytes()
    assert got.value.suggested_filename.endswith(".csv")
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM, for Excel
    assert len(raw.decode("utf-8-sig").splitlines()) > 3


def test_a_salesperson_records_a_withdrawal_on_a_lead_that_may_not_be_called(
    page: Page, console_app: ConsoleApp
) -> None:
    # Given a lead given to An, with no consent to be called
    source = lead_source_for(console_app, "A", reclaim_after_minutes=None)
    lead_id = post_lead(
        console_app, new_phone(), {"X-Form-Key": source.form_key, "X-Source-Secret": source.source_secret}
    )

    def decision() -> dict[str, Any] | None:
        _, detail = console_app.call(ADMIN, "GET", f"/leads/{lead_id}")
        found = [h for h in detail["history"] if h.get("type") == "decision"]
        return found[0] if found else None

    local_stack.until(lambda: decision() is not None, 20, "the assignment")
    assert (decision() or {}).get("call_allowed") is False
    sign_in(page, console_app, SALES_A)
    page.goto(f"{console_app.url}/#/leads/{lead_id}")
    expect(page.get_by_role("heading", level=1, name="Khách quyền riêng tư")).to_be_visible()
    # Then the decision says no advertising call, and why
    expect(page.locator(".history .pv-call")).to_contain_text("Không được gọi quảng cáo:")
    call_row = page.locator(".pv-consents tr").filter(has_text="Gọi điện tư vấn")
    expect(call_row).to_contain_text("Chưa rõ")

    # When the salesperson records the customer's yes (to calls in the evening), then their withdrawal
    consent = page.locator(".pv-consents form")
    consent.get_by_label("Mục đích").select_option(label="Gọi điện tư vấn")
    consent.get_by_label("Khách trả lời").select_option(label="Đồng ý")
    consent.get_by_label("Khách đồng ý nghe gọi từ").fill("18:00")
    consent.get_by_label("đến", exact=True).fill("20:00")
    consent.get_by_role("button", name="Ghi nhận").click()
    expect(call_row).to_contain_text("Đồng ý")
    expect(call_row).to_contain_text("nghe gọi 18:00–20:00")
    consent.get_by_label("Khách trả lời").select_option(label="Rút lại sự đồng ý")
    consent.get_by_role("button", name="Ghi nhận").click()
    # Then the call consent is refused by withdrawal, by them
    expect(call_row).to_contain_text("Khách rút lại")
    expect(call_row).to_contain_text("Từ chối")
    _, consents = console_app.call(ADMIN, "GET", f"/leads/{lead_id}/consents")
    (call,) = [c for c in consents["consents"] if c["purpose"] == "call"]
    assert (call["status"], call["method"], call["by"]) == ("refused", "withdrawal", "A")
    assert_accessible(page, "96-privacy-lead-consents")
