"""Dispatch Lambda, in two steps. Every minute EventBridge Scheduler (one schedule per action) starts a
tick: one order per shard on DispatchQueue. Each shard's order lists that shard's active rules, asks
each one cheap question (is anything due?) and sends one sweep order per rule with work to the
action's queue; the assign and reclaim Lambdas sweep them in parallel. It writes nothing to DynamoDB."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.typing import LambdaContext

from leadrouter.logic.routing.scheduled import run_shards, start_tick
from leadrouter.observability import logger, metrics, tracer

shards = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False, capture_error=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if "Records" not in event:
        return start_tick(event)
    response = process_partial_response(
        event=event, record_handler=run_shards(context), processor=shards, context=context
    )
    return dict(response)
