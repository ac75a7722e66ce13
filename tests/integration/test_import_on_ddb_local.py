"""Customer-list imports end to end on DynamoDB Local and the local stack's S3 and SQS (``AwsEmulator``):
the file uploaded through a signed form upload, every stage run by the import worker's real handler on
the messages ImportQueue holds (as its event source mapping hands them over, one per invocation), with
a test-sized chunk of 50 rows (200 rows are 4 chunks) and no pace.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import boto3
import pytest
import requests
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError
from openpyxl import Workbook

from leadrouter import runtime
from leadrouter.clock import utc_now
from leadrouter.data.repository import Repository
from leadrouter.domain.exports import ExportFormat, ExportOrder, ExportRequest
from leadrouter.domain.forms import FormSource
from leadrouter.domain.imports import Import, ImportMode, ImportOptions, ImportStatus
from leadrouter.domain.leads import Lead, LeadStatus
from leadrouter.domain.staff import StaffMember
from leadrouter.domain.users import Caller
from leadrouter.logic.exports.jobs import make_export, request_export
from leadrouter.logic.imports import steps
from leadrouter.logic.imports.columns import ColumnMapping
from leadrouter.logic.intake.new_leads import IntakeRequest, IntakeResult, submit_lead
from leadrouter_local.aws_endpoint import AwsEmulator
from leadrouter_local.template import load_template
from tests.support.builders import NOW, TENANT, lead, rule, seed
from tests.support.lambda_context import FakeContext
from tests.support.webhooks import sqs_event
from tests.unit.test_import_reading import windows_1258

ADMIN = Caller(tenant_id=TENANT, role="admin", subject="u-admin")
SOURCE = FormSource(tenant_id=TENANT, source_id="excel", name="Danh sách Excel", pool="web")
CHUNK = 50
NAMES = {"A": "Nguyễn Thị Hoa", "B": "Trần Văn Bình", "C": "Lê Văn Cường"}
HEADERS = ["Họ tên", "SĐT", "Email", "Kho dữ liệu", "Ngày tạo", "Ghi chú", "Mã lead"]


@pytest.fixture(scope="module")
def emulator() -> Iterator[AwsEmulator]:
    emulator = AwsEmulator(load_template(), log=lambda _: None)
    emulator.start()
    yield emulator
    emulator.stop()


@dataclass
class Stack:
    repo: Repository
    sqs: Any
    queue_url: str
    #: Messages a crash left undeleted: SQS delivers them again after their visibility timeout.
    failed: list[dict[str, Any]] = field(default_factory=list)

    def upload(self, content: bytes, name: str) -> str:
        """The console's path: the record and its signed upload, the file POSTed, then "uploaded"."""
        record, upload = steps.create_import(self.repo, runtime.files(), ADMIN, name, len(content), NOW)
        posted = requests.post(upload.url, data=upload.fields, files={"file": (name, content)}, timeout=10)
        assert posted.status_code in (200, 201, 204), posted.text
        steps.mark_uploaded(self.repo, runtime.files(), runtime.import_queue(), ADMIN, record.import_id, NOW)
        self.drain()
        return record.import_id

    def check(self, import_id: str, options: ImportOptions, emails: dict[str, str] | None = None) -> Import:
        record = self.record(import_id)
        assert record.status is ImportStatus.READY and record.mapping is not None
        mapping = ColumnMapping.model_validate(record.mapping)  # the suggestion, confirmed as it is
        queue, files = runtime.import_queue(), runtime.files()
        steps.request_check(self.repo, files, queue, ADMIN, import_id, mapping, options, emails or {}, NOW)
        self.drain()
        return self.record(import_id)

    def start(self, import_id: str) -> None:
        steps.start_import(self.repo, runtime.import_queue(), ADMIN, import_id, NOW)

    def record(self, import_id: str) -> Import:
        found = self.repo.get_import(TENANT, import_id)
        assert found is not None
        return found

    def deliver(self, limit: int | None = None) -> int:
        """Hand ImportQueue's messages to the worker one at a time; a failed one is kept undeleted."""
        from functions.lead_import import app

        handled = 0
        while limit is None or handled < limit:
            got = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=1)
            messages = got.get("Messages", [])
            if not messages:
                return handled
            try:
                answer = app.handler(
                    sqs_event(messages, "ImportQueue"), FakeContext(function_name="lead-import")
                )
            except BatchProcessingError:  # the one record of the batch failed: the invocation fails
                answer = {"batchItemFailures": messages}
            if answer["batchItemFailures"]:
                self.failed += messages
            else:
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=messages[0]["ReceiptHandle"])
            handled += 1
        return handled

    def drain(self) -> None:
        self.deliver()

    def redeliver_failed(self) -> dict[str, Any]:
        from functions.lead_import import app

        messages, self.failed = self.failed, []
        answer: dict[str, Any] = app.handler(sqs_event(messages, "ImportQueue"), FakeContext())
        return answer

    def report(self, record: Import) -> list[dict[str, str]]:
        assert record.report_key is not None
        body = runtime.files().open(record.report_key).read()
        assert body.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM, for Excel
        return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))

    def leads(self) -> list[Lead]:
        return list(self.repo.tenant_leads(TENANT))


