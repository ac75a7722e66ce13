"""Webhook fan-out Lambda: each event from WebhookEventsQueue → one WebhookDeliveryQueue message per
subscribed webhook of the event's tenant. A record that fails is retried by SQS (then the DLQ)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from leadrouter.logic.events.fanout import fan_out_message
from leadrouter.observability import logger, metrics, tracer
from leadrouter.runtime import delivery_queue, repository

processor = BatchProcessor(event_type=EventType.SQS)


def record_handler(record: SQSRecord) -> None:
    fan_out_message(repository(), delivery_queue(), record.body)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False, capture_error=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return dict(
        process_partial_response(
            event=event, record_handler=record_handler, processor=processor, context=context
        )
    )
