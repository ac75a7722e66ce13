"""The customer-list import: upload, one read into chunks, a dry run, the import itself (admins only).

Stages, each a message on ImportQueue handled by the import worker (one message per invocation):

* ``split``: the uploaded file is copied to a temporary file (S3's stream cannot seek, an xlsx's zip
  must), hashed (SHA-256) and read ONCE (``reading.read_table``) into chunk files of
  ``import_chunk_rows`` rows (``imports/<tenant>/<id>/chunks/<n>.jsonl``: raw cells, dates as ISO). The
  record gets the headers, a preview, the suggested (or remembered) mapping, and the row and chunk counts.
* ``check`` (one per chunk): each row's outcome, nothing written to leads: rejected (with reasons),
  created, linked (intake's duplicate rule on the contacts' claims), already_imported (its lead exists,
  or an earlier import of this file linked it). Written to ``check/<n>.jsonl``; its counts added once.
* ``report``: the chunks' outcomes in row order, a row with the phone or email of an earlier row linked
  to it, into ``check-report.csv`` (UTF-8 with BOM, for Excel); the record says checked.
* ``rows`` (one per chunk): each row not rejected nor already imported goes through intake's own
  ``submit_lead``, with a lead id derived from the file and the row (``outcomes.row_lead_id``) and
  ``repeat=True``: a retried, redelivered or resumed chunk creates nothing twice. keep_owner then
  assigns the lead to the matched staff. Counts added once per chunk (a marker in the same transaction).
* ``finish``: ``import-report.csv`` from the chunks' outcomes; the record says done.

The API queues a chunked stage's messages (ten per SendMessageBatch: 200 calls for a million rows).
A chunk's counts go to the record in one transaction with its marker item (``data.imports``); the
worker whose chunk completes the count queues the closing stage (a second one does no harm: both
closing stages are safe to run twice).

Rows carry no date of their own unless a column is mapped to received_at; without one, every row's
lead is received at the time the file (by content) was first read, so all imports of it agree.

Load on DynamoDB. A tenant's leads share one partition key (``tenant_id``), and so do its contact
claims (``TENANT#<id>`` in the config table); a partition key takes at most 1,000 WCU/s. A created
lead costs about 4 WRU (its item with index entries, and its claims: ``test_lead_cost_on_ddb_local``).
The import worker runs at most ``MaximumConcurrency: 2`` chunks at once (template.yaml) and each chunk
paces itself to ``import_rows_per_second`` (60 by default): 2 × 60 rows/s × 4 WRU ≈ 480 WCU/s, under
half a partition's 1,000, which leaves the other ≈ 520 WCU/s (≈ 130 form leads a second) to live
intake. A 1,000,000-row file: 2,000 chunks of 500 rows, at 120 rows/s ≈ 8,300 s ≈ 2 h 20 min.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import date, datetime
from pathlib import PurePosixPath
from typing import IO, Any, Protocol
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from leadrouter.data.webhook_queue import QueueError
from leadrouter.domain.contacts import contact_keys
from leadrouter.domain.errors import Conflict, InvalidInput, NotAllowed, NotFound, Unavailable
from leadrouter.domain.files import Files, Upload, tenant_key
from leadrouter.domain.forms import FormSource
from leadrouter.domain.ids import new_id
from leadrouter.domain.imports import (
    EXTENSIONS,
    MAX_UPLOAD_BYTES,
    PREVIEW_ROWS,
    Import,
    ImportMode,
    ImportOptions,
    ImportOrder,
    ImportStatus,
    RowOutcome,
    StageCounts,
)
from leadrouter.domain.leads import Decision, Lead, LeadEvent, LeadStatus
from leadrouter.domain.users import Caller
from leadrouter.domain.zones import DEFAULT_TIME_ZONE
from leadrouter.logic.imports.columns import (
    ColumnMapping,
    LeadField,
    RowRejected,
    RowValues,
    read_row,
    suggest_mapping,
)
from leadrouter.logic.imports.outcomes import (
    Outcome,
    Report,
    StaffDirectory,
    contact_digest,
    counts_of,
    email_digest,
    linked_within_file,
    problem_text,
    row_lead_id,
)
from leadrouter.logic.imports.reading import Cell, SheetRow, UnreadableFile, read_table
from leadrouter.logic.intake.new_leads import NewLeadPorts, submit_lead
from leadrouter.logic.leads.reading import ReadPorts
from leadrouter.logic.ports import Imports, LeadChanges, Rules, Sources, Tenants
from leadrouter.logic.validation import changed
from leadrouter.observability import logger

#: Only admins import (a list may hold every customer of the tenant).
IMPORTER_ROLES = ("admin",)
#: How long a signed upload and a report link work.
UPLOAD_SECONDS = 60 * 60
LINK_SECONDS = 15 * 60
#: A chunk worker looks at the record (cancelled?) before its chunk and every this many rows.
CANCEL_CHECK_ROWS = 100
_CSV = "text/csv; charset=utf-8"
_JSONL = "application/x-ndjson"


class ImportRequests(Protocol):
    """Where an import's stage messages wait for the worker (``QueueError`` if they cannot be queued)."""

    def queue_import(self, orders: Sequence[ImportOrder]) -> None: ...


