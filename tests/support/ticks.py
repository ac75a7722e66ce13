"""One whole tick in this process, for tests and benches: plan it, then sweep each rule with work in turn.

On AWS the tick's orders go to a queue and its sweepers take them in parallel (``logic.routing.dispatch``);
here the same plan and the same per-rule sweep run one after another, and the report gathers them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from leadrouter.data.repository import Repository
from leadrouter.domain.dispatch import SweepOrder, UnroutedScope
from leadrouter.logic.routing.dispatch import TickPlan, orders_of, plan_tick, run_order
from leadrouter.logic.routing.sweeps import (
    SAFETY_MARGIN_SECONDS,
    SweepFn,
    SweepReport,
    default_owner,
    log_failure,
    sweep_rule,
)


@dataclass(frozen=True)
class RuleFailure:
    """A rule whose sweep raised this tick (its lease was released; the next tick tries again)."""

    tenant_id: str
    rule_id: str
    error: str


@dataclass
class RunReport:
    action: str
    rules_active: int = 0
    swept: list[SweepReport] = field(default_factory=list)
    #: In charge and open, but nothing was due (not swept: no lease, no staff read, no write).
    idle: list[str] = field(default_factory=list)
    busy: list[str] = field(default_factory=list)
    closed: list[str] = field(default_factory=list)
    shadowed: list[str] = field(default_factory=list)
    failed: list[RuleFailure] = field(default_factory=list)
    #: Scopes no rule assigns that hold a pending lead (assign ticks; escalated by ``escalate_unrouted``).
    unrouted: list[UnroutedScope] = field(default_factory=list)
    #: Reclaim rules probed (read only); those whose probe found a lead are swept too.
    probed: list[str] = field(default_factory=list)

    def totals(self) -> Counter[str]:
        total: Counter[str] = Counter()
        for sweep in self.swept:
            total.update(
                assigned=sweep.assigned,
                escalated=sweep.escalated,
                waiting=sweep.waiting,
                held=sweep.held,
                not_due=sweep.not_due,
                lost=sweep.lost,
                failed=sweep.failed,
                quarantined=sweep.quarantined,
                released=sweep.released,
                seen=sweep.seen,
            )
            total.update({f"skipped:{reason}": n for reason, n in sweep.skipped.items()})
        return total


def run_sweeps(
    repo: Repository,
    action: str,
    sweep: SweepFn,
    now: datetime,
    lease: timedelta,
    time_left: Callable[[], float] = lambda: float("inf"),
    owner: str | None = None,
    shard: int | None = None,
) -> RunReport:
    """One whole tick in this process: plan it, then sweep each rule with work in turn (what the queue's
    sweepers do in parallel on AWS). For tests and tools; the same plan and the same per-rule sweep.
    ``shard``: only that dispatch shard's tenants, as one ``ShardOrder``'s invocation plans them.

    A rule whose sweep raises is logged and recorded in ``failed``; every other rule is still swept.
    """
    owner = owner or default_owner()
    plan = plan_tick(repo, action, now, shard)
    report = RunReport(
        action=action,
        rules_active=plan.rules_active,
        idle=plan.idle,
        closed=plan.closed,
        shadowed=plan.shadowed,
        unrouted=plan.unrouted,
    )
    report.probed = [p.rule.rule_id for p in plan.probed]
    for order in orders_of(TickPlan(action=action, probed=plan.probed), now):
        assert isinstance(order, SweepOrder)
        outcome = run_order(repo, order, sweep, now, lease, owner, time_left)
        if isinstance(outcome, SweepReport):
            report.swept.append(outcome)
        else:
            (report.idle if outcome == "idle" else report.busy).append(order.rule_id)
    for rule in plan.due:
        if time_left() < SAFETY_MARGIN_SECONDS:
            report.busy.append(rule.rule_id)
            continue
        try:
            swept = sweep_rule(repo, rule, sweep, now, lease, owner, time_left)
        except Exception as error:
            log_failure(
                "rule sweep failed", error, action=action, tenant_id=rule.tenant_id, rule_id=rule.rule_id
            )
            report.failed.append(RuleFailure(rule.tenant_id, rule.rule_id, repo.failure_code(error)))
            continue
        if swept is None:
            report.busy.append(rule.rule_id)
        else:
            report.swept.append(swept)
    return report
