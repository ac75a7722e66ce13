"""The reclaim sweep ("Thu hồi cơ hội"): leads nobody cared for go to someone who never held them.

A lead is idle when no care activity (note, call, step change) touched it for the rule's
``reclaim_after_minutes`` of its owner's working time (``logic.routing.clocks``): a lead assigned at 16:50
with a 30-minute reclaim is reclaimed at 08:20 on the owner's next working day, never overnight.
Each move is a conditional write on (status, owner, idle_since) as read, so a care activity that
lands while the sweep runs wins: the write fails and the lead stays put.

A sweep that runs to the end stamps what it saw (``domain.dispatch.ReclaimStamp``, listed with the
rule): when the earliest lead it left held can be due, or that it left none. Until then the dispatcher
does not sweep the rule; once per reclaim window it has it probed instead (``probe_finds_held``), a
read-only look for leads that became held since, so an idle rule writes nothing on any tick. Staff and
calendar edits ask for a re-check (``logic.admin``), since working-time due moments follow them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial

from leadrouter.data.repository import PageKey
from leadrouter.domain.calling import CallPermission
from leadrouter.domain.dispatch import ReclaimStamp, next_reclaim_check
from leadrouter.domain.eligibility import HELD_BEFORE
from leadrouter.domain.leads import Lead
from leadrouter.domain.rotation import Pick, allocate_block
from leadrouter.domain.rules import Rule
from leadrouter.logic.ports import LeadQueues, Staff, Transitions
from leadrouter.logic.privacy.calling import CallChecks
from leadrouter.logic.routing.clocks import RuleClocks
from leadrouter.logic.routing.decisions import call_fields, decision_for, escalation_reason, guarded
from leadrouter.logic.routing.sweeps import (
    PAGE_SIZE,
    LazyClocks,
    RoutingPorts,
    StaffSnapshot,
    SweepReport,
    page_through,
    release_deactivated,
    staff_snapshot,
    tally,
)

#: When to look again at a lead whose owner has no working time ahead within the clocks' horizon.
NO_WORKING_TIME_RECHECK = timedelta(hours=1)


def sweep_idle_leads(
    repo: RoutingPorts,
    rule: Rule,
    now: datetime,
    time_left: Callable[[], float] = lambda: float("inf"),
    release_after: datetime | None = None,
    page_size: int = PAGE_SIZE,
) -> SweepReport:
    """Move every lead of the rule's scope idle for ``reclaim_after_minutes``, stalest first.

    Like the assign sweep, it first gives back the leads of members deactivated since ``release_after``.
    """
    if rule.reclaim_after_minutes is None:
        raise ValueError(f"rule {rule.rule_id} is not a reclaim rule")
    report = SweepReport(tenant_id=rule.tenant_id, rule_id=rule.rule_id, rule_version=rule.version)
    staff = staff_snapshot(repo, rule, now, release_after)
    report.released = release_deactivated(repo, rule, staff, now)
    # Working time never runs faster than the wall clock: leads idle for less wall time are not due.
    reclaim_after = timedelta(minutes=rule.reclaim_after_minutes)
    cutoff = now - reclaim_after
    clocks = LazyClocks(repo, rule, staff, now)
    calls = clocks.calls(repo)
    later: list[datetime] = []  # when leads seen and left here are due again
    next_idle: list[datetime] = []  # per owner, the earliest idle_since in the scope not yet past the cutoff
    for owner in holders(repo, rule):
        page_through(
            report,
            partial(_idle_page, repo, rule, owner, cutoff, page_size),
            lambda leads: _reclaim_page(repo, rule, leads, staff, clocks.get(), report, later, calls),
            time_left,
        )
        if not report.complete:
            break
        since = repo.earliest_held_since(rule.tenant_id, owner, rule.scope.key, cutoff)
        if since is not None:
            next_idle.append(since)
    if report.complete:
        if report.waiting or report.failed or report.lost:
            later.append(now)  # left with their owner, or to retry: look again next tick
        if report.assigned:
            later.append(now + reclaim_after)  # moved now (the owner index may not show them yet)
        due = next_reclaim_check(now, reclaim_after, next_idle, later)
        report.stamp = ReclaimStamp(rule_rev=rule.rev, swept_at=now, next_due=due)
    return report


def probe_finds_held(
    repo: RoutingPorts, rule: Rule, since: datetime, until: datetime, known_due: datetime | None
) -> bool:
    """Whether any lead of the rule's scope became held (or was cared for) between ``since`` and
    ``until`` and can be due before ``known_due`` (the stamp's moment; None: none): read only, one
    listing of the tenant's members and one owner-index query per member. True means sweep now, so
    the lead's due moment is stamped before it comes."""
    if rule.reclaim_after_minutes is None:
        raise ValueError(f"rule {rule.rule_id} is not a reclaim rule")
    if known_due is not None:  # a lead idle since then or later is due after the stamp: not news
        until = min(until, known_due - timedelta(minutes=rule.reclaim_after_minutes, microseconds=1))
    if until < since:
        return False
    return any(
        repo.earliest_held_since(rule.tenant_id, owner, rule.scope.key, since, until) is not None
        for owner in holders(repo, rule)
    )


def holders(repo: Staff, rule: Rule) -> list[str]:
    """Everyone who can hold a lead of the tenant: its staff members, active or not (nobody else is
    ever given a lead: the sweeps and manual assignment take only known members). Idle leads are
    indexed per owner, so the sweep asks each of them (see ``data.leads``)."""
    return sorted({member.staff_id for member in repo.list_staff(rule.tenant_id)})


def _idle_page(
    repo: LeadQueues, rule: Rule, owner: str, cutoff: datetime, size: int, start: PageKey
) -> tuple[list[Lead], PageKey]:
    return repo.idle_leads(rule.tenant_id, owner, rule.scope.key, cutoff, size, start)


def _idle_long_enough(clocks: RuleClocks, lead: Lead) -> bool:
    cutoff = clocks.reclaim_cutoff(lead.owner)
    return cutoff is not None and lead.idle_since is not None and lead.idle_since <= cutoff


def _reclaim_page(
    repo: RoutingPorts,
    rule: Rule,
    leads: list[Lead],
    staff: StaffSnapshot,
    clocks: RuleClocks,
    report: SweepReport,
    later: list[datetime],
    calls: CallChecks,
) -> bool:
    """Reclaim one page. The new owner's decision says whether they may call: never within 24 hours
    of the last advertising call to the phone (the previous owner's too), and from when."""
    now = clocks.now
    clocks.know(repo, (lead.owner for lead in leads))
    due = [lead for lead in leads if _idle_long_enough(clocks, lead)]
    report.not_due += len(leads) - len(due)
    due_ids = {lead.lead_id for lead in due}
    for lead in leads:
        if lead.lead_id not in due_ids:  # idle long enough by the wall clock, not by working time
            at = clocks.reclaim_due_at(lead.owner, lead.idle_since or now)
            later.append(at if at is not None else now + NO_WORKING_TIME_RECHECK)
    movable: list[Lead] = []
    for lead in due:
        if lead.reclaim_count >= rule.max_reclaims:
            report.record(
                guarded(repo, rule, lead, now, partial(_escalate, repo, rule, lead, now, "reclaim_limit"))
            )
        else:
            movable.append(lead)
    if not movable:
        return True
    excluded = [dict.fromkeys(lead.held_by, HELD_BEFORE) for lead in movable]
    first = repo.claim_slots(rule, len(movable))
    report.slots_claimed += len(movable)
    picks = allocate_block(rule.cycle, first, len(movable), staff.unavailable, staff.capacity, excluded)
    permissions = calls.of_leads([lead for lead, pick in zip(movable, picks, strict=True) if pick.staff_id])
    for lead, pick in zip(movable, picks, strict=True):
        settle = partial(_settle, repo, rule, lead, pick, clocks, permissions.get(lead.lead_id))
        tally(report, staff, pick, guarded(repo, rule, lead, now, settle))
    return True  # owners differ, so a later page may hold leads that are due


def _settle(
    repo: Transitions, rule: Rule, lead: Lead, pick: Pick, clocks: RuleClocks, call: CallPermission | None
) -> str:
    now = clocks.now
    if pick.staff_id is not None:
        decision = decision_for(rule, now, "reclaimed", pick, previous_owner=lead.owner, **call_fields(call))
        return "assigned" if repo.reclaim_assigned(lead, pick.staff_id, decision) else "lost"
    # Due for reclaim since the owner's clock reached the limit; escalated after the rule's escalation
    # time of team working time beyond that, like a pending lead.
    due_at = clocks.reclaim_due_at(lead.owner, lead.idle_since or now)
    reason = escalation_reason(pick, due_at, clocks.escalation_cutoff)
    if reason is None:
        return "waiting"  # stays with its owner until someone who never held it is on shift
    return _escalate(repo, rule, lead, now, reason, pick)


def _escalate(
    repo: Transitions, rule: Rule, lead: Lead, now: datetime, reason: str, pick: Pick | None = None
) -> str:
    decision = decision_for(rule, now, "escalated", pick, previous_owner=lead.owner, reason=reason)
    return "escalated" if repo.escalate_assigned(lead, decision) else "lost"
