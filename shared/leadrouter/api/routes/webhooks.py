"""Webhooks (admin only): signed HTTPS deliveries of the tenant's events, their log, a test event.

The signing secret is returned once, by ``POST /webhooks``; it is stored sealed for signing and never listed.
"""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query
from pydantic import BaseModel, Field

from leadrouter.api.context import CURSOR_DOC, CURSOR_MAX_LENGTH, PathIdent, caller_of, now
from leadrouter.api.contract import answers
from leadrouter.domain.webhooks import SCHEDULE, Delivery, Webhook
from leadrouter.logic.events import subscriptions as logic
from leadrouter.runtime import delivery_queue, repository, secret_box
from leadrouter.settings import Settings
from leadrouter.signing import HEADER

router = Router()

_NO_WEBHOOK = "no such webhook in the caller's tenant"


class NewWebhook(BaseModel):
    webhook: Webhook
    secret: str = Field(description="the signing secret (whsec_…): shown only this once, keep it safe")
    signature_header: str = Field(default=HEADER, description="the header each delivery is signed in")


class WebhookList(BaseModel):
    items: list[Webhook]


class DeliveryPage(BaseModel):
    items: list[Delivery]
    cursor: str | None = Field(description="pass back as ?cursor= for the next page; null at the end")


class TestQueued(BaseModel):
    webhook_id: str
    event_id: str = Field(description="the test event's id (test-…); see it in the deliveries log")
    status: str = "queued"


_DESCRIPTION = (
    "Each delivery is an HTTPS POST of `{id, type, created_at, tenant_id, test, data}` (data: the event "
    f'as in docs/events.md), signed in `{HEADER}: t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">`. '
    "Deliveries are at least once (dedupe on `id`); any answer but 2xx within 10 s (DNS, connection, "
    "TLS and the answer's headers, all in one deadline) is retried after "
    + ", ".join(f"{d}s" for d in SCHEDULE.delays)
    + f" ({SCHEDULE.max_attempts} attempts), then the delivery is dead."
)


@router.post(
    "/webhooks",
    summary="Register an HTTPS endpoint for some (default all) event types; returns its secret once",
    description=_DESCRIPTION,
    responses={201: {"description": "registered; keep the secret, it is not shown again"}},
    tags=["webhooks"],
)
def create_webhook(body: logic.WebhookCreate) -> Response[NewWebhook]:
    caller = caller_of(router, "admin")
    settings = Settings.from_env()
    webhook, secret = logic.register(
        repository(), caller, body, now(), secrets=secret_box(), allow_local=settings.webhooks_allow_local
    )
    return Response(
        status_code=201,
        content_type=content_types.APPLICATION_JSON,
        body=NewWebhook(webhook=webhook, secret=secret),
    )


@router.get("/webhooks", summary="List the tenant's webhooks (never their secrets)", tags=["webhooks"])
def list_webhooks() -> WebhookList:
    caller = caller_of(router, "admin")
    return WebhookList(items=logic.list_webhooks(repository(), caller))


@router.get(
    "/webhooks/<webhook_id>",
    summary="One webhook (never its secret)",
    responses=answers("the webhook", not_found=_NO_WEBHOOK),
    tags=["webhooks"],
)
def get_webhook(webhook_id: PathIdent) -> Webhook:
    caller = caller_of(router, "admin")
    return logic.get_webhook(repository(), caller, webhook_id)


@router.delete(
    "/webhooks/<webhook_id>",
    summary="Delete a webhook: queued deliveries stop (within 30 s); its log is no longer listed",
    responses=answers("deleted", status=204, not_found=_NO_WEBHOOK),
    tags=["webhooks"],
)
def delete_webhook(webhook_id: PathIdent) -> Response[None]:
    caller = caller_of(router, "admin")
    logic.delete_webhook(repository(), caller, webhook_id)
    return Response(status_code=204)


@router.get(
    "/webhooks/<webhook_id>/deliveries",
    summary="A webhook's delivery log, newest event first (30 days): status, attempts, last error",
    responses=answers("a page of deliveries", not_found=_NO_WEBHOOK),
    tags=["webhooks"],
)
def list_deliveries(
    webhook_id: PathIdent,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[str | None, Query(max_length=CURSOR_MAX_LENGTH, description=CURSOR_DOC)] = None,
) -> DeliveryPage:
    caller = caller_of(router, "admin")
    items, next_page = logic.list_deliveries(repository(), caller, webhook_id, limit=limit, start=cursor)
    return DeliveryPage(items=items, cursor=next_page)


@router.post(
    "/webhooks/<webhook_id>/test",
    summary="Send a test event: a LeadAssigned-shaped delivery with test: true",
    description=(
        f"At most {logic.TEST_EVENTS_PER_MINUTE} test events a minute per tenant (a counter every "
        "container shares); more is a 429 with Retry-After (the seconds left in the minute)."
    ),
    responses=answers("queued; the deliveries log shows its outcome", status=202, not_found=_NO_WEBHOOK),
    tags=["webhooks"],
)
def send_test(webhook_id: PathIdent) -> Response[TestQueued]:
    caller = caller_of(router, "admin")
    request = logic.send_test(repository(), delivery_queue(), caller, webhook_id, now())
    return Response(
        status_code=202,
        content_type=content_types.APPLICATION_JSON,
        body=TestQueued(webhook_id=request.webhook_id, event_id=request.event_id),
    )
