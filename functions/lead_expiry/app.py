"""Lead expiry Lambda: the leads stream's TTL deletions → the expired lead's claims and history removed.

Failed records are reported one by one (ReportBatchItemFailures) and retried; forgetting twice is
harmless.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from leadrouter.logic.privacy.expiry import forget_expired_record
from leadrouter.observability import logger, metrics, tracer
from leadrouter.runtime import repository

processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


def _forget(record: DynamoDBRecord) -> dict[str, int]:
    return forget_expired_record(repository(), record.raw_event)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False, capture_error=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    response = process_partial_response(
        event=event, record_handler=_forget, processor=processor, context=context
    )
    return dict(response)
