"""Erasure end to end on DynamoDB Local and the local stack's S3 and SQS (``AwsEmulator``).

A tenant receives a person's leads through the real JSON intake (twice: a lead, then a linked
resubmission), the rotation assigns them, a salesperson notes the phone down, an export is made and a
customer list holding the person is imported; other people come in alongside. The person is erased.
Then every table of the registry is scanned, every message of every local queue and every file of the
local files store read, and their phone and e-mail are found in no shape (E.164, national, spaced,
dotted, Excel's number, any case, the import's unsalted digests); the rotation's history and counters
and the distribution report are what they were for everyone; a re-import of the person is refused by
the suppression list while the other rows import.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import boto3
import pytest

from leadrouter import runtime
from leadrouter.domain.erasure import ERASED
from leadrouter.domain.exports import ExportFormat, ExportRequest
from leadrouter.domain.forms import FormSource
from leadrouter.domain.imports import ImportOptions
from leadrouter.domain.leads import Lead, LeadStatus
from leadrouter.domain.personal_data import REGISTRY, StoreKind
from leadrouter.domain.users import Caller
from leadrouter.logic.exports.jobs import make_export, request_export
from leadrouter.logic.leads.care import add_activity
from leadrouter.logic.privacy.erasure import erase_person
from leadrouter.logic.privacy.suppression import SUPPRESSED_REASON
from leadrouter.logic.reports.distribution import distribution_report
from leadrouter.logic.routing.assign import sweep_due_leads
from leadrouter_local.aws_endpoint import AwsEmulator
from leadrouter_local.template import load_template
from tests.integration.test_import_on_ddb_local import Stack
from tests.support.api import CRM, FORM_KEY, add_form_source, call, event, frozen_api_clock
from tests.support.builders import NOW, TENANT, rule, seed
from tests.support.ticks import run_sweeps

ADMIN = Caller(tenant_id=TENANT, role="admin", subject="u-admin")
EXCEL = FormSource(tenant_id=TENANT, source_id="excel", name="Danh sách Excel", pool="web")
PHONE, EMAIL = "+84912345678", "an.nguyen@example.com"
#: Every shape the person's contact may take in a store (searched case-insensitively).
SHAPES = (
    PHONE,
    "0912345678",
    "0912 345 678",
    "0912.345.678",
    "912345678",  # Excel's number, and inside every unspaced shape
    "912 345 678",
    "912.345.678",
    "84912345678",
    EMAIL,
    *(hashlib.sha256(key.encode()).hexdigest()[:24] for key in (f"phone#{PHONE}", f"email#{EMAIL}")),
)
OTHERS = [
    ("Trần Thị Bình", "0987 654 321", "binh.tran@example.com"),
    ("Lê Văn Cường", "0903.111.222", None),
    ("Phạm Thu Dung", None, "dung.pham@example.com"),
    ("Hoàng Minh Em", "0971 000 333", "em.hoang@example.com"),
]
LEASE = timedelta(minutes=3)


@pytest.fixture(scope="module")
def emulator() -> Iterator[AwsEmulator]:
    emulator = AwsEmulator(load_template(), log=lambda _: None)
    emulator.start()
    yield emulator
    emulator.stop()


@pytest.fixture
def stack(ddb_tables: dict[str, str], emulator: AwsEmulator, monkeypatch: pytest.MonkeyPatch) -> Stack:
    """Given the tenant (rule on pool web, staff A, B, C), its JSON intake and Excel sources, an empty
    bucket and empty queues."""
    for name, value in emulator.environment().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("IMPORT_QUEUE_URL", emulator.refs["ImportQueue"])
    monkeypatch.setenv("EXPORT_QUEUE_URL", emulator.refs["ExportQueue"])
    monkeypatch.setenv("IMPORT_ROWS_PER_SECOND", "0")
    bucket = emulator.refs["FilesBucket"]
    for key in emulator.s3.keys(bucket):
        emulator.s3.delete(bucket, key)
    sqs = boto3.client("sqs")
    for store in REGISTRY:
        if store.kind is StoreKind.QUEUE:
            sqs.purge_queue(QueueUrl=emulator.refs[store.logical_id])
    repo = runtime.repository()
    seed(repo, rule(weights={"A": 1, "B": 1, "C": 1}))
    add_form_source(repo, FORM_KEY, rate_per_minute=6000)
    repo.put_form_source(EXCEL, "0" * 64)
    frozen_api_clock(monkeypatch, NOW)
    return Stack(repo, sqs, emulator.refs["ImportQueue"])


def _intake(name: str, phone: str | None, email: str | None, fields: dict[str, str], key: str) -> str:
    body: dict[str, Any] = {"name": name, "fields": fields}
    body |= {k: v for k, v in (("phone", phone), ("email", email)) if v}
    headers = {**CRM, "Content-Type": "application/json", "Idempotency-Key": key}  # answered with the lead
    answer = call(event("POST", "/intake/leads", body, headers=headers))
    assert answer.status in (200, 201), answer.body
    return str(answer.body["lead_id"])


def _import(
    stack: Stack, rows: list[tuple[str, str | None, str | None]], name: str
) -> tuple[Any, list[dict[str, str]]]:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Họ tên", "SĐT", "Email"])
    writer.writerows([[n, p or "", e or ""] for n, p, e in rows])
    import_id = stack.upload(out.getvalue().encode("utf-8-sig"), name)
    checked = stack.check(import_id, ImportOptions(source_id="excel"))
    report = stack.report(checked)
    stack.start(import_id)
    stack.drain()
    return stack.record(import_id), report


def _history(leads: list[Lead]) -> dict[str, tuple[Any, ...]]:
    """What the rotation's history is made of, per lead."""
    return {
        lead.lead_id: (
            lead.status,
            lead.owner,
            lead.assignees,
            lead.held_by,
            lead.decisions,
            lead.assigned_at,
        )
        for lead in leads
    }


