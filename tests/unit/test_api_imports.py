"""Imports API (moto, the tenant's files in memory): only admins import; a request the console could not
have sent is refused before anything is written; each step only from its stage; the tenant comes from
the token only."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import boto3
import pytest

from leadrouter.data.repository import Repository
from leadrouter.domain.imports import Import, ImportStatus
from leadrouter.domain.users import Caller
from tests.support.api import ADMIN, add_form_source, call, claims, config_items, event, frozen_api_clock
from tests.support.builders import NOW, TENANT
from tests.support.files import MemoryFiles

SELLER = claims("staff", staff_id="A")
TEAM_LEAD = claims("team_lead", staff_id="lead-red", team="red")
OTHER_TENANT_ADMIN = claims("admin", tenant="globex")
MAPPING = {"columns": {"Họ tên": "name", "SĐT": "phone"}}


@dataclass
class Stack:
    sqs: Any
    queue_url: str
    files: MemoryFiles
    tables: dict[str, str]

    def queued(self) -> list[dict[str, Any]]:
        got = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10).get("Messages", [])
        return [json.loads(m["Body"]) for m in got]

    def import_items(self) -> list[dict[str, Any]]:
        return [i for i in config_items(self.tables) if i["sk"]["S"].startswith("IMPORT")]


@pytest.fixture
def stack(moto_repo: Repository, moto_tables: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Stack:
    """Given the tenant's web-form source, ImportQueue (moto) and the tenant's files in memory."""
    add_form_source(moto_repo)
    sqs = boto3.client("sqs", region_name="ap-southeast-1")
    url = sqs.create_queue(QueueName="ImportQueue")["QueueUrl"]
    monkeypatch.setenv("IMPORT_QUEUE_URL", url)
    files = MemoryFiles()
    monkeypatch.setattr("leadrouter.api.routes.imports.files", lambda: files)
    frozen_api_clock(monkeypatch, NOW + timedelta(hours=1))
    return Stack(sqs, url, files, moto_tables)


def _ready(repo: Repository, status: ImportStatus = ImportStatus.READY) -> Import:
    """An import whose file was read: its headers known."""
    record = Import(
        import_id="I0001",
        tenant_id=TENANT,
        requested_by=Caller(tenant_id=TENANT, role="admin", subject="u-admin"),
        requested_at=NOW,
        file_name="khach.xlsx",
        size=100,
        status=status,
        sha256="0" * 64,
        headers=["Họ tên", "SĐT", "Email"],
        total_rows=3,
        chunk_count=1,
    )
    repo.put_import(record)
    return record


def test_an_admin_starts_an_import_with_a_signed_upload_then_says_it_is_uploaded(stack: Stack) -> None:
    # When the admin starts an import of a workbook
    reply = call(event("POST", "/imports", {"file_name": "Khách hàng.xlsx", "size": 1234}, claims=ADMIN))
    # Then it is recorded, awaiting its upload, with a signed upload bounded to 200 MB
    assert reply.status == 201, reply.body
    record, upload = reply.body["record"], reply.body["upload"]
    assert (record["status"], record["file_name"], record["tenant_id"]) == (
        "awaiting_upload",
        "Khách hàng.xlsx",
        TENANT,
    )
    key = f"imports/{TENANT}/{record['import_id']}/upload.xlsx"
    assert upload["fields"] == {"key": key} and upload["max_bytes"] == 200 * 1024**2
    path = f"/imports/{record['import_id']}/uploaded"
    # And "uploaded" before the file has arrived is a 409, nothing queued
    assert call(event("POST", path, claims=ADMIN)).status == 409
    assert stack.queued() == []
    # When the file is there
    stack.files.objects[key] = b"PK\x03\x04 a workbook"
    reading = call(event("POST", path, claims=ADMIN))
    # Then the import is reading, its size as stored, and its one read is queued
    assert reading.status == 202 and (reading.body["status"], reading.body["size"]) == ("reading", 15)
    assert stack.queued() == [
        {"tenant_id": TENANT, "import_id": record["import_id"], "stage": "split", "chunk": None}
    ]
    # And the admin follows it and lists it
    detail = call(event("GET", f"/imports/{record['import_id']}", claims=ADMIN)).body
    assert detail["record"]["status"] == "reading" and detail["report_url"] is None
    listed = call(event("GET", "/imports", claims=ADMIN)).body
    assert [x["import_id"] for x in listed["items"]] == [record["import_id"]]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"file_name": "khach.xls", "size": 10}, "file_name"),  # an old workbook: save it as .xlsx
        ({"file_name": "khach.pdf", "size": 10}, "file_name"),
        ({"file_name": "khach", "size": 10}, "file_name"),
        ({"file_name": "khach.csv", "size": 200 * 1024**2 + 1}, "size"),
        ({"file_name": "khach.csv", "size": 0}, "size"),
    ],
)
def test_a_file_that_is_not_a_customer_list_is_refused_and_nothing_written(
    stack: Stack, body: dict[str, Any], field: str
) -> None:
    reply = call(event("POST", "/imports", body, claims=ADMIN))
    assert reply.status == 422 and field in json.dumps(reply.body)
    assert stack.import_items() == []


def test_staff_and_team_leads_may_not_import_nor_see_imports(stack: Stack, moto_repo: Repository) -> None:
    _ready(moto_repo)
    before = stack.import_items()
    for who in (SELLER, TEAM_LEAD):
        assert call(event("POST", "/imports", {"file_name": "k.csv", "size": 10}, claims=who)).status == 403
        assert call(event("GET", "/imports", claims=who)).status == 403
        assert call(event("GET", "/imports/I0001", claims=who)).status == 403
        check = {"mapping": MAPPING, "options": {"source_id": "web-form"}}
        assert call(event("POST", "/imports/I0001/check", check, claims=who)).status == 403
    assert call(event("POST", "/imports", {"file_name": "k.csv", "size": 10})).status == 401
    # And another tenant's admin does not find it
    assert call(event("GET", "/imports/I0001", claims=OTHER_TENANT_ADMIN)).status == 404
    assert stack.import_items() == before and stack.queued() == []


@pytest.mark.parametrize(
    ("check", "named"),
    [
        (
            {"mapping": {"columns": {"Họ tên": "name"}}, "options": {"source_id": "web-form"}},
            "phone or an email",
        ),
        (
            {"mapping": {"columns": {"SĐT": "phone", "Khác": "email"}}, "options": {"source_id": "web-form"}},
            "Khác",
        ),
        ({"mapping": MAPPING, "options": {"source_id": "no-such-source"}}, "source_id"),
        ({"mapping": MAPPING, "options": {"source_id": "web-form", "mode": "keep_owner"}}, "owner"),
        ({"mapping": MAPPING, "options": {"source_id": "web-form", "mode": "move"}}, "mode"),
    ],
)
def test_a_dry_run_the_console_could_not_have_asked_for_is_a_422_and_nothing_written(
    stack: Stack, moto_repo: Repository, check: dict[str, Any], named: str
) -> None:
    _ready(moto_repo)
    before = stack.import_items()
    reply = call(event("POST", "/imports/I0001/check", check, claims=ADMIN))
    assert reply.status == 422 and named in json.dumps(reply.body, ensure_ascii=False)
    assert stack.import_items() == before and stack.queued() == [] and stack.files.objects == {}


def test_a_dry_run_is_queued_chunk_by_chunk_and_its_mapping_remembered(
    stack: Stack, moto_repo: Repository
) -> None:
    _ready(moto_repo)
    check = {"mapping": MAPPING, "options": {"source_id": "web-form"}}
    reply = call(event("POST", "/imports/I0001/check", check, claims=ADMIN))
    assert reply.status == 202 and reply.body["status"] == "checking"
    assert reply.body["options"] == {"source_id": "web-form", "mode": "rotation", "count_towards_caps": False}
    assert stack.queued() == [{"tenant_id": TENANT, "import_id": "I0001", "stage": "check", "chunk": 0}]
    remembered = call(event("GET", "/imports/mapping", claims=ADMIN)).body
    assert remembered == {"headers": ["Họ tên", "SĐT", "Email"], "mapping": {**MAPPING, "attributes": {}}}


def test_each_step_only_from_its_stage(stack: Stack, moto_repo: Repository) -> None:
    # Given a read file, not dry-run yet: it cannot be imported, cancelled or resumed
    _ready(moto_repo)
    for step in ("start", "cancel", "resume", "uploaded"):
        assert call(event("POST", f"/imports/I0001/{step}", claims=ADMIN)).status == 409, step
    assert moto_repo.get_import(TENANT, "I0001").status is ImportStatus.READY  # type: ignore[union-attr]
    assert stack.queued() == []
    # And an unknown import is a 404
    assert call(event("POST", "/imports/I0404/start", claims=ADMIN)).status == 404
