"""Intake overflow Lambda: each IntakeOverflowQueue message → a screened submission stored and made.

The door queues a submission whose writes were throttled (a tenant's burst beyond its partitions'
rate); this function makes it at the rate the tables take. A message still throttled is reported as a
batch item failure and set to come back in a few seconds (``retry_delay``): SQS brings that message
back, the rest are done; after the queue's last attempt it moves to IntakeOverflowDeadLetterQueue.
Message bodies hold personal data and are never logged.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes import SQSEvent
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from leadrouter import runtime
from leadrouter.logic.intake.drain import drain_message, retry_delay
from leadrouter.observability import logger, metrics, tracer


def record_handler(record: SQSRecord) -> None:
    drain_message(runtime.drain_repository(), record.body)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False, capture_error=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    # A processor per batch: it holds the batch's outcomes (and the local stack runs invocations side
    # by side in one process). A batch whose every item failed is reported item by item too.
    processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
    answer: dict[str, Any] = dict(
        process_partial_response(
            event=event, record_handler=record_handler, processor=processor, context=context
        )
    )
    failed = {str(f["itemIdentifier"]) for f in answer.get("batchItemFailures") or []}
    queue = runtime.intake_overflow()
    for record in SQSEvent(event).records:
        if record.message_id in failed and queue is not None:
            count = int(record.attributes.approximate_receive_count or 1)
            try:
                queue.retry_in(record.receipt_handle, retry_delay(count))
            except Exception as error:  # then it comes back after the queue's visibility timeout
                logger.warning("retry delay not set", extra={"error": type(error).__name__})
    return answer
