"""Customer-list imports (admins): upload a file, map its columns, dry-run it, import it, follow it.

Every step after the upload runs in the background (ImportQueue → the import worker); the record
(``GET /imports/{import_id}``) shows the stage, the counts and the first problems, and a 15-minute
link to the last report (the dry run's, then the import's).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query
from pydantic import BaseModel, Field

from leadrouter.api.context import PathIdent, caller_of, now
from leadrouter.api.contract import answers
from leadrouter.domain.errors import Unavailable
from leadrouter.domain.imports import (
    LIST_FILE_NAME,
    MAX_UPLOAD_BYTES,
    FileName,
    Import,
    ImportMode,
    ImportOptions,
)
from leadrouter.logic.imports import steps
from leadrouter.logic.imports.columns import ColumnMapping
from leadrouter.runtime import files, identity, import_queue, repository

router = Router()

_NO_IMPORT = "no such import in the caller's tenant"
_WRONG_STAGE = "the import is not at the stage this step needs (the message says which it is)"


class NewImport(BaseModel):
    file_name: FileName = Field(
        description="the file's name as the user picked it: .xlsx, .csv, .txt or .tsv",
        json_schema_extra={"pattern": LIST_FILE_NAME},
    )
    size: int = Field(ge=1, le=MAX_UPLOAD_BYTES, description="the file's size in bytes")


class UploadForm(BaseModel):
    """A signed form upload: POST ``fields`` and then the file (as field ``file``) to ``url``."""

    url: str
    fields: dict[str, str]
    expires_at: datetime | None
    max_bytes: int


class ImportCreated(BaseModel):
    record: Import
    upload: UploadForm


class CheckRequest(BaseModel):
    mapping: ColumnMapping
    options: ImportOptions


class ImportDetail(BaseModel):
    record: Import
    report_url: str | None = Field(
        default=None,
        description=f"the last report (dry run, then import) as CSV, valid {steps.LINK_SECONDS // 60} "
        "minutes (ask again for a fresh one); null before the first report",
    )


class ImportPage(BaseModel):
    items: list[Import]


class RememberedMapping(BaseModel):
    headers: list[str] = Field(default_factory=list, description="the headers the mapping was made for")
    mapping: dict[str, Any] | None = Field(default=None, description="a ColumnMapping; null if none yet")


def _accepted(record: Import) -> Response[Import]:
    return Response(status_code=202, content_type=content_types.APPLICATION_JSON, body=record)


@router.post(
    "/imports",
    summary="Start an import: the record and a signed upload of the file (admins)",
    description=(
        "Records the import (`awaiting_upload`) and answers a signed form upload: the browser POSTs "
        "`upload.fields` and then the file (field `file`) to `upload.url`, then calls "
        f"`POST /imports/{{import_id}}/uploaded`. At most {MAX_UPLOAD_BYTES // 1024**2} MB; "
        ".xlsx, .csv, .txt or .tsv (422 otherwise, nothing recorded)."
    ),
    responses=answers("the import and its upload", status=201),
    tags=["imports"],
)
def create_import(body: NewImport) -> Response[ImportCreated]:
    caller = caller_of(router, "admin")
    record, upload = steps.create_import(repository(), files(), caller, body.file_name, body.size, now())
    form = UploadForm(
        url=upload.url, fields=upload.fields, expires_at=upload.expires_at, max_bytes=upload.max_bytes
    )
    return Response(
        status_code=201,
        content_type=content_types.APPLICATION_JSON,
        body=ImportCreated(record=record, upload=form),
    )


@router.get(
    "/imports",
    summary="The tenant's imports, newest first (admins)",
    tags=["imports"],
)
def list_imports(limit: Annotated[int, Query(ge=1, le=100)] = 50) -> ImportPage:
    caller = caller_of(router, "admin")
    return ImportPage(items=steps.list_imports(repository(), caller, limit))


@router.get(
    "/imports/mapping",
    summary="The tenant's remembered column mapping (admins)",
    tags=["imports"],
)
def remembered_mapping() -> RememberedMapping:
    caller = caller_of(router, "admin")
    found = steps.remembered_mapping(repository(), caller)
    return RememberedMapping(headers=found[0], mapping=found[1]) if found else RememberedMapping()


@router.get(
    "/imports/<import_id>",
    summary="One import: its stage, counts, first problems and a link to its last report (admins)",
    responses=answers("the import", not_found=_NO_IMPORT),
    tags=["imports"],
)
def get_import(import_id: PathIdent) -> ImportDetail:
    caller = caller_of(router, "admin")
    record = steps.get_import(repository(), caller, import_id)
    url = steps.report_link(files(), record) if record.report_key else None
    return ImportDetail(record=record, report_url=url)


@router.post(
    "/imports/<import_id>/uploaded",
    summary="The file is uploaded: read it once into chunks, in the background (admins)",
    description="409 if the file has not arrived or the import is past this step. Follow the record until "
    "`ready` (headers, preview, suggested mapping) or `failed` (`error` says why).",
    responses=answers("the import, reading", status=202, not_found=_NO_IMPORT, conflict=_WRONG_STAGE),
    tags=["imports"],
)
def mark_uploaded(import_id: PathIdent) -> Response[Import]:
    caller = caller_of(router, "admin")
    repo = repository()
    steps.get_import(repo, caller, import_id)  # a 404 before the file store is asked
    return _accepted(steps.mark_uploaded(repo, files(), import_queue(), caller, import_id, now()))


@router.post(
    "/imports/<import_id>/check",
    summary="Dry-run the import with this mapping and these options (admins)",
    description="Each row's outcome, nothing written: created, linked, rejected (with reasons) or "
    "already_imported. The mapping is remembered for the tenant. 422 for a mapping without phone or "
    "email, a column the file does not have, an unknown source, or keep_owner without an owner column. "
    "Follow the record until `checked`; `report_url` is the dry run's CSV.",
    responses=answers("the import, checking", status=202, not_found=_NO_IMPORT, conflict=_WRONG_STAGE),
    tags=["imports"],
)
def check_import(import_id: PathIdent, body: CheckRequest) -> Response[Import]:
    caller = caller_of(router, "admin")
    repo = repository()
    steps.get_import(repo, caller, import_id)  # a 404 before the user pool and the file store are asked
    emails: dict[str, str] = {}
    if body.options.mode is ImportMode.KEEP_OWNER:  # owners may be named by their user's e-mail
        try:
            users = identity().list_users(caller.tenant_id)
            emails = {u.email: u.staff_id for u in users if u.staff_id}
        except Unavailable:  # no user pool here: owners are matched by staff id and name only
            pass
    record = steps.request_check(
        repo, files(), import_queue(), caller, import_id, body.mapping, body.options, emails, now()
    )
    return _accepted(record)


@router.post(
    "/imports/<import_id>/start",
    summary="Import the checked file (admins)",
    description="Only from `checked`, with the checked mapping and options. Follow `imported` counts "
    "against `total_rows` until `done`; `report_url` then is the import's CSV.",
    responses=answers("the import, importing", status=202, not_found=_NO_IMPORT, conflict=_WRONG_STAGE),
    tags=["imports"],
)
def start_import(import_id: PathIdent) -> Response[Import]:
    caller = caller_of(router, "admin")
    return _accepted(steps.start_import(repository(), import_queue(), caller, import_id, now()))


@router.post(
    "/imports/<import_id>/cancel",
    summary="Stop an import that is running (admins)",
    responses=answers("the import, cancelled", not_found=_NO_IMPORT, conflict=_WRONG_STAGE),
    tags=["imports"],
)
def cancel_import(import_id: PathIdent) -> Import:
    caller = caller_of(router, "admin")
    return steps.cancel_import(repository(), caller, import_id, now())


@router.post(
    "/imports/<import_id>/resume",
    summary="Go on with a cancelled import: its chunks not done are queued again (admins)",
    responses=answers("the import, importing", status=202, not_found=_NO_IMPORT, conflict=_WRONG_STAGE),
    tags=["imports"],
)
def resume_import(import_id: PathIdent) -> Response[Import]:
    caller = caller_of(router, "admin")
    return _accepted(steps.resume_import(repository(), import_queue(), caller, import_id, now()))
