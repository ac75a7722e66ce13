"""The scheduled path's queues: DispatchQueue (one message per shard per tick) and the sweep queues
(AssignQueue, ReclaimQueue: one message per rule with work).
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from leadrouter.data.webhook_queue import SEND_BATCH_LIMIT, QueueError
from leadrouter.domain.dispatch import ShardOrder, SweepOrder, UnroutedOrder

#: SendMessageBatch calls in flight at once: 5,000 orders are 500 calls, about 0.3 s on AWS.
SEND_THREADS = 16

Order = ShardOrder | SweepOrder | UnroutedOrder


class SweepQueue:
    def __init__(self, queue_url: str, client: Any) -> None:
        if not queue_url:
            raise RuntimeError(
                "a queue URL is not set (template.yaml sets DISPATCH/ASSIGN/RECLAIM_QUEUE_URL)"
            )
        self.queue_url = queue_url
        self._client = client  # SQS with a pool for SEND_THREADS, from runtime.sweep_queue

    def send(self, orders: Sequence[Order]) -> int:
        """Send every order, ten per SendMessageBatch, in parallel; returns how many were sent.

        Entries SQS refused are sent once more; any still refused raise QueueError after all the
        others went (the tick fails and is retried; a duplicate order is harmless: the rule's lease,
        interval and conditional writes dedupe it).
        """
        batches = [orders[i : i + SEND_BATCH_LIMIT] for i in range(0, len(orders), SEND_BATCH_LIMIT)]
        with ThreadPoolExecutor(max_workers=SEND_THREADS) as pool:
            refused = sum(pool.map(self._send_batch, batches))
        if refused:
            raise QueueError(f"SQS refused {refused} of {len(orders)} sweep order(s)")
        return len(orders)

    def _send_batch(self, batch: Sequence[Order]) -> int:
        entries = [{"Id": str(i), "MessageBody": order.model_dump_json()} for i, order in enumerate(batch)]
        for _ in range(2):
            response = self._client.send_message_batch(QueueUrl=self.queue_url, Entries=entries)
            failed = {f["Id"] for f in response.get("Failed", [])}
            entries = [e for e in entries if e["Id"] in failed]
            if not entries:
                return 0
        return len(entries)
