"""Delivering one event to one webhook: sign, POST, log; a failed attempt comes back after its delay.

The path of a delivery message (AWS's engines do the queueing and the retrying)::

    WebhookDeliveryQueue ─▶ delivery: claim in the log (attempt n), sign, POST, log
          failed: ChangeMessageVisibility(the schedule's delay after n), the message comes back
          n was the round's last: logged dead, then SendMessage to WebhookDeliveryDeadLetterQueue
              (marked redriven_after = n), then the message is deleted
              (the send failed: back at once; its claim finds it dead with itself as holder: sent again)
    WebhookDeliveryDeadLetterQueue ─ operator's redrive ─▶ WebhookDeliveryQueue: a new round
          (only a message marked with the delivery's attempts may claim it dead)

The schedule's position is the delivery's attempt count in the log, shared by every copy of its message
(SQS and EventBridge are at least once, a stream batch may be replayed), less the count it was
redriven after: two copies taking each other's due retries still make one round of
``max_attempts``, and a copy arriving after the death is skipped. The queue's own redrive policy
(maxReceiveCount, with headroom) is only the backstop for crashes and unreadable bodies.

Each webhook's deliveries are their own messages, so a slow or dead endpoint holds up only its own
(one deadline per attempt, ``WEBHOOK_TIMEOUT_SECONDS``, then backoff), never another tenant's or the
assignment path. Fairness between tenants, at two levels:

* **Across invocations**: each delivery message carries its tenant as ``MessageGroupId``, so
  WebhookDeliveryQueue is an SQS *fair queue*: a tenant with a backlog, or whose deliveries take a
  disproportionate share of processing time (a slow endpoint), is deprioritised and the other tenants'
  messages are received first.
* **Within an invocation** (``deliver_batch``): a batch's deliveries run side by side, at most
  ``TENANT_SLOTS`` of one tenant's at a time; the others start as soon as they arrive. An invocation
  therefore lasts at most ⌈BatchSize / TENANT_SLOTS⌉ deadlines (10 / 5 → 2 × 10 s), well inside the
  function's timeout, so no delivery's slowness can make the whole batch time out and come back.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from threading import BoundedSemaphore
from typing import Literal, Protocol

from aws_lambda_powertools.metrics import MetricUnit
from pydantic import ValidationError

from leadrouter.clock import utc_now
from leadrouter.data.webhooks import Subscription
from leadrouter.domain.secrets import (
    NO_SECRETS,
    SecretBox,
    SecretsUnavailable,
    SecretUnreadable,
    reveal,
    webhook_secret_context,
)
from leadrouter.domain.webhooks import (
    SCHEDULE,
    DeliveryRequest,
    DeliveryStatus,
    RetrySchedule,
    delivery_body,
)
from leadrouter.logic.events.webhook_http import PostResult, post
from leadrouter.logic.ports import Deliveries, Webhooks
from leadrouter.observability import logger, metrics
from leadrouter.settings import Settings
from leadrouter.signing import HEADER, sign


class DeliveryPorts(Webhooks, Deliveries, Protocol):
    """The subscription a delivery goes to, and the delivery's lease and log."""


#: An attempt holds its delivery this long; a copy arriving later may take over (the holder crashed).
#: Longer than the delivery function's timeout, shorter than WebhookDeliveryQueue's visibility timeout.
LEASE_SECONDS = 90


#: How many of one tenant's deliveries run at once in one invocation (BatchSize is 10 in template.yaml).
TENANT_SLOTS = 5
#: Time kept after a delivery's deadline for its log write and queue call: a delivery starts only if the
#: invocation has at least its deadline plus this left (otherwise it goes back to the queue unattempted).
MARGIN_SECONDS = 5.0


class Queue(Protocol):
    def send(self, requests: Sequence[DeliveryRequest]) -> None: ...


Poster = Callable[..., PostResult]


@dataclass(frozen=True, slots=True)
class Outcome:
    """What became of one delivery message: ``retry_in`` seconds for a failed attempt with more to
    come; ``dead`` after the round's last one (or when the message it died with is back), the message
    then to go to the DLQ marked with ``attempt``; ``skipped`` when nothing was posted (delivered or
    dead already, another copy has it, the webhook is gone, its secret cannot be read)."""

    result: Literal["delivered", "retry", "dead", "skipped"]
    attempt: int | None = None
    retry_in: int | None = None
    status_code: int | None = None
    reason: str | None = None


def _subscription(repo: Webhooks, tenant_id: str, webhook_id: str) -> Subscription | None:
    """The webhook from this container's cache; one it lacks is read afresh (it may be newer than the
    cache, as fan-out saw it), so only a deletion can take up to the cache's TTL to be noticed."""
    for fresh in (False, True):
        for subscription in repo.subscriptions(tenant_id, fresh=fresh):
            if subscription.webhook.webhook_id == webhook_id:
                return subscription
    return None


