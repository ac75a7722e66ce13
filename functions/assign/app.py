"""Assign Lambda: every minute (EventBridge Scheduler) and on each new pending lead (DynamoDB stream).

The schedule sweeps every rule that is due, then escalates leads no rule will ever assign. The stream
sweeps at once the scope of a lead that just arrived, when its rule has no delay and runs continuously.
Both use the same lease and conditional writes, so a lead is assigned exactly once whichever gets there
first.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.typing import LambdaContext

from leadrouter.logic.assign import sweep_due_leads
from leadrouter.logic.scheduled import run_arrivals, run_scheduled
from leadrouter.logic.unrouted import sweep_unrouted
from leadrouter.observability import logger, metrics, tracer

processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if "Records" in event:
        record_handler = run_arrivals(context)
        response = process_partial_response(
            event=event, record_handler=record_handler, processor=processor, context=context
        )
        return dict(response)
    return run_scheduled("assign", sweep_due_leads, event, context, follow_up=sweep_unrouted)
