"""1,200 leads exported through the export worker on DynamoDB Local (the tenant's files in memory): every
lead once, a team lead's export only their team's, staff read once per export (never per lead)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from openpyxl import load_workbook

from leadrouter.data.repository import Repository
from leadrouter.domain.exports import ExportOrder, ExportRequest, ExportStatus
from leadrouter.domain.leads import Lead, LeadStatus
from leadrouter.domain.staff import StaffMember
from leadrouter.domain.tenants import Tenant
from leadrouter.domain.users import Caller
from leadrouter.logic.exports.jobs import request_export
from leadrouter.runtime import repository
from tests.support.builders import NOW, TENANT, lead, staff
from tests.support.files import MemoryFiles
from tests.support.lambda_context import FakeContext

LEADS = 1200
ADMIN = Caller(tenant_id=TENANT, role="admin", subject="u-admin")
RED_LEAD = Caller(tenant_id=TENANT, role="team_lead", staff_id="lead-red", team="red", subject="u-red")


class Queue:
    def __init__(self) -> None:
        self.orders: list[ExportOrder] = []

    def request_export(self, order: ExportOrder) -> None:
        self.orders.append(order)


def _worker_event(order: ExportOrder) -> dict[str, Any]:
    body = order.model_dump_json()
    return {
        "Records": [
            {
                "messageId": f"m-{order.export_id}",
                "receiptHandle": f"r-{order.export_id}",
                "body": body,
                "attributes": {"ApproximateReceiveCount": "1"},
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:ap-southeast-1:123456789012:ExportQueue",
                "awsRegion": "ap-southeast-1",
            }
        ]
    }


@pytest.fixture
def tenant_leads(ddb_tables: dict[str, str]) -> tuple[Repository, list[Lead]]:
    """Given 1,200 leads of a Ho Chi Minh City tenant: every third pending, the rest held by A (team red)
    or B (team blue), one second apart."""
    repo = repository()
    repo.put_tenant(Tenant(tenant_id=TENANT, name="Acme", time_zone="Asia/Ho_Chi_Minh"))
    named_a = StaffMember(tenant_id=TENANT, staff_id="A", name="Anh Đào", team="red")
    for member in (named_a, staff("B", team="blue")):
        repo.put_staff(member)
    made: list[Lead] = []
    for i in range(LEADS):
        at = NOW + timedelta(seconds=i)
        holder = (None, "A", "B")[i % 3]
        made.append(
            lead(
                received_at=at,
                name=f"Khách hàng {i}",
                phone=f"+8491{i:07d}",
                status=LeadStatus.ASSIGNED if holder else LeadStatus.PENDING,
                owner=holder,
                assignees=[holder] if holder else [],
                assigned_at=at if holder else None,
                idle_since=at if holder else None,
            )
        )
    repo.import_leads(made)
    return repo, made


@pytest.fixture
def staff_reads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many staff the worker asks for by id (``get_staff``), call by call."""
    asked: list[int] = []
    original: Callable[..., dict[str, StaffMember]] = Repository.get_staff

    def counted(self: Repository, tenant_id: str, staff_ids: Any) -> dict[str, StaffMember]:
        asked.append(len(staff_ids))
        return original(self, tenant_id, staff_ids)

    monkeypatch.setattr(Repository, "get_staff", counted)
    return asked


def _run_worker(repo: Repository, files: MemoryFiles, caller: Caller, request: ExportRequest) -> str:
    from functions.lead_export import app

    queue = Queue()
    export = request_export(repo, queue, caller, request, NOW + timedelta(hours=1))
    (order,) = queue.orders
    answer = app.handler(_worker_event(order), FakeContext(function_name="leadrouter-lead-export"))
    assert answer == {"batchItemFailures": []}
    return export.export_id


def test_1200_leads_go_through_the_worker_into_one_file_each_once(
    tenant_leads: tuple[Repository, list[Lead]], staff_reads: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    repo, made = tenant_leads
    files = MemoryFiles()
    monkeypatch.setattr("leadrouter.runtime.files", lambda: files)
    # When the admin exports every lead as xlsx through the worker
    export_id = _run_worker(repo, files, ADMIN, ExportRequest())
    # Then the record is done with 1,200 rows, and the file holds each lead once, newest first
    record = repo.get_export(TENANT, export_id)
    assert record is not None and (record.status, record.rows) == (ExportStatus.DONE, LEADS)
    key = f"exports/{TENANT}/{export_id}.xlsx"
    assert files.puts == [key]
    sheet = load_workbook(io.BytesIO(files.objects[key]), read_only=True)["Leads"]
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert [r[0] for r in rows] == sorted((x.lead_id for x in made), reverse=True)
    # And each phone is text with its +, each owner a name, each date on the tenant's clock
    by_id = {x.lead_id: x for x in made}
    for row in rows:
        original = by_id[str(row[0])]
        assert isinstance(row[2], str) and row[2].replace(" ", "") == original.phone
        assert row[5] == {"A": "Anh Đào", "B": "Staff B", None: None}[original.owner]
        assert row[10] == (original.received_at + timedelta(hours=7)).replace(tzinfo=None)
    # And no staff member was read per lead (the admin's listing needs no team check)
    assert staff_reads == []


def test_a_team_leads_export_of_1200_leads_holds_their_teams_and_reads_staff_once(
    tenant_leads: tuple[Repository, list[Lead]], staff_reads: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    repo, made = tenant_leads
    files = MemoryFiles()
    monkeypatch.setattr("leadrouter.runtime.files", lambda: files)
    # When the red team's lead exports, as CSV
    export_id = _run_worker(repo, files, RED_LEAD, ExportRequest(format="csv"))
    # Then the file holds exactly A's 400 leads
    text = files.objects[f"exports/{TENANT}/{export_id}.csv"].decode("utf-8-sig")
    ids = [row[0] for row in list(csv.reader(io.StringIO(text, newline="")))[1:]]
    assert sorted(ids) == sorted(x.lead_id for x in made if x.owner == "A")
    record = repo.get_export(TENANT, export_id)
    assert record is not None and record.rows == LEADS // 3
    # And the team check of 1,200 leads read no staff member by id: the staff were listed once
    assert staff_reads == []
