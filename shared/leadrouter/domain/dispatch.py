"""Fan-out of the scheduled ticks (pure): which shard lists a tenant's rules, what a sweep order
carries, and when a reclaim rule can next have anything to do.

A tick is a dispatcher in two steps. The scheduled invocation sends one ``ShardOrder`` per shard
(``DISPATCH_SHARDS`` of them); each shard's invocation lists that shard's active rules (one index
partition), keeps those in charge of their scope and open, asks each one cheap question (is anything
due?) and sends one ``SweepOrder`` per rule that has work to the action's queue. Each order is swept by
its own invocation, with its own retries and dead-letter queue; an idle rule costs one eventually
consistent read per tick and no write.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from datetime import datetime, timedelta
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


def shard_orders(action: Action, now: datetime) -> list[ShardOrder]:
    return [ShardOrder(action=action, shard=n, dispatched_at=now) for n in range(DISPATCH_SHARDS)]


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


def next_reclaim_check(
    now: datetime,
    reclaim_after: timedelta,
    next_idle_since: Iterable[datetime],
    due_again: Iterable[datetime],
) -> datetime:
    """The earliest moment a reclaim rule swept completely at ``now`` can have a lead to move.

    * A lead that becomes idle later (assigned, reassigned, cared for or moved here after ``now``)
      has ``idle_since`` ≥ ``now``, so it is due no sooner than ``now + reclaim_after``.
    * A lead already held and not yet idle long enough is due no sooner than its ``idle_since`` plus
      ``reclaim_after`` (working time never runs faster than the wall clock): ``next_idle_since``
      gives the earliest such ``idle_since`` per owner (a lower bound is enough).
    * ``due_again``: leads the sweep saw and left (nobody could take them, their owner's working
      clock had not reached the limit, a write failed), each with when to look again.

    The result is a lower bound: sweeping before it would find nothing; sweeping at it may.
    """
    candidates = [now + reclaim_after]
    candidates += [since + reclaim_after for since in next_idle_since]
    candidates += list(due_again)
    return max(min(candidates), now)
