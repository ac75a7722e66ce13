"""A chunk's rows as the dry run and the import read them: the context every row is read against (the
checked mapping and options, the source, the pools, the staff, the tenant's time zone), and a rejected
row's outcome.

Rows carry no date of their own unless a column is mapped to received_at; without one, every row's
lead is received at the time the file (by content) was first read, so all imports of it agree.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from leadrouter.domain.errors import NotFound
from leadrouter.domain.files import Files
from leadrouter.domain.forms import FormSource
from leadrouter.domain.imports import Import, ImportMode, RowOutcome
from leadrouter.domain.tenants import Tenant
from leadrouter.domain.zones import DEFAULT_TIME_ZONE
from leadrouter.logic.imports import store
from leadrouter.logic.imports.columns import ColumnMapping
from leadrouter.logic.imports.lead_rows import RowRejected, RowValues, read_row
from leadrouter.logic.imports.outcomes import Outcome, StaffDirectory, row_lead_id
from leadrouter.logic.imports.reading import SheetRow
from leadrouter.logic.intake.new_leads import NewLeadPorts
from leadrouter.logic.leads.reading import ReadPorts
from leadrouter.logic.ports import Imports, Rules, Sources, Suppressions
from leadrouter.logic.privacy.calling import CallCheckPorts


class WorkPorts(Imports, Sources, Rules, NewLeadPorts, ReadPorts, Suppressions, CallCheckPorts, Protocol):
    """The record, the source and pools, the staff, intake's lead writes (the tenant with them), the
    suppression list, and the call lists a kept owner's decision is checked against."""


class Context:
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
        #: Its settings item (None: the defaults): time zone, calling hours.
        self.tenant: Tenant | None = tenant
        self.tz = ZoneInfo(tenant.time_zone if tenant else DEFAULT_TIME_ZONE)
        self.first_read = repo.file_first_read(record.tenant_id, record.sha256, now)
        self.pools = {s.pool for s in repo.list_form_sources(record.tenant_id)}
        self.pools |= {r.scope.pool for r in repo.list_rules(record.tenant_id) if r.scope.pool}
        self._rotates: dict[str, bool] = {}
        self._repo = repo
        self.staff: StaffDirectory | None = None
        if self.options.mode is ImportMode.KEEP_OWNER:
            emails = json.loads(store.read_all(files, store.key(record, "staff-emails.json")) or b"{}")
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


def rejected(number: int, reasons: list[str], values: RowValues | None = None) -> Outcome:
    converted = bool(values and values.phone and values.phone.converted)
    return Outcome(row=number, outcome=RowOutcome.REJECTED, reasons=reasons, converted=converted)