@pytest.fixture
def stack(ddb_tables: dict[str, str], emulator: AwsEmulator, monkeypatch: pytest.MonkeyPatch) -> Stack:
    """Given the tenant (rule on pool web, staff A, B, C), its Excel source, and an empty bucket."""
    for name, value in emulator.environment().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("IMPORT_QUEUE_URL", emulator.refs["ImportQueue"])
    monkeypatch.setenv("IMPORT_CHUNK_ROWS", str(CHUNK))
    monkeypatch.setenv("IMPORT_ROWS_PER_SECOND", "0")
    bucket = emulator.refs["FilesBucket"]
    for key in emulator.s3.keys(bucket):
        emulator.s3.delete(bucket, key)
    repo = runtime.repository()
    members = [StaffMember(tenant_id=TENANT, staff_id=s, name=n) for s, n in NAMES.items()]
    seed(repo, rule(weights={"A": 1, "B": 1, "C": 1}), members)
    repo.put_form_source(SOURCE, "0" * 64)
    sqs = boto3.client("sqs")
    sqs.purge_queue(QueueUrl=emulator.refs["ImportQueue"])
    return Stack(repo, sqs, emulator.refs["ImportQueue"])


def xlsx(rows: list[list[Any]], headers: list[str] = HEADERS) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def phone_cell(i: int) -> int:
    """Row i's phone as Excel keeps a number typed as 0912…: an int that lost its leading 0."""
    return 912_000_000 + i


# The 200-row list: Excel numbers its rows from 2 (row 1 is the header)
BAD: dict[int, tuple[str, list[Any]]] = {
    12: ("missing_contact", ["Không liên lạc", None, None, None, None, None, None]),
    25: ("invalid_phone", ["Số sai", "12345", None, None, None, None, None]),
    38: ("invalid_email", ["Email sai", None, "khong-phai-email", None, None, None, None]),
    51: ("too_long", ["X" * 300, phone_cell(51), None, None, None, None, None]),
    64: ("unknown_pool", ["Kho lạ", phone_cell(64), None, "Kho không có", None, None, None]),
    77: ("invalid_date", ["Ngày sai", phone_cell(77), None, None, "hôm qua", None, None]),
    90: ("invalid_lead_id", ["Mã sai", phone_cell(90), None, None, None, None, "không phải mã"]),
    103: ("too_long", ["Ghi chú dài", phone_cell(103), None, None, None, "g" * 1001, None]),
    116: ("too_long", ["Email dài", None, "a" * 250 + "@acme.vn", None, None, None, None]),
    129: ("invalid_phone", ["Số lẻ", 912345678.5, None, None, None, None, None]),
}
#: Rows with the phone of a lead the tenant already has (seeded as +8498100000k).
KNOWN = {140 + k: 981_000_000 + k for k in range(5)}
#: Rows repeating the phone of an earlier row of the file (row → the earlier row), across chunks.
REPEATS = {160: 10, 170: 40, 180: 60, 190: 110, 199: 150}
#: Rows with an old 11-digit mobile number, as Excel keeps "01691234567": the number 1691234567.
OLD = {30: 1_691_234_500, 31: 1_691_234_501, 32: 1_234_567_802}


