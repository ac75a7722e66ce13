"""What every scheduled sweep shares: pick the rules in charge, respect windows and intervals, and
hold a per-rule lease so overlapping invocations (at-least-once delivery, slow runs) never sweep the
same rule at once. The sweep itself is passed in: assign and reclaim differ only there.
"""

from __future__ import annotations

import socket
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from leadrouter.data.repository import PageKey, Repository
from leadrouter.domain.eligibility import (
    INACTIVE,
    UNKNOWN,
    local_day_start,
    remaining_capacity,
    unavailable_staff,
)
from leadrouter.domain.models import Decision, DecisionAction, Lead, Rule, SkipRecord
from leadrouter.domain.precedence import rules_in_charge
from leadrouter.domain.rotation import Pick

#: Reasons that will not go away by waiting: a lead nobody can ever take is escalated at once.
PERMANENT_REASONS = frozenset({UNKNOWN, INACTIVE, "held_before"})
#: Stop starting new pages when the invocation has less than this left (the lease covers the rest).
SAFETY_MARGIN_SECONDS = 15.0
PAGE_SIZE = 100


@dataclass
class SweepReport:
    """What one sweep of one rule did; logged, turned into metrics, and asserted on in tests."""

    tenant_id: str
    rule_id: str
    rule_version: int
    seen: int = 0
    assigned: int = 0
    escalated: int = 0
    waiting: int = 0
    lost: int = 0
    slots_claimed: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    complete: bool = True

    def record(self, outcome: str, skipped: Iterable[str] = ()) -> None:
        """Count one lead's outcome: assigned, escalated, waiting, or lost (another writer won)."""
        if outcome == "assigned":
            self.assigned += 1
            self.skipped.update(skipped)
        elif outcome == "escalated":
            self.escalated += 1
        elif outcome == "waiting":
            self.waiting += 1
        else:
            self.lost += 1


@dataclass
class RunReport:
    action: str
    rules_active: int = 0
    swept: list[SweepReport] = field(default_factory=list)
    busy: list[str] = field(default_factory=list)
    closed: list[str] = field(default_factory=list)
    shadowed: list[str] = field(default_factory=list)

    def totals(self) -> Counter[str]:
        total: Counter[str] = Counter()
        for sweep in self.swept:
            total.update(
                assigned=sweep.assigned,
                escalated=sweep.escalated,
                waiting=sweep.waiting,
                lost=sweep.lost,
                seen=sweep.seen,
            )
            total.update({f"skipped:{reason}": n for reason, n in sweep.skipped.items()})
        return total


@dataclass
class StaffSnapshot:
    """Who is out (with why) and how much room the capped ones have, taken once per sweep."""

    unavailable: dict[str, str]
    capacity: dict[str, int]

    def anyone_can_take(self, cycle: tuple[str, ...]) -> bool:
        return any(s not in self.unavailable and self.capacity.get(s, 1) > 0 for s in set(cycle))

    def consume(self, staff_id: str) -> None:
        if staff_id in self.capacity:
            self.capacity[staff_id] -= 1


SweepFn = Callable[[Repository, Rule, datetime, Callable[[], float]], SweepReport]


def default_owner() -> str:
    return f"{socket.gethostname()}:{uuid.uuid4().hex[:8]}"


def run_sweeps(
    repo: Repository,
    action: str,
    sweep: SweepFn,
    now: datetime,
    lease: timedelta,
    time_left: Callable[[], float] = lambda: float("inf"),
    owner: str | None = None,
) -> RunReport:
    """Sweep every rule of ``action`` that is in charge of its scope, open, due, and not being swept."""
    owner = owner or default_owner()
    report = RunReport(action=action)
    rules = repo.active_rules(action)
    report.rules_active = len(rules)
    in_charge, shadowed = rules_in_charge(rules)
    report.shadowed = [r.rule_id for r in shadowed]
    for rule in in_charge:
        if time_left() < SAFETY_MARGIN_SECONDS:
            report.busy.append(rule.rule_id)
            continue
        if not rule.window.is_open(now):
            report.closed.append(rule.rule_id)
            continue
        interval = _with_jitter_tolerance(timedelta(minutes=rule.window.interval_minutes))
        if not repo.acquire_lease(rule, owner, now, lease, interval):
            report.busy.append(rule.rule_id)
            continue
        try:
            report.swept.append(sweep(repo, rule, now, time_left))
        finally:
            repo.release_lease(rule, owner)
    return report


