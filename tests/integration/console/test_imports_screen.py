"""Nhập khách hàng in a real Chromium on `make run`'s stack, end to end as the issue's browser test has it:
upload, map, dry run, import with the progress bar, export (and the same file again: nothing twice).

Nothing is stood in for: the console asks the import API for a presigned POST and the browser sends the
workbook to the local S3 emulation (a cross-origin form POST, allowed by the files bucket's CORS rules);
the import worker (ImportFunction) reads, checks and imports it from the local SQS poller of ImportQueue,
as in production; the imported leads are then listed and exported like any others.
"""

from __future__ import annotations

import csv
import io
import re
import urllib.request
import uuid
from dataclasses import dataclass

from openpyxl import Workbook
from playwright.sync_api import FilePayload, Page, expect

from tests.integration.console.test_leads import post_lead, sign_in_as_admin
from tests.integration.console.test_leads_files import export_the_list_to_excel
from tests.support.console import (
    ADMIN,
    IMPORT_CHUNK_ROWS,
    ConsoleApp,
    assert_accessible,
    lead_source_for,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADERS = ["Họ và tên", "Số điện thoại", "Email", "Ghi chú"]
#: Every row's number as Excel shows it (the header is row 1), for the rows that are not plain.
MISSING_CONTACT, EXISTING, OLD_NUMBER, BAD_PHONE, BAD_EMAIL = 7, 10, 12, 15, 23
LAST_ROW = 31  # 30 customers


@dataclass
class CustomerList:
    """A workbook as a CRM exports it, and what it holds."""

    content: bytes
    tag: str
    #: The names of the rows that become new leads (the old number's among them).
    created: set[str]
    #: The old 11-digit number as typed, and the number it is today.
    old_number: str
    new_number: str
    #: Row 2's phone as the cell holds it (a number: no leading 0).
    first_phone: int


def customer_list(existing_phone: str) -> CustomerList:
    """30 customers under Vietnamese headers, phones stored as numbers (their leading 0 lost), with one
    row missing both phone and email, one impossible phone, one impossible email, one old 11-digit
    number (0169 → 039) and one customer who is already a lead (``existing_phone``)."""
    tag = uuid.uuid4().hex[:8]
    digits = f"{uuid.uuid4().int % 10**5:05d}"  # numbers of this list only: 038<5 digits><row>
    old_tail = f"{uuid.uuid4().int % 10**7:07d}"
    old_number = f"0169 {old_tail[:3]} {old_tail[3:]}"
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADERS)
    created: set[str] = set()
    for row in range(2, LAST_ROW + 1):
        name = f"Khách nhập {row:02d} {tag}"
        phone: int | str | None = int(f"38{digits}{row:02d}")  # as Excel keeps 038…: a number
        email: str | None = None
        if row == MISSING_CONTACT:
            phone = None
        elif row == EXISTING:
            phone = existing_phone
        elif row == OLD_NUMBER:
            phone = old_number
        elif row == BAD_PHONE:
            phone = "12345"
        elif row == BAD_EMAIL:
            phone, email = None, f"khong-phai-email-{tag}"
        else:
            email = f"khach{row}-{tag}@example.vn"
        if row not in {MISSING_CONTACT, EXISTING, BAD_PHONE, BAD_EMAIL}:
            created.add(name)
        sheet.append([name, phone, email, f"ghi chú dòng {row}"])
    out = io.BytesIO()
    book.save(out)
    first_phone = int(f"38{digits}02")
    return CustomerList(out.getvalue(), tag, created, old_number, f"039{old_tail}", first_phone)


