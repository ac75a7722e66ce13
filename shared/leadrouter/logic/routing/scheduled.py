"""The entry points of the scheduled path, shared by the dispatch, assign and reclaim Lambdas (their
handlers stay ~10 lines): the tick that starts a dispatch per shard, the shard records that order the
rules with work, the order records that sweep, and the stream records that sweep a lead's scope the
moment it arrives."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Protocol

from aws_lambda_powertools.metrics import MetricUnit, single_metric
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from pydantic import Field, TypeAdapter

from leadrouter.clock import utc_now
from leadrouter.domain.dispatch import ShardOrder, SweepOrder, UnroutedOrder
from leadrouter.logic.routing import dispatch
from leadrouter.logic.routing.dispatch import TickPlan, run_order
from leadrouter.logic.routing.instant import ArrivalSweeper
from leadrouter.logic.routing.sweeps import SweepFn, SweepReport, default_owner
from leadrouter.logic.routing.unrouted import UnroutedReport
from leadrouter.observability import logger, metrics
from leadrouter.runtime import repository, sweep_queue
from leadrouter.settings import Settings

SHARD_ORDER = TypeAdapter(ShardOrder)
#: A sweep queue message's body: a sweep order or an unrouted order, told apart by ``kind``.
ORDER: TypeAdapter[SweepOrder | UnroutedOrder] = TypeAdapter(
    Annotated[SweepOrder | UnroutedOrder, Field(discriminator="kind")]
)


class _Context(Protocol):
    def get_remaining_time_in_millis(self) -> int: ...


def start_tick(event: Mapping[str, Any]) -> dict[str, Any]:
    """One scheduled tick of one action (``event["action"]``, from the schedule's Input): one order per
    shard on the dispatch queue. Safe to deliver twice: every order downstream dedupes at the sweep."""
    action = event.get("action")
    if action not in ("assign", "reclaim"):
        raise ValueError(f"the schedule's Input must name the action (assign or reclaim), not {action!r}")
    now = utc_now()
    sent = dispatch.start_tick(
        sweep_queue(Settings.from_env().dispatch_queue_url), action, now, scheduled_at(event, now)
    )
    # One value per action and tick, dimension "action": the alarm "a tick did not run" reads its absence
    with single_metric(
        name="TicksStarted", unit=MetricUnit.Count, value=1, namespace=metrics.namespace
    ) as tick:
        tick.add_dimension(name="action", value=action)
    summary = {"action": action, "shard_orders": sent}
    logger.info(
        f"{action} tick started",
        extra={
            "execution_id": event.get("execution_id"),
            "scheduled_time": event.get("scheduled_time"),
            **summary,
        },
    )
    return summary


def scheduled_at(event: Mapping[str, Any], now: datetime) -> datetime:
    """The tick's scheduled time (Scheduler's ``<aws.scheduler.scheduled-time>``, e.g.
    ``2026-12-07T17:00:00Z``); without one, ``now`` down to its minute (a rate(1 minute) tick fires
    just after its minute)."""
    text = event.get("scheduled_time")
    if isinstance(text, str):
        try:
            return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)
        except ValueError:
            pass
    return now.replace(second=0, microsecond=0)


def run_shards(context: _Context) -> Callable[[SQSRecord], str]:
    """A dispatch-queue record handler: list one shard's rules, ask each, order the ones with work."""
    settings, repo = Settings.from_env(), repository()

    def on_record(record: SQSRecord) -> str:
        order = SHARD_ORDER.validate_json(record.body)
        started = utc_now()
        url = settings.assign_queue_url if order.action == "assign" else settings.reclaim_queue_url
        plan = dispatch.dispatch_tick(
            repo, sweep_queue(url), order.action, started, order.shard, order.scheduled_at
        )
        elapsed_ms = (utc_now() - started).total_seconds() * 1000
        summary = summarise_plan(plan, elapsed_ms)
        metrics.add_metric(name="RulesActive", unit=MetricUnit.Count, value=plan.rules_active)
        metrics.add_metric(name="RulesDue", unit=MetricUnit.Count, value=len(plan.due))
        metrics.add_metric(name="RulesIdle", unit=MetricUnit.Count, value=len(plan.idle))
        metrics.add_metric(name="RulesProbed", unit=MetricUnit.Count, value=len(plan.probed))
        metrics.add_metric(name="DueChecksFailed", unit=MetricUnit.Count, value=len(plan.unchecked))
        metrics.add_metric(name="UnroutedScopes", unit=MetricUnit.Count, value=len(plan.unrouted))
        metrics.add_metric(name="DispatchDuration", unit=MetricUnit.Milliseconds, value=elapsed_ms)
        queued_ms = (started - order.dispatched_at).total_seconds() * 1000
        # 32 shard lines a minute: at INFO only when the shard had work (the metrics count them all)
        log = logger.info if plan.due or plan.unrouted or plan.unchecked else logger.debug
        log(
            f"{order.action} shard dispatched",
            extra={"shard": order.shard, "queued_ms": round(queued_ms, 1), **summary},
        )
        return "dispatched"

    return on_record


