"""The assign sweep: due pending leads of one rule → staff, fairly and exactly once.

Per page of due leads: one atomic ADD claims a block of rotation slots, the pure rotation maps slots
to eligible staff, and each lead gets one conditional write (pending → assigned) that also carries
the decision record. Nothing else is written per lead.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

from leadrouter.data.repository import Repository
from leadrouter.domain.models import Decision, Lead, Rule, SkipRecord
from leadrouter.domain.rotation import Pick, Skip, allocate_block
from leadrouter.logic.sweeps import (
    PAGE_SIZE,
    SAFETY_MARGIN_SECONDS,
    StaffSnapshot,
    SweepReport,
    nobody_ever,
    staff_snapshot,
)

#: Conditional writes of one page run in parallel; slots are fixed before writing, so order is free.
WRITE_CONCURRENCY = 8


def sweep_due_leads(
    repo: Repository,
    rule: Rule,
    now: datetime,
    time_left: Callable[[], float] = lambda: float("inf"),
    page_size: int = PAGE_SIZE,
) -> SweepReport:
    """Assign every lead of the rule's scope that has waited ``delay_minutes``, oldest first."""
    report = SweepReport(tenant_id=rule.tenant_id, rule_id=rule.rule_id, rule_version=rule.version)
    staff = staff_snapshot(repo, rule, now)
    cutoff = now - timedelta(minutes=rule.delay_minutes)
    start = None
    # Read at call time so single-threaded tests (moto is not thread-safe) can set it to 1.
    with ThreadPoolExecutor(max_workers=WRITE_CONCURRENCY) as pool:
        while True:
            if time_left() < SAFETY_MARGIN_SECONDS:
                report.complete = False
                break
            leads, start = repo.due_leads(rule.tenant_id, rule.scope.key, cutoff, page_size, start)
            report.seen += len(leads)
            if leads:
                _assign_page(repo, rule, leads, staff, now, report, pool)
            if start is None:
                break
    return report


def _assign_page(
    repo: Repository,
    rule: Rule,
    leads: list[Lead],
    staff: StaffSnapshot,
    now: datetime,
    report: SweepReport,
    pool: ThreadPoolExecutor,
) -> None:
    if staff.anyone_can_take(rule.cycle):
        first = repo.claim_slots(rule, len(leads))
        report.slots_claimed += len(leads)
        picks = allocate_block(rule.cycle, first, len(leads), staff.unavailable, staff.capacity)
    else:
        # Nobody can take anything now: claim no slots (a claim would only leave a gap).
        everyone = tuple(Skip(staff_id=sid, reason=why) for sid, why in staff.unavailable.items())
        picks = [Pick(slot=-1, staff_id=None, skipped=everyone) for _ in leads]

    def write(lead: Lead, pick: Pick) -> str:
        return _settle(repo, rule, lead, pick, now)

    for pick, outcome in zip(picks, pool.map(write, leads, picks), strict=True):
        report.record(outcome, (s.reason for s in pick.skipped))
        if outcome == "assigned" and pick.staff_id is not None:
            staff.consume(pick.staff_id)


def _settle(repo: Repository, rule: Rule, lead: Lead, pick: Pick, now: datetime) -> str:
    skipped = [SkipRecord(staff_id=s.staff_id, reason=s.reason) for s in pick.skipped]
    if pick.staff_id is not None:
        decision = Decision(
            at=now,
            action="assigned",
            rule_id=rule.rule_id,
            rule_version=rule.version,
            slot=pick.slot,
            staff_id=pick.staff_id,
            skipped=skipped,
        )
        return "assigned" if repo.assign_pending(lead, pick.staff_id, rule, decision) else "lost"
    due_since = lead.queued_at + timedelta(minutes=rule.delay_minutes)
    waited_too_long = now - due_since >= timedelta(minutes=rule.escalate_after_minutes)
    if not (nobody_ever([s.reason for s in pick.skipped]) or waited_too_long):
        return "waiting"
    decision = Decision(
        at=now,
        action="escalated",
        rule_id=rule.rule_id,
        rule_version=rule.version,
        reason="waited_too_long" if waited_too_long else "no_eligible_staff",
        skipped=skipped,
    )
    return "escalated" if repo.escalate_pending(lead, decision) else "lost"
