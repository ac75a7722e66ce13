"""What every sweep of one rule shares: respect its interval, and hold a per-rule lease so
overlapping invocations (at-least-once delivery of its queue message, slow runs, the arrival stream)
never sweep the same rule at once. The sweep itself is passed in: assign and reclaim differ only
there. Which rules are swept is the tick's business (``logic.routing.dispatch``).

Failures are contained where they happen. A lead whose write raises stays that lead's failure
(``logic.routing.decisions``), so it never blocks its scope; a rule whose sweep raises releases its
lease and fails only its own order, so every other rule and tenant is still swept. Each sweep also
gives back what a racing sweep handed to a member deactivated meanwhile (``release_after``).
"""

from __future__ import annotations

import socket
import traceback
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from leadrouter.data.repository import PageKey
from leadrouter.data.transitions import error_code
from leadrouter.domain.dispatch import ReclaimStamp
from leadrouter.domain.eligibility import (
    local_day_start,
    remaining_capacity,
    unavailable_staff,
)
from leadrouter.domain.leads import Lead
from leadrouter.domain.rotation import Pick
from leadrouter.domain.rules import Rule
from leadrouter.domain.staff import StaffMember
from leadrouter.logic.ports import (
    DispatchChecks,
    LeadQueues,
    Rotation,
    Staff,
    Tenants,
    Transitions,
    Workloads,
)
from leadrouter.logic.privacy.calling import CallCheckPorts, CallChecks
from leadrouter.logic.routing.clocks import RuleClocks, rule_clocks
from leadrouter.logic.routing.release import DEACTIVATED, ReleasePorts, release_leads_of
from leadrouter.observability import logger


class SnapshotPorts(Staff, Workloads, Protocol):
    """A rule's members and what each holds (caps)."""


class SweepPorts(
    SnapshotPorts, ReleasePorts, Tenants, LeadQueues, Rotation, Transitions, CallCheckPorts, Protocol
):
    """What every sweep of a rule touches: its staff and their load, the calendar, the rule's queue,
    its rotation and lease, the conditional writes on each lead, and the call lists."""


class RoutingPorts(SweepPorts, DispatchChecks, Protocol):
    """What the assign and the reclaim sweep touch together (a tick hands either one the same store)."""


#: Stop starting new pages when the invocation has less than this left (the lease covers the rest).
SAFETY_MARGIN_SECONDS = 15.0
PAGE_SIZE = 100
#: Each sweep releases the leads of members deactivated within this many leases (or since the rule's
#: previous sweep started, if that is earlier): a sweep whose staff snapshot predates a deactivation may
#: have given them leads after the API released theirs. Several ticks re-check, which also covers the
#: owner index showing a lead late (it is eventually consistent on AWS).
RELEASE_WINDOW_LEASES = 2


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
    #: Of ``waiting``: leads that gathered while the team was off, held until the team is on.
    held: int = 0
    #: Idle leads whose owner's working-time clock has not reached the reclaim limit yet.
    not_due: int = 0
    lost: int = 0
    failed: int = 0
    quarantined: int = 0
    released: int = 0
    slots_claimed: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    complete: bool = True
    #: Reclaim sweeps that ran to the end: what they saw, for the dispatcher (``domain.dispatch``).
    stamp: ReclaimStamp | None = None

    def record(self, outcome: str, skipped: Iterable[str] = ()) -> None:
        """Count one lead's outcome: assigned, escalated, waiting, lost (another writer won), failed
        (its write raised; counted on the lead) or quarantined (failed too often; escalated)."""
        if outcome == "assigned":
            self.assigned += 1
            self.skipped.update(skipped)
        elif outcome == "escalated":
            self.escalated += 1
        elif outcome == "waiting":
            self.waiting += 1
        elif outcome == "failed":
            self.failed += 1
        elif outcome == "quarantined":
            self.quarantined += 1
        else:
            self.lost += 1


@dataclass
class StaffSnapshot:
    """Who is out (with why) and how much room the capped ones have, taken once per sweep; and who was
    deactivated recently enough that a racing sweep may have given them leads."""

    unavailable: dict[str, str]
    capacity: dict[str, int]
    deactivated: tuple[str, ...] = ()
    members: dict[str, StaffMember] = field(default_factory=dict)

    def anyone_can_take(self, cycle: tuple[str, ...]) -> bool:
        return any(s not in self.unavailable and self.capacity.get(s, 1) > 0 for s in set(cycle))

    def consume(self, staff_id: str) -> None:
        if staff_id in self.capacity:
            self.capacity[staff_id] -= 1


