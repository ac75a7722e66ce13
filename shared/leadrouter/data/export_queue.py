"""ExportQueue: one message per requested lead export (ids only), for the export worker.

Each message's ``MessageGroupId`` is its tenant (an SQS fair queue: one tenant's burst of exports does
not hold up the others').
"""

from __future__ import annotations

from typing import Any

from leadrouter.data.webhook_queue import QueueError
from leadrouter.domain.exports import ExportOrder


class ExportQueue:
    def __init__(self, queue_url: str, client: Any) -> None:
        self.queue_url = queue_url
        self._client = client  # SQS, from runtime.export_queue

    def request_export(self, order: ExportOrder) -> None:
        if not self.queue_url:
            raise QueueError("EXPORT_QUEUE_URL is not set (template.yaml sets it)")
        try:
            self._client.send_message(
                QueueUrl=self.queue_url, MessageBody=order.model_dump_json(), MessageGroupId=order.tenant_id
            )
        except Exception as error:  # botocore's, and connection errors: the caller answers 503
            raise QueueError(f"SQS did not take the export: {type(error).__name__}") from error
