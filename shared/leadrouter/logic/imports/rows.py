"""The ``rows`` stage (one per chunk), the import itself, paced so live intake keeps its share.

Each row not rejected nor already imported goes through intake's own ``submit_lead``, with a lead id
derived from the file and the row (``outcomes.row_lead_id``) and ``repeat=True``: a retried,
redelivered or resumed chunk creates nothing twice. keep_owner then assigns the lead to the matched
staff. Counts added once per chunk (a marker in the same transaction); the last chunk queues ``finish``.

Load on DynamoDB. A tenant's leads share one partition key (``tenant_id``), and so do its contact
claims (``TENANT#<id>`` in the config table); a partition key takes at most 1,000 WCU/s. A created
lead costs about 4 WRU (its item with index entries, and its claims: ``test_lead_cost_on_ddb_local``).
The import worker runs at most ``MaximumConcurrency: 2`` chunks at once (template.yaml) and each chunk
paces itself to ``import_rows_per_second`` (60 by default): 2 × 60 rows/s × 4 WRU ≈ 480 WCU/s, under
half a partition's 1,000, which leaves the other ≈ 520 WCU/s (≈ 130 form leads a second) to live
intake. A 1,000,000-row file: 2,000 chunks of 500 rows, at 120 rows/s ≈ 8,300 s ≈ 2 h 20 min.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

from leadrouter.domain.errors import Conflict
from leadrouter.domain.files import Files
from leadrouter.domain.imports import KEPT_OWNER_REASON, Import, ImportOrder, ImportStatus, RowOutcome
from leadrouter.domain.leads import LeadEvent, LeadStatus
from leadrouter.logic.imports import store
from leadrouter.logic.imports.context import Context, WorkPorts, rejected
from leadrouter.logic.imports.lead_rows import RowRejected
from leadrouter.logic.imports.orders import ImportRequests, after_chunk
from leadrouter.logic.imports.outcomes import Outcome, counts_of, problem_text
from leadrouter.logic.intake.new_leads import submit_lead
from leadrouter.logic.leads.assignment import manual_decision
from leadrouter.logic.ports import Imports
from leadrouter.logic.validation import changed
from leadrouter.observability import logger

#: A chunk worker looks at the record (cancelled?) before its chunk and every this many rows.
CANCEL_CHECK_ROWS = 100
#: How far before the import an owner kept without counting is dated at the latest (a day: before the
#: start of any member's day, whatever its time zone).
UNCOUNTED_AGE = timedelta(days=1)
#: Rows written at once within a chunk: one row is about 3 calls in a row (claims, the lead, its
#: history), so a single writer does 35–60 rows/s and could not keep the pace; the pace, not the number
#: of writers, bounds the load on the tenant's partition.
WRITERS = 8


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
    context: Context,
    lead_id: str,
    staff_id: str,
    now: datetime,
    attempts: int = 3,
) -> None:
    """Give the created lead to the staff member its row named (a manual assignment by the importer,
    saying whether they may call it, as any manual one).

    Not counting towards caps, the assignment is dated at the lead's receipt, and at the latest a day
    before the import (``UNCOUNTED_AGE``): daily caps count the assignments made since the start of the
    member's day, and an undated row is received on the day it is imported. The decision keeps the true
    time, and the idle clock starts now either way. Open-lead caps count what a member holds.
    """
    caller, count = context.record.requested_by, context.options.count_towards_caps
    lead = repo.get_lead(caller.tenant_id, lead_id)
    if lead is None or lead.owner == staff_id or lead.status is LeadStatus.DELETED:
        return
    decision = manual_decision(
        repo, lead, staff_id, caller.label, context.tenant, now, reason=KEPT_OWNER_REASON
    )
    after = changed(
        lead,
        status=LeadStatus.ASSIGNED,
        owner=staff_id,
        assignees=[staff_id],
        assigned_at=now if count else min(lead.received_at, now - UNCOUNTED_AGE),
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
        _keep_owner(repo, context, lead_id, staff_id, now, attempts - 1)


def _import_row(
    repo: WorkPorts, context: Context, checked: Outcome, raw: Mapping[str, Any], now: datetime
) -> Outcome:
    if not _writes(checked):
        return checked
    values = context.read(raw)
    if isinstance(values, RowRejected):  # not expected: the row read the same in the dry run
        return rejected(values.number, problem_text(values.reasons))
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
        _keep_owner(repo, context, result.lead_id, checked.staff_id, now)
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
        after_chunk(repo, queue, record, "imported", "finish")  # a redelivery: nothing more to do
        return
    context = Context(repo, files, record, now())
    checked = {
        o.row: o
        for o in (Outcome.of(line) for line in store.lines(files, store.outcome_key(record, "check", n)))
    }
    pace = Pace(rows_per_second)
    raws = list(store.lines(files, store.chunk_key(record, n)))
    outcomes: list[Outcome] = []
    with ThreadPoolExecutor(max_workers=WRITERS) as writers:
        for start in range(0, len(raws), CANCEL_CHECK_ROWS):
            if start and not _still_importing(repo, record):
                logger.info("import cancelled; chunk left", extra={"import_id": record.import_id, "chunk": n})
                return
            running = []
            for raw in raws[start : start + CANCEL_CHECK_ROWS]:
                outcome = checked[int(raw["row"])]
                if (
                    outcome.outcome not in (RowOutcome.REJECTED, RowOutcome.ALREADY_IMPORTED)
                    and not outcome.named
                ):
                    pace.wait()
                running.append(writers.submit(_import_row, repo, context, outcome, raw, now()))
            outcomes += [row.result() for row in running]  # in row order; a failed row fails the chunk
    lines = [o.line() for o in outcomes]
    store.put_lines(files, store.outcome_key(record, "rows", n), lines)
    store.put_lines(files, store.file_rows_key(record, n), lines)
    counts = counts_of(outcomes) | {"chunks": 1}
    repo.count_chunk(record.tenant_id, record.import_id, "imported", n, counts)
    after_chunk(repo, queue, record, "imported", "finish")


def _writes(checked: Outcome) -> bool:
    """Whether the dry run's verdict leaves the row a write to make (paced)."""
    return checked.outcome not in (RowOutcome.REJECTED, RowOutcome.ALREADY_IMPORTED) and not checked.named


def _still_importing(repo: Imports, record: Import) -> bool:
    found = repo.get_import(record.tenant_id, record.import_id)
    return found is not None and found.status is ImportStatus.IMPORTING