def customer_list() -> bytes:
    rows: list[list[Any]] = []
    for number in range(2, 202):
        if number in BAD:
            rows.append(BAD[number][1])
            continue
        phone: Any = phone_cell(number)
        if number in KNOWN:
            phone = KNOWN[number]
        elif number in REPEATS:
            phone = phone_cell(REPEATS[number])
        elif number in OLD:
            phone = OLD[number]
        rows.append(
            [f"Khách hàng {number}", phone, None, "web" if number % 7 == 0 else None, None, None, None]
        )
    return xlsx(rows)


def _by_outcome(report: list[dict[str, str]]) -> dict[str, set[int]]:
    found: dict[str, set[int]] = {}
    for line in report:
        found.setdefault(line["outcome"], set()).add(int(line["row"]))
    return found


def test_a_200_row_list_dry_runs_exactly_then_imports_exactly_and_a_reupload_creates_nothing(
    stack: Stack,
) -> None:
    # Given 5 leads the tenant already has, from its web form
    known = [
        submit_lead(
            stack.repo, SOURCE, IntakeRequest(name="Khách cũ", phone=f"098100000{k}"), NOW - timedelta(days=3)
        )
        for k in range(5)
    ]
    content = customer_list()
    # When the list is uploaded, read once and dry-run with the suggested mapping
    import_id = stack.upload(content, "Khách hàng.xlsx")
    read = stack.record(import_id)
    assert (read.total_rows, read.chunk_count, read.headers) == (200, 4, HEADERS)
    assert read.preview[0][:2] == ["Khách hàng 2", "912000002"]  # the number as Excel shows it
    checked = stack.check(import_id, ImportOptions(source_id="excel"))
    # Then nothing was written to leads
    assert len(stack.leads()) == 5
    # And the dry run lists exactly those outcomes, by row
    assert checked.status is ImportStatus.CHECKED
    report = stack.report(checked)
    outcomes = _by_outcome(report)
    assert outcomes["rejected"] == set(BAD)
    assert outcomes["linked"] == set(KNOWN) | set(REPEATS)
    assert outcomes["created"] == set(range(2, 202)) - set(BAD) - set(KNOWN) - set(REPEATS)
    assert "already_imported" not in outcomes
    first_code = {int(x["row"]): x["reasons"].split(":")[0] for x in report if x["outcome"] == "rejected"}
    assert first_code == {row: code for row, (code, _) in BAD.items()}
    assert {int(x["row"]) for x in report if x["converted"] == "yes"} == set(OLD)
    counts = checked.checked
    assert (counts.rows, counts.created, counts.linked, counts.rejected, counts.converted) == (
        200,
        180,
        10,
        10,
        3,
    )
    assert [p.row for p in checked.problems] == sorted(BAD)
    # And a repeat is linked to its earlier row's lead; a known phone to the known lead
    by_row = {int(x["row"]): x for x in report}
    assert by_row[160]["lead id"] == by_row[10]["lead id"]
    assert {by_row[row]["lead id"] for row in KNOWN} == {x.lead_id for x in known}

    # When it is imported
    stack.start(import_id)
    stack.drain()
    done = stack.record(import_id)
    # Then exactly the created rows became leads, the linked ones joined theirs
    assert done.status is ImportStatus.DONE
    imported = _by_outcome(stack.report(done))
    assert imported == outcomes
    leads = {x.lead_id: x for x in stack.leads()}
    assert len(leads) == 5 + 180
    assert (done.imported.created, done.imported.linked, done.imported.rejected) == (180, 10, 10)
    # And an old number is stored converted, the original kept as typed; a lost 0 is put back
    final = {int(x["row"]): x for x in stack.report(done)}
    old = leads[final[30]["lead id"]]
    assert (old.phone, old.phone_as_typed) == ("+84391234500", "01691234500")
    assert leads[final[2]["lead id"]].phone == "+84912000002"
    assert all(
        x.source == "excel" and x.status is LeadStatus.PENDING for x in leads.values() if x.name != "Khách cũ"
    )

    # When the same file is uploaded again (a new import) and dry-run
    again = stack.check(stack.upload(content, "Khách hàng (1).xlsx"), ImportOptions(source_id="excel"))
    # Then every row that was imported is already_imported, and importing it creates nothing
    assert _by_outcome(stack.report(again)) == {
        "rejected": set(BAD),
        "already_imported": set(range(2, 202)) - set(BAD),
    }
    stack.start(again.import_id)
    stack.drain()
    assert len(stack.leads()) == 185
    assert stack.record(again.import_id).imported.already_imported == 190


