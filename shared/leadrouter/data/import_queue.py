"""ImportQueue: one message per stage of an import, and per chunk for the chunked stages (ids only).

Each message's ``MessageGroupId`` is its tenant (an SQS fair queue: one tenant's import of a million
rows does not hold up another tenant's). A chunk stage's messages go ten to a SendMessageBatch call.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from leadrouter.data.webhook_queue import QueueError
from leadrouter.domain.imports import ImportOrder

#: SQS's most entries per SendMessageBatch.
BATCH = 10


class ImportQueue:
    def __init__(self, queue_url: str, client: Any) -> None:
        self.queue_url = queue_url
        self._client = client  # SQS, from runtime.import_queue

    def queue_import(self, orders: Sequence[ImportOrder]) -> None:
        if not self.queue_url:
            raise QueueError("IMPORT_QUEUE_URL is not set (template.yaml sets it)")
        for start in range(0, len(orders), BATCH):
            entries = [
                {"Id": str(i), "MessageBody": order.model_dump_json(), "MessageGroupId": order.tenant_id}
                for i, order in enumerate(orders[start : start + BATCH])
            ]
            try:
                answer = self._client.send_message_batch(QueueUrl=self.queue_url, Entries=entries)
            except Exception as error:  # botocore's, and connection errors: the caller answers 503
                raise QueueError(f"SQS did not take the import: {type(error).__name__}") from error
            if answer.get("Failed"):
                raise QueueError(f"SQS refused {len(answer['Failed'])} import messages")
