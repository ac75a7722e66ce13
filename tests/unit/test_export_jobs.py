"""The export job: who may export which leads, the record of every export, and a worker that is safe
to run twice (one file, one record)."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta

import pytest
from openpyxl import load_workbook

from leadrouter.data.repository import Repository
from leadrouter.data.webhook_queue import QueueError
from leadrouter.domain.errors import NotAllowed, NotFound, StoreUnavailable, Unavailable
from leadrouter.domain.exports import Export, ExportFormat, ExportOrder, ExportRequest, ExportStatus
from leadrouter.domain.leads import Lead, LeadStatus
from leadrouter.domain.users import Caller
from leadrouter.logic.exports.jobs import (
    LINK_SECONDS,
    export_link,
    list_exports,
    make_export,
    make_export_message,
    request_export,
)
from tests.support.builders import NOW, TENANT, lead, rule, seed, staff
from tests.support.files import MemoryFiles

ADMIN = Caller(tenant_id=TENANT, role="admin", subject="u-admin")
RED_LEAD = Caller(tenant_id=TENANT, role="team_lead", staff_id="lead-red", team="red", subject="u-red")
BLUE_LEAD = Caller(tenant_id=TENANT, role="team_lead", staff_id="lead-blue", team="blue", subject="u-blue")
SELLER = Caller(tenant_id=TENANT, role="staff", staff_id="A", subject="u-a")
LATER = NOW + timedelta(hours=2)


class Queue:
    """The export queue: what was sent, or a refusal."""

    def __init__(self, refuse: bool = False) -> None:
        self.orders: list[ExportOrder] = []
        self.refuse = refuse

    def request_export(self, order: ExportOrder) -> None:
        if self.refuse:
            raise QueueError("SQS did not take the export")
        self.orders.append(order)


def later() -> datetime:
    """The worker's clock."""
    return LATER


def _leads(repo: Repository) -> dict[str, list[Lead]]:
    """Given A (team red) holding 3 leads, B (team blue) 2, and 1 lead pending; staff A, B, C stored."""
    seed(repo, rule(weights={"A": 1, "B": 1}), [staff("A", team="red"), staff("B", team="blue")])
    made: dict[str, list[Lead]] = {"A": [], "B": [], "pending": []}
    at = NOW
    for holder, count in (("A", 3), ("B", 2), ("pending", 1)):
        for _ in range(count):
            at += timedelta(seconds=1)
            assigned = holder != "pending"
            made[holder].append(
                lead(
                    received_at=at,
                    phone=f"+8491234{len(made[holder]) + 10 * len(holder):04d}",
                    status=LeadStatus.ASSIGNED if assigned else LeadStatus.PENDING,
                    owner=holder if assigned else None,
                    assignees=[holder] if assigned else [],
                    assigned_at=at if assigned else None,
                    idle_since=at if assigned else None,
                )
            )
    repo.import_leads([x for group in made.values() for x in group])
    return made


def _ids_in_xlsx(files: MemoryFiles, key: str) -> list[str]:
    sheet = load_workbook(io.BytesIO(files.objects[key]))["Leads"]
    return [str(row[0]) for row in sheet.iter_rows(min_row=2, values_only=True)]


def _export(repo: Repository, caller: Caller, **request: object) -> tuple[Export, Queue]:
    queue = Queue()
    export = request_export(repo, queue, caller, ExportRequest.model_validate(request), NOW)
    return export, queue


