"""The assign sweep: due pending leads of one rule → staff, fairly and exactly once.

Per page of due leads: one atomic ADD claims a block of rotation slots, the pure rotation maps slots
to eligible staff, and each lead gets one conditional write (pending → assigned) that also carries
the decision record. Nothing else is written per lead (a failed write adds one small write on that
lead, to count it; see ``sweeps.contain``). The next page is read while one is written
(``sweeps.page_through``).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from functools import partial

from leadrouter.domain.calling import CallPermission
from leadrouter.domain.leads import Lead
from leadrouter.domain.rotation import Pick, Skip, allocate_block
from leadrouter.domain.rules import Rule
from leadrouter.logic.ports import Transitions
from leadrouter.logic.privacy.calling import CallChecks
from leadrouter.logic.routing.clocks import RuleClocks
from leadrouter.logic.routing.decisions import call_fields, decision_for, escalation_reason, guarded
from leadrouter.logic.routing.sweeps import (
    PAGE_SIZE,
    LazyClocks,
    StaffSnapshot,
    SweepPorts,
    SweepReport,
    page_through,
    release_deactivated,
    staff_snapshot,
    tally,
)

#: Conditional writes of one page run in parallel; slots are fixed before writing, so order is free.
WRITE_CONCURRENCY = 8


def sweep_due_leads(
    repo: SweepPorts,
    rule: Rule,
    now: datetime,
    time_left: Callable[[], float] = lambda: float("inf"),
    release_after: datetime | None = None,
    page_size: int = PAGE_SIZE,
) -> SweepReport:
    """Assign every lead of the rule's scope that has waited ``delay_minutes``, oldest first.

    The delay is wall-clock time; what happens to a due lead nobody can take runs on working time
    (see ``logic.routing.clocks``): it waits while the team is off and is escalated after the rule's
    escalation time of team working time. First the leads of the rule's members deactivated since
    ``release_after`` are given back (a racing sweep may have handed them some), so the due query below
    already sees them pending.
    """
    report = SweepReport(tenant_id=rule.tenant_id, rule_id=rule.rule_id, rule_version=rule.version)
    staff = staff_snapshot(repo, rule, now, release_after)
    report.released = release_deactivated(repo, rule, staff, now)
    cutoff = now - timedelta(minutes=rule.delay_minutes)
    clocks = LazyClocks(repo, rule, staff, now)
    calls = clocks.calls(repo)
    # WRITE_CONCURRENCY is read at call time so single-threaded tests (moto) can set it to 1.
    with ThreadPoolExecutor(max_workers=WRITE_CONCURRENCY) as pool:
        page_through(
            report,
            lambda start: repo.due_leads(rule.tenant_id, rule.scope.key, cutoff, page_size, start),
            lambda leads: _assign_page(repo, rule, leads, staff, clocks.get(), report, pool, calls),
            time_left,
            pool,
            read_ahead=lambda: staff.anyone_can_take(rule.cycle),
        )
    return report


def due_at(rule: Rule, lead: Lead) -> datetime:
    """When the lead's delay ended: wall-clock time from when it was queued ("Thời gian chia")."""
    return lead.queued_at + timedelta(minutes=rule.delay_minutes)


def _assign_page(
    repo: SweepPorts,
    rule: Rule,
    leads: list[Lead],
    staff: StaffSnapshot,
    clocks: RuleClocks,
    report: SweepReport,
    pool: ThreadPoolExecutor,
    calls: CallChecks,
) -> bool:
    """Assign one page; False when no later lead can change this tick (the rest only wait).

    The leads given to someone are checked for an advertising call in one read for the page
    (``logic.privacy.calling``): each is assigned either way, its decision saying whether to call.
    """
    now = clocks.now
    held_before = clocks.held_before
    if held_before is not None:
        held = [lead for lead in leads if due_at(rule, lead) < held_before]
        report.waiting += len(held)
        report.held += len(held)
        leads = [lead for lead in leads if due_at(rule, lead) >= held_before]
        if not leads:
            return True
    cutoff = clocks.escalation_cutoff
    if staff.anyone_can_take(rule.cycle):
        first = repo.claim_slots(rule, len(leads))
        report.slots_claimed += len(leads)
        picks = allocate_block(rule.cycle, first, len(leads), staff.unavailable, staff.capacity)
    else:
        # Nobody can take anything now: claim no slots (a claim would only leave a gap).
        everyone = tuple(Skip(staff_id=sid, reason=why) for sid, why in staff.unavailable.items())
        picks = [Pick(slot=-1, staff_id=None, skipped=everyone) for _ in leads]

    permissions = calls.of_leads([lead for lead, pick in zip(leads, picks, strict=True) if pick.staff_id])

    def write(lead: Lead, pick: Pick) -> str:
        call = permissions.get(lead.lead_id)
        settle = partial(_settle, repo, rule, lead, pick, now, cutoff, call)
        return guarded(repo, rule, lead, now, settle)

    for pick, outcome in zip(picks, pool.map(write, leads, picks), strict=True):
        tally(report, staff, pick, outcome)
    # Nobody can take a lead now: leads due after the escalation cutoff only wait, and so do all
    # later pages (they are due later still), so this tick has nothing more to do.
    last = picks[-1]
    return last.staff_id is not None or escalation_reason(last, due_at(rule, leads[-1]), cutoff) is not None


def _settle(
    repo: Transitions,
    rule: Rule,
    lead: Lead,
    pick: Pick,
    now: datetime,
    cutoff: datetime | None,
    call: CallPermission | None,
) -> str:
    if pick.staff_id is not None:
        decision = decision_for(rule, now, "assigned", pick, **call_fields(call))
        return "assigned" if repo.assign_pending(lead, pick.staff_id, rule, decision) else "lost"
    reason = escalation_reason(pick, due_at(rule, lead), cutoff)
    if reason is None:
        return "waiting"
    escalated = repo.escalate_pending(lead, decision_for(rule, now, "escalated", pick, reason=reason))
    return "escalated" if escalated else "lost"
