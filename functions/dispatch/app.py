"""Dispatch Lambda: every minute (EventBridge Scheduler, one schedule per action) lists the rules
that have work and sends each its own sweep order on the action's queue; the assign and reclaim
Lambdas sweep them in parallel. It reads the config table and the due index, and writes nothing."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext

from leadrouter.logic.scheduled import run_dispatch
from leadrouter.observability import logger, metrics, tracer


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return run_dispatch(event)
