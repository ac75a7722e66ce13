"""A scheduled tick as a dispatcher: list what is due, hand each piece of work to its own sweep.

The tick sends one order per shard (``start_tick``); each shard's invocation runs ``dispatch_tick``.
``plan_tick`` lists the active rules of one action (one shard's index partition, or all 16 in
parallel), keeps the rules in charge of their scope whose window is open, and asks each one cheap
question (``data.dispatch``): is anything due? Rules of a tenant that asked for a re-check (a staff or
calendar edit) are swept whatever the answer. ``dispatch_tick`` sends one ``SweepOrder`` per rule with
work, and on assign ticks ``UnroutedOrder`` messages for scopes no open rule covers that hold
pending leads.

Reclaim rules are asked nothing: each one's stamp is listed with it, and ``reclaim_action`` decides
from it and the tick's scheduled time whether the rule is swept, probed (a read-only look for leads
that became held, once per reclaim window) or left idle.

A question that fails counts as "due": a wasted sweep costs a lease write, a skipped one strands
leads. The sweeps themselves (``logic.routing.sweeps``) keep every delivery safe: a lease per rule, the
rule's interval, and a conditional write per lead.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from leadrouter.domain.dispatch import (
    SCOPES_PER_ORDER,
    TICK,
    Action,
    ReclaimStamp,
    ShardOrder,
    SweepOrder,
    UnroutedOrder,
    UnroutedScope,
    probe_window,
    reclaim_action,
    shard_orders,
)
from leadrouter.domain.precedence import rules_in_charge
from leadrouter.domain.rules import Rule
from leadrouter.logic.ports import ActiveRules, DispatchChecks, Rules, Scopes
from leadrouter.logic.routing.reclaim import probe_finds_held
from leadrouter.logic.routing.sweeps import (
    SAFETY_MARGIN_SECONDS,
    RoutingPorts,
    SweepFn,
    SweepReport,
    log_failure,
    sweep_rule,
)
from leadrouter.logic.routing.unrouted import EscalationPorts, UnroutedReport, escalate_unrouted, gaps


class ScopeChecks(Scopes, DispatchChecks, Protocol):
    """Marked scopes, and whether one holds a pending lead."""


class PlanPorts(ActiveRules, ScopeChecks, Protocol):
    """A tick's plan: the active rules, and the cheap questions of which have work."""


class OrderPorts(RoutingPorts, EscalationPorts, Rules, Protocol):
    """Carrying out one order: re-read the rule and sweep it, or escalate unrouted scopes."""


#: Parallel due questions (the data layer's client keeps 16 connections).
CHECK_THREADS = 16


class OrderQueue(Protocol):
    def send(self, orders: Sequence[ShardOrder | SweepOrder | UnroutedOrder]) -> int: ...


@dataclass
class TickPlan:
    """What one tick found; ``due`` is what gets swept. Logged and asserted on in tests."""

    action: str
    rules_active: int = 0
    due: list[Rule] = field(default_factory=list)
    idle: list[str] = field(default_factory=list)
    closed: list[str] = field(default_factory=list)
    shadowed: list[str] = field(default_factory=list)
    #: Rules swept because their tenant asked for a release check (subset of ``due``).
    rechecked: list[str] = field(default_factory=list)
    #: Rules whose question failed (swept anyway; subset of ``due``).
    unchecked: list[str] = field(default_factory=list)
    #: Unrouted scopes holding pending leads (assign ticks only).
    unrouted: list[UnroutedScope] = field(default_factory=list)
    #: Reclaim rules to probe this tick (read only; swept only if the probe finds a lead).
    probed: list[Probe] = field(default_factory=list)
    #: Reclaim rules swept because their window has just opened (subset of ``due``).
    opened: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Probe:
    """A reclaim rule to probe: leads held since ``since``, due before ``known_due`` (None: ever)."""

    rule: Rule
    since: datetime
    known_due: datetime | None