#: (repo, rule, now, time_left, release_after) → report. ``release_after``: see ``release_after``.
SweepFn = Callable[[RoutingPorts, Rule, datetime, Callable[[], float], datetime | None], SweepReport]


def default_owner() -> str:
    return f"{socket.gethostname()}:{uuid.uuid4().hex[:8]}"


def sweep_rule(
    repo: RoutingPorts,
    rule: Rule,
    sweep: SweepFn,
    now: datetime,
    lease: timedelta,
    owner: str,
    time_left: Callable[[], float] = lambda: float("inf"),
) -> SweepReport | None:
    """Sweep one rule that has work, under its lease, once its interval has elapsed; None when another
    sweep holds the lease or the interval has not elapsed. An exception propagates, after the lease is
    released: the caller decides what a failed rule means (a failed queue message, a tick's list)."""
    interval = _with_jitter_tolerance(timedelta(minutes=rule.window.interval_minutes))
    return sweep_under_lease(repo, rule, sweep, now, lease, interval, owner, time_left)


def sweep_under_lease(
    repo: RoutingPorts,
    rule: Rule,
    sweep: SweepFn,
    now: datetime,
    lease: timedelta,
    interval: timedelta,
    owner: str,
    time_left: Callable[[], float],
) -> SweepReport | None:
    """Sweep one rule while holding its lease; None if another sweep holds it or its interval has not
    elapsed. An exception propagates, after the lease is released."""
    held = repo.acquire_lease(rule, owner, now, lease, interval)
    if held is None:
        return None
    try:
        report = sweep(repo, rule, now, time_left, release_after(now, lease, held.previous_run))
        if report.complete and report.stamp is not None and not _stamped_already(repo, rule, report.stamp):
            # Under the lease, so sweeps of the rule stamp in order. If this write fails the order
            # fails and is swept again: the dispatcher must never go by a stamp older than the sweep.
            repo.save_reclaim_stamp(rule, report.stamp)
    except BaseException:
        _free_lease(repo, rule, owner)
        raise
    _free_lease(repo, rule, owner)
    return report


def _stamped_already(repo: Rotation, rule: Rule, stamp: ReclaimStamp) -> bool:
    """Whether the stored stamp already says what ``stamp`` says when that is "sweep again next tick"
    (leads left waiting for someone eligible, or to retry): such a rule is swept every tick, and a
    consistent read (1 RRU) spares it rewriting the same stamp (2 WRU) each time."""
    if stamp.next_due is None or stamp.next_due > stamp.swept_at:
        return False
    stored = repo.reclaim_stamp(rule)
    return (
        stored is not None
        and stored.rule_rev == stamp.rule_rev
        and stored.next_due is not None
        and stored.next_due <= stamp.swept_at
    )


def _free_lease(repo: Rotation, rule: Rule, owner: str) -> None:
    """Release early; if that fails the lease simply expires, so it never turns a sweep into a failure."""
    try:
        repo.release_lease(rule, owner)
    except Exception as error:
        log_failure("lease release failed", error, tenant_id=rule.tenant_id, rule_id=rule.rule_id)


def release_after(now: datetime, lease: timedelta, previous_run: datetime | None) -> datetime:
    """Members deactivated at or after this moment may still hold leads a racing sweep gave them.

    Only a sweep whose staff snapshot predates the deactivation can race it, and sweeps of one rule are
    serialised by the lease: so the first sweep that starts after the previous one (``previous_run``)
    releases them, however long the rule's interval or closed window made it wait; a window of
    ``RELEASE_WINDOW_LEASES`` leases repeats the check on the next ticks, for what the owner index
    showed late.
    """
    window = now - RELEASE_WINDOW_LEASES * lease
    return window if previous_run is None else min(previous_run, window)


def log_failure(message: str, error: BaseException, **fields: Any) -> None:
    """Log a contained failure by error code, type and where it was raised, never by its message: a
    validation error's text quotes the data it refused (phones, emails)."""
    frames = traceback.extract_tb(error.__traceback__)[-3:]
    logger.error(
        message,
        extra={
            **fields,
            "error": error_code(error),
            "error_type": type(error).__name__,
            "raised_at": [
                f"{frame.filename.rsplit('/', 1)[-1]}:{frame.lineno} {frame.name}" for frame in frames
            ],
        },
    )


def _with_jitter_tolerance(interval: timedelta) -> timedelta:
    """Scheduler ticks drift by seconds; a rule run every 5 minutes must not skip a tick that is 1 s early."""
    return max(interval - min(interval / 4, timedelta(seconds=15)), timedelta(0))