def _counters(tables: dict[str, str]) -> list[dict[str, Any]]:
    client = boto3.client("dynamodb")
    items = client.query(
        TableName=tables["ConfigTable"],
        KeyConditionExpression="pk = :pk AND begins_with(sk, :c)",
        ExpressionAttributeValues={":pk": {"S": f"TENANT#{TENANT}"}, ":c": {"S": "COUNTER#"}},
    )["Items"]
    return sorted(items, key=lambda i: i["sk"]["S"])


def _report(stack: Stack) -> dict[str, Any]:
    found = distribution_report(stack.repo, ADMIN, NOW - timedelta(days=1), NOW + timedelta(days=1), now=NOW)
    return found.model_dump(mode="json")


def _texts(tables: dict[str, str], emulator: AwsEmulator) -> Iterator[tuple[str, str]]:
    """(where, text) of every item of every registered table, every message of every registered queue
    (visible or in flight) and every file of every bucket (an xlsx member by member)."""
    client = boto3.client("dynamodb")
    for store in REGISTRY:
        if store.kind is StoreKind.TABLE:
            for page in client.get_paginator("scan").paginate(TableName=tables[store.logical_id]):
                for item in page["Items"]:
                    yield store.logical_id, json.dumps(item, ensure_ascii=False)
        elif store.kind is StoreKind.QUEUE:
            for message in emulator.sqs.queue(emulator.refs[store.logical_id]).messages:
                yield store.logical_id, message.body
        elif store.kind is StoreKind.BUCKET:
            bucket = emulator.refs[store.logical_id]
            for key in emulator.s3.keys(bucket):
                _, body = emulator.s3.open(bucket, key)
                with body:
                    data = body.read()
                if data.startswith(b"PK\x03\x04"):
                    with zipfile.ZipFile(io.BytesIO(data)) as archive:
                        for member in archive.namelist():
                            yield f"{key}!{member}", archive.read(member).decode("utf-8", "replace")
                else:
                    yield key, data.replace(b"\x00", b"").decode("utf-8", "replace")


def _found(tables: dict[str, str], emulator: AwsEmulator) -> list[tuple[str, str]]:
    return [
        (where, shape)
        for where, text in _texts(tables, emulator)
        for shape in SHAPES
        if shape.lower() in text.lower()
    ]