class ImportPorts(Imports, Sources, Protocol):
    """The record, and the tenant's sources (the defaults an import names)."""


class WorkPorts(Imports, Sources, Rules, Tenants, NewLeadPorts, ReadPorts, LeadChanges, Protocol):
    """The record, the source and pools, the staff, and intake's lead writes."""


# ------------------------------------------------------------------ keys
def _key(record: Import, name: str) -> str:
    return tenant_key("imports", record.tenant_id, f"{record.import_id}/{name}")


def upload_key(record: Import) -> str:
    return _key(record, "upload" + PurePosixPath(record.file_name).suffix.lower())


def _chunk_key(record: Import, n: int) -> str:
    return _key(record, f"chunks/{n}.jsonl")


def _outcome_key(record: Import, stage: str, n: int) -> str:
    return _key(record, f"{stage}/{n}.jsonl")


def _file_rows_key(record: Import, n: int) -> str:
    """What imports of this file (by content) did with chunk ``n``'s rows: a re-upload's dry run reads it."""
    return tenant_key("imports", record.tenant_id, f"files/{record.sha256}/rows/{n}.jsonl")


# ------------------------------------------------------------------ API: the admin's steps
def _importer(caller: Caller) -> None:
    if caller.role not in IMPORTER_ROLES:
        raise NotAllowed("only admins import customer lists")


def get_import(repo: Imports, caller: Caller, import_id: str) -> Import:
    _importer(caller)
    record = repo.get_import(caller.tenant_id, import_id)
    if record is None:
        raise NotFound(f"import {import_id} not found")
    return record


def list_imports(repo: Imports, caller: Caller, limit: int) -> list[Import]:
    _importer(caller)
    return repo.list_imports(caller.tenant_id, limit=limit)


def report_link(files: Files, record: Import) -> str | None:
    """A link to the last report (dry run, then import), valid ``LINK_SECONDS``; None before one."""
    if not record.report_key:
        return None
    name = PurePosixPath(record.report_key).name
    stem = PurePosixPath(record.file_name).stem
    return files.download_url(record.report_key, filename=f"{stem}-{name}", expires_in=LINK_SECONDS)


def remembered_mapping(repo: Imports, caller: Caller) -> tuple[list[str], dict[str, Any]] | None:
    _importer(caller)
    return repo.get_import_mapping(caller.tenant_id)


def create_import(
    repo: Imports, files: Files, caller: Caller, file_name: str, size: int, now: datetime
) -> tuple[Import, Upload]:
    """Record the import (awaiting its upload) and sign the browser's upload of the file."""
    _importer(caller)
    extension = PurePosixPath(file_name.replace("\\", "/")).suffix.lower()
    if extension not in EXTENSIONS:
        raise InvalidInput("not a customer list", {"file_name": f"use one of: {', '.join(EXTENSIONS)}"})
    if size > MAX_UPLOAD_BYTES:
        raise InvalidInput("file too large", {"size": f"at most {MAX_UPLOAD_BYTES // 1024**2} MB"})
    record = Import(
        import_id=new_id("I", now),
        tenant_id=caller.tenant_id,
        requested_by=caller,
        requested_at=now,
        file_name=PurePosixPath(file_name.replace("\\", "/")).name,
        size=size,
        updated_at=now,
    )
    upload = files.upload(upload_key(record), max_bytes=MAX_UPLOAD_BYTES, expires_in=UPLOAD_SECONDS)
    repo.put_import(record)
    return record, upload


