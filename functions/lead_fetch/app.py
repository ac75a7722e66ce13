"""Lead fetch Lambda: each LeadFetchQueue message → one platform lead read (Meta's Graph API), then made.

A failed attempt sets its message's visibility to the schedule's next delay (by ApproximateReceiveCount)
and is reported as a batch item failure, so SQS brings back that message alone; after the last attempt
the message comes back at once and the queue's redrive moves it to LeadFetchDeadLetterQueue.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.data_classes import SQSEvent
from aws_lambda_powertools.utilities.typing import LambdaContext

from leadrouter.clock import utc_now
from leadrouter.domain.fetches import FETCH_SCHEDULE
from leadrouter.logic.intake.fetches import Fetcher, FetchMessage, fetch_batch
from leadrouter.observability import logger, metrics, tracer
from leadrouter.runtime import fetch_queue, mailer, platform_apis, repository, secret_box
from leadrouter.settings import Settings


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False, capture_error=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    messages = [
        FetchMessage(
            message_id=record.message_id,
            receipt_handle=record.receipt_handle,
            body=record.body,
            receive_count=int(record.attributes.approximate_receive_count or 1),
        )
        for record in SQSEvent(event).records
    ]
    fetcher = Fetcher(
        http=platform_apis(),
        secrets=secret_box(),
        mailer=mailer(),
        schedule=FETCH_SCHEDULE.scaled(Settings.from_env().fetch_retry_scale),
    )
    failed = fetch_batch(repository(), fetch_queue(), messages, fetcher, utc_now)
    return {"batchItemFailures": [{"itemIdentifier": message_id} for message_id in failed]}