def test_an_erased_person_is_in_no_store_in_any_shape_while_history_and_counts_stay(
    ddb_tables: dict[str, str], emulator: AwsEmulator, stack: Stack
) -> None:
    repo = stack.repo
    # Given the person's enquiry through the JSON intake, with their contact in a free field and a
    # campaign's tags, and a later one linked to it; and four other people
    fields = {"Ghi chú": "Gọi 0912.345.678 buổi sáng", "utm_source": "google", "utm_campaign": "tet-2027"}
    mine = _intake("Nguyễn Văn An", "0912 345 678", "An.Nguyen@Example.com", fields, "k-an-1")
    again = _intake("Nguyễn Văn An", "+84 912 345 678", None, {"Sản phẩm": "Xe máy"}, "k-an-2")
    assert again == mine
    others = [_intake(n, p, e, {"Ghi chú": "khách mới"}, f"k-{i}") for i, (n, p, e) in enumerate(OTHERS)]
    # …assigned by the rotation, a note with the phone taken by its owner
    run_sweeps(repo, "assign", sweep_due_leads, NOW + timedelta(minutes=1), LEASE)
    lead = repo.get_lead(TENANT, mine)
    assert lead is not None and lead.status is LeadStatus.ASSIGNED and lead.owner
    owner = Caller(tenant_id=TENANT, role="staff", subject="u-owner", staff_id=lead.owner)
    add_activity(repo, owner, mine, "call", "Khách hẹn gọi lại 0912 345 678", NOW + timedelta(minutes=5))
    # …an export of the tenant's leads (xlsx), and a customer list holding the person and two others
    export = request_export(repo, runtime.export_queue(), ADMIN, ExportRequest(format=ExportFormat.XLSX), NOW)
    assert make_export(repo, runtime.files(), export.export_id, TENANT, lambda: NOW) is not None
    first, _ = _import(
        stack,
        [
            ("An Nguyễn", "0912345678", None),
            ("Võ Thị Gấm", "0934 555 666", None),
            ("Đỗ Hải", "0945666777", None),
        ],
        "danh-sach.csv",
    )
    assert (first.imported.linked, first.imported.created) == (1, 2)
    assert _found(ddb_tables, emulator), "the person is in the stores before the erasure"
    leads = list(repo.tenant_leads(TENANT))
    history, counters, report = _history(leads), _counters(ddb_tables), _report(stack)

    # When the person is erased by phone and e-mail
    receipt = erase_person(
        runtime.repository(),
        runtime.files(),
        TENANT,
        phone="0912 345 678",
        email="AN.NGUYEN@example.com",
        request_id="DSR-1",
        by="u-admin",
        now=NOW + timedelta(hours=1),
    )

    # Then no table, queue or file holds their phone or e-mail in any shape
    assert _found(ddb_tables, emulator) == []
    # …their lead is there without them, and everyone's rotation history, counters and report are unchanged
    erased = repo.get_lead(TENANT, mine)
    assert erased is not None and erased.name == ERASED and erased.phone is None and erased.email is None
    assert erased.attribution is not None and erased.attribution.first.utm_campaign == "tet-2027"
    assert _history(list(repo.tenant_leads(TENANT))) == history
    assert _counters(ddb_tables) == counters
    assert _report(stack) == report
    assert all(repo.get_lead(TENANT, i) == next(x for x in leads if x.lead_id == i) for i in others)
    # …and the receipt, in the files store, counts what was done and names no one
    assert receipt.counts["LeadsTable"]["leads"] == 1 and receipt.counts["ConfigTable"]["claims"] == 2
    assert receipt.counts["SubmissionsTable"]["submissions"] == 2
    assert (
        receipt.counts["FilesBucket"]["export_files"] == 1
        and receipt.counts["FilesBucket"]["import_files"] > 0
    )

    # When the customer list is imported again, with the person by phone and by e-mail among new people
    again_rows: list[tuple[str, str | None, str | None]] = [
        ("An Nguyễn", "0912 345 678", None),
        ("An", "0999 888 777", "An.Nguyen@example.com"),
        ("Ngô Văn Hùng", "0966 111 222", None),
        ("Bùi Thị Lan", None, "lan.bui@example.com"),
    ]
    second, rows = _import(stack, again_rows, "danh-sach-moi.csv")
    # Then the person's rows are refused by the suppression list, the others imported
    assert (second.checked.rejected, second.imported.created) == (2, 2)
    refused = [row for row in rows if SUPPRESSED_REASON.split(":")[0] in json.dumps(row, ensure_ascii=False)]
    assert len(refused) == 2
    phones = {x.phone for x in repo.tenant_leads(TENANT)}
    assert PHONE not in phones and "+84999888777" not in phones and "+84966111222" in phones
