"""Tenant webhooks as admins manage them: register, list, read, delete, the delivery log, a test event.

The signing secret is returned once, when the webhook is registered, and stored sealed. A test event
goes onto the delivery queue like any delivery (``logic.events.delivery``).
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field

from leadrouter.data.cursors import Cursor
from leadrouter.domain.base import Name
from leadrouter.domain.errors import InvalidInput, NotFound, RateLimited, Unavailable
from leadrouter.domain.ids import new_id
from leadrouter.domain.secrets import (
    SecretBox,
    SecretsUnavailable,
    webhook_secret_context,
)
from leadrouter.domain.users import Caller
from leadrouter.domain.webhooks import (
    MAX_URL_LENGTH,
    MAX_WEBHOOKS_PER_TENANT,
    Delivery,
    DeliveryRequest,
    EventTypes,
    Webhook,
    check_url,
    new_secret,
    test_event,
)
from leadrouter.logic.events.delivery import Queue
from leadrouter.logic.ports import Deliveries, Limits, Webhooks
from leadrouter.logic.validation import validated
from leadrouter.observability import logger


class DeliveryLogPorts(Webhooks, Deliveries, Protocol):
    """A webhook and its deliveries."""


class SendTestPorts(Webhooks, Limits, Protocol):
    """A webhook and its test events' rate limit."""


#: ``POST /webhooks/{id}/test`` per tenant per minute (a config-table counter every container sees).
TEST_EVENTS_PER_MINUTE = 10


_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_INTERNAL = r"(?![^/?#]*\.(?:localhost|local|internal|localdomain|home\.arpa)(?:[:/?]|$))"
#: What ``check_url`` accepts on AWS, as the spec states it (a sufficient shape: host names only).
PUBLIC_URL_PATTERN = (
    rf"^https://{_INTERNAL}{_LABEL}(?:\.{_LABEL})*\.[A-Za-z][A-Za-z0-9-]{{0,62}}"
    r"(?::(?:6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3}))?"
    r"(?:[/?][!\"$-~]*)?$"
)


class WebhookCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    url: str = Field(
        max_length=MAX_URL_LENGTH,
        description="https:// endpoint that receives the deliveries: a public host name (no IP address of "
        "this network, no localhost or internal suffix), no user name, no #fragment",
        json_schema_extra={"pattern": PUBLIC_URL_PATTERN},
    )
    event_types: EventTypes | None = Field(default=None, description="the types to receive; default all")
    description: Name | None = None


def register(
    repo: Webhooks,
    caller: Caller,
    body: WebhookCreate,
    now: datetime,
    *,
    secrets: SecretBox,
    allow_local: bool = False,
) -> tuple[Webhook, str]:
    """A new webhook and its signing secret (returned this once; stored sealed, never listed)."""
    try:
        url = check_url(body.url, allow_local=allow_local)
    except ValueError as error:
        raise InvalidInput("invalid webhook", {"url": str(error)}) from error
    if len(repo.list_webhooks(caller.tenant_id)) >= MAX_WEBHOOKS_PER_TENANT:
        raise InvalidInput(
            "too many webhooks", {"body": f"a tenant has at most {MAX_WEBHOOKS_PER_TENANT} webhooks"}
        )
    data: dict[str, Any] = {
        "webhook_id": new_id("W", now),
        "tenant_id": caller.tenant_id,
        "url": url,
        "description": body.description,
        "created_at": now,
    }
    if body.event_types is not None:
        data["event_types"] = body.event_types
    webhook = validated(Webhook, data, "invalid webhook")
    secret = new_secret()
    try:
        sealed = secrets.seal(secret, webhook_secret_context(webhook.tenant_id, webhook.webhook_id))
    except SecretsUnavailable as error:
        logger.warning("webhook secret not sealed", extra={"error": str(error)})
        raise Unavailable("the webhook could not be registered right now; try again") from error
    repo.create_webhook(webhook, sealed)
    logger.info("webhook registered", extra={"webhook_id": webhook.webhook_id, "tenant_id": caller.tenant_id})
    return webhook, secret


def list_webhooks(repo: Webhooks, caller: Caller) -> list[Webhook]:
    return repo.list_webhooks(caller.tenant_id)


def get_webhook(repo: Webhooks, caller: Caller, webhook_id: str) -> Webhook:
    webhook = repo.get_webhook(caller.tenant_id, webhook_id)
    if webhook is None:
        raise NotFound(f"webhook {webhook_id} not found")
    return webhook


def delete_webhook(repo: Webhooks, caller: Caller, webhook_id: str) -> None:
    repo.delete_webhook(caller.tenant_id, webhook_id)


def list_deliveries(
    repo: DeliveryLogPorts, caller: Caller, webhook_id: str, *, limit: int, start: Cursor | None = None
) -> tuple[list[Delivery], Cursor | None]:
    get_webhook(repo, caller, webhook_id)
    return repo.list_deliveries(caller.tenant_id, webhook_id, limit=limit, start=start)


def send_test(
    repo: SendTestPorts, queue: Queue, caller: Caller, webhook_id: str, now: datetime
) -> DeliveryRequest:
    """Queue a synthetic ``LeadAssigned`` (``test: true``) for one webhook, whatever it subscribes to;
    at most TEST_EVENTS_PER_MINUTE per tenant (a test event is an outbound POST to a URL the tenant
    chose: unbounded, it would make us a tool against that host and crowd out the tenant's real events)."""
    webhook = get_webhook(repo, caller, webhook_id)
    instant = now.timestamp()
    window = int(instant) // 60 * 60
    scope = f"{caller.tenant_id}#webhook-test"
    if repo.claim_in_window(scope, window, TEST_EVENTS_PER_MINUTE, 1, window + 120) == 0:
        wait = max(1, math.ceil(window + 60 - instant))
        raise RateLimited(f"at most {TEST_EVENTS_PER_MINUTE} test events a minute per tenant", wait)
    request = DeliveryRequest(
        tenant_id=caller.tenant_id,
        webhook_id=webhook.webhook_id,
        event=test_event(caller.tenant_id, now),
        test=True,
    )
    queue.send([request])
    return request
