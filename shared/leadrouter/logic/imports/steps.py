"""The customer-list import's steps an admin takes through the API (admins only): upload the file, have
it read, dry-run it with a mapping, import it, cancel and resume it, and follow it.

Each step after the upload is a stage order queued for the import worker (``orders``); the record says
how far the stages went.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import PurePosixPath
from typing import Any, Protocol

from leadrouter.data.webhook_queue import QueueError
from leadrouter.domain.errors import Conflict, InvalidInput, NotAllowed, NotFound, Unavailable
from leadrouter.domain.files import Files, Upload
from leadrouter.domain.ids import new_id
from leadrouter.domain.imports import (
    EXTENSIONS,
    MAX_UPLOAD_BYTES,
    Import,
    ImportMode,
    ImportOptions,
    ImportOrder,
    ImportStatus,
    StageCounts,
    is_list_file_name,
)
from leadrouter.domain.users import Caller
from leadrouter.logic.imports import store
from leadrouter.logic.imports.columns import ColumnMapping, LeadField
from leadrouter.logic.imports.orders import ImportRequests, next_order, orders
from leadrouter.logic.imports.outcomes import email_digest
from leadrouter.logic.ports import Imports, Sources
from leadrouter.observability import logger

#: Only admins import (a list may hold every customer of the tenant).
IMPORTER_ROLES = ("admin",)
#: How long a signed upload and a report link work.
UPLOAD_SECONDS = 60 * 60
LINK_SECONDS = 15 * 60


class ImportPorts(Imports, Sources, Protocol):
    """The record, and the tenant's sources (the defaults an import names)."""


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
    if not is_list_file_name(file_name):
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
    upload = files.upload(store.upload_key(record), max_bytes=MAX_UPLOAD_BYTES, expires_in=UPLOAD_SECONDS)
    repo.put_import(record)
    return record, upload


def _queue(repo: Imports, queue: ImportRequests, record: Import, orders: Sequence[ImportOrder]) -> None:
    try:
        queue.queue_import(orders)
    except QueueError as error:
        logger.error("import not queued", extra={"import_id": record.import_id, "error": str(error)})
        raise Unavailable("the import could not be queued: try again") from error


def mark_uploaded(
    repo: Imports, files: Files, queue: ImportRequests, caller: Caller, import_id: str, now: datetime
) -> Import:
    """The browser says the file is up: check it is, and queue its one read."""
    record = get_import(repo, caller, import_id)
    if record.status is not ImportStatus.AWAITING_UPLOAD:
        raise Conflict(f"import {import_id} is {record.status.value}, not awaiting its upload")
    size = files.size(store.upload_key(record))
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
    _queue(repo, queue, record, [next_order(record, "split")])
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
        files.put(store.key(record, "staff-emails.json"), spool, content_type="application/json")
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
    chunks = orders(record, "check", range(record.chunk_count)) or [next_order(record, "report")]
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
        repo,
        queue,
        record,
        orders(record, "rows", range(record.chunk_count)) or [next_order(record, "finish")],
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
    _queue(repo, queue, record, orders(record, "rows", left) or [next_order(record, "finish")])
    return get_import(repo, caller, import_id)
