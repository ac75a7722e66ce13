"""WebhookDeliveryQueue: one message per event per webhook, and the delay before a failed one returns.

Each message's ``MessageGroupId`` is its tenant: on a standard queue that makes it an SQS fair queue,
which receives the other tenants' messages first while one tenant has a backlog or takes a
disproportionate share of the processing time (a slow endpoint); it orders nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from leadrouter.domain.webhooks import DeliveryRequest

SEND_BATCH_LIMIT = 10


class QueueError(RuntimeError):
    """SQS did not take every message (the caller fails its record, and the batch is retried)."""


class DeliveryQueue:
    """WebhookDeliveryQueue, and (for the delivery function only) its dead-letter queue."""

    def __init__(self, queue_url: str, client: Any, dead_letter_url: str = "") -> None:
        if not queue_url:
            raise RuntimeError("WEBHOOK_DELIVERY_QUEUE_URL is not set (template.yaml sets it)")
        self.queue_url = queue_url
        self.dead_letter_url = dead_letter_url
        self._client = client  # SQS, from runtime.delivery_queue

    def send(self, requests: Sequence[DeliveryRequest]) -> None:
        """SendMessageBatch in tens; entries SQS refused are sent once more, then QueueError.

        A resent entry that SQS had in fact taken is a duplicate message: the delivery log's claim
        makes it a no-op.
        """
        for start in range(0, len(requests), SEND_BATCH_LIMIT):
            entries = [
                {"Id": str(i), "MessageBody": r.model_dump_json(), "MessageGroupId": r.tenant_id}
                for i, r in enumerate(requests[start : start + SEND_BATCH_LIMIT])
            ]
            for _ in range(2):
                response = self._client.send_message_batch(QueueUrl=self.queue_url, Entries=entries)
                failed = {f["Id"] for f in response.get("Failed", [])}
                entries = [e for e in entries if e["Id"] in failed]
                if not entries:
                    break
            if entries:
                raise QueueError(f"SQS refused {len(entries)} delivery message(s)")

    def dead_letter(self, request: DeliveryRequest) -> None:
        """Put a dead delivery's message on WebhookDeliveryDeadLetterQueue (its ``redriven_after`` set
        by the caller), in its tenant's group as on the queue, so a redrive keeps the fairness.

        The delivery function sends it itself rather than leave it to the queue's redrive policy:
        SQS's copy would be the body as sent, without the mark that alone lets a redrive start a new
        round. Redrive these to WebhookDeliveryQueue by name (they have no recorded source queue).
        """
        if not self.dead_letter_url:
            raise RuntimeError("WEBHOOK_DEAD_LETTER_QUEUE_URL is not set (template.yaml sets it)")
        self._client.send_message(
            QueueUrl=self.dead_letter_url,
            MessageBody=request.model_dump_json(),
            MessageGroupId=request.tenant_id,
        )

    def retry_in(self, receipt_handle: str, seconds: int) -> None:
        """The message comes back after ``seconds`` (0: at once)."""
        self._client.change_message_visibility(
            QueueUrl=self.queue_url, ReceiptHandle=receipt_handle, VisibilityTimeout=int(seconds)
        )
