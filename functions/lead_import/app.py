"""Lead import Lambda: each ImportQueue message → one stage of a customer-list import (read the file,
check or import one chunk, write a report).

A stage that fails is reported as a batch item failure: SQS brings it back (every stage is safe to run
again: a chunk's rows are found, not made twice, and its counts are added once), and after the last
attempt the queue's redrive moves it to ImportDeadLetterQueue.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from leadrouter import runtime
from leadrouter.clock import utc_now
from leadrouter.logic.imports.worker import handle_message
from leadrouter.observability import logger, metrics, tracer
from leadrouter.settings import Settings

processor = BatchProcessor(event_type=EventType.SQS)


def record_handler(record: SQSRecord) -> None:
    settings = Settings.from_env()
    handle_message(
        runtime.repository(),
        runtime.files(),
        runtime.import_queue(),
        record.body,
        utc_now,
        chunk_rows=settings.import_chunk_rows,
        rows_per_second=settings.import_rows_per_second,
    )


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False, capture_error=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return dict(
        process_partial_response(
            event=event, record_handler=record_handler, processor=processor, context=context
        )
    )
