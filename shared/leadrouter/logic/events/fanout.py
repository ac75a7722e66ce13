"""Fanning an event out: one delivery message per webhook of its tenant that wants it.

The path of an event (AWS's engines do the queueing and the retrying)::

    EventBridge bus ─rule─▶ WebhookEventsQueue ─▶ fan-out (one message per subscribed webhook)
        ─▶ WebhookDeliveryQueue ─▶ delivery: sign, POST, log (``logic.events.delivery``)
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from typing import Protocol

from aws_lambda_powertools.metrics import MetricUnit
from pydantic import ValidationError

from leadrouter.data.webhooks import Subscription
from leadrouter.domain.events import DOMAIN_EVENT, EVENT_SOURCE, DomainEvent, EventType
from leadrouter.domain.webhooks import (
    DeliveryRequest,
)
from leadrouter.logic.events.delivery import Queue
from leadrouter.logic.ports import Tenants, Webhooks
from leadrouter.observability import metrics


class FanOutPorts(Tenants, Webhooks, Protocol):
    """The tenant's subscriptions to an event."""


def fan_out(
    event: DomainEvent, subscriptions: Sequence[Subscription], alert_webhooks: Collection[str] = ()
) -> list[DeliveryRequest]:
    """The deliveries an event means: one per active webhook of its tenant that wants its type, and,
    for an escalation, one per active webhook the tenant's alert settings name (``alert_webhooks``)."""
    alerting = event.type is EventType.LEAD_ESCALATED
    return [
        DeliveryRequest(tenant_id=event.tenant_id, webhook_id=s.webhook.webhook_id, event=event)
        for s in subscriptions
        if s.webhook.tenant_id == event.tenant_id
        and (s.webhook.wants(event.type) or (alerting and s.webhook.webhook_id in alert_webhooks))
    ]


def event_of_message(body: str) -> DomainEvent | None:
    """The domain event of a WebhookEventsQueue message (an EventBridge event as SQS gets it).

    Another source's event is None (ignored); a leadrouter event that does not read is a ValueError,
    so its message is retried and ends in the events queue's DLQ rather than vanishing.
    """
    envelope = json.loads(body)
    if not isinstance(envelope, Mapping) or envelope.get("source") != EVENT_SOURCE:
        return None
    try:
        event = DOMAIN_EVENT.validate_python(envelope.get("detail"))
    except ValidationError as error:
        kind = envelope.get("detail-type")
        raise ValueError(f"unreadable {kind} event: {error.error_count()} error(s)") from None
    if envelope.get("detail-type") not in (None, str(event.type)):
        raise ValueError("detail-type does not match the event's type")
    return event


def fan_out_message(repo: FanOutPorts, queue: Queue, body: str) -> int:
    """Fan one WebhookEventsQueue message out onto WebhookDeliveryQueue; the number of deliveries."""
    event = event_of_message(body)
    if event is None:
        return 0
    alert_webhooks: list[str] = []
    if event.type is EventType.LEAD_ESCALATED:
        tenant = repo.get_tenant(event.tenant_id)
        alert_webhooks = tenant.alerts.webhook_ids if tenant is not None else []
    requests = fan_out(event, repo.subscriptions(event.tenant_id), alert_webhooks)
    if requests:
        queue.send(requests)
    metrics.add_metric(name="WebhookDeliveriesQueued", unit=MetricUnit.Count, value=len(requests))
    return len(requests)