def _plain_list(count: int) -> bytes:
    return xlsx([[f"Khách {i}", phone_cell(i), None, None, None, None, None] for i in range(2, count + 2)])


def test_a_crash_in_the_middle_of_a_chunk_is_retried_with_no_duplicate_and_exact_counts(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    import_id = stack.upload(_plain_list(120), "list.xlsx")
    stack.check(import_id, ImportOptions(source_id="excel"))
    stack.start(import_id)
    # Given the worker dies on the 70th row it writes (the 20th row of the second chunk)
    calls: list[int] = []
    original: Callable[..., IntakeResult] = submit_lead

    def crashing(*args: Any, **kwargs: Any) -> IntakeResult:
        calls.append(1)
        if len(calls) == 70:
            raise RuntimeError("Lambda ran out of time")
        return original(*args, **kwargs)

    monkeypatch.setattr("leadrouter.logic.imports.rows.submit_lead", crashing)
    stack.drain()
    # Then that chunk's message failed (SQS keeps it) and the others finished
    assert len(stack.failed) == 1
    assert stack.record(import_id).status is ImportStatus.IMPORTING
    # When SQS delivers it again
    assert stack.redeliver_failed() == {"batchItemFailures": []}
    stack.drain()
    # Then the import is done: every row once, counts exact
    done = stack.record(import_id)
    assert done.status is ImportStatus.DONE
    assert len(stack.leads()) == 120
    assert (done.imported.rows, done.imported.created, done.imported.chunks) == (120, 120, 3)
    # And a chunk delivered once more adds nothing
    chunk = {"tenant_id": TENANT, "import_id": import_id, "stage": "rows", "chunk": 1}
    stack.sqs.send_message(QueueUrl=stack.queue_url, MessageBody=json.dumps(chunk), MessageGroupId=TENANT)
    stack.drain()
    assert stack.record(import_id).imported == done.imported and len(stack.leads()) == 120


def test_cancel_then_resume_finishes_with_exact_counts(stack: Stack) -> None:
    import_id = stack.upload(_plain_list(150), "list.xlsx")
    stack.check(import_id, ImportOptions(source_id="excel"))
    stack.start(import_id)
    # When one chunk is imported and the admin cancels
    assert stack.deliver(limit=1) == 1
    steps.cancel_import(stack.repo, ADMIN, import_id, NOW)
    stack.drain()
    # Then the other chunks stopped before writing anything
    cancelled = stack.record(import_id)
    assert cancelled.status is ImportStatus.CANCELLED
    assert (cancelled.imported.chunks, len(stack.leads())) == (1, 50)
    # When it is resumed
    steps.resume_import(stack.repo, runtime.import_queue(), ADMIN, import_id, NOW)
    stack.drain()
    # Then it finishes, every row once
    done = stack.record(import_id)
    assert done.status is ImportStatus.DONE
    assert (done.imported.rows, done.imported.created, done.imported.chunks, len(stack.leads())) == (
        150,
        150,
        3,
        150,
    )


def test_a_vietnamese_windows_csv_imports_with_its_names_intact(stack: Stack) -> None:
    # Given the CSV Excel on Vietnamese Windows saves: Windows-1258, ";", tones as combining marks
    names = ["Nguyễn Văn Đức", "Trần Thị Ánh Tuyết", "Phạm Hồng Ngọc"]
    lines = ["Họ tên;Số điện thoại;Ghi chú"] + [
        f"{n};0912 345 67{i};Khách quen, gọi sáng" for i, n in enumerate(names)
    ]
    content = windows_1258("\r\n".join(lines) + "\r\n")
    # When it is uploaded, dry-run and imported
    import_id = stack.upload(content, "khach-hang.csv")
    assert stack.check(import_id, ImportOptions(source_id="excel")).checked.created == 3
    stack.start(import_id)
    stack.drain()
    # Then the names are intact (composed, as typed), the note kept
    made = sorted(stack.leads(), key=lambda x: x.phone or "")
    assert [x.name for x in made] == names
    assert made[0].attributes == {"Ghi chú": "Khách quen, gọi sáng"}
    # When they are exported as CSV (UTF-8 with BOM, for Excel) and that file is imported again
    request = ExportRequest(format=ExportFormat.CSV)
    export = request_export(stack.repo, _ExportQueue(), ADMIN, request, NOW)
    done = make_export(stack.repo, runtime.files(), export.export_id, TENANT, lambda: NOW)
    assert done is not None and done.file_key is not None
    exported = runtime.files().open(done.file_key).read()
    # Then the round trip keeps every name exactly, and each row comes back to its own lead
    rows = list(csv.DictReader(io.StringIO(exported.decode("utf-8-sig"))))
    assert sorted(row["Họ tên"] for row in rows) == sorted(names)
    again = stack.check(stack.upload(exported, "xuat.csv"), ImportOptions(source_id="excel"))
    assert (again.checked.linked, again.checked.created, again.checked.rejected) == (3, 0, 0)


def test_keep_owner_gives_each_lead_to_the_named_staff_and_an_unknown_owner_is_rejected(stack: Stack) -> None:
    # Given owners named by staff id, by their user's e-mail (any case) and by name (accents aside)
    rows = [
        ["Khách 1", "0912000001", "A"],
        ["Khách 2", "0912000002", "C@Acme.VN"],
        ["Khách 3", "0912000003", "tran van binh"],
        ["Khách 4", "0912000004", "Ông Không Tên"],
    ]
    content = xlsx(rows, ["Họ tên", "SĐT", "Nhân viên phụ trách"])
    import_id = stack.upload(content, "chuyen-crm.xlsx")
    options = ImportOptions(source_id="excel", mode=ImportMode.KEEP_OWNER)
    # When it is dry-run
    checked = stack.check(import_id, options, emails={"c@acme.vn": "C"})
    # Then the unknown owner's row is rejected, the others would be created
    assert [(p.row, p.reasons[0].split(":")[0]) for p in checked.problems] == [(5, "unknown_owner")]
    assert checked.checked.created == 3
    # When it is imported, each lead is assigned to its named owner, by the importing admin
    stack.start(import_id)
    stack.drain()
    owners = {x.name: (x.owner, x.status) for x in stack.leads()}
    assert owners == {
        "Khách 1": ("A", LeadStatus.ASSIGNED),
        "Khách 2": ("C", LeadStatus.ASSIGNED),
        "Khách 3": ("B", LeadStatus.ASSIGNED),
    }
    kept = next(x for x in stack.leads() if x.owner == "A")
    assert kept.decisions[-1].action == "manual" and kept.decisions[-1].by == "u-admin"
    # …told, as a rule's assignment would tell them, not to call: the list gave no consent to calls
    assert (kept.decisions[-1].call_allowed, kept.decisions[-1].call_reason) == (False, "no_call_consent")
    # …and, not counting towards caps, none is today's assignment for a daily cap; open-lead caps see them
    today = utc_now() - timedelta(hours=12)
    assert [stack.repo.count_assigned_since(TENANT, s, today) for s in "ABC"] == [0, 0, 0]
    assert [stack.repo.count_open(TENANT, s) for s in "ABC"] == [1, 1, 1]


def test_keep_owner_counting_towards_caps_counts_each_as_the_day_s_assignment(stack: Stack) -> None:
    # Given a migration whose admin chose to count the kept owners towards caps
    content = xlsx(
        [["Khách 1", "0912000001", "A"], ["Khách 2", "0912000002", "B"]], ["Họ tên", "SĐT", "Sale"]
    )
    import_id = stack.upload(content, "chuyen-crm.xlsx")
    options = ImportOptions(source_id="excel", mode=ImportMode.KEEP_OWNER, count_towards_caps=True)
    assert stack.check(import_id, options).checked.created == 2
    # When it is imported
    stack.start(import_id)
    stack.drain()
    # Then each is the day's assignment of its owner for the daily cap
    today = utc_now() - timedelta(hours=12)
    assert [stack.repo.count_assigned_since(TENANT, s, today) for s in "ABC"] == [1, 1, 0]


class _ExportQueue:
    def __init__(self) -> None:
        self.orders: list[ExportOrder] = []

    def request_export(self, order: ExportOrder) -> None:
        self.orders.append(order)


def test_an_export_reimported_links_every_row_and_creates_no_lead(stack: Stack) -> None:
    # Given 30 leads of the tenant, some held by A, exported by the export worker as xlsx
    held_by_a: dict[str, Any] = {"status": LeadStatus.ASSIGNED, "owner": "A", "assignees": ["A"]}
    made = [
        lead(
            received_at=NOW - timedelta(hours=i),
            name=f"Khách {i}",
            phone=f"+8490{i:07d}",
            **(held_by_a if i % 3 == 0 else {}),
        )
        for i in range(30)
    ]
    stack.repo.import_leads(made)
    export = request_export(stack.repo, _ExportQueue(), ADMIN, ExportRequest(), NOW)
    done = make_export(stack.repo, runtime.files(), export.export_id, TENANT, lambda: NOW)
    assert done is not None and done.file_key is not None and done.rows == 30
    content = runtime.files().open(done.file_key).read()
    # When that file is imported (its headers map back by themselves: "Mã lead" is the lead id)
    import_id = stack.upload(content, "leads.xlsx")
    checked = stack.check(import_id, ImportOptions(source_id="excel"))
    # Then every row is linked: each names a lead of this tenant, so each row is that lead. Not
    # already_imported: that is for rows this very file (by content) imported before
    assert _by_outcome(stack.report(checked)) == {"linked": set(range(2, 32))}
    stack.start(import_id)
    stack.drain()
    assert stack.record(import_id).imported.linked == 30
    assert sorted(x.lead_id for x in stack.leads()) == sorted(x.lead_id for x in made)


def test_an_unreadable_file_fails_the_import_with_its_reason(stack: Stack) -> None:
    # Given a file named .xlsx that is an old binary workbook (.xls)
    import_id = stack.upload(bytes.fromhex("d0cf11e0a1b11ae1") + b"\0" * 512, "cu.xlsx")
    failed = stack.record(import_id)
    assert failed.status is ImportStatus.FAILED
    assert failed.error is not None and ".xlsx" in failed.error