def plan_tick(
    repo: PlanPorts,
    action: str,
    now: datetime,
    shard: int | None = None,
    tick_at: datetime | None = None,
) -> TickPlan:
    """Which rules of ``action`` have work at ``now`` (all shards, or one). ``tick_at``: the tick's
    scheduled time (reclaim probe points are counted on it; default ``now``)."""
    listing = repo.dispatch_listing(action, shard)
    plan = TickPlan(action=action, rules_active=len(listing.rules))
    in_charge, shadowed = rules_in_charge(listing.rules)
    plan.shadowed = [r.rule_id for r in shadowed]
    open_rules = [rule for rule in in_charge if rule.window.is_open(now)]
    plan.closed = [rule.rule_id for rule in in_charge if not rule.window.is_open(now)]
    recheck = [r for r in open_rules if listing.rechecks.get(r.tenant_id, now) > now]
    ask = [r for r in open_rules if listing.rechecks.get(r.tenant_id, now) <= now]
    if action == "reclaim":
        _plan_reclaim(plan, ask, listing.stamps, now, tick_at or now)
        plan.due += recheck
        plan.rechecked = [r.rule_id for r in recheck]
        return plan
    answers = _ask(repo, ask, now)
    for rule in ask:
        answer = answers.get((rule.tenant_id, rule.rule_id))
        if answer is False:
            plan.idle.append(rule.rule_id)
            continue
        if answer is None:
            plan.unchecked.append(rule.rule_id)
        plan.due.append(rule)
    plan.due += recheck
    plan.rechecked = [r.rule_id for r in recheck]
    if action == "assign":
        plan.unrouted = _unrouted_with_leads(repo, listing.rules, now, shard)
    return plan


def _plan_reclaim(
    plan: TickPlan,
    rules: Sequence[Rule],
    stamps: Mapping[tuple[str, str], ReclaimStamp],
    now: datetime,
    tick_at: datetime,
) -> None:
    """Sort open reclaim rules into swept, probed and idle from their listed stamps (no read)."""
    for rule in rules:
        reclaim_after = timedelta(minutes=rule.reclaim_after_minutes or 0)
        stamp = stamps.get((rule.tenant_id, rule.rule_id))
        opened = not rule.window.is_open(tick_at - TICK)
        action = reclaim_action(stamp, rule.rev, reclaim_after, now, tick_at, opened_this_tick=opened)
        if action == "sweep":
            plan.due.append(rule)
            if opened:
                plan.opened.append(rule.rule_id)
        elif action == "probe":
            since, _ = probe_window(tick_at, reclaim_after)
            plan.probed.append(Probe(rule, since, stamp.next_due if stamp else None))
        else:
            plan.idle.append(rule.rule_id)


def _ask(repo: DispatchChecks, rules: Sequence[Rule], now: datetime) -> dict[tuple[str, str], bool | None]:
    """Each assign rule's answer: True (due), False (idle), None (the question failed)."""

    def due(rule: Rule) -> bool | None:
        cutoff = now - timedelta(minutes=rule.delay_minutes)
        return _guarded(lambda: repo.has_due_lead(rule.tenant_id, rule.scope.key, cutoff), rule)

    with ThreadPoolExecutor(max_workers=CHECK_THREADS) as pool:
        return dict(zip(((r.tenant_id, r.rule_id) for r in rules), pool.map(due, rules), strict=True))


def _guarded(question: Callable[[], bool], rule: Rule) -> bool | None:
    try:
        return question()
    except Exception as error:
        log_failure("due check failed", error, tenant_id=rule.tenant_id, rule_id=rule.rule_id)
        return None


def _unrouted_with_leads(
    repo: ScopeChecks, rules: Iterable[Rule], now: datetime, shard: int | None
) -> list[UnroutedScope]:
    """Scopes no open assign rule is in charge of that hold a pending lead (one question each)."""
    found = [
        UnroutedScope(tenant_id=tenant, scope_key=scope, reason=why)
        for (tenant, scope), why in gaps(repo.marked_scopes(shard), rules, now).items()
    ]

    def pending(scope: UnroutedScope) -> bool:
        try:
            return repo.has_due_lead(scope.tenant_id, scope.scope_key, now)
        except Exception as error:  # looked at anyway
            log_failure("due check failed", error, tenant_id=scope.tenant_id)
            return True

    with ThreadPoolExecutor(max_workers=CHECK_THREADS) as pool:
        return [scope for scope, has in zip(found, pool.map(pending, found), strict=True) if has]