def summarise_plan(plan: TickPlan, elapsed_ms: float) -> dict[str, Any]:
    return {
        "action": plan.action,
        "rules_active": plan.rules_active,
        "rules_due": len(plan.due),
        "rules_idle": len(plan.idle),
        "rules_probed": len(plan.probed),
        "rules_closed": len(plan.closed),
        "rules_shadowed": len(plan.shadowed),
        "rules_rechecked": len(plan.rechecked),
        "rules_unchecked": plan.unchecked[:50],
        "unrouted_scopes": len(plan.unrouted),
        "duration_ms": round(elapsed_ms, 1),
    }


def run_orders(sweep: SweepFn, context: _Context) -> Callable[[SQSRecord], str]:
    """A queue-record handler for one invocation: each record is one order (``logic.routing.dispatch``).

    A record that raises is reported failed on its own (partial batch response): SQS redelivers it
    after the visibility timeout and, after the queue's ``maxReceiveCount``, moves it to its DLQ.
    """
    settings = Settings.from_env()
    repo, owner = repository(), default_owner()
    lease = timedelta(seconds=settings.lease_seconds)

    def time_left() -> float:
        return context.get_remaining_time_in_millis() / 1000

    def on_record(record: SQSRecord) -> str:
        order = ORDER.validate_json(record.body)
        with counted_as_failed_rule():
            outcome = run_order(repo, order, sweep, utc_now(), lease, owner, time_left)
        if isinstance(outcome, SweepReport):
            publish_sweep(outcome)
            return "swept"
        if isinstance(outcome, UnroutedReport):
            escalated = sum(outcome.escalated.values())
            metrics.add_metric(name="UnroutedLeadsEscalated", unit=MetricUnit.Count, value=escalated)
            logger.info(
                "unrouted scopes swept", extra={"scopes": outcome.scopes_checked, "escalated": escalated}
            )
            return "unrouted"
        logger.info("order skipped", extra={"rule_id": getattr(order, "rule_id", None), "outcome": outcome})
        return outcome

    return on_record


@contextmanager
def counted_as_failed_rule() -> Iterator[None]:
    """Count a rule's sweep that raised (``RulesFailed``), then let it fail its record: the batch
    processor reports the record and Lambda's Errors never see it, so this is the early signal (the
    dead-letter queue fills only after the queue's last receive)."""
    try:
        yield
    except Exception:
        metrics.add_metric(name="RulesFailed", unit=MetricUnit.Count, value=1)
        raise


def publish_sweep(report: SweepReport) -> None:
    """One rule's sweep as metrics and a log line (ids and counts only, never a lead's data)."""
    totals = Counter(
        assigned=report.assigned,
        escalated=report.escalated,
        waiting=report.waiting,
        held=report.held,
        lost=report.lost,
        failed=report.failed,
        quarantined=report.quarantined,
        released=report.released,
    )
    metrics.add_metric(name="LeadsAssigned", unit=MetricUnit.Count, value=totals["assigned"])
    metrics.add_metric(name="LeadsEscalated", unit=MetricUnit.Count, value=totals["escalated"])
    metrics.add_metric(name="LeadsWaiting", unit=MetricUnit.Count, value=totals["waiting"])
    # Of those: the overnight backlog held for the team's morning (see Rule.backlog_hold_minutes)
    metrics.add_metric(name="LeadsHeldForTeam", unit=MetricUnit.Count, value=totals["held"])
    metrics.add_metric(name="ConditionalWritesLost", unit=MetricUnit.Count, value=totals["lost"])
    metrics.add_metric(name="LeadWritesFailed", unit=MetricUnit.Count, value=totals["failed"])
    metrics.add_metric(name="LeadsQuarantined", unit=MetricUnit.Count, value=totals["quarantined"])
    metrics.add_metric(name="LeadsReleased", unit=MetricUnit.Count, value=totals["released"])
    metrics.add_metric(name="StaffSkipped", unit=MetricUnit.Count, value=sum(report.skipped.values()))
    metrics.add_metric(name="RulesSwept", unit=MetricUnit.Count, value=1)
    logger.info(
        "rule swept",
        extra={
            "tenant_id": report.tenant_id,
            "rule_id": report.rule_id,
            "rule_version": report.rule_version,
            "complete": report.complete,
            "next_due": report.stamp.next_due.isoformat() if report.stamp and report.stamp.next_due else None,
            **totals,
        },
    )


def run_arrivals(context: _Context) -> Callable[[DynamoDBRecord], str]:
    """A stream-record handler for one invocation: sweeps each arriving lead's scope once."""
    settings = Settings.from_env()
    sweeper = ArrivalSweeper(
        repository(),
        utc_now(),
        lease=timedelta(seconds=settings.lease_seconds),
        time_left=lambda: context.get_remaining_time_in_millis() / 1000,
    )

    def on_record(record: DynamoDBRecord) -> str:
        image = record.dynamodb.new_image if record.dynamodb else {}
        tenant_id, scope = image.get("tenant_id"), image.get("due_scope")
        if not tenant_id or not scope or not str(scope).startswith(f"{tenant_id}#"):
            return "not_pending"
        with counted_as_failed_rule():
            outcome = sweeper.arrived(str(tenant_id), str(scope)[len(str(tenant_id)) + 1 :])
        if isinstance(outcome, SweepReport):
            metrics.add_metric(name="LeadsAssignedOnArrival", unit=MetricUnit.Count, value=outcome.assigned)
            logger.info("arrival sweep", extra={"rule_id": outcome.rule_id, "assigned": outcome.assigned})
            return "swept"
        return outcome

    return on_record
