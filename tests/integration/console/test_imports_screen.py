"""Nhập khách hàng in a real Chromium, the console's side: the wizard from the lead list's button through
upload (the presigned POST: policy fields first, file last), column mapping, dry run, import with stop and
resume, to the summary and the past imports.

The import API (``/imports``…) is built in parallel (the engine branch's ``api/routes/imports.py``):
until it merges, these tests answer the console's calls to it in the browser (Playwright's
``page.route``) with that API's shapes, and record what the console sent; everything else (sign-in, the
lead list, the form sources) is the real local stack.
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass, field
from typing import Any, cast

from openpyxl import Workbook
from playwright.sync_api import FilePayload, Page, Request, Route, expect

from tests.integration.console.test_leads import sign_in_as_admin
from tests.support.console import ConsoleApp, assert_accessible

#: The console's calls to the import API (not its own script, assets/imports-….js).
IMPORT_CALLS = re.compile(r"/imports(/[A-Za-z0-9_.:-]+(/[a-z]+)?)?(\?.*)?$")
UPLOAD_PATH = "/fake-files/imports-bucket"
HEADERS = ["Họ tên", "SĐT", "Email", "Ghi chú"]


def customer_list() -> bytes:
    """A small workbook as a CRM exports it: Vietnamese headers, a phone stored as a number."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADERS)
    sheet.append(["Nguyễn Văn An", 912345678, "an@example.vn", "khách cũ"])
    sheet.append(["Trần Thị Bình", "0987654321", None, None])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@dataclass
class FakeImports:
    """The agreed import API, one import at a time: each GET of the import gives the next queued state."""

    app_url: str
    record: dict[str, Any] = field(default_factory=dict)
    following: list[dict[str, Any]] = field(default_factory=list)
    sent: dict[str, Any] = field(default_factory=dict)
    refuse_first_check: bool = True

    def become(self, **changes: Any) -> dict[str, Any]:
        """The record changed, as the actions answer it (the bare record)."""
        self.record = {**self.record, **changes}
        return self.record

    def answer(self, route: Route, request: Request) -> None:
        path = re.sub(r"\?.*$", "", request.url.split("://", 1)[1].split("/", 1)[1])
        method = request.method
        status, body = 200, cast(dict[str, Any] | None, None)
        if method == "GET" and path == "imports":
            body = {"items": [self.record] if self.record else [], "cursor": None}
        elif method == "POST" and path == "imports":
            self.sent["create"] = request.post_data_json
            self.record = {"import_id": "imp-1", "status": "awaiting_upload", "file_name": "khach.xlsx"}
            self.record["requested_at"] = "2026-12-07T03:00:00Z"
            fields = {"key": "imports/demo/imp-1.xlsx", "Policy": "cG9saWN5", "X-Amz-Signature": "sig"}
            upload = {"url": f"{self.app_url}{UPLOAD_PATH}", "fields": fields}
            body = {"record": self.record, "upload": upload}
            status = 201
        elif method == "POST" and path.endswith("/uploaded"):
            body = self.become(status="reading")
            self.following = [{"status": "reading"}, self.ready()]
        elif method == "POST" and path.endswith("/check"):
            self.sent.setdefault("checks", []).append(request.post_data_json)
            if self.refuse_first_check:
                self.refuse_first_check = False
                status = 422
                error = {"field": "mapping.columns.Ghi chú", "message": "a note column is kept once"}
                body = {"message": "Invalid input", "errors": [error]}
            else:
                body = self.become(status="checking")
                self.following = [self.checked()]
        elif method == "POST" and path.endswith("/start"):
            body = self.become(status="importing", imported=counts(rows=0))
            self.following = [{"status": "importing", "imported": counts(rows=80, created=80)}]
        elif method == "POST" and path.endswith("/cancel"):
            body = self.become(status="cancelled")
            self.following = []
        elif method == "POST" and path.endswith("/resume"):
            body = self.become(status="importing")
            done = counts(rows=200, created=188, linked=5, rejected=5, already_imported=2, converted=3)
            self.following = [{"status": "done", "imported": done}]
        elif method == "GET":
            if self.following:
                self.become(**self.following.pop(0))
            body = {"record": self.record, "report_url": self.report_url}
        else:
            status, body = 404, {"message": f"no {method} {path} in the fake"}
        route.fulfill(status=status, content_type="application/json", body=json.dumps(body))

    @property
    def report_url(self) -> str | None:
        checked = self.record.get("status") in {"checked", "importing", "cancelled", "done"}
        return f"{self.app_url}{UPLOAD_PATH}/report.csv" if checked else None

    def ready(self) -> dict[str, Any]:
        return {
            "status": "ready",
            "headers": HEADERS,
            "preview": [["Nguyễn Văn An", "912345678", "an@example.vn", "khách cũ"]],
            "total_rows": 200,
            "mapping": {"columns": {"Họ tên": "name", "SĐT": "phone", "Ghi chú": "note"}, "attributes": {}},
        }

    def checked(self) -> dict[str, Any]:
        return {
            "status": "checked",
            "checked": counts(rows=200, created=190, linked=5, rejected=5, converted=3),
            "problems": [{"row": 7, "reasons": ["phone: not a Vietnamese phone number"]}],
        }

    def upload(self, route: Route, request: Request) -> None:
        self.sent["upload"] = request.post_data_buffer
        self.sent["upload_type"] = request.headers.get("content-type", "")
        route.fulfill(status=204, body="")