def staff_snapshot(
    repo: SnapshotPorts, rule: Rule, now: datetime, release_after: datetime | None = None
) -> StaffSnapshot:
    """The rule's staff as they are now (a consistent read, fresh for every sweep)."""
    ids = [s.staff_id for s in rule.staff]
    members = repo.get_staff(rule.tenant_id, ids)
    unavailable = unavailable_staff(ids, members, now)
    deactivated = tuple(
        sid
        for sid, member in members.items()
        if release_after is not None
        and not member.active
        and member.deactivated_at is not None
        and member.deactivated_at >= release_after
    )
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
    return StaffSnapshot(
        unavailable=unavailable, capacity=capacity, deactivated=deactivated, members=dict(members)
    )


@dataclass
class LazyClocks:
    """The rule's working-time clocks, built on the first page that has leads (an idle rule never
    reads the tenant's calendar). Building them also marks members who are out for a holiday."""

    repo: Tenants
    rule: Rule
    staff: StaffSnapshot
    now: datetime
    _clocks: RuleClocks | None = None

    def get(self) -> RuleClocks:
        if self._clocks is None:
            self._clocks = rule_clocks(self.repo, self.rule, self.staff.members, self.now)
            for staff_id, reason in self._clocks.holidays_now().items():
                self.staff.unavailable.setdefault(staff_id, reason)
                self.staff.capacity.pop(staff_id, None)
        return self._clocks

    def calls(self, repo: CallCheckPorts) -> CallChecks:
        """The sweep's call checks, on the tenant these clocks read (read when first needed)."""
        return CallChecks(repo, self.rule.tenant_id, self.now, lambda: self.get().tenant)


def release_deactivated(repo: ReleasePorts, rule: Rule, staff: StaffSnapshot, now: datetime) -> int:
    """Give back the open leads of members deactivated recently (see ``release_after``).

    A sweep whose staff snapshot predated the deactivation may have assigned them leads after the API
    released theirs. Released leads are pending again in their own scope: this very sweep (its due
    query runs after this) or the rule in charge of that scope reassigns them. Costs one owner-index
    query (and a read of the leads it lists) per such member, and nothing at all when nobody was
    deactivated recently. A failed release is logged and the sweep goes on (the next ticks of the
    window try again).
    """
    released = 0
    for staff_id in staff.deactivated:
        try:
            released += release_leads_of(repo, rule.tenant_id, staff_id, DEACTIVATED, now)
        except Exception as error:  # the sweep goes on; the next ticks in the window try again
            log_failure(
                "release failed", error, tenant_id=rule.tenant_id, rule_id=rule.rule_id, staff_id=staff_id
            )
    return released


def tally(report: SweepReport, staff: StaffSnapshot, pick: Pick, outcome: str) -> None:
    report.record(outcome, (s.reason for s in pick.skipped))
    if outcome == "assigned" and pick.staff_id is not None:
        staff.consume(pick.staff_id)


def page_through(
    report: SweepReport,
    fetch: Callable[[PageKey], tuple[list[Lead], PageKey]],
    handle: Callable[[list[Lead]], bool],
    time_left: Callable[[], float],
    pool: Executor | None = None,
    read_ahead: Callable[[], bool] = lambda: True,
) -> None:
    """Walk an index query page by page, handling each non-empty page, until it ends, ``handle`` says
    the rest cannot change this tick (returns False), or time runs low.

    With ``pool`` (the sweep's write pool) the pages are pipelined: the next page's read is queued on
    the pool before the current page's writes, so it runs while they do, on one of the same workers
    (no extra concurrency; with one worker it simply runs first). It starts after the current page's
    last key, so it never holds a lead being written. ``read_ahead`` says whether a next page is likely
    to be handled (a sweep that nobody can take leads for would stop after this page, and the read
    would be wasted); a page read ahead and not needed is dropped.

    Stopping for time marks the report incomplete; the lease's expiry and the next tick pick up the rest.
    """
    start: PageKey = None
    ahead: Future[tuple[list[Lead], PageKey]] | None = None
    while True:
        if time_left() < SAFETY_MARGIN_SECONDS:
            report.complete = False
            return
        leads, start = ahead.result() if ahead is not None else fetch(start)
        ahead = None
        report.seen += len(leads)
        if start is not None and pool is not None and read_ahead():
            ahead = pool.submit(fetch, start)
        if leads and not handle(leads):
            return
        if start is None:
            return
