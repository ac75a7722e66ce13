"""LeadFetchQueue: one message per platform delivery whose lead is to be fetched, and its retry delay.

Each message's ``MessageGroupId`` is its tenant (an SQS fair queue: one tenant's backlog, or a platform
throttling one tenant, does not hold up the others).
"""

from __future__ import annotations

from math import ceil
from typing import Any

from leadrouter.clock import utc_now
from leadrouter.data.webhook_queue import QueueError
from leadrouter.domain.fetches import FetchOrder

#: SQS's longest DelaySeconds.
MAX_DELAY_SECONDS = 900


class FetchQueue:
    def __init__(self, queue_url: str, client: Any) -> None:
        self.queue_url = queue_url
        self._client = client  # SQS, from runtime.fetch_queue

    def request_fetch(self, order: FetchOrder) -> None:
        if not self.queue_url:
            raise QueueError("LEAD_FETCH_QUEUE_URL is not set (template.yaml sets it)")
        delay = 0
        if order.not_before is not None:  # SQS delays a message 15 min at most; the worker waits on
            delay = min(MAX_DELAY_SECONDS, max(0, ceil((order.not_before - utc_now()).total_seconds())))
        try:
            self._client.send_message(
                QueueUrl=self.queue_url,
                MessageBody=order.model_dump_json(),
                MessageGroupId=order.tenant_id,
                DelaySeconds=delay,
            )
        except Exception as error:  # botocore's, and connection errors: the sender retries
            raise QueueError(f"SQS did not take the fetch: {type(error).__name__}") from error

    def retry_in(self, receipt_handle: str, seconds: int) -> None:
        """The message comes back after ``seconds`` (0: at once, e.g. to be moved to the DLQ)."""
        self._client.change_message_visibility(
            QueueUrl=self.queue_url, ReceiptHandle=receipt_handle, VisibilityTimeout=int(seconds)
        )
