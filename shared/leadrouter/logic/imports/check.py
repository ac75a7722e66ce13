"""The ``check`` stage (one per chunk), the dry run: each row's outcome, nothing written to leads.

Rejected (with reasons; a contact on the erasure suppression list too, ``logic.privacy.suppression``),
created, linked (intake's duplicate rule on the contacts' claims), already_imported (its lead exists,
or an earlier import of this file linked it). Written to
``check/<n>.jsonl``; its counts added once. The ``report`` stage then lists them (``reports``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from leadrouter.domain.contacts import contact_keys
from leadrouter.domain.files import Files
from leadrouter.domain.imports import ImportOrder, ImportStatus, RowOutcome
from leadrouter.domain.leads import Lead, LeadStatus
from leadrouter.logic.imports import store
from leadrouter.logic.imports.context import Context, WorkPorts, rejected
from leadrouter.logic.imports.lead_rows import RowRejected, RowValues
from leadrouter.logic.imports.orders import ImportRequests, after_chunk
from leadrouter.logic.imports.outcomes import Outcome, contact_digest, counts_of, problem_text
from leadrouter.logic.privacy.suppression import SUPPRESSED_REASON, still_suppressed


def check_rows(
    repo: WorkPorts, context: Context, rows: list[dict[str, Any]], done_before: set[int]
) -> list[Outcome]:
    """Each row's outcome if it were imported now (nothing written)."""
    read = [context.read(raw) for raw in rows]
    valid = [v for v in read if isinstance(v, RowValues)]
    ids = {v.number: context.lead_id(v) for v in valid}
    named = [v.lead_id for v in valid if v.lead_id]
    existing = repo.leads_by_id(context.record.tenant_id, [*ids.values(), *named])
    contacts = [c for v in valid for c in contact_keys(v.request.phone, v.request.email)]
    suppressed = still_suppressed(repo, context.record.tenant_id, contacts)
    outcomes: list[Outcome] = []
    for values in read:
        if isinstance(values, RowRejected):
            outcomes.append(rejected(values.number, problem_text(values.reasons)))
            continue
        if suppressed & set(contact_keys(values.request.phone, values.request.email)):
            outcomes.append(rejected(values.number, [SUPPRESSED_REASON], values))
            continue
        outcomes.append(_check_row(repo, context, values, ids[values.number], existing, done_before))
    return outcomes


def _live(lead: Lead | None) -> bool:
    return lead is not None and lead.status is not LeadStatus.DELETED


def _check_row(
    repo: WorkPorts,
    context: Context,
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
        return rejected(values.number, reasons, values)
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
    context = Context(repo, files, record, now)
    done_before = {
        int(line["row"])
        for line in store.lines_if_any(files, store.file_rows_key(record, n))
        if line.get("outcome") != RowOutcome.REJECTED.value
    }
    outcomes = check_rows(repo, context, list(store.lines(files, store.chunk_key(record, n))), done_before)
    store.put_lines(files, store.outcome_key(record, "check", n), [o.line() for o in outcomes])
    repo.count_chunk(record.tenant_id, record.import_id, "checked", n, counts_of(outcomes) | {"chunks": 1})
    after_chunk(repo, queue, record, "checked", "report")
