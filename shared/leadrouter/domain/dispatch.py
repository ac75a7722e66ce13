"""Fan-out of the scheduled ticks (pure): which shard lists a tenant's rules, what a sweep order
carries, and when a reclaim rule can next have anything to do.

A tick is a dispatcher in two steps. The scheduled invocation sends one ``ShardOrder`` per shard
(``DISPATCH_SHARDS`` of them); each shard's invocation lists that shard's active rules (one index
partition), keeps those in charge of their scope and open, asks each one cheap question (is anything
due?) and sends one ``SweepOrder`` per rule that has work to the action's queue. Each order is swept by
its own invocation, with its own retries and dead-letter queue. An idle assign rule costs one
eventually consistent read per tick and no write; an idle reclaim rule costs its share of the listing
(its stamp is listed with it) and, once per reclaim window, a read-only probe (``reclaim_action``).
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from pydantic import Field, StrictInt

from leadrouter.domain.base import Ident, Moment, _Model

#: Index partitions per kind of listed item. A tenant's rules share one shard (precedence is decided
#: among a tenant's rules), so a shard holds about 1/16 of the tenants. 16 partitions of ~200 rules
#: of 1 KB per MB page list 100,000 rules in about 32 parallel page reads.
DISPATCH_SHARDS = 16

Action = Literal["assign", "reclaim"]
#: How long a tenant's rules are all swept after a staff or calendar change: longer than two sweep
#: leases (180 s), so at least one sweep of each rule starts after the change and runs to the end.
RECHECK_WINDOW = timedelta(minutes=10)


def shard_of(tenant_id: str) -> int:
    """The tenant's shard: stable across processes and Python versions (CRC-32, not ``hash``)."""
    return zlib.crc32(tenant_id.encode()) % DISPATCH_SHARDS


def shard_key(kind: str, tenant_id: str) -> str:
    """The index partition value of a tenant's listed items of one kind (assign, reclaim, scope)."""
    return f"{kind}#{shard_of(tenant_id):02d}"


def shard_keys(kind: str, shard: int | None = None) -> list[str]:
    """The partitions a kind is listed under: all of them, or one shard's. The bare kind is the layout
    before sharding (rules saved before it are listed until they are saved again); it goes with
    shard 0, so a tick that lists shard by shard reads it once."""
    shards = range(DISPATCH_SHARDS) if shard is None else [shard]
    legacy = [kind] if shard in (None, 0) else []
    return legacy + [f"{kind}#{n:02d}" for n in shards]


class ShardOrder(_Model):
    """One per shard on every tick: list this shard's rules and order the ones with work. The tick
    itself only sends these, so listing and asking run on ``DISPATCH_SHARDS`` invocations at once."""

    kind: Literal["shard"] = "shard"
    action: Action
    shard: StrictInt = Field(ge=0, lt=DISPATCH_SHARDS)
    dispatched_at: Moment
    #: The schedule's own time for this tick (Scheduler's ``scheduled-time``): reclaim probe points
    #: are counted on it, so each falls in exactly one tick however late the tick runs.
    scheduled_at: Moment | None = None


def shard_orders(action: Action, now: datetime, scheduled_at: datetime | None = None) -> list[ShardOrder]:
    return [
        ShardOrder(action=action, shard=n, dispatched_at=now, scheduled_at=scheduled_at)
        for n in range(DISPATCH_SHARDS)
    ]


class SweepOrder(_Model):
    """One queue message: sweep this rule now. The sweeper reloads the rule (a consistent read), so an
    order for a rule edited or disabled since the tick sweeps the current version or nothing."""

    kind: Literal["sweep"] = "sweep"
    action: Action
    tenant_id: Ident
    rule_id: Ident
    rule_version: StrictInt = Field(ge=1)
    #: When the dispatcher listed the rule (to measure queueing delay; the sweep uses its own clock).
    dispatched_at: Moment
    #: A reclaim probe: look for leads held since ``probe_since`` (and due before ``known_due``, the
    #: stamp's moment, if any) and sweep only if one is found (``reclaim_action``).
    probe_since: Moment | None = None
    known_due: Moment | None = None
    #: No later tick orders this rule by itself (a probe, a window that just opened): if the order
    #: cannot run to the end, the rule is stamped "sweep from the next tick on".
    one_shot: bool = False


class UnroutedScope(_Model):
    """A scope no open assign rule is in charge of, holding pending leads, and why (``precedence``)."""

    tenant_id: Ident
    scope_key: str = Field(min_length=1, max_length=1000)
    reason: Literal["no_rule", "window_closed"]