def test_an_admin_exports_every_lead_and_the_record_says_who_when_which_filter_and_how_many(
    moto_repo: Repository,
) -> None:
    made = _leads(moto_repo)
    files = MemoryFiles()
    # When the admin asks for the web pool's leads
    export, queue = _export(moto_repo, ADMIN, pool="web")
    # Then the export is recorded as queued, by whom, when, with which filter, and queued for the worker
    assert queue.orders == [ExportOrder(tenant_id=TENANT, export_id=export.export_id)]
    stored = moto_repo.get_export(TENANT, export.export_id)
    assert stored is not None and stored.status is ExportStatus.QUEUED
    assert (stored.requested_by, stored.requested_at, stored.filters.pool) == (ADMIN, NOW, "web")
    assert (stored.format, stored.language) == (ExportFormat.XLSX, "vi")
    # When the worker makes it
    done = make_export(moto_repo, files, export.export_id, TENANT, later)
    # Then the file holds every lead of the tenant, newest first, owners by name
    assert done is not None and done == moto_repo.get_export(TENANT, export.export_id)
    key = f"exports/{TENANT}/{export.export_id}.xlsx"
    every = [x.lead_id for group in made.values() for x in group]
    assert _ids_in_xlsx(files, key) == sorted(every, reverse=True)
    sheet = load_workbook(io.BytesIO(files.objects[key]))["Leads"]
    owners = {str(r[0]): r[5] for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert owners[made["A"][0].lead_id] == "Staff A" and owners[made["pending"][0].lead_id] is None
    # And the record says done, how many rows, where, and when
    assert (done.status, done.rows, done.file_key, done.finished_at) == (ExportStatus.DONE, 6, key, LATER)
    assert files.content_types[key].startswith("application/vnd.openxmlformats")


def test_a_team_lead_exports_only_the_leads_their_team_holds(moto_repo: Repository) -> None:
    made = _leads(moto_repo)
    files = MemoryFiles()
    # When the red team's lead exports everything they may, as CSV
    export, _ = _export(moto_repo, RED_LEAD, format="csv")
    done = make_export(moto_repo, files, export.export_id, TENANT, later)
    # Then the file holds exactly A's leads (team red), not B's nor the pending one
    assert done is not None and done.rows == 3
    text = files.objects[f"exports/{TENANT}/{export.export_id}.csv"].decode("utf-8-sig")
    ids = [row[0] for row in list(csv.reader(io.StringIO(text, newline="")))[1:]]
    assert sorted(ids) == sorted(x.lead_id for x in made["A"])


def test_filters_narrow_the_export_as_they_narrow_the_console(moto_repo: Repository) -> None:
    made = _leads(moto_repo)
    files = MemoryFiles()
    # When the admin exports the pending leads, and then B's leads received after B's first
    pending, _ = _export(moto_repo, ADMIN, status="pending")
    of_b, _ = _export(moto_repo, ADMIN, assignee="B", received_from=made["B"][1].received_at.isoformat())
    for export in (pending, of_b):
        make_export(moto_repo, files, export.export_id, TENANT, later)
    # Then each file holds exactly those
    assert _ids_in_xlsx(files, f"exports/{TENANT}/{pending.export_id}.xlsx") == [made["pending"][0].lead_id]
    assert _ids_in_xlsx(files, f"exports/{TENANT}/{of_b.export_id}.xlsx") == [made["B"][1].lead_id]


def test_staff_may_not_export_and_nothing_is_recorded(moto_repo: Repository) -> None:
    _leads(moto_repo)
    queue = Queue()
    with pytest.raises(NotAllowed):
        request_export(moto_repo, queue, SELLER, ExportRequest(), NOW)
    with pytest.raises(NotAllowed):
        list_exports(moto_repo, SELLER, 50, None)
    assert queue.orders == []
    assert moto_repo.list_exports(TENANT, requested_by=None, limit=50) == ([], None)


def test_running_the_worker_again_leaves_one_file_and_one_record(moto_repo: Repository) -> None:
    _leads(moto_repo)
    files = MemoryFiles()
    export, _ = _export(moto_repo, ADMIN)
    key = f"exports/{TENANT}/{export.export_id}.xlsx"
    # Given a first run that stored the file and crashed before recording it done
    make_export(moto_repo, files, export.export_id, TENANT, later)
    crashed = moto_repo.get_export(TENANT, export.export_id)
    assert crashed is not None
    moto_repo.put_export(crashed.model_copy(update={"status": ExportStatus.RUNNING, "rows": None}))
    # When the message comes back and the worker runs again
    done = make_export(moto_repo, files, export.export_id, TENANT, later)
    # Then the file was rewritten at the same key: one file, one record, done with its rows
    assert files.puts == [key, key] and list(files.objects) == [key]
    records, _ = moto_repo.list_exports(TENANT, requested_by=None, limit=50)
    assert [(r.export_id, r.status, r.rows) for r in records] == [(export.export_id, ExportStatus.DONE, 6)]
    assert done == records[0]
    # And a copy of the message for a done export makes nothing again
    make_export(moto_repo, files, export.export_id, TENANT, later)
    assert files.puts == [key, key]


def test_a_failed_run_is_recorded_with_its_reason_and_a_retry_completes_it(moto_repo: Repository) -> None:
    _leads(moto_repo)
    files = MemoryFiles(fail_next_put=StoreUnavailable("SlowDown"))
    export, _ = _export(moto_repo, ADMIN, format="csv", language="en")
    # When the store refuses the file: the error goes back to the queue, the record says failed
    with pytest.raises(StoreUnavailable):
        make_export(moto_repo, files, export.export_id, TENANT, later)
    failed = moto_repo.get_export(TENANT, export.export_id)
    assert failed is not None
    assert (failed.status, failed.error, failed.rows, failed.file_key) == (
        ExportStatus.FAILED,
        "StoreUnavailable",
        None,
        None,
    )
    # When SQS brings the message back
    message = ExportOrder(tenant_id=TENANT, export_id=export.export_id).model_dump_json()
    make_export_message(moto_repo, files, message, later)
    # Then it is done, and the error is gone
    done = moto_repo.get_export(TENANT, export.export_id)
    assert done is not None and (done.status, done.error, done.rows) == (ExportStatus.DONE, None, 6)
    content = files.objects[f"exports/{TENANT}/{export.export_id}.csv"]
    assert content.decode("utf-8-sig").startswith("Lead id,")


def test_an_unreadable_message_or_an_unknown_export_makes_nothing(moto_repo: Repository) -> None:
    files = MemoryFiles()
    make_export_message(moto_repo, files, "not json", later)
    assert make_export(moto_repo, files, "E0", TENANT, later) is None
    assert files.puts == []


def test_a_queue_that_refuses_is_a_503_and_the_record_says_so(moto_repo: Repository) -> None:
    with pytest.raises(Unavailable):
        request_export(moto_repo, Queue(refuse=True), ADMIN, ExportRequest(), NOW)
    (record,), _ = moto_repo.list_exports(TENANT, requested_by=None, limit=50)
    assert (record.status, record.error) == (ExportStatus.FAILED, "not queued")


def test_the_audit_lists_exports_newest_first_admins_all_team_leads_their_own(moto_repo: Repository) -> None:
    _leads(moto_repo)
    queue = Queue()
    first = request_export(moto_repo, queue, RED_LEAD, ExportRequest(), NOW)
    second = request_export(moto_repo, queue, BLUE_LEAD, ExportRequest(), NOW + timedelta(minutes=1))
    third = request_export(moto_repo, queue, ADMIN, ExportRequest(pool="web"), NOW + timedelta(minutes=2))
    # Then the admin sees every export, newest first, and pages through them
    everything, _ = list_exports(moto_repo, ADMIN, 50, None)
    assert [x.export_id for x in everything] == [third.export_id, second.export_id, first.export_id]
    page, cursor = list_exports(moto_repo, ADMIN, 2, None)
    rest, end = list_exports(moto_repo, ADMIN, 2, cursor)
    assert [x.export_id for x in page + rest] == [x.export_id for x in everything] and end is None
    # And a team lead sees only their own
    assert [x.export_id for x in list_exports(moto_repo, RED_LEAD, 50, None)[0]] == [first.export_id]


def test_the_download_link_is_for_a_made_export_its_requester_and_admins(moto_repo: Repository) -> None:
    _leads(moto_repo)
    files = MemoryFiles()
    export, _ = _export(moto_repo, RED_LEAD)
    # Given a queued export: the record, no link yet
    assert export_link(moto_repo, files, RED_LEAD, export.export_id, NOW) == (export, None)
    make_export(moto_repo, files, export.export_id, TENANT, later)
    # When it is done: a link to its key, saved under a dated name, valid 15 minutes
    record, url = export_link(moto_repo, files, RED_LEAD, export.export_id, NOW)
    assert record.status is ExportStatus.DONE and LINK_SECONDS == 900
    assert url == (
        f"memory://exports/{TENANT}/{export.export_id}.xlsx?filename=leads-20261124-0900.xlsx&expires_in=900"
    )
    assert export_link(moto_repo, files, ADMIN, export.export_id, NOW)[1] == url
    # And another team lead, or another tenant's admin, finds no such export; staff may not ask
    with pytest.raises(NotFound):
        export_link(moto_repo, files, BLUE_LEAD, export.export_id, NOW)
    with pytest.raises(NotFound):
        export_link(moto_repo, files, ADMIN.model_copy(update={"tenant_id": "globex"}), export.export_id, NOW)
    with pytest.raises(NotAllowed):
        export_link(moto_repo, files, SELLER, export.export_id, NOW)