def test_upload_map_dry_run_import_with_the_progress_bar_then_export(
    page: Page, console_app: ConsoleApp
) -> None:
    # Given a lead already received, a form source of its own whose rule gives its leads to An (A),
    # and a customer list with that lead's phone in it
    existing_phone = f"0912{uuid.uuid4().int % 10**6:06d}"
    post_lead(console_app, "Khách đã có", existing_phone)
    source = lead_source_for(console_app, "A")
    customers = customer_list(existing_phone)

    # When the admin opens Nhập khách hàng from the lead list
    sign_in_as_admin(page, console_app)
    page.goto(f"{console_app.url}/#/leads")
    page.locator("#main").get_by_role("link", name="Nhập khách hàng").click()
    expect(page.get_by_role("heading", level=1, name="Nhập khách hàng")).to_be_visible()
    assert_accessible(page, "27-imports-choose-file")

    # Then a file that is not a customer list is refused before anything is sent
    chooser = page.get_by_label("File khách hàng (.xlsx, .csv)")
    chooser.set_input_files(files=[FilePayload(name="khach.pdf", mimeType="application/pdf", buffer=b"%PDF")])
    expect(page.get_by_role("alert")).to_have_text("Chỉ nhận file .xlsx, .csv (hoặc .txt, .tsv).")
    expect(page.get_by_role("button", name="Tải lên")).to_be_disabled()

    # When the admin uploads the workbook (the presigned POST goes to the local S3 emulation)
    file_name = f"khach-{customers.tag}.xlsx"
    chooser.set_input_files(files=[FilePayload(name=file_name, mimeType=XLSX, buffer=customers.content)])
    page.get_by_role("button", name="Tải lên").click()

    # Then the worker reads it: the columns come with the suggestions for their Vietnamese headers
    # preselected, and the preview shows the first customers, phones as typed digits
    table = page.get_by_role("table", name="Ghép cột của file với trường của lead")
    expect(table).to_be_visible(timeout=30_000)
    for header, field in zip(HEADERS, ["name", "phone", "email", "note"], strict=True):
        expect(page.get_by_label(f"Trường cho cột {header}")).to_have_value(field)
    expect(table).to_contain_text(f"Khách nhập 02 {customers.tag}")
    expect(table).to_contain_text(str(customers.first_phone))
    assert_accessible(page, "27-imports-map")

    # When the phone is chosen for Email too, it moves there; with no phone nor email, no dry run
    page.get_by_label("Trường cho cột Email").select_option("phone")
    expect(page.get_by_label("Trường cho cột Số điện thoại")).to_have_value("")
    page.get_by_label("Trường cho cột Email").select_option("")
    expect(page.get_by_text("Cần ghép một cột Số điện thoại hoặc Email.")).to_be_visible()
    expect(page.get_by_role("button", name="Kiểm tra thử")).to_be_disabled()
    page.get_by_label("Trường cho cột Số điện thoại").select_option("phone")
    page.get_by_label("Trường cho cột Email").select_option("email")

    # When the admin picks the source, leads to be split by the rules, and asks for the dry run
    chosen = page.get_by_label("Nguồn lead ghi cho khách hàng nhập")
    option = chosen.locator("option", has_text=f"Form {source.pool}")
    source_id = option.get_attribute("value")
    assert source_id
    chosen.select_option(source_id)
    page.get_by_label("Chia theo quy tắc").check()
    page.get_by_role("button", name="Kiểm tra thử").click()

    # Then the dry run counts every row by its outcome and lists the rejected ones by row, with why
    expect(page.get_by_role("heading", level=2, name="Kết quả kiểm tra thử")).to_be_visible(timeout=30_000)
    counts = page.get_by_label("Kết quả theo dòng")
    expect(counts).to_contain_text("Tạo mới26")
    expect(counts).to_contain_text("Gộp vào lead đã có (trùng)1")
    expect(counts).to_contain_text("Bị từ chối3")
    expect(counts).to_contain_text("Đã nhập từ trước0")
    expect(counts).to_contain_text("Số cũ 11 số đã đổi1")
    problems = page.get_by_role("table", name="Các dòng có vấn đề").locator("tbody tr")
    expect(problems).to_have_count(3)
    expect(problems.locator("td:first-child")).to_have_text(
        [str(MISSING_CONTACT), str(BAD_PHONE), str(BAD_EMAIL)]
    )
    expect(problems.locator("td:nth-child(2)")).to_have_text(
        [
            "missing_contact: no phone number and no email address",
            'invalid_phone: column "Số điện thoại": not a valid phone number (Vietnamese numbers: 10 digits '
            "starting with 0, or +84…)",
            'invalid_email: column "Email": not a valid email address',
        ]
    )
    expect(page.get_by_role("link", name="Tải báo cáo đầy đủ")).to_have_attribute("href", re.compile(r"\S"))
    assert_accessible(page, "27-imports-dry-run")

    # When the admin imports it
    page.get_by_role("button", name="Nhập", exact=True).click()

    # Then the progress bar fills up to every row of the file, and the summary accounts for each
    bar = page.get_by_label("Tiến độ nhập")
    expect(bar).to_have_attribute("max", "30", timeout=30_000)
    expect(bar).to_have_attribute("value", "30", timeout=30_000)
    expect(page.get_by_text("Đã nhập xong.")).to_be_visible(timeout=30_000)
    summary = page.get_by_role("region", name="Tổng kết")
    expect(summary.get_by_label("Tổng kết")).to_contain_text("Tạo mới26")
    expect(summary).to_contain_text("Gộp vào lead đã có (trùng)1")
    expect(summary).to_contain_text("Bị từ chối3")
    expect(summary).to_contain_text("Số cũ 11 số đã đổi1")
    report = summary.get_by_role("link", name="Tải báo cáo đầy đủ")
    expect(report).to_have_attribute("href", re.compile(r"import-report\.csv"))
    past = page.get_by_role("table", name="Các lần nhập")
    expect(past.get_by_role("link", name=f"Mở {file_name}")).to_be_visible()
    expect(past).to_contain_text("Đã nhập xong")
    assert_accessible(page, "27-imports-done")

    # And the worker went through the file in chunks (the console tests' stack: 10 rows each)
    found = re.search(r"#/imports/([^/?]+)$", page.url)
    assert found, page.url
    status, detail = console_app.call(ADMIN, "GET", f"/imports/{found.group(1)}")
    assert status == 200, detail
    assert detail["record"]["chunk_count"] == LAST_ROW // IMPORT_CHUNK_ROWS

    # And the report behind the link accounts for every row, in the file's order
    href = report.get_attribute("href")
    assert href is not None
    with urllib.request.urlopen(href, timeout=10) as answer:
        disposition = answer.headers["Content-Disposition"]
        lines = list(csv.DictReader(io.StringIO(answer.read().decode("utf-8-sig"))))
    assert disposition.startswith("attachment") and f"khach-{customers.tag}-import-report.csv" in disposition
    assert [int(line["row"]) for line in lines] == list(range(2, LAST_ROW + 1))
    outcomes = {int(line["row"]): line["outcome"] for line in lines}
    rejected = {MISSING_CONTACT, BAD_PHONE, BAD_EMAIL}
    assert {row for row, outcome in outcomes.items() if outcome == "rejected"} == rejected
    assert {row for row, outcome in outcomes.items() if outcome == "linked"} == {EXISTING}
    assert {row for row, outcome in outcomes.items() if outcome == "created"} == (
        set(range(2, LAST_ROW + 1)) - rejected - {EXISTING}
    )
    assert [int(line["row"]) for line in lines if line["converted"]] == [OLD_NUMBER]
    created_ids = {line["lead id"] for line in lines if line["outcome"] == "created"}
    assert len(created_ids) == 26 and "" not in created_ids

    # When the same file is uploaded again and dry-run with the same source
    page.get_by_role("button", name="Nhập file khác").click()
    chooser = page.get_by_label("File khách hàng (.xlsx, .csv)")
    chooser.set_input_files(files=[FilePayload(name=file_name, mimeType=XLSX, buffer=customers.content)])
    page.get_by_role("button", name="Tải lên").click()
    expect(page.get_by_label("Trường cho cột Số điện thoại")).to_have_value("phone", timeout=30_000)
    page.get_by_label("Nguồn lead ghi cho khách hàng nhập").select_option(source_id)
    page.get_by_role("button", name="Kiểm tra thử").click()

    # Then nothing would be created twice: every row imported before is known, the bad ones still bad
    expect(page.get_by_role("heading", level=2, name="Kết quả kiểm tra thử")).to_be_visible(timeout=30_000)
    again = page.get_by_label("Kết quả theo dòng")
    expect(again).to_contain_text("Đã nhập từ trước27")
    expect(again).to_contain_text("Tạo mới0")
    expect(again).to_contain_text("Gộp vào lead đã có (trùng)0")
    expect(again).to_contain_text("Bị từ chối3")

    # When the admin lists the leads of the source's pool (only this import's leads are there)
    page.goto(f"{console_app.url}/#/leads")
    filters = page.get_by_role("form", name="Bộ lọc")
    filters.get_by_label("Kho dữ liệu").fill(source.pool)
    filters.get_by_role("button", name="Lọc", exact=True).click()
    expect(page).to_have_url(re.compile(rf"#/leads\?pool={source.pool}$"))
    listed = page.get_by_role("table", name="Danh sách khách hàng tiềm năng")
    expect(listed).to_contain_text(f"Khách nhập 02 {customers.tag}")
    assert_accessible(page, "27-imports-leads-listed")

    # And exports that list: the file holds exactly the created customers, the old number as today's
    _, rows = export_the_list_to_excel(page, rows=26, screenshot="27-imports-exported")
    assert {row["Họ tên"] for row in rows} == customers.created
    phones = {row["Họ tên"]: str(row["Số điện thoại"]).replace(" ", "") for row in rows}
    assert phones[f"Khách nhập {OLD_NUMBER:02d} {customers.tag}"] == "+84" + customers.new_number[1:]
    assert all(isinstance(row["Số điện thoại"], str) for row in rows)
    assert {row["Mã lead"] for row in rows} == created_ids
