"""Lead export Lambda: each ExportQueue message → one export's file made and stored, its record done.

An export that fails is recorded as failed and its message reported as a batch item failure: SQS
brings it back (the export is made again, to the same key), and after the last attempt the queue's
redrive moves it to ExportDeadLetterQueue.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from leadrouter import runtime
from leadrouter.clock import utc_now
from leadrouter.logic.exports.jobs import make_export_message
from leadrouter.observability import logger, metrics, tracer

processor = BatchProcessor(event_type=EventType.SQS)


def record_handler(record: SQSRecord) -> None:
    make_export_message(runtime.repository(), runtime.files(), record.body, utc_now)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False, capture_error=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return dict(
        process_partial_response(
            event=event, record_handler=record_handler, processor=processor, context=context
        )
    )