#: Unrouted scopes per queue message (each is ~100 bytes; SQS takes up to 256 KB).
SCOPES_PER_ORDER = 200


class UnroutedOrder(_Model):
    """On assign ticks: escalate the leads of these scopes that waited the tenant's escalation time."""

    kind: Literal["unrouted"] = "unrouted"
    scopes: list[UnroutedScope] = Field(min_length=1, max_length=SCOPES_PER_ORDER)
    dispatched_at: Moment


#: How far back a probe looks for leads that became held: two reclaim windows (so one probe lost with
#: its tick is made up by the next) and the longest a sweep can run between stamping a lead's
#: ``idle_since`` (its start) and writing it (the sweepers' 15-minute Lambda limit).
PROBE_SLACK = timedelta(minutes=15)
#: The schedule's period: a reclaim probe point belongs to the one tick scheduled in (t - TICK, t].
TICK = timedelta(minutes=1)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

ReclaimAction = Literal["sweep", "probe", "idle"]


@dataclass(frozen=True, slots=True)
class ReclaimStamp:
    """What a reclaim rule's last complete sweep left, for the rule as it read it (``rule_rev``):
    the earliest moment a lead it saw held can be due (``next_due``; None: it saw none), and when it
    ran (``swept_at``)."""

    rule_rev: int
    swept_at: datetime
    next_due: datetime | None


def is_probe_tick(tick_at: datetime, reclaim_after: timedelta) -> bool:
    """Whether a probe point falls in the tick scheduled at ``tick_at``: probe points are the
    multiples of ``reclaim_after`` since the epoch, each in exactly one tick (t - TICK, t]."""
    step = reclaim_after // timedelta(microseconds=1)
    now = (tick_at - _EPOCH) // timedelta(microseconds=1)
    before = (tick_at - TICK - _EPOCH) // timedelta(microseconds=1)
    return now // step > before // step


def probe_window(tick_at: datetime, reclaim_after: timedelta) -> tuple[datetime, datetime]:
    """The ``idle_since`` range a probe at ``tick_at`` looks at: leads that became held (or were cared
    for) since two windows and the slack before it."""
    return tick_at - 2 * reclaim_after - PROBE_SLACK, tick_at


def reclaim_action(
    stamp: ReclaimStamp | None,
    rule_rev: int,
    reclaim_after: timedelta,
    now: datetime,
    tick_at: datetime,
    opened_this_tick: bool = False,
) -> ReclaimAction:
    """What a reclaim rule needs this tick: a sweep, a read-only probe, or nothing.

    * no stamp, or one for another revision of the rule (an edit, a disable and enable): sweep;
    * a lead the last sweep saw held can be due (``next_due`` reached): sweep;
    * the rule's window opened this tick (nobody probed while it was closed): sweep;
    * a probe point (``is_probe_tick``): probe. A lead that becomes held at ``t`` has ``idle_since``
      ≥ ``t`` and is due no sooner than ``t + reclaim_after``; the first probe point after ``t`` comes
      within ``reclaim_after`` and looks back further (``probe_window``), so it finds the lead before
      it can be due and has it swept, which stamps its due moment;
    * otherwise nothing can be due: idle, no read beyond the listing.
    """
    if stamp is None or stamp.rule_rev != rule_rev or opened_this_tick:
        return "sweep"
    if stamp.next_due is not None and stamp.next_due <= now:
        return "sweep"
    return "probe" if is_probe_tick(tick_at, reclaim_after) else "idle"


def next_reclaim_check(
    now: datetime,
    reclaim_after: timedelta,
    next_idle_since: Iterable[datetime],
    due_again: Iterable[datetime],
) -> datetime | None:
    """The earliest moment a lead that a reclaim rule swept completely at ``now`` saw held can be due;
    None when it saw none (leads held later are found by the probes, ``reclaim_action``).

    * A lead held and not yet idle long enough is due no sooner than its ``idle_since`` plus
      ``reclaim_after`` (working time never runs faster than the wall clock): ``next_idle_since``
      gives the earliest such ``idle_since`` per owner in the rule's scope.
    * ``due_again``: leads the sweep saw and left (nobody could take them, their owner's working
      clock had not reached the limit, a write failed) or moved, each with when to look again.

    The result is a lower bound: sweeping before it would find nothing; sweeping at it may.
    """
    candidates = [since + reclaim_after for since in next_idle_since]
    candidates += list(due_again)
    return max(min(candidates), now) if candidates else None
