"""Webhook delivery Lambda: each WebhookDeliveryQueue message → one signed POST, logged.

A failed attempt sets its message's visibility to the schedule's next delay (by ApproximateReceiveCount)
and reports it as a batch item failure, so SQS brings it back then; after the last attempt the message
comes back at once and the queue's redrive moves it to WebhookDeliveryDeadLetterQueue.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from leadrouter.data.webhook_queue import delivery_queue
from leadrouter.logic.webhooks import deliver, request_of_message
from leadrouter.observability import logger, metrics, tracer
from leadrouter.runtime import repository, secret_box
from leadrouter.settings import Settings

# A batch of failed deliveries is an answer (each failure has its delay set), not a crash to retry.
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


class DeliveryFailed(Exception):
    """This attempt failed; the message returns after the schedule's delay (or goes to the DLQ)."""


def record_handler(record: SQSRecord) -> None:
    outcome = deliver(
        repository(),
        request_of_message(record.body),
        holder=record.message_id,
        receive_count=int(record.attributes.approximate_receive_count or 1),
        settings=Settings.from_env(),
        secrets=secret_box(),
    )
    if outcome.result == "retry" or outcome.result == "dead":
        delivery_queue().retry_in(record.receipt_handle, outcome.retry_in or 0)
        raise DeliveryFailed(f"attempt {outcome.attempt} {outcome.result}: {outcome.reason}")


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return dict(
        process_partial_response(
            event=event, record_handler=record_handler, processor=processor, context=context
        )
    )
