"""IntakeOverflowQueue: submissions the door screened while their tenant's tables were throttled.

Each message's ``MessageGroupId`` is its tenant (an SQS fair queue: one tenant's burst does not hold
up the others' overflow). The body holds the submission's fields (personal data): the queue is
encrypted (SQS-managed SSE) and the body is never logged.
"""

from __future__ import annotations

from typing import Any

from leadrouter.data.webhook_queue import QueueError
from leadrouter.domain.submissions import OverflowedSubmission


class IntakeOverflowQueue:
    def __init__(self, queue_url: str, client: Any) -> None:
        self.queue_url = queue_url
        self._client = client  # SQS, from runtime.intake_overflow

    def put(self, item: OverflowedSubmission) -> None:
        if not self.queue_url:
            raise QueueError("INTAKE_OVERFLOW_QUEUE_URL is not set (template.yaml sets it)")
        try:
            self._client.send_message(
                QueueUrl=self.queue_url, MessageBody=item.body(), MessageGroupId=item.record.tenant_id
            )
        except Exception as error:  # botocore's, and connection errors: the sender is told to retry
            raise QueueError(f"SQS did not take the submission: {type(error).__name__}") from error

    def retry_in(self, receipt_handle: str, seconds: int) -> None:
        """The message comes back after ``seconds`` (not the queue's whole visibility timeout)."""
        self._client.change_message_visibility(
            QueueUrl=self.queue_url, ReceiptHandle=receipt_handle, VisibilityTimeout=int(seconds)
        )