def _queue(repo: Imports, queue: ImportRequests, record: Import, orders: Sequence[ImportOrder]) -> None:
    try:
        queue.queue_import(orders)
    except QueueError as error:
        logger.error("import not queued", extra={"import_id": record.import_id, "error": str(error)})
        raise Unavailable("the import could not be queued: try again") from error


def _orders(record: Import, stage: str, chunks: Sequence[int]) -> list[ImportOrder]:
    return [
        ImportOrder.model_validate(
            {"tenant_id": record.tenant_id, "import_id": record.import_id, "stage": stage, "chunk": n}
        )
        for n in chunks
    ]


def _next(record: Import, stage: str) -> ImportOrder:
    return ImportOrder.model_validate(
        {"tenant_id": record.tenant_id, "import_id": record.import_id, "stage": stage}
    )


def mark_uploaded(
    repo: Imports, files: Files, queue: ImportRequests, caller: Caller, import_id: str, now: datetime
) -> Import:
    """The browser says the file is up: check it is, and queue its one read."""
    record = get_import(repo, caller, import_id)
    if record.status is not ImportStatus.AWAITING_UPLOAD:
        raise Conflict(f"import {import_id} is {record.status.value}, not awaiting its upload")
    size = files.size(upload_key(record))
    if size is None:
        raise Conflict("the file has not arrived: upload it first")
    if not repo.set_import_status(
        record.tenant_id,
        import_id,
        expected=[ImportStatus.AWAITING_UPLOAD],
        status=ImportStatus.READING,
        at=now,
        fields={"size": size},
    ):
        raise Conflict(f"import {import_id} changed meanwhile; reload it")
    _queue(repo, queue, record, [_next(record, "split")])
    return get_import(repo, caller, import_id)


def request_check(
    repo: ImportPorts,
    files: Files,
    queue: ImportRequests,
    caller: Caller,
    import_id: str,
    mapping: ColumnMapping,
    options: ImportOptions,
    staff_emails: Mapping[str, str],
    now: datetime,
) -> Import:
    """Start the dry run with this mapping and these options (remembered for the tenant).

    ``staff_emails``: the tenant's users' e-mail → staff id (keep_owner matches owners by e-mail too);
    the worker gets them as digests, never as addresses.
    """
    record = get_import(repo, caller, import_id)
    allowed = (ImportStatus.READY, ImportStatus.CHECKED)
    if record.status not in allowed:
        raise Conflict(f"import {import_id} is {record.status.value}: a dry run needs a read file")
    stray = sorted(set(mapping.columns) - set(record.headers))
    if stray:
        raise InvalidInput("the mapping names columns the file does not have", {"mapping": ", ".join(stray)})
    if repo.get_form_source(caller.tenant_id, options.source_id) is None:
        raise InvalidInput("unknown source", {"options.source_id": "not a source of this tenant"})
    if options.mode is ImportMode.KEEP_OWNER and LeadField.OWNER not in mapping.columns.values():
        raise InvalidInput("keep_owner needs an owner column", {"mapping": "map a column to owner"})
    stored = mapping.model_dump(mode="json")
    repo.put_import_mapping(caller.tenant_id, record.headers, stored)
    directory = {email_digest(e): s for e, s in staff_emails.items()}
    with tempfile.TemporaryFile() as spool:
        spool.write(json.dumps(directory).encode())
        spool.seek(0)
        files.put(_key(record, "staff-emails.json"), spool, content_type="application/json")
    repo.clear_chunk_counts(record.tenant_id, import_id, "checked")
    checking = record.model_copy(
        update={
            "status": ImportStatus.CHECKING,
            "mapping": stored,
            "options": options,
            "checked": StageCounts(),
            "problems": [],
            "report_key": None,
            "error": None,
            "updated_at": now,
        }
    )
    repo.put_import(checking, expected=allowed)
    chunks = _orders(record, "check", range(record.chunk_count)) or [_next(record, "report")]
    _queue(repo, queue, record, chunks)
    return checking


