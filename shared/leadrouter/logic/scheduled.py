"""The scheduled entry point shared by the assign and reclaim Lambdas (handlers stay ~10 lines)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any, Protocol

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

from leadrouter.clock import utc_now
from leadrouter.data.repository import Repository
from leadrouter.logic.instant import ArrivalSweeper
from leadrouter.logic.sweeps import RunReport, SweepFn, SweepReport, run_sweeps
from leadrouter.logic.unrouted import UnroutedReport
from leadrouter.observability import logger, metrics
from leadrouter.runtime import repository
from leadrouter.settings import Settings


class _Context(Protocol):
    def get_remaining_time_in_millis(self) -> int: ...


#: What the assign tick does after its rules: escalate leads no rule will ever sweep (logic/unrouted).
FollowUp = Callable[[Repository, datetime, Callable[[], float]], UnroutedReport]


def run_scheduled(
    action: str,
    sweep: SweepFn,
    event: Mapping[str, Any],
    context: _Context,
    follow_up: FollowUp | None = None,
) -> dict[str, Any]:
    """Run one scheduled tick. Safe to deliver twice: leases, intervals and conditional writes dedupe.

    ``follow_up`` runs after every rule was swept; its failure is logged and contained like a rule's.
    """
    settings = Settings.from_env()
    started = utc_now()
    time_left: Callable[[], float] = lambda: context.get_remaining_time_in_millis() / 1000  # noqa: E731
    repo = repository()
    report = run_sweeps(
        repo,
        action,
        sweep,
        started,
        lease=timedelta(seconds=settings.lease_seconds),
        time_left=time_left,
    )
    unrouted = _follow_up(follow_up, repo, started, time_left) if follow_up else None
    elapsed_ms = (utc_now() - started).total_seconds() * 1000
    summary = summarise(report, elapsed_ms)
    publish_metrics(report, elapsed_ms)
    if unrouted is not None:
        summary["unrouted"] = {"scopes": unrouted.unrouted, "escalated": dict(unrouted.escalated)}
        escalated = sum(unrouted.escalated.values())
        metrics.add_metric(name="UnroutedLeadsEscalated", unit=MetricUnit.Count, value=escalated)
    logger.info(
        f"{action} tick done",
        extra={
            "execution_id": event.get("execution_id"),
            "scheduled_time": event.get("scheduled_time"),
            **summary,
        },
    )
    return summary


def _follow_up(
    follow_up: FollowUp, repo: Repository, now: datetime, time_left: Callable[[], float]
) -> UnroutedReport | None:
    try:
        return follow_up(repo, now, time_left)
    except Exception as error:  # contained: the rules' sweeps already ran; the next tick retries
        logger.error("unrouted sweep failed", extra={"error": type(error).__name__})
        return None


def summarise(report: RunReport, elapsed_ms: float) -> dict[str, Any]:
    return {
        "action": report.action,
        "rules_active": report.rules_active,
        "rules_swept": [s.rule_id for s in report.swept],
        "rules_busy": report.busy,
        "rules_closed": report.closed,
        "rules_shadowed": report.shadowed,
        "rules_failed": [
            {"tenant_id": f.tenant_id, "rule_id": f.rule_id, "error": f.error} for f in report.failed
        ],
        "incomplete": [s.rule_id for s in report.swept if not s.complete],
        "totals": dict(report.totals()),
        "duration_ms": round(elapsed_ms, 1),
    }


def publish_metrics(report: RunReport, elapsed_ms: float) -> None:
    totals = report.totals()
    metrics.add_metric(name="LeadsAssigned", unit=MetricUnit.Count, value=totals["assigned"])
    metrics.add_metric(name="LeadsEscalated", unit=MetricUnit.Count, value=totals["escalated"])
    metrics.add_metric(name="LeadsWaiting", unit=MetricUnit.Count, value=totals["waiting"])
    # Of those: the overnight backlog held for the team's morning (see Rule.backlog_hold_minutes)
    metrics.add_metric(name="LeadsHeldForTeam", unit=MetricUnit.Count, value=totals["held"])
    metrics.add_metric(name="ConditionalWritesLost", unit=MetricUnit.Count, value=totals["lost"])
    metrics.add_metric(name="LeadWritesFailed", unit=MetricUnit.Count, value=totals["failed"])
    metrics.add_metric(name="LeadsQuarantined", unit=MetricUnit.Count, value=totals["quarantined"])
    metrics.add_metric(name="LeadsReleased", unit=MetricUnit.Count, value=totals["released"])
    skipped = sum(n for key, n in totals.items() if key.startswith("skipped:"))
    metrics.add_metric(name="StaffSkipped", unit=MetricUnit.Count, value=skipped)
    metrics.add_metric(name="RulesSwept", unit=MetricUnit.Count, value=len(report.swept))
    metrics.add_metric(name="RulesFailed", unit=MetricUnit.Count, value=len(report.failed))
    metrics.add_metric(name="SweepDuration", unit=MetricUnit.Milliseconds, value=elapsed_ms)


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
        outcome = sweeper.arrived(str(tenant_id), str(scope)[len(str(tenant_id)) + 1 :])
        if isinstance(outcome, SweepReport):
            metrics.add_metric(name="LeadsAssignedOnArrival", unit=MetricUnit.Count, value=outcome.assigned)
            logger.info("arrival sweep", extra={"rule_id": outcome.rule_id, "assigned": outcome.assigned})
            return "swept"
        return outcome

    return on_record
