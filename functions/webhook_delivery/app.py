"""Webhook delivery Lambda: each WebhookDeliveryQueue message → one signed POST, logged.

The batch's deliveries run side by side (``logic.events.delivery.deliver_batch``: Powertools' BatchProcessor
handles records one after another, so one slow receiver would delay the rest). A failed attempt sets
its message's visibility to the schedule's next delay (by the delivery log's attempt count) and is
reported as a batch item failure, so SQS brings back that message alone; after the round's last
attempt the function puts the message on WebhookDeliveryDeadLetterQueue itself, marked, and it is
deleted here.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.data_classes import SQSEvent
from aws_lambda_powertools.utilities.typing import LambdaContext

from leadrouter.logic.events.delivery import Message, deliver_batch
from leadrouter.observability import logger, metrics, tracer
from leadrouter.runtime import delivery_queue, repository, secret_box
from leadrouter.settings import Settings


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False, capture_error=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    messages = [
        Message(
            message_id=record.message_id,
            receipt_handle=record.receipt_handle,
            body=record.body,
        )
        for record in SQSEvent(event).records
    ]
    failed = deliver_batch(
        repository(),
        delivery_queue(),
        messages,
        settings=Settings.from_env(),
        time_left=lambda: context.get_remaining_time_in_millis() / 1000,
        secrets=secret_box(),
    )
    return {"batchItemFailures": [{"itemIdentifier": message_id} for message_id in failed]}