def start_import(
    repo: Imports, queue: ImportRequests, caller: Caller, import_id: str, now: datetime
) -> Import:
    """Import the checked file, with the checked mapping and options."""
    record = get_import(repo, caller, import_id)
    if record.status is not ImportStatus.CHECKED:
        raise Conflict(f"import {import_id} is {record.status.value}: run the dry run first")
    fresh = {"imported": StageCounts().model_dump(), "problems": []}
    if not repo.set_import_status(
        record.tenant_id,
        import_id,
        expected=[ImportStatus.CHECKED],
        status=ImportStatus.IMPORTING,
        at=now,
        fields=fresh,
    ):
        raise Conflict(f"import {import_id} changed meanwhile; reload it")
    _queue(
        repo, queue, record, _orders(record, "rows", range(record.chunk_count)) or [_next(record, "finish")]
    )
    return get_import(repo, caller, import_id)


def cancel_import(repo: Imports, caller: Caller, import_id: str, now: datetime) -> Import:
    """Stop an import: chunk workers stop before their next chunk or within ``CANCEL_CHECK_ROWS`` rows."""
    record = get_import(repo, caller, import_id)
    expected = [ImportStatus.IMPORTING]
    if not repo.set_import_status(
        record.tenant_id, import_id, expected=expected, status=ImportStatus.CANCELLED, at=now
    ):
        raise Conflict(f"import {import_id} is {record.status.value}, not importing")
    return get_import(repo, caller, import_id)


def resume_import(
    repo: Imports, queue: ImportRequests, caller: Caller, import_id: str, now: datetime
) -> Import:
    """Go on with a cancelled import: the chunks not counted yet are queued again."""
    record = get_import(repo, caller, import_id)
    if not repo.set_import_status(
        record.tenant_id,
        import_id,
        expected=[ImportStatus.CANCELLED],
        status=ImportStatus.IMPORTING,
        at=now,
    ):
        raise Conflict(f"import {import_id} is {record.status.value}, not cancelled")
    counted = repo.counted_chunks(record.tenant_id, import_id, "imported")
    left = [n for n in range(record.chunk_count) if n not in counted]
    _queue(repo, queue, record, _orders(record, "rows", left) or [_next(record, "finish")])
    return get_import(repo, caller, import_id)


# ------------------------------------------------------------------ worker: files
def _cell_json(value: object) -> object:
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(type(value).__name__)


def _put_lines(files: Files, key: str, lines: Iterator[dict[str, Any]] | list[dict[str, Any]]) -> None:
    with tempfile.TemporaryFile() as spool:
        for line in lines:
            spool.write(json.dumps(line, default=_cell_json, ensure_ascii=False).encode() + b"\n")
        spool.seek(0)
        files.put(key, spool, content_type=_JSONL)


def _read_all(files: Files, key: str) -> bytes:
    body = files.open(key)
    try:
        return body.read()
    finally:
        body.close()


def _lines(files: Files, key: str) -> Iterator[dict[str, Any]]:
    """A chunk's lines (a chunk file is a few hundred rows: read whole, S3's stream has no lines)."""
    for raw in _read_all(files, key).splitlines():
        if raw.strip():
            yield json.loads(raw)


def _lines_if_any(files: Files, key: str) -> list[dict[str, Any]]:
    try:
        return list(_lines(files, key))
    except FileNotFoundError:
        return []


def _shown(cell: Cell) -> str | None:
    if cell is None or isinstance(cell, str):
        return cell
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    if isinstance(cell, datetime | date):
        return cell.isoformat()
    return str(cell)


def _spooled(files: Files, key: str, spool: IO[bytes]) -> str:
    """Copy the stored object into ``spool`` (rewound); its SHA-256."""
    digest = hashlib.sha256()
    body = files.open(key)
    try:
        while block := body.read(1024 * 1024):
            digest.update(block)
            spool.write(block)
    finally:
        body.close()
    spool.seek(0)
    return digest.hexdigest()


