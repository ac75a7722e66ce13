"""Tell the outside world: the leads table's stream records, as domain events on the event bus.

The publish Lambda reads the stream, so events come from what was written (the decision is on the item
the sweep's conditional write produced), never from a sweep's memory: a sweep that crashed after its
write still yields its event, and publishing adds no write to the assignment path. Every event of a
batch is sent up front in chunks of ten; a record whose events did not all get onto the bus fails (a
batch item failure), so Lambda retries it, and the retry yields the same event ids (receivers dedupe).

**No marketing event** for a restricted lead: while a data-subject request restricts or objects to
processing (``Lead.restriction``), none of its changes reaches the bus, so no integrator (dialer, CRM,
webhook) is told to work it; the decisions stay on the lead itself, and its history is whole. Each
withheld record counts in the ``EventsWithheldRestricted`` metric.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from pydantic import ValidationError

from leadrouter.data.stream import lead_from_image
from leadrouter.domain.events import DomainEvent, LeadAssigned, PublishResult, events_of_change
from leadrouter.observability import logger, metrics


class Bus(Protocol):
    def publish(self, events: Sequence[DomainEvent]) -> PublishResult: ...


class EventsNotPublished(Exception):
    """Some events of a stream record did not reach the bus; the record is retried."""

    def __init__(self, failed: Mapping[str, str]) -> None:
        super().__init__(f"{len(failed)} events not published: {dict(failed)}")
        self.failed = dict(failed)


def events_of_record(record: Mapping[str, Any]) -> list[DomainEvent]:
    """The events one stream record (as Lambda delivers it) means; none for an unreadable image.

    An image no model can read cannot become readable by retrying: it is logged (keys and field names
    only) and skipped.
    """
    change = record.get("dynamodb") or {}
    try:
        old, new = lead_from_image(change.get("OldImage")), lead_from_image(change.get("NewImage"))
        if new is not None and new.restriction is not None:
            metrics.add_metric(name="EventsWithheldRestricted", unit=MetricUnit.Count, value=1)
            return []  # no marketing event: see the module docstring
        return events_of_change(old, new)
    except (ValueError, AttributeError, TypeError) as error:  # ValidationError is a ValueError
        keys = {k: next(iter(v.values()), None) for k, v in (change.get("Keys") or {}).items()}
        fields = (
            sorted({str(p["loc"][0]) for p in error.errors() if p["loc"]})
            if isinstance(error, ValidationError)
            else [type(error).__name__]
        )
        logger.error("stream record unreadable; no event", extra={"key": keys, "fields": fields})
        metrics.add_metric(name="EventsUnreadable", unit=MetricUnit.Count, value=1)
        return []


def _first_rotation(event: DomainEvent) -> bool:
    """A lead's first owner, chosen by a rule: what speed-to-lead measures on the dashboard. A manual
    choice (an import keeping another CRM's owner among them) and a reassignment are left out."""
    return isinstance(event, LeadAssigned) and not event.manual and event.previous_owner is None


def publish_changes(records: Sequence[Mapping[str, Any]], bus: Bus) -> Callable[[DynamoDBRecord], int]:
    """Publish every event of a batch of stream records now; returns the batch processor's record
    handler, which fails exactly the records whose events did not all get onto the bus."""
    by_record = {_sequence(r): events_of_record(r) for r in records}
    unique = {e.event_id: e for events in by_record.values() for e in events}  # a batch may repeat a change
    result = bus.publish(list(unique.values()))
    metrics.add_metric(name="EventsPublished", unit=MetricUnit.Count, value=len(result.published))
    if result.failed:
        metrics.add_metric(name="EventsNotPublished", unit=MetricUnit.Count, value=len(result.failed))
    for event in unique.values():
        if event.event_id not in result.failed and _first_rotation(event):
            metrics.add_metric(
                name="SpeedToLead", unit=MetricUnit.Seconds, value=event.seconds_since_received
            )
    logger.info(
        "events published",
        extra={
            "records": len(records),
            "published": len(result.published),
            "types": dict(Counter(str(e.type) for e in unique.values())),
            "failed": result.failed,
        },
    )

    def on_record(record: DynamoDBRecord) -> int:
        events = by_record.get(_sequence(record.raw_event), [])
        failed = {e.event_id: result.failed[e.event_id] for e in events if e.event_id in result.failed}
        if failed:
            raise EventsNotPublished(failed)
        return len(events)

    return on_record


def _sequence(record: Mapping[str, Any]) -> str:
    return str((record.get("dynamodb") or {}).get("SequenceNumber") or record.get("eventID") or "")
