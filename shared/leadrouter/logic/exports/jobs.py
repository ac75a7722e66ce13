"""The export job: requested and recorded by an admin or team lead, made in the background, downloaded.

Only admins (the tenant's leads) and team leads (their team's leads) export; every export is recorded
(``Export``: who, when, which filters, how many rows) and the record is kept as the audit of exports.
Each download link handed out is an ``export`` entry of the access audit (who got the file, how many
leads it holds, the export's id), since whoever takes the link takes the leads.
The worker lists the leads *as the requester* (``reading.list_leads``, the same visibility as the
console), so an export never holds a lead its requester could not see.

Reads per lead: none beyond the listing's own pages. The staff are read once per export (owner names,
and the team check of a team lead's listing), the tenant once (its time zone); the history summary
comes from the lead item itself (``columns.history_summary``).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from leadrouter.data.cursors import Cursor
from leadrouter.data.webhook_queue import QueueError
from leadrouter.domain.audit import AuditAction
from leadrouter.domain.errors import InvalidInput, NotAllowed, NotFound, Unavailable
from leadrouter.domain.exports import (
    Export,
    ExportFormat,
    ExportOrder,
    ExportRequest,
    ExportStatus,
    LeadFilters,
)
from leadrouter.domain.files import Files, tenant_key
from leadrouter.domain.ids import new_id
from leadrouter.domain.leads import Lead
from leadrouter.domain.staff import StaffMember
from leadrouter.domain.users import Caller
from leadrouter.domain.zones import DEFAULT_TIME_ZONE
from leadrouter.logic.exports.columns import headers, history_summary, lead_row
from leadrouter.logic.exports.writing import CSV_CONTENT_TYPE, XLSX_CONTENT_TYPE, write_csv, write_xlsx
from leadrouter.logic.leads.reading import ReadPorts, list_leads
from leadrouter.logic.ports import Exports, Tenants
from leadrouter.logic.privacy.audit import AuditPorts, record_access
from leadrouter.observability import logger

#: Who may export: admins (the tenant's leads) and team leads (their team's leads); never staff.
EXPORTER_ROLES = ("admin", "team_lead")
#: Leads per listing page the worker asks for (the console's largest page).
PAGE_SIZE = 200
#: How long a download link works.
LINK_SECONDS = 15 * 60
_CONTENT_TYPES = {ExportFormat.XLSX: XLSX_CONTENT_TYPE, ExportFormat.CSV: CSV_CONTENT_TYPE}


class ExportRequests(Protocol):
    """Where a recorded export waits for the worker (``QueueError`` if it cannot be queued)."""

    def request_export(self, order: ExportOrder) -> None: ...


class MakePorts(Exports, ReadPorts, Tenants, Protocol):
    """The record, the leads and staff the requester sees, the tenant's time zone."""


class LinkPorts(Exports, Tenants, AuditPorts, Protocol):
    """The record, the tenant's time zone for the file's name, and the access audit."""


def _exporter(caller: Caller) -> None:
    if caller.role not in EXPORTER_ROLES:
        raise NotAllowed("only admins and team leads may export leads")


def _theirs(caller: Caller, export: Export) -> bool:
    """Admins see every export of the tenant; a team lead those they requested."""
    if export.tenant_id != caller.tenant_id:
        return False
    return caller.role == "admin" or export.requested_by.subject == caller.subject


def request_export(
    repo: Exports, queue: ExportRequests, caller: Caller, request: ExportRequest, now: datetime
) -> Export:
    """Record the export (queued) and queue it for the worker; a 503 if the queue does not take it
    (the record then says failed, so the audit still shows the attempt)."""
    _exporter(caller)
    filters = request.filters
    if filters.received_from and filters.received_to and filters.received_to < filters.received_from:
        raise InvalidInput("invalid period", {"received_to": "must not be before received_from"})
    export = Export(
        export_id=new_id("E", now),
        tenant_id=caller.tenant_id,
        requested_by=caller,
        requested_at=now,
        filters=filters,
        format=request.format,
        language=request.language,
    )
    repo.put_export(export)
    try:
        queue.request_export(ExportOrder(tenant_id=export.tenant_id, export_id=export.export_id))
    except QueueError as error:
        failed = {"status": ExportStatus.FAILED, "error": "not queued", "finished_at": now}
        repo.put_export(export.model_copy(update=failed))
        raise Unavailable("the export could not be queued: try again") from error
    return export