def split_file(
    repo: Imports, files: Files, queue: ImportRequests, order: ImportOrder, now: datetime, chunk_rows: int
) -> None:
    """Read the uploaded file once into chunk files; the record ready (or failed, with the reason)."""
    record = repo.get_import(order.tenant_id, order.import_id)
    if record is None or record.status is not ImportStatus.READING:
        return
    with tempfile.TemporaryFile() as spool:
        sha256 = _spooled(files, upload_key(record), spool)
        try:
            table = read_table(spool, record.file_name)
            preview: list[list[str | None]] = []
            total = chunks = 0
            batch: list[dict[str, Any]] = []
            for row in table.rows:
                if len(preview) < PREVIEW_ROWS:
                    preview.append([_shown(c) for c in row.cells])
                batch.append({"row": row.number, "cells": list(row.cells)})
                total += 1
                if len(batch) == chunk_rows:
                    _put_lines(files, _chunk_key(record, chunks), batch)
                    chunks, batch = chunks + 1, []
            if batch:
                _put_lines(files, _chunk_key(record, chunks), batch)
                chunks += 1
        except UnreadableFile as unreadable:
            repo.set_import_status(
                record.tenant_id,
                record.import_id,
                expected=[ImportStatus.READING],
                status=ImportStatus.FAILED,
                at=now,
                fields={"error": unreadable.reason},
            )
            logger.warning("import file unreadable", extra={"import_id": record.import_id})
            return
    remembered = repo.get_import_mapping(record.tenant_id)
    if remembered is not None and set(remembered[0]) == set(table.headers):
        mapping: dict[str, Any] = remembered[1]
    else:
        mapping = suggest_mapping(table.headers).model_dump(mode="json")
    repo.file_first_read(record.tenant_id, sha256, now)
    repo.set_import_status(
        record.tenant_id,
        record.import_id,
        expected=[ImportStatus.READING],
        status=ImportStatus.READY,
        at=now,
        fields={
            "sha256": sha256,
            "headers": table.headers,
            "preview": preview,
            "total_rows": total,
            "chunk_count": chunks,
            "mapping": mapping,
        },
    )
    logger.info("import file read", extra={"import_id": record.import_id, "rows": total, "chunks": chunks})


# ------------------------------------------------------------------ worker: the dry run
class _Context:
    """What every row of a chunk is read against: the mapping, options, source, pools, staff, clock."""

    def __init__(self, repo: WorkPorts, files: Files, record: Import, now: datetime) -> None:
        if record.mapping is None or record.options is None or record.sha256 is None:
            raise ValueError(f"import {record.import_id} has no checked mapping")
        self.record = record
        self.mapping = ColumnMapping.model_validate(record.mapping)
        self.options = record.options
        source = repo.get_form_source(record.tenant_id, record.options.source_id)
        if source is None:
            raise NotFound(f"source {record.options.source_id} is gone")
        self.source: FormSource = source
        tenant = repo.get_tenant(record.tenant_id)
        self.tz = ZoneInfo(tenant.time_zone if tenant else DEFAULT_TIME_ZONE)
        self.first_read = repo.file_first_read(record.tenant_id, record.sha256, now)
        self.pools = {s.pool for s in repo.list_form_sources(record.tenant_id)}
        self.pools |= {r.scope.pool for r in repo.list_rules(record.tenant_id) if r.scope.pool}
        self._rotates: dict[str, bool] = {}
        self._repo = repo
        self.staff: StaffDirectory | None = None
        if self.options.mode is ImportMode.KEEP_OWNER:
            emails = json.loads(_read_all(files, _key(record, "staff-emails.json")) or b"{}")
            self.staff = StaffDirectory.of(repo.list_staff(record.tenant_id), emails)

    def read(self, raw: Mapping[str, Any]) -> RowValues | RowRejected:
        row = SheetRow(int(raw["row"]), tuple(raw["cells"]))
        return read_row(row, self.record.headers, self.mapping, self.tz)

    def pool(self, values: RowValues) -> str:
        return values.pool or self.source.pool

    def rotates(self, pool: str) -> bool:
        if pool not in self._rotates:
            settings = self._repo.get_pool_settings(self.record.tenant_id, pool, cached=True)
            self._rotates[pool] = settings.on_duplicate == "rotate"
        return self._rotates[pool]

    def lead_id(self, values: RowValues) -> str:
        at = values.received_at or self.first_read
        return row_lead_id(self.record.tenant_id, str(self.record.sha256), values.number, at)

    def row_source(self, values: RowValues) -> FormSource:
        """The source as this row overrides it: its pool, step and campaign over the defaults."""
        return self.source.model_copy(
            update={
                "pool": self.pool(values),
                "step": values.step or self.source.step,
                "steps": [],
                "campaign": values.campaign or self.source.campaign,
            }
        )


