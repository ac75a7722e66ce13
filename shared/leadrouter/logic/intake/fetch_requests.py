"""Where a stored delivery waits for what it still needs: a platform's announced lead to be fetched, or
a held part to be let in at a later time (``logic.intake.fetches`` is the worker at the other end)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from leadrouter.data.webhook_queue import QueueError
from leadrouter.domain.errors import Unavailable
from leadrouter.domain.fetches import FetchOrder
from leadrouter.domain.submissions import Submission
from leadrouter.observability import logger, metrics


class FetchRequests(Protocol):
    """Where a platform's announced lead waits to be fetched (``QueueError`` if it cannot be queued)."""

    def request_fetch(self, order: FetchOrder) -> None: ...


class _NoFetchQueue:
    """A process without the fetch queue (``LEAD_FETCH_QUEUE_URL``): an announced lead cannot wait."""

    def request_fetch(self, order: FetchOrder) -> None:
        raise QueueError("no fetch queue is configured (LEAD_FETCH_QUEUE_URL)")


NO_FETCHES: FetchRequests = _NoFetchQueue()


def request_fetch(fetches: FetchRequests, record: Submission, *, not_before: datetime | None = None) -> None:
    """Queue the fetch of ``record``'s lead; ``Unavailable`` (the platform retries) if it cannot be.

    With ``not_before`` it is a held part's release: the worker makes it a lead then, if still held.
    The record stays ``received`` until the worker makes its lead: a platform's retry of the delivery,
    or a replay, queues the fetch again, and the record's one lead id keeps that to one lead."""
    order = FetchOrder(
        tenant_id=record.tenant_id,
        source_id=record.source_id,
        submission_id=record.submission_id,
        not_before=not_before,
    )
    try:
        fetches.request_fetch(order)
    except QueueError as error:
        logger.warning(
            "lead fetch not queued", extra={"submission": record.submission_id, "error": str(error)}
        )
        raise Unavailable("the lead could not be queued for fetching right now; try again") from error
    metrics.add_metric(name="LeadFetchesQueued", unit="Count", value=1)
