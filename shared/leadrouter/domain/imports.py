"""A customer-list import: who uploaded which file, how it maps to leads, and how far each stage went.

An import moves through stages, each started by an admin and run in the background by the import
worker, chunk by chunk: the upload (``awaiting_upload``), one read of the file into chunks
(``reading`` → ``ready``), the dry run (``checking`` → ``checked``: each row's outcome, no lead
written), and the import itself (``importing`` → ``done``; ``cancelled`` and resumed in between).
The record is one item; the rows live in the tenant's files (``imports/<tenant>/<import id>/…``).
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import Field

from leadrouter.domain.base import Ident, Moment, _Model
from leadrouter.domain.users import Caller

#: The largest file an upload may be (the signed upload's policy refuses a larger one).
MAX_UPLOAD_BYTES = 200 * 1024**2
#: The extensions a customer list may have (what ``logic.imports.reading`` reads).
EXTENSIONS = (".xlsx", ".csv", ".txt", ".tsv")
#: A file name with one of them, in any case, after a name that is not empty (``.csv`` alone is a hidden
#: file with no extension); the spec states it, and ``is_list_file_name`` checks the same expression.
LIST_FILE_NAME = r"^(?:.*[/\\])?[^/\\]+\.(?:[Xx][Ll][Ss][Xx]|[Cc][Ss][Vv]|[Tt][Xx][Tt]|[Tt][Ss][Vv])$"


def is_list_file_name(name: str) -> bool:
    return re.fullmatch(LIST_FILE_NAME, name) is not None


#: The reason of the manual decision by which an import keeps a lead with its owner from another CRM:
#: the lead never waited here, so speed-to-lead does not measure it.
KEPT_OWNER_REASON = "import"
#: Problems kept on the record for the screen (the report file has them all).
KEPT_PROBLEMS = 100
#: Rows shown before the admin maps the columns.
PREVIEW_ROWS = 5

FileName = Annotated[str, Field(min_length=1, max_length=255)]


class ImportMode(StrEnum):
    #: The leads enter pending and the rules assign them (pool, step, campaign as mapped).
    ROTATION = "rotation"
    #: Each lead keeps the owner its row names (a migration from another CRM).
    KEEP_OWNER = "keep_owner"


class ImportOptions(_Model):
    """What the admin chose for this import."""

    #: The tenant's source whose pool, step and campaign are the defaults, and the leads' source.
    source_id: Ident
    mode: ImportMode = ImportMode.ROTATION
    #: keep_owner: whether the kept leads count as today's assignments towards daily caps and fairness.
    count_towards_caps: bool = False


class ImportStatus(StrEnum):
    AWAITING_UPLOAD = "awaiting_upload"
    READING = "reading"
    READY = "ready"
    CHECKING = "checking"
    CHECKED = "checked"
    IMPORTING = "importing"
    CANCELLED = "cancelled"
    DONE = "done"
    FAILED = "failed"


class RowOutcome(StrEnum):
    CREATED = "created"
    #: Linked to an existing lead (intake's duplicate rule), or to an earlier row of the same file.
    LINKED = "linked"
    REJECTED = "rejected"
    #: This file's row was imported before (its lead exists, or its link was made).
    ALREADY_IMPORTED = "already_imported"


class StageCounts(_Model):
    """A stage's progress: chunks and rows done, and the rows by outcome."""

    chunks: int = 0
    rows: int = 0
    created: int = 0
    linked: int = 0
    rejected: int = 0
    already_imported: int = 0
    #: Rows whose old 11-digit mobile number was converted.
    converted: int = 0


class RowProblem(_Model):
    """A rejected row: its number as Excel shows it and why (the column, never the cell's value)."""

    row: int
    reasons: list[str]


class Import(_Model):
    """One import and its progress; ``requested_by`` is the caller as authenticated."""

    import_id: Ident
    tenant_id: Ident
    requested_by: Caller
    requested_at: Moment
    file_name: FileName
    #: As declared when the upload was signed (then as stored).
    size: int = Field(ge=1)
    status: ImportStatus = ImportStatus.AWAITING_UPLOAD
    sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")
    headers: list[str] = Field(default_factory=list)
    #: The first rows as read (text), for the mapping screen.
    preview: list[list[str | None]] = Field(default_factory=list)
    total_rows: int = 0
    chunk_count: int = 0
    #: The suggested mapping (after reading), then the one the dry run checked: a ``ColumnMapping``
    #: (``{"columns": {header: field}, "attributes": {header: name}}``).
    mapping: dict[str, Any] | None = None
    options: ImportOptions | None = None
    checked: StageCounts = Field(default_factory=StageCounts)
    imported: StageCounts = Field(default_factory=StageCounts)
    #: The first rejected rows of the last finished stage (the report file has every row).
    problems: list[RowProblem] = Field(default_factory=list)
    #: The last finished stage's report (``check-report.csv``, then ``import-report.csv``).
    report_key: str | None = None
    #: Why it failed: what the admin can do about the file, never a cell value.
    error: str | None = None
    updated_at: Moment | None = None


ImportStage = Literal["split", "check", "report", "rows", "finish"]


class ImportOrder(_Model):
    """The import queue's message: which stage of which import, and for a chunk stage which chunk."""

    tenant_id: Ident
    import_id: Ident
    stage: ImportStage
    chunk: int | None = Field(default=None, ge=0)
