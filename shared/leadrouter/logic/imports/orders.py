"""The stage orders on ImportQueue: how an import's stages follow one another.

Stages, each a message on ImportQueue handled by the import worker (one message per invocation):

* ``split``: the one read of the uploaded file into chunks (module ``split``);
* ``check`` (one per chunk), then ``report``: the dry run (``check``, then ``reports``);
* ``rows`` (one per chunk), then ``finish``: the import itself (``rows``, then ``reports``).

The API queues a chunked stage's messages (ten per SendMessageBatch: 200 calls for a million rows).
A chunk's counts go to the record in one transaction with its marker item (``data.imports``); the
worker whose chunk completes the count queues the closing stage (a second one does no harm: both
closing stages are safe to run twice).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from leadrouter.domain.imports import Import, ImportOrder, StageCounts
from leadrouter.logic.ports import Imports


class ImportRequests(Protocol):
    """Where an import's stage messages wait for the worker (``QueueError`` if they cannot be queued)."""

    def queue_import(self, orders: Sequence[ImportOrder]) -> None: ...


def orders(record: Import, stage: str, chunks: Sequence[int]) -> list[ImportOrder]:
    return [
        ImportOrder.model_validate(
            {"tenant_id": record.tenant_id, "import_id": record.import_id, "stage": stage, "chunk": n}
        )
        for n in chunks
    ]


def next_order(record: Import, stage: str) -> ImportOrder:
    return ImportOrder.model_validate(
        {"tenant_id": record.tenant_id, "import_id": record.import_id, "stage": stage}
    )


def after_chunk(repo: Imports, queue: ImportRequests, record: Import, stage: str, then: str) -> None:
    """The worker that sees every chunk counted queues the closing stage (twice is harmless)."""
    now_record = repo.get_import(record.tenant_id, record.import_id)
    if now_record is None:
        return
    counted: StageCounts = getattr(now_record, stage)
    if counted.chunks >= now_record.chunk_count:
        queue.queue_import([next_order(record, then)])