def _rejected(number: int, reasons: list[str], values: RowValues | None = None) -> Outcome:
    converted = bool(values and values.phone and values.phone.converted)
    return Outcome(row=number, outcome=RowOutcome.REJECTED, reasons=reasons, converted=converted)


def check_rows(
    repo: WorkPorts, context: _Context, rows: list[dict[str, Any]], done_before: set[int]
) -> list[Outcome]:
    """Each row's outcome if it were imported now (nothing written)."""
    read = [context.read(raw) for raw in rows]
    valid = [v for v in read if isinstance(v, RowValues)]
    ids = {v.number: context.lead_id(v) for v in valid}
    named = [v.lead_id for v in valid if v.lead_id]
    existing = repo.leads_by_id(context.record.tenant_id, [*ids.values(), *named])
    outcomes: list[Outcome] = []
    for values in read:
        if isinstance(values, RowRejected):
            outcomes.append(_rejected(values.number, problem_text(values.reasons)))
            continue
        outcomes.append(_check_row(repo, context, values, ids[values.number], existing, done_before))
    return outcomes


def _live(lead: Lead | None) -> bool:
    return lead is not None and lead.status is not LeadStatus.DELETED


def _check_row(
    repo: WorkPorts,
    context: _Context,
    values: RowValues,
    lead_id: str,
    existing: Mapping[str, Lead],
    done_before: set[int],
) -> Outcome:
    reasons: list[str] = []
    pool = context.pool(values)
    if pool not in context.pools:
        reasons.append("unknown_pool: not a data pool of this tenant's sources or rules")
    staff_id: str | None = None
    if context.staff is not None:
        if values.owner is None:
            reasons.append("missing_owner: keep_owner needs the row's owner")
        else:
            match = context.staff.match(values.owner)
            staff_id = match.staff_id
            if match.problem == "ambiguous_owner":
                reasons.append("ambiguous_owner: several active staff members match the owner")
            elif match.problem:
                reasons.append("unknown_owner: no active staff member has this id, e-mail or name")
    if reasons:
        return _rejected(values.number, reasons, values)
    request = values.request
    digests = [contact_digest(c) for c in contact_keys(request.phone, request.email)]
    converted = bool(values.phone and values.phone.converted)
    base = Outcome(
        row=values.number,
        outcome=RowOutcome.CREATED,
        lead_id=lead_id,
        converted=converted,
        contacts=digests,
        staff_id=staff_id,
        rotate=context.rotates(pool),
    )
    if lead_id in existing or values.number in done_before:
        base.outcome = RowOutcome.ALREADY_IMPORTED
        return base
    if values.lead_id and _live(existing.get(values.lead_id)):
        base.outcome, base.lead_id, base.named = RowOutcome.LINKED, values.lead_id, True
        return base
    claims = repo.contact_claims(context.record.tenant_id, contact_keys(request.phone, request.email))
    holders = repo.leads_by_id(context.record.tenant_id, sorted({c.lead_id for c in claims.values()}))
    holder = next((h for h in holders.values() if _live(h)), None)
    if holder is not None and not base.rotate:
        base.outcome, base.lead_id = RowOutcome.LINKED, holder.lead_id
        base.reasons = ["same phone or email as an existing lead"]
    elif holder is not None:
        base.reasons = ["created as a duplicate: the pool rotates duplicates"]
    return base


def check_chunk(
    repo: WorkPorts, files: Files, queue: ImportRequests, order: ImportOrder, now: datetime
) -> None:
    """One chunk's dry run: its outcomes written, its counts added once; the last one queues the report."""
    record = repo.get_import(order.tenant_id, order.import_id)
    if record is None or record.status is not ImportStatus.CHECKING or order.chunk is None:
        return
    n = order.chunk
    context = _Context(repo, files, record, now)
    done_before = {
        int(line["row"])
        for line in _lines_if_any(files, _file_rows_key(record, n))
        if line.get("outcome") != RowOutcome.REJECTED.value
    }
    outcomes = check_rows(repo, context, list(_lines(files, _chunk_key(record, n))), done_before)
    _put_lines(files, _outcome_key(record, "check", n), [o.line() for o in outcomes])
    repo.count_chunk(record.tenant_id, record.import_id, "checked", n, counts_of(outcomes) | {"chunks": 1})
    _after_chunk(repo, queue, record, "checked", "report")


