"""A lead export: who asked for which leads, in which file, and how it went (the audit of exports).

An export is requested through the API, recorded at once (``queued``) and made in the background by
the export worker, which writes the file to the tenant's files and the outcome (rows, file) to the
record. The record is kept: it answers "who exported what, when, how many rows".
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import Field

from leadrouter.domain.attribution import UtmValue
from leadrouter.domain.base import Ident, Label, Moment, PlausibleMoment, _Model
from leadrouter.domain.leads import LeadStatus
from leadrouter.domain.users import Caller


class ExportFormat(StrEnum):
    XLSX = "xlsx"
    CSV = "csv"


#: The language of the headers, status labels and history summary (Vietnamese by default).
ExportLanguage = Literal["vi", "en"]


class ExportStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class LeadFilters(_Model):
    """The console's lead filters, as ``GET /leads`` takes them (all optional, combined with AND)."""

    pool: Label | None = None
    step: Label | None = None
    campaign: Label | None = None
    source: Ident | None = Field(default=None, description="the form source it came through (source_id)")
    status: LeadStatus | None = None
    assignee: Ident | None = Field(default=None, description="owner staff id")
    utm_source: UtmValue | None = Field(default=None, description="the first touch's utm_source, exactly")
    utm_campaign: UtmValue | None = Field(default=None, description="the first touch's utm_campaign, exactly")
    received_from: PlausibleMoment | None = None
    received_to: PlausibleMoment | None = None

    def listing(self) -> dict[str, str]:
        """The filters as ``list_leads`` takes them (``assignee`` is the ``owner`` filter there)."""
        named = self.model_dump(mode="json", exclude_none=True, exclude={"received_from", "received_to"})
        if "assignee" in named:
            named["owner"] = named.pop("assignee")
        return {k: str(v) for k, v in named.items()}


class ExportRequest(LeadFilters):
    """What the console asks for: its current filters, the file format and the language."""

    format: ExportFormat = ExportFormat.XLSX
    language: ExportLanguage = "vi"

    @property
    def filters(self) -> LeadFilters:
        return LeadFilters.model_validate(self.model_dump(exclude={"format", "language"}))


class Export(_Model):
    """One export and its outcome; ``requested_by`` is the caller as authenticated (never the body)."""

    export_id: Ident
    tenant_id: Ident
    requested_by: Caller
    requested_at: Moment
    filters: LeadFilters = Field(default_factory=LeadFilters)
    format: ExportFormat
    language: ExportLanguage = "vi"
    status: ExportStatus = ExportStatus.QUEUED
    #: How many leads the file holds (set when done).
    rows: int | None = None
    #: Where the file is in the tenant's files (``domain.files.tenant_key``), set when done.
    file_key: str | None = None
    started_at: Moment | None = None
    finished_at: Moment | None = None
    #: Why it failed: the kind of error, never a cell value.
    error: str | None = None


class ExportOrder(_Model):
    """The export queue's message: ids only (the record holds the rest, the file holds the data)."""

    tenant_id: Ident
    export_id: Ident