def _with_jitter_tolerance(interval: timedelta) -> timedelta:
    """Scheduler ticks drift by seconds; a rule run every 5 minutes must not skip a tick that is 1 s early."""
    return max(interval - min(interval / 4, timedelta(seconds=15)), timedelta(0))


def staff_snapshot(repo: Repository, rule: Rule, now: datetime) -> StaffSnapshot:
    ids = [s.staff_id for s in rule.staff]
    members = repo.get_staff(rule.tenant_id, ids)
    unavailable = unavailable_staff(ids, members, now)
    capacity: dict[str, int] = {}
    for sid in ids:
        member = members.get(sid)
        if member is None or sid in unavailable:
            continue
        if member.max_open_leads is None and member.max_leads_per_day is None:
            continue
        open_leads = repo.count_open(rule.tenant_id, sid) if member.max_open_leads is not None else 0
        today = (
            repo.count_assigned_since(rule.tenant_id, sid, local_day_start(member, now))
            if member.max_leads_per_day is not None
            else 0
        )
        room = remaining_capacity(member, open_leads, today)
        if room is None:
            continue
        if room[0] <= 0:
            unavailable[sid] = room[1]
        else:
            capacity[sid] = room[0]
    return StaffSnapshot(unavailable=unavailable, capacity=capacity)


def nobody_ever(reasons: list[str]) -> bool:
    """True when every staff member is out for a reason that waiting will not fix."""
    return bool(reasons) and all(reason in PERMANENT_REASONS for reason in reasons)


def decision_for(
    rule: Rule, now: datetime, action: DecisionAction, pick: Pick | None = None, **fields: Any
) -> Decision:
    """The record written with a lead's change: which rule and version, slot, who, who was skipped."""
    chosen = pick is not None and pick.staff_id is not None
    return Decision(
        at=now,
        action=action,
        rule_id=rule.rule_id,
        rule_version=rule.version,
        slot=pick.slot if chosen and pick else None,
        staff_id=pick.staff_id if pick else None,
        skipped=[SkipRecord(staff_id=s.staff_id, reason=s.reason) for s in (pick.skipped if pick else ())],
        **fields,
    )


def escalation_reason(pick: Pick, waited: timedelta, limit: timedelta) -> str | None:
    """Why a lead nobody can take now should be escalated, or None if it should keep waiting."""
    if waited >= limit:
        return "waited_too_long"
    if nobody_ever([s.reason for s in pick.skipped]):
        return "no_eligible_staff"
    return None


def tally(report: SweepReport, staff: StaffSnapshot, pick: Pick, outcome: str) -> None:
    report.record(outcome, (s.reason for s in pick.skipped))
    if outcome == "assigned" and pick.staff_id is not None:
        staff.consume(pick.staff_id)


def page_through(
    report: SweepReport,
    fetch: Callable[[PageKey], tuple[list[Lead], PageKey]],
    handle: Callable[[list[Lead]], None],
    time_left: Callable[[], float],
) -> None:
    """Walk an index query page by page, handling each non-empty page, until it ends or time runs low.

    Stopping early marks the report incomplete; the lease's expiry and the next tick pick up the rest.
    """
    start: PageKey = None
    while True:
        if time_left() < SAFETY_MARGIN_SECONDS:
            report.complete = False
            return
        leads, start = fetch(start)
        report.seen += len(leads)
        if leads:
            handle(leads)
        if start is None:
            return