def _after_chunk(repo: Imports, queue: ImportRequests, record: Import, stage: str, then: str) -> None:
    """The worker that sees every chunk counted queues the closing stage (twice is harmless)."""
    now_record = repo.get_import(record.tenant_id, record.import_id)
    if now_record is None:
        return
    counted: StageCounts = getattr(now_record, stage)
    if counted.chunks >= now_record.chunk_count:
        queue.queue_import([_next(record, then)])


def _report(
    repo: Imports,
    files: Files,
    record: Import,
    stage: str,
    name: str,
    expected: ImportStatus,
    status: ImportStatus,
    now: datetime,
) -> None:
    """Every chunk's outcomes in row order into the report file; the record's counts made exact."""
    key = _key(record, name)

    def outcomes() -> Iterator[Outcome]:
        for n in range(record.chunk_count):
            yield from (Outcome.of(line) for line in _lines(files, _outcome_key(record, stage, n)))

    with tempfile.TemporaryFile() as spool:
        report = Report(spool)
        rows = linked_within_file(outcomes()) if stage == "check" else outcomes()
        for outcome in rows:
            report.add(outcome)
        report.close()
        spool.seek(0)
        files.put(key, spool, content_type=_CSV)
    counts_field = "checked" if stage == "check" else "imported"
    repo.set_import_status(
        record.tenant_id,
        record.import_id,
        expected=[expected],
        status=status,
        at=now,
        fields={
            counts_field: report.counts(record.chunk_count).model_dump(),
            "problems": [p.model_dump() for p in report.problems],
            "report_key": key,
        },
    )


def report_check(repo: Imports, files: Files, order: ImportOrder, now: datetime) -> None:
    record = repo.get_import(order.tenant_id, order.import_id)
    if record is None or record.status is not ImportStatus.CHECKING:
        return
    _report(
        repo, files, record, "check", "check-report.csv", ImportStatus.CHECKING, ImportStatus.CHECKED, now
    )


