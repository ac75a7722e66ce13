"""The EventBridge bus domain events are published to: PutEvents in chunks, failed entries retried.

PutEvents takes at most 10 entries per call and may accept some of them only (``FailedEntryCount``,
an ``ErrorCode`` per failed entry: throttling, an internal error). Those entries are sent again a few
times with a short pause; what still fails is reported to the caller by event id, so the stream record
that carried it is retried by Lambda (same event ids: receivers dedupe).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from leadrouter.domain.events import EVENT_SOURCE, DomainEvent, PublishResult

#: PutEvents' limit of entries per call.
MAX_ENTRIES = 10
#: Sends of one entry before it counts as failed (the first one included).
ATTEMPTS = 3


def entry(event: DomainEvent, bus_name: str) -> dict[str, Any]:
    """The PutEvents entry of an event: the contract every consumer of the bus relies on."""
    return {
        "Source": EVENT_SOURCE,
        "DetailType": str(event.type),
        "Detail": event.model_dump_json(),
        "EventBusName": bus_name,
        "Time": event.occurred_at,
    }


class EventBus:
    """One bus on an EventBridge client (``runtime.event_bus``); thread-safe (it holds only the client)."""

    def __init__(
        self,
        name: str,
        client: Any,
        *,
        attempts: int = ATTEMPTS,
        pause: Callable[[int], None] | None = None,
    ) -> None:
        self.name = name
        self._client = client
        self._attempts = attempts
        self._pause = pause or (lambda attempt: time.sleep(0.05 * 2**attempt))

    def publish(self, events: Sequence[DomainEvent]) -> PublishResult:
        """Send every event; never raises for a failed entry (see ``PublishResult.failed``)."""
        result = PublishResult()
        for start in range(0, len(events), MAX_ENTRIES):
            self._publish_chunk(events[start : start + MAX_ENTRIES], result)
        return result

    def _publish_chunk(self, chunk: Sequence[DomainEvent], result: PublishResult) -> None:
        pending = list(chunk)
        errors: dict[str, str] = {}
        for attempt in range(self._attempts):
            if attempt:
                self._pause(attempt)
            try:
                response = self._client.put_events(Entries=[entry(e, self.name) for e in pending])
            except (ClientError, BotoCoreError) as error:
                errors = {e.event_id: _error_code(error) for e in pending}
                continue
            answers = response.get("Entries", [])
            retry = []
            for event, answer in zip(pending, answers, strict=True):
                if answer.get("EventId"):
                    result.published.append(event.event_id)
                    errors.pop(event.event_id, None)
                else:
                    errors[event.event_id] = str(answer.get("ErrorCode") or "Unknown")
                    retry.append(event)
            pending = retry
            if not pending:
                return
        result.failed.update({e.event_id: errors.get(e.event_id, "Unknown") for e in pending})


def _error_code(error: Exception) -> str:
    if isinstance(error, ClientError):
        return str(error.response.get("Error", {}).get("Code") or type(error).__name__)
    return type(error).__name__
