"""Assign Lambda: every minute (EventBridge Scheduler), give due pending leads to staff by rotation."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from leadrouter.logic.assign import sweep_due_leads
from leadrouter.logic.scheduled import run_scheduled
from leadrouter.observability import logger, metrics, tracer


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return run_scheduled("assign", sweep_due_leads, event, context)