def orders_of(plan: TickPlan, now: datetime) -> list[SweepOrder | UnroutedOrder]:
    """The queue messages of a tick: one per rule with work, and the unrouted scopes in chunks."""
    orders: list[SweepOrder | UnroutedOrder] = [
        SweepOrder(
            action=rule.action,
            tenant_id=rule.tenant_id,
            rule_id=rule.rule_id,
            rule_version=rule.version,
            dispatched_at=now,
            one_shot=rule.rule_id in plan.opened,
        )
        for rule in plan.due
    ]
    orders += [
        SweepOrder(
            action=probe.rule.action,
            tenant_id=probe.rule.tenant_id,
            rule_id=probe.rule.rule_id,
            rule_version=probe.rule.version,
            dispatched_at=now,
            probe_since=probe.since,
            known_due=probe.known_due,
            one_shot=True,
        )
        for probe in plan.probed
    ]
    for start in range(0, len(plan.unrouted), SCOPES_PER_ORDER):
        chunk = plan.unrouted[start : start + SCOPES_PER_ORDER]
        orders.append(UnroutedOrder(scopes=chunk, dispatched_at=now))
    return orders


def start_tick(queue: OrderQueue, action: Action, now: datetime, scheduled_at: datetime | None = None) -> int:
    """The scheduled invocation: one order per shard on the dispatch queue (each shard is listed and
    asked by its own invocation, so the tick's work does not grow with the rule count)."""
    return queue.send(shard_orders(action, now, scheduled_at))


def dispatch_tick(
    repo: PlanPorts,
    queue: OrderQueue,
    action: str,
    now: datetime,
    shard: int | None = None,
    tick_at: datetime | None = None,
) -> TickPlan:
    """One shard's part of a tick (or, ``shard`` None, the whole tick): plan it and send its orders
    (QueueError if SQS refused some; the shard order is then retried)."""
    plan = plan_tick(repo, action, now, shard, tick_at)
    queue.send(orders_of(plan, now))
    return plan


def run_order(
    repo: OrderPorts,
    order: SweepOrder | UnroutedOrder,
    sweep: SweepFn,
    now: datetime,
    lease: timedelta,
    owner: str,
    time_left: Callable[[], float] = lambda: float("inf"),
) -> SweepReport | UnroutedReport | str:
    """Carry out one queue message. A sweep order sweeps the rule as it is now (a consistent read):
    "gone" if it was deleted, disabled or changed action since the tick, "closed" if its window closed,
    "busy" if another sweep holds it or its interval has not elapsed, "no_time" if the invocation is
    nearly out of time (the next tick orders it again), "idle" if it was a reclaim probe that found
    no lead held since its probe window began. Anything raised fails the message, which SQS
    redelivers, then moves to the dead-letter queue."""
    if isinstance(order, UnroutedOrder):
        return escalate_unrouted(repo, order.scopes, now, time_left)
    if time_left() < SAFETY_MARGIN_SECONDS:
        if order.one_shot:
            _stamp_due_now(repo, repo.get_rule(order.tenant_id, order.rule_id), now)
        return "no_time"
    rule = repo.get_rule(order.tenant_id, order.rule_id)
    if rule is None or not rule.active or rule.action != order.action:
        return "gone"
    if not rule.window.is_open(now):
        return "closed"
    if order.probe_since is not None and not probe_finds_held(
        repo, rule, order.probe_since, now, order.known_due
    ):
        return "idle"
    swept = sweep_rule(repo, rule, sweep, now, lease, owner, time_left)
    if order.one_shot and (swept is None or not swept.complete):
        _stamp_due_now(repo, rule, now)
    return "busy" if swept is None else swept


def _stamp_due_now(repo: OrderPorts, rule: Rule | None, now: datetime) -> None:
    """A one-shot reclaim order that could not run to the end (lease held, interval not elapsed, out
    of time) stamps its rule "sweep from the next tick on": no later tick would order it by itself,
    and the lead its probe found may be due before the next probe point."""
    if rule is not None and rule.action == "reclaim":
        repo.save_reclaim_stamp(rule, ReclaimStamp(rule_rev=rule.rev, swept_at=now, next_due=now))