def deliver(
    repo: DeliveryPorts,
    request: DeliveryRequest,
    *,
    holder: str,
    settings: Settings,
    now: Callable[[], datetime] = utc_now,
    poster: Poster = post,
    secrets: SecretBox = NO_SECRETS,
) -> Outcome:
    """One attempt at one delivery: claim it in the log, sign, POST, record the outcome.

    ``secrets`` opens the webhook's sealed signing secret. One that can never open here (copied from
    another webhook or tenant, altered) is logged dead at once and its message consumed: no retry
    could sign it, and nothing unsigned is ever posted.

    ``holder`` is the SQS message id. Attempt n of the round (the log's count less
    ``request.redriven_after``) waits ``schedule.delay_after(n)`` before the next; after the last the
    delivery is logged dead and the outcome is ``dead``, for the caller to dead-letter the message.
    A message the delivery died with that finds it dead again (the DLQ did not take it) is ``dead``
    too, without a post.
    """
    ids = {"tenant_id": request.tenant_id, "webhook_id": request.webhook_id, "event_id": request.event_id}
    subscription = _subscription(repo, request.tenant_id, request.webhook_id)
    if subscription is None:
        logger.info("webhook gone; delivery dropped", extra=ids)
        return Outcome("skipped", reason="webhook deleted")
    if not request.test and not subscription.webhook.wants(request.event.type):
        return Outcome("skipped", reason="webhook no longer subscribed")
    claim = repo.claim_delivery(request, holder, now(), LEASE_SECONDS)
    if claim.attempt is None:
        if claim.status is DeliveryStatus.DEAD and claim.holder == holder:
            logger.warning("dead delivery's message back; dead-lettered again", extra=ids)
            return Outcome("dead", claim.attempts, reason="dead, not yet on the DLQ")
        logger.info("delivery not claimed", extra={**ids, "status": str(claim.status)})
        return Outcome("skipped", reason=f"delivery is {claim.status}")
    body = delivery_body(request)
    context = webhook_secret_context(request.tenant_id, request.webhook_id)
    try:
        secret = reveal(secrets, subscription.secret, context)
    except SecretUnreadable:
        return _unsignable(repo, request, holder, claim.attempt, now(), ids)
    except SecretsUnavailable as error:  # the key service's trouble: a failed attempt, retried as any
        logger.warning("webhook secret not opened; will retry", extra={**ids, "error": str(error)})
        result = PostResult(None, "the signing secret could not be read just now", 0.0)
    else:
        sent_at = now()
        headers = {
            HEADER: sign(secret, int(sent_at.timestamp()), body),
            "Leadrouter-Event-Id": request.event_id,
            "Leadrouter-Event-Type": str(request.event.type),
            "Leadrouter-Webhook-Id": request.webhook_id,
            "Leadrouter-Delivery-Attempt": str(claim.attempt),
        }
        result = poster(
            subscription.webhook.url,
            body,
            headers,
            timeout=settings.webhook_timeout_seconds,
            allow_local=settings.webhooks_allow_local,
        )
    finished = now()
    schedule: RetrySchedule = SCHEDULE.scaled(settings.webhook_retry_scale)
    extra = {**ids, "attempt": claim.attempt, "status_code": result.status_code, "seconds": result.seconds}
    if result.ok:
        repo.finish_delivery(
            request, holder, DeliveryStatus.DELIVERED, finished, status_code=result.status_code, error=None
        )
        metrics.add_metric(name="WebhookDelivered", unit=MetricUnit.Count, value=1)
        logger.info("webhook delivered", extra=extra)
        return Outcome("delivered", claim.attempt, status_code=result.status_code)
    delay = schedule.delay_after(max(claim.attempt - (request.redriven_after or 0), 1))
    if delay is None:
        repo.finish_delivery(
            request, holder, DeliveryStatus.DEAD, finished, status_code=result.status_code, error=result.error
        )
        metrics.add_metric(name="WebhookDeliveryDead", unit=MetricUnit.Count, value=1)
        logger.warning("webhook delivery dead after its last attempt", extra={**extra, "error": result.error})
        return Outcome("dead", claim.attempt, status_code=result.status_code, reason=result.error)
    repo.finish_delivery(
        request,
        holder,
        DeliveryStatus.RETRYING,
        finished,
        status_code=result.status_code,
        error=result.error,
        next_attempt_at=finished + timedelta(seconds=delay),
    )
    metrics.add_metric(name="WebhookDeliveryFailed", unit=MetricUnit.Count, value=1)
    logger.info(
        "webhook delivery failed; will retry", extra={**extra, "error": result.error, "retry_in": delay}
    )
    return Outcome(
        "retry", claim.attempt, retry_in=delay, status_code=result.status_code, reason=result.error
    )