def counts(**outcomes: int) -> dict[str, int]:
    """A stage's counts (``StageCounts``): rows done and by outcome."""
    zero = dict.fromkeys(
        ["chunks", "rows", "created", "linked", "rejected", "already_imported", "converted"], 0
    )
    return zero | outcomes


def multipart_names(body: bytes, content_type: str) -> list[str]:
    """The part names of a multipart/form-data body, in order."""
    boundary = content_type.split("boundary=", 1)[1].encode()
    parts = body.split(b"--" + boundary + b"--")[0]
    names = re.findall(rb'Content-Disposition: form-data; name="([^"]+)"', parts)
    return [n.decode() for n in names]


def test_the_admin_imports_a_customer_list_through_the_wizard(page: Page, console_app: ConsoleApp) -> None:
    # Given the import API answering with the agreed contract
    fake = FakeImports(console_app.url)
    page.route(IMPORT_CALLS, fake.answer)
    page.route(f"**{UPLOAD_PATH}", fake.upload)
    data = customer_list()

    # When the admin opens Nhập khách hàng from the lead list
    sign_in_as_admin(page, console_app)
    page.goto(f"{console_app.url}/#/leads")
    page.get_by_role("link", name="Nhập khách hàng").click()
    expect(page.get_by_role("heading", level=1, name="Nhập khách hàng")).to_be_visible()
    expect(page.get_by_text("Chưa có lần nhập nào.")).to_be_visible()
    assert_accessible(page, "27-imports-choose-file")

    # Then a file that is not a customer list (.xlsx, .csv, .txt, .tsv) is refused before anything is sent
    chooser = page.get_by_label("File khách hàng (.xlsx, .csv)")
    chooser.set_input_files(files=[FilePayload(name="khach.pdf", mimeType="application/pdf", buffer=b"%PDF")])
    expect(page.get_by_role("alert")).to_have_text("Chỉ nhận file .xlsx, .csv (hoặc .txt, .tsv).")
    expect(page.get_by_role("button", name="Tải lên")).to_be_disabled()

    # When the workbook is uploaded
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    chooser.set_input_files(files=[FilePayload(name="khach.xlsx", mimeType=xlsx, buffer=data)])
    page.get_by_role("button", name="Tải lên").click()

    # Then the import is recorded with the file's name and size, and the file goes to the presigned POST
    # with the policy's fields first and the file last; the mapping comes with the suggestion preselected
    table = page.get_by_role("table", name="Ghép cột của file với trường của lead")
    expect(table).to_be_visible(timeout=15_000)
    assert fake.sent["create"] == {"file_name": "khach.xlsx", "size": len(data)}
    names = multipart_names(fake.sent["upload"], fake.sent["upload_type"])
    assert names == ["key", "Policy", "X-Amz-Signature", "file"]
    assert data in fake.sent["upload"]
    expect(page.get_by_label("Trường cho cột SĐT")).to_have_value("phone")
    expect(table).to_contain_text("912345678")

    # When the phone is chosen for Email too, it moves there; with neither, the dry run is not offered
    page.get_by_label("Trường cho cột Email").select_option("phone")
    expect(page.get_by_label("Trường cho cột SĐT")).to_have_value("")
    page.get_by_label("Trường cho cột Email").select_option("")
    expect(page.get_by_text("Cần ghép một cột Số điện thoại hoặc Email.")).to_be_visible()
    dry_run = page.get_by_role("button", name="Kiểm tra thử")
    expect(dry_run).to_be_disabled()
    page.get_by_label("Trường cho cột SĐT").select_option("phone")
    page.get_by_label("Trường cho cột Email").select_option("email")
    # A source is required
    expect(dry_run).to_be_disabled()
    source = page.get_by_label("Nguồn lead ghi cho khách hàng nhập")
    source.select_option(index=1)
    chosen_source = source.input_value()
    page.get_by_label("Chia theo quy tắc").check()
    assert_accessible(page, "27-imports-map")
    dry_run.click()

    # Then the API's refusal is shown next to the column it names, and a second try passes
    choice = page.get_by_role("table", name="Ghép cột của file với trường của lead")
    expect(choice.get_by_text("a note column is kept once")).to_be_visible()
    expect(page.get_by_label("Trường cho cột Ghi chú")).to_have_attribute("aria-invalid", "true")
    page.get_by_label("Trường cho cột Ghi chú").select_option("attribute")
    dry_run.click()
    expect(page.get_by_role("heading", level=2, name="Kết quả kiểm tra thử")).to_be_visible(timeout=15_000)
    assert fake.sent["checks"][-1] == {
        "mapping": {
            "columns": {"Họ tên": "name", "SĐT": "phone", "Email": "email", "Ghi chú": "attribute"},
            "attributes": {"Ghi chú": "Ghi chú"},
        },
        "options": {"source_id": chosen_source, "mode": "rotation"},
    }

    # And the dry run's counts, first problems and report are shown
    counts = page.get_by_label("Kết quả theo dòng")
    expect(counts).to_contain_text("Tạo mới190")
    expect(counts).to_contain_text("Số cũ 11 số đã đổi3")
    problems = page.get_by_role("table", name="Các dòng có vấn đề")
    expect(problems.locator("tbody tr")).to_have_text(["7phone: not a Vietnamese phone number"])
    report = page.get_by_role("link", name="Tải báo cáo đầy đủ")
    expect(report).to_have_attribute("href", re.compile("report.csv"))
    assert_accessible(page, "27-imports-dry-run")

    # When the import starts, then stops half way, then resumes
    page.get_by_role("button", name="Nhập", exact=True).click()
    bar = page.get_by_label("Tiến độ nhập")
    expect(bar).to_have_attribute("value", "80", timeout=15_000)
    expect(bar).to_have_attribute("max", "200")
    expect(page.get_by_role("status").filter(has_text="dòng")).to_have_text("80 / 200 dòng")
    assert_accessible(page, "27-imports-running")
    page.get_by_role("button", name="Dừng").click()
    expect(page.get_by_text("Đã dừng nhập.", exact=False)).to_be_visible()
    page.get_by_role("button", name="Tiếp tục").click()

    # Then the summary shows every row accounted for, and the past imports list it
    expect(page.get_by_text("Đã nhập xong.")).to_be_visible(timeout=15_000)
    expect(bar).to_have_attribute("value", "200")
    summary = page.get_by_role("region", name="Tổng kết")
    expect(summary).to_contain_text("Tạo mới188")
    expect(summary).to_contain_text("Bị từ chối5")
    expect(summary).to_contain_text("Đã nhập từ trước2")
    past = page.get_by_role("table", name="Các lần nhập")
    expect(past.get_by_role("link", name="Mở khach.xlsx")).to_be_visible()
    expect(past).to_contain_text("Đã nhập xong")
    assert_accessible(page, "27-imports-done")