# ------------------------------------------------------------------ worker: the import
class Pace:
    """At most ``per_second`` rows a second (0: no limit), measured on a monotonic clock."""

    def __init__(
        self,
        per_second: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._gap = 1 / per_second if per_second > 0 else 0.0
        self._clock, self._sleep = clock, sleep
        self._next = clock()

    def wait(self) -> None:
        if not self._gap:
            return
        now = self._clock()
        if now < self._next:
            self._sleep(self._next - now)
        self._next = max(now, self._next) + self._gap


def _keep_owner(
    repo: WorkPorts,
    caller: Caller,
    lead_id: str,
    staff_id: str,
    count: bool,
    now: datetime,
    attempts: int = 3,
) -> None:
    """Give the created lead to the staff member its row named (a manual assignment by the importer).

    Not counting towards caps, the assignment is dated at the lead's receipt (daily caps count today's
    assignments); its idle clock starts now either way. Open-lead caps count what a member holds.
    """
    lead = repo.get_lead(caller.tenant_id, lead_id)
    if lead is None or lead.owner == staff_id or lead.status is LeadStatus.DELETED:
        return
    decision = Decision(
        at=now,
        action="manual",
        staff_id=staff_id,
        previous_owner=lead.owner,
        by=caller.label,
        reason="import",
    )
    after = changed(
        lead,
        status=LeadStatus.ASSIGNED,
        owner=staff_id,
        assignees=[staff_id],
        assigned_at=now if count else lead.received_at,
        idle_since=now,
        held_by=lead.held_by + [staff_id] * (staff_id not in lead.held_by),
        decisions=[*lead.decisions, decision],
    )
    event = LeadEvent(at=now, kind="manual_assign", by=caller.label, data={"staff": staff_id})
    try:
        repo.save_lead(lead, after, event)
    except Conflict:  # the rules assigned it meanwhile: read it again and give it to the named owner
        if attempts <= 1:
            raise
        _keep_owner(repo, caller, lead_id, staff_id, count, now, attempts - 1)


def _import_row(
    repo: WorkPorts, context: _Context, checked: Outcome, raw: Mapping[str, Any], now: datetime
) -> Outcome:
    if checked.outcome in (RowOutcome.REJECTED, RowOutcome.ALREADY_IMPORTED) or checked.named:
        return checked
    values = context.read(raw)
    if isinstance(values, RowRejected):  # not expected: the row read the same in the dry run
        return _rejected(values.number, problem_text(values.reasons))
    result = submit_lead(
        repo,
        context.row_source(values),
        values.request,
        values.received_at or context.first_read,
        lead_id=context.lead_id(values),
        repeat=True,
    )
    done = Outcome(
        row=values.number,
        outcome=RowOutcome.LINKED if result.linked else RowOutcome.CREATED,
        lead_id=result.lead_id,
        converted=checked.converted,
        contacts=checked.contacts,
        staff_id=checked.staff_id,
    )
    if result.linked:
        done.reasons = ["same phone or email as an existing lead"]
    elif checked.staff_id is not None:
        caps = context.options.count_towards_caps
        _keep_owner(repo, context.record.requested_by, result.lead_id, checked.staff_id, caps, now)
    return done


def import_chunk(
    repo: WorkPorts,
    files: Files,
    queue: ImportRequests,
    order: ImportOrder,
    now: Callable[[], datetime],
    rows_per_second: float,
) -> None:
    """One chunk's rows through intake; its counts added once; the last one queues the final report.

    Cancelled (checked before the chunk and every ``CANCEL_CHECK_ROWS`` rows), the worker stops without
    counting the chunk: resuming queues it again, and its rows already made are found, not made again.
    """
    record = repo.get_import(order.tenant_id, order.import_id)
    if record is None or record.status is not ImportStatus.IMPORTING or order.chunk is None:
        return
    n = order.chunk
    if n in repo.counted_chunks(record.tenant_id, record.import_id, "imported"):
        _after_chunk(repo, queue, record, "imported", "finish")  # a redelivery: nothing more to do
        return
    context = _Context(repo, files, record, now())
    checked = {
        o.row: o for o in (Outcome.of(line) for line in _lines(files, _outcome_key(record, "check", n)))
    }
    pace = Pace(rows_per_second)
    outcomes: list[Outcome] = []
    for i, raw in enumerate(_lines(files, _chunk_key(record, n))):
        if i and i % CANCEL_CHECK_ROWS == 0 and not _still_importing(repo, record):
            logger.info("import cancelled; chunk left", extra={"import_id": record.import_id, "chunk": n})
            return
        outcome = checked[int(raw["row"])]
        if outcome.outcome not in (RowOutcome.REJECTED, RowOutcome.ALREADY_IMPORTED) and not outcome.named:
            pace.wait()
        outcomes.append(_import_row(repo, context, outcome, raw, now()))
    lines = [o.line() for o in outcomes]
    _put_lines(files, _outcome_key(record, "rows", n), lines)
    _put_lines(files, _file_rows_key(record, n), lines)
    counts = counts_of(outcomes) | {"chunks": 1}
    repo.count_chunk(record.tenant_id, record.import_id, "imported", n, counts)
    _after_chunk(repo, queue, record, "imported", "finish")


def _still_importing(repo: Imports, record: Import) -> bool:
    found = repo.get_import(record.tenant_id, record.import_id)
    return found is not None and found.status is ImportStatus.IMPORTING


def finish_import(repo: Imports, files: Files, order: ImportOrder, now: datetime) -> None:
    record = repo.get_import(order.tenant_id, order.import_id)
    if record is None or record.status is not ImportStatus.IMPORTING:
        return
    _report(repo, files, record, "rows", "import-report.csv", ImportStatus.IMPORTING, ImportStatus.DONE, now)
    logger.info("import done", extra={"import_id": record.import_id})


# ------------------------------------------------------------------ worker: one message
def handle_message(
    repo: WorkPorts,
    files: Files,
    queue: ImportRequests,
    body: str,
    now: Callable[[], datetime],
    *,
    chunk_rows: int,
    rows_per_second: float,
) -> None:
    """One ImportQueue message: its stage run. A body that is not an order is dropped (logged)."""
    try:
        order = ImportOrder.model_validate_json(body)
    except ValidationError:
        logger.error("import message unreadable; dropped")
        return
    if order.stage == "split":
        split_file(repo, files, queue, order, now(), chunk_rows)
    elif order.stage == "check":
        check_chunk(repo, files, queue, order, now())
    elif order.stage == "report":
        report_check(repo, files, order, now())
    elif order.stage == "rows":
        import_chunk(repo, files, queue, order, now, rows_per_second)
    else:
        finish_import(repo, files, order, now())
