"""The scheduled entry point shared by the assign and reclaim Lambdas (handlers stay ~10 lines)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any, Protocol

from aws_lambda_powertools.metrics import MetricUnit

from leadrouter.clock import utc_now
from leadrouter.logic.sweeps import RunReport, SweepFn, run_sweeps
from leadrouter.observability import logger, metrics
from leadrouter.runtime import repository
from leadrouter.settings import Settings


class _Context(Protocol):
    def get_remaining_time_in_millis(self) -> int: ...


def run_scheduled(action: str, sweep: SweepFn, event: Mapping[str, Any], context: _Context) -> dict[str, Any]:
    """Run one scheduled tick. Safe to deliver twice: leases, intervals and conditional writes dedupe."""
    settings = Settings.from_env()
    started = utc_now()
    time_left: Callable[[], float] = lambda: context.get_remaining_time_in_millis() / 1000  # noqa: E731
    report = run_sweeps(
        repository(),
        action,
        sweep,
        started,
        lease=timedelta(seconds=settings.lease_seconds),
        time_left=time_left,
    )
    elapsed_ms = (utc_now() - started).total_seconds() * 1000
    summary = summarise(report, elapsed_ms)
    publish_metrics(report, elapsed_ms)
    logger.info(
        f"{action} tick done",
        extra={
            "execution_id": event.get("execution_id"),
            "scheduled_time": event.get("scheduled_time"),
            **summary,
        },
    )
    return summary


def summarise(report: RunReport, elapsed_ms: float) -> dict[str, Any]:
    return {
        "action": report.action,
        "rules_active": report.rules_active,
        "rules_swept": [s.rule_id for s in report.swept],
        "rules_busy": report.busy,
        "rules_closed": report.closed,
        "rules_shadowed": report.shadowed,
        "incomplete": [s.rule_id for s in report.swept if not s.complete],
        "totals": dict(report.totals()),
        "duration_ms": round(elapsed_ms, 1),
    }


def publish_metrics(report: RunReport, elapsed_ms: float) -> None:
    totals = report.totals()
    metrics.add_metric(name="LeadsAssigned", unit=MetricUnit.Count, value=totals["assigned"])
    metrics.add_metric(name="LeadsEscalated", unit=MetricUnit.Count, value=totals["escalated"])
    metrics.add_metric(name="LeadsWaiting", unit=MetricUnit.Count, value=totals["waiting"])
    metrics.add_metric(name="ConditionalWritesLost", unit=MetricUnit.Count, value=totals["lost"])
    skipped = sum(n for key, n in totals.items() if key.startswith("skipped:"))
    metrics.add_metric(name="StaffSkipped", unit=MetricUnit.Count, value=skipped)
    metrics.add_metric(name="RulesSwept", unit=MetricUnit.Count, value=len(report.swept))
    metrics.add_metric(name="SweepDuration", unit=MetricUnit.Milliseconds, value=elapsed_ms)