def _unsignable(
    repo: Deliveries,
    request: DeliveryRequest,
    holder: str,
    attempt: int,
    finished: datetime,
    ids: dict[str, str],
) -> Outcome:
    error = "the signing secret cannot be read: delete the webhook and register it again"
    repo.finish_delivery(request, holder, DeliveryStatus.DEAD, finished, status_code=None, error=error)
    metrics.add_metric(name="WebhookDeliveryDead", unit=MetricUnit.Count, value=1)
    logger.error("webhook secret does not open for its webhook; delivery dead", extra=ids)
    return Outcome("skipped", attempt, reason=error)


def request_of_message(body: str) -> DeliveryRequest:
    return DeliveryRequest.model_validate_json(body)


class RetryQueue(Protocol):
    def retry_in(self, receipt_handle: str, seconds: int) -> None: ...

    def dead_letter(self, request: DeliveryRequest) -> None: ...


@dataclass(frozen=True, slots=True)
class Message:
    """One WebhookDeliveryQueue message as the event source hands it over."""

    message_id: str
    receipt_handle: str
    body: str


def deliver_batch(
    repo: DeliveryPorts,
    queue: RetryQueue,
    messages: Sequence[Message],
    *,
    settings: Settings,
    time_left: Callable[[], float],
    poster: Poster = post,
    secrets: SecretBox = NO_SECRETS,
) -> list[str]:
    """Deliver a batch side by side; the ids of the messages that failed (a partial batch response).

    Only a message whose own attempt failed is reported (its visibility set to the schedule's delay),
    or a dead one the DLQ did not take (back at once); the others are deleted, a dead one once it is
    on the DLQ. Copies of one delivery run one after the other (their claim decides which
    one posts), one tenant runs at most ``TENANT_SLOTS`` at once, and a delivery starts only while the
    invocation (``time_left``, seconds) can still hold its deadline, so a batch never times out whole.
    """
    copies: dict[tuple[str, ...], list[tuple[Message, DeliveryRequest]]] = defaultdict(list)
    failed: list[str] = []
    for message in messages:
        try:
            request = request_of_message(message.body)
        except ValidationError:
            logger.error("unreadable delivery message", extra={"message_id": message.message_id})
            failed.append(message.message_id)  # retried, then moved to the DLQ by the redrive
            continue
        copies[(request.tenant_id, request.webhook_id, request.event_id)].append((message, request))
    tenants = {tenant for tenant, _, _ in copies}
    slots = {tenant: BoundedSemaphore(TENANT_SLOTS) for tenant in tenants}

    def run(group: list[tuple[Message, DeliveryRequest]]) -> list[str]:
        return [
            message.message_id
            for message, request in group
            if not _deliver_one(
                repo, queue, message, request, slots[request.tenant_id], settings, time_left, poster, secrets
            )
        ]

    if copies:
        with ThreadPoolExecutor(max_workers=len(copies), thread_name_prefix="webhook") as pool:
            for ids in pool.map(run, copies.values()):
                failed.extend(ids)
    return failed


def _deliver_one(
    repo: DeliveryPorts,
    queue: RetryQueue,
    message: Message,
    request: DeliveryRequest,
    slot: BoundedSemaphore,
    settings: Settings,
    time_left: Callable[[], float],
    poster: Poster,
    secrets: SecretBox,
) -> bool:
    """One message of a batch: True if it is done with (delete it), False to report it failed."""
    ids = {"tenant_id": request.tenant_id, "webhook_id": request.webhook_id, "event_id": request.event_id}
    with slot:
        if time_left() < settings.webhook_timeout_seconds + MARGIN_SECONDS:
            logger.warning("no time left for a delivery; returned unattempted", extra=ids)
            queue.retry_in(message.receipt_handle, 0)
            return False
        try:
            outcome = deliver(
                repo,
                request,
                holder=message.message_id,
                settings=settings,
                poster=poster,
                secrets=secrets,
            )
        except Exception:
            logger.exception("delivery attempt crashed", extra=ids)
            return False
    if outcome.result == "retry":
        queue.retry_in(message.receipt_handle, outcome.retry_in or 0)
        return False
    if outcome.result == "dead":
        return _dead_letter(queue, message, request.model_copy(update={"redriven_after": outcome.attempt}))
    return True


def _dead_letter(queue: RetryQueue, message: Message, marked: DeliveryRequest) -> bool:
    """Put a dead delivery's message, marked, on the DLQ; True once it is there (delete the original).

    Sent before the original is deleted, so a crash in between leaves a duplicate on the DLQ, never a
    loss: a redrive of either copy starts the next round, the other then finds it taken or past.
    If the DLQ refuses, the message comes back at once and its claim sends it again.
    """
    ids = {"tenant_id": marked.tenant_id, "webhook_id": marked.webhook_id, "event_id": marked.event_id}
    try:
        queue.dead_letter(marked)
    except Exception:
        logger.exception("dead delivery not taken by the DLQ; its message comes back", extra=ids)
        queue.retry_in(message.receipt_handle, 0)
        return False
    return True