def list_exports(
    repo: Exports, caller: Caller, limit: int, cursor: Cursor | None
) -> tuple[list[Export], Cursor | None]:
    """The tenant's exports newest first (admins); a team lead's own."""
    _exporter(caller)
    requested_by = None if caller.role == "admin" else caller.subject
    return repo.list_exports(caller.tenant_id, requested_by=requested_by, limit=limit, start=cursor)


def _zone(repo: Tenants, tenant_id: str) -> ZoneInfo:
    tenant = repo.get_tenant(tenant_id)
    return ZoneInfo(tenant.time_zone if tenant else DEFAULT_TIME_ZONE)


def file_name(export: Export, tz: ZoneInfo) -> str:
    """What the download saves as: ``leads-<date>-<time>.<ext>`` on the tenant's clock."""
    return f"leads-{export.requested_at.astimezone(tz):%Y%m%d-%H%M}.{export.format.value}"


def get_export(repo: Exports, caller: Caller, export_id: str) -> Export:
    """The export if the caller may see it (admins: the tenant's; team leads: theirs), else NotFound."""
    _exporter(caller)
    export = repo.get_export(caller.tenant_id, export_id)
    if export is None or not _theirs(caller, export):
        raise NotFound(f"export {export_id} not found")
    return export


def download_link(repo: Tenants, files: Files, export: Export) -> str | None:
    """A link to the made file, valid ``LINK_SECONDS``; None until the export is done."""
    if export.status is not ExportStatus.DONE or not export.file_key:
        return None
    name = file_name(export, _zone(repo, export.tenant_id))
    return files.download_url(export.file_key, filename=name, expires_in=LINK_SECONDS)


def export_link(
    repo: LinkPorts,
    files: Files,
    caller: Caller,
    export_id: str,
    now: datetime,
    *,
    request_id: str | None = None,
) -> tuple[Export, str | None]:
    """The record and, when the file is made, a download link valid ``LINK_SECONDS`` (audited)."""
    export = get_export(repo, caller, export_id)
    return export, hand_out_link(repo, files, caller, export, now, request_id=request_id)


def hand_out_link(
    repo: LinkPorts,
    files: Files,
    caller: Caller,
    export: Export,
    now: datetime,
    *,
    request_id: str | None = None,
) -> str | None:
    """``download_link`` for ``caller``, recorded in the access audit when there is one (``export``:
    the export's id and its rows as the count): whoever takes the link takes the leads."""
    link = download_link(repo, files, export)
    if link is not None:
        rows = export.rows or 0
        record_access(
            repo, caller, AuditAction.EXPORT, [], now, count=rows, request_id=request_id, ref=export.export_id
        )
    return link


class _StaffReadOnce:
    """The repository, with the tenant's staff as read once: a team lead's listing checks each lead's
    holders' team (``reading.visible``), which would otherwise read the staff for every lead."""

    def __init__(self, repo: ReadPorts, members: Mapping[str, StaffMember]) -> None:
        self._repo = repo
        self._members = members

    def get_staff(self, tenant_id: str, staff_ids: Sequence[str]) -> dict[str, StaffMember]:
        return {i: self._members[i] for i in staff_ids if i in self._members}

    def list_staff(self, tenant_id: str) -> list[StaffMember]:
        return list(self._members.values())

    def put_staff(self, member: StaffMember, *, new: bool = False) -> None:
        raise NotImplementedError("an export only reads")

    def update_staff(self, before: StaffMember, after: StaffMember) -> StaffMember:
        raise NotImplementedError("an export only reads")

    def get_lead(self, tenant_id: str, lead_id: str) -> Lead | None:
        return self._repo.get_lead(tenant_id, lead_id)

    def leads_by_id(self, tenant_id: str, lead_ids: Sequence[str]) -> dict[str, Lead]:
        return self._repo.leads_by_id(tenant_id, lead_ids)

    def tenant_leads(self, tenant_id: str) -> Iterator[Lead]:
        return self._repo.tenant_leads(tenant_id)

    def owner_leads(self, tenant_id: str, staff_id: str) -> list[Lead]:
        return self._repo.owner_leads(tenant_id, staff_id)

    def list_leads(
        self,
        tenant_id: str,
        *,
        received_from: datetime | None,
        received_to: datetime | None,
        filters: Mapping[str, str],
        limit: int,
        start: Cursor | None = None,
        max_evaluated: int = 2000,
    ) -> tuple[list[Lead], Cursor | None]:
        return self._repo.list_leads(
            tenant_id,
            received_from=received_from,
            received_to=received_to,
            filters=filters,
            limit=limit,
            start=start,
            max_evaluated=max_evaluated,
        )

    def leads_received_between(self, tenant_id: str, start: datetime, end: datetime) -> Iterator[Lead]:
        return self._repo.leads_received_between(tenant_id, start, end)


