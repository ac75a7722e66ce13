"""Publish Lambda: the leads table's stream → domain events on the EventBridge bus (one per decision).

Failed records are reported one by one (ReportBatchItemFailures) and retried by Lambda; a retry
republishes the same event ids.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.typing import LambdaContext

from leadrouter.logic.events.publish import publish_changes
from leadrouter.observability import logger, metrics, tracer
from leadrouter.runtime import event_bus

processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False, capture_error=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    record_handler = publish_changes(event.get("Records") or [], event_bus())
    response = process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
    return dict(response)