def exported_leads(repo: ReadPorts, caller: Caller, filters: LeadFilters) -> Iterator[Lead]:
    """Every lead the caller sees under the filters, newest first: the console's listing, page by page."""
    listing = filters.listing()
    cursor: Cursor | None = None
    while True:
        page, cursor = list_leads(
            repo, caller, listing, filters.received_from, filters.received_to, PAGE_SIZE, cursor
        )
        yield from page
        if cursor is None:
            return


def _write_file(repo: MakePorts, files: Files, export: Export) -> tuple[str, int]:
    """The export's file, spooled to a temporary file and stored at its one key; its key and rows."""
    tz = _zone(repo, export.tenant_id)
    members = {m.staff_id: m for m in repo.list_staff(export.tenant_id)}
    reader = _StaffReadOnce(repo, members)
    language = export.language

    def owner_name(lead: Lead) -> str | None:
        if lead.owner is None:
            return None
        member = members.get(lead.owner)
        return member.name if member else lead.owner

    rows = (
        lead_row(lead, owner_name(lead), history_summary(lead, tz, language), tz, language)
        for lead in exported_leads(reader, export.requested_by, export.filters)
    )
    key = tenant_key("exports", export.tenant_id, f"{export.export_id}.{export.format.value}")
    write = write_xlsx if export.format is ExportFormat.XLSX else write_csv
    with tempfile.TemporaryFile() as spool:
        count = write(headers(language), rows, spool)
        spool.seek(0)
        files.put(key, spool, content_type=_CONTENT_TYPES[export.format])
    return key, count


def make_export(
    repo: MakePorts, files: Files, export_id: str, tenant_id: str, now: Callable[[], datetime]
) -> Export | None:
    """Make the export's file and record the outcome (the worker; ``now`` is its clock).

    Safe to run again: the file goes to the export's one key and the record is rewritten, so a message
    delivered twice, or retried after a crash, leaves one file and one record. A done export is not
    made again; an unknown one (deleted) is dropped (None). On an error the record says failed, with
    the kind of error (never a value), and the error is raised for the queue to retry.
    """
    export = repo.get_export(tenant_id, export_id)
    if export is None:
        ids = {"tenant_id": tenant_id, "export_id": export_id}
        logger.warning("export not found; nothing made", extra=ids)
        return None
    if export.status is ExportStatus.DONE:
        return export
    running = export.model_copy(
        update={"status": ExportStatus.RUNNING, "started_at": now(), "finished_at": None, "error": None}
    )
    repo.put_export(running)
    try:
        key, rows = _write_file(repo, files, running)
    except Exception as error:
        failed = {"status": ExportStatus.FAILED, "error": type(error).__name__, "finished_at": now()}
        repo.put_export(running.model_copy(update=failed))
        raise
    done = running.model_copy(
        update={"status": ExportStatus.DONE, "rows": rows, "file_key": key, "finished_at": now()}
    )
    repo.put_export(done)
    logger.info("export made", extra={"tenant_id": tenant_id, "export_id": export_id, "rows": rows})
    return done


def make_export_message(repo: MakePorts, files: Files, body: str, now: Callable[[], datetime]) -> None:
    """One ExportQueue message: its export made. A body that is not an order is dropped (logged):
    no retry can make it one."""
    try:
        order = ExportOrder.model_validate_json(body)
    except ValidationError:
        logger.error("export message unreadable; dropped")
        return
    make_export(repo, files, order.export_id, order.tenant_id, now)
