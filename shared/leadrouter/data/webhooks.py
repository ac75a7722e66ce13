"""Webhooks (config table) and their delivery log (deliveries table).

* Config table: ``pk`` = ``TENANT#<id>``, ``sk`` = ``WEBHOOK#<webhook_id>``; the item is the ``Webhook``
  model plus ``secret``, sealed (``domain.secrets``), which only ``subscriptions`` returns: the
  delivery opens it to sign, the API never sees it after creation.
  One Query lists a tenant's webhooks; fan-out and delivery read them through the per-container
  settings cache (``SETTINGS_TTL``): a new, changed or deleted webhook takes effect within that time.
* Deliveries table: ``pk`` = ``<tenant>#<webhook_id>``, ``sk`` = ``<occurred_at>#<event_id>`` (newest
  first is a reverse Query), TTL ``expires_at``: the tenant's ``logs_days`` from the last attempt (a
  log past it is absent to every read, ``data.expiry``). One item per event per webhook: the key comes
  from the event, so every copy of a delivery message (SQS and EventBridge are at least once) lands on
  the same item, and the conditional *claim* below lets only one of them post at a time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from leadrouter.clock import to_iso
from leadrouter.data import expiry
from leadrouter.data.cache import SETTINGS_CACHE
from leadrouter.data.cursors import Cursor, delivery_cursor, delivery_start_key
from leadrouter.data.expiry import live, live_filter
from leadrouter.data.items import (
    Item,
    expr_values,
    from_item,
    is_condition_failure,
    read_model,
    tenant_pk,
    to_item,
)
from leadrouter.data.retention import RetentionStore
from leadrouter.domain.errors import Conflict, NotFound
from leadrouter.domain.retention import expires_at
from leadrouter.domain.webhooks import Delivery, DeliveryRequest, DeliveryStatus, Webhook
from leadrouter.settings import Settings

_PREFIX = "WEBHOOK#"
#: Log attributes that are bookkeeping, not part of what the API shows.
_INTERNAL = ("pk", "sk", "tenant_id", "holder", "lease_until", "expires_at", "created_at")


@dataclass(frozen=True, slots=True)
class Subscription:
    """A webhook with its signing secret: what fan-out and delivery need, never what the API shows."""

    webhook: Webhook
    #: As stored: sealed for the webhook (or in clear, if written before secrets were sealed).
    secret: str


@dataclass(frozen=True, slots=True)
class Claim:
    """The outcome of claiming a delivery: ``attempt`` (1-based) if this copy may post now, else the
    status that stopped it (delivered, dead, or another copy's attempt or pending retry) with the
    message that made the last attempt (``holder``) and the attempts so far: a dead delivery's own
    message, back because the DLQ did not take it, knows itself by its id."""

    attempt: int | None
    status: DeliveryStatus | None = None
    holder: str | None = None
    attempts: int = 0


def log_key(request: DeliveryRequest) -> dict[str, str]:
    event = request.event
    return {
        "pk": f"{request.tenant_id}#{request.webhook_id}",
        "sk": f"{to_iso(event.occurred_at)}#{event.event_id}",
    }


class WebhookStore(RetentionStore):
    def __init__(self, settings: Settings, client: Any) -> None:
        super().__init__(settings, client)
        self._deliveries = settings.deliveries_table

    # ------------------------------------------------------------------ webhooks
    def create_webhook(self, webhook: Webhook, secret: str) -> None:
        """Store a new webhook with its signing secret, which the logic has sealed."""
        item = {"pk": tenant_pk(webhook.tenant_id), "sk": f"{_PREFIX}{webhook.webhook_id}"}
        item |= webhook.model_dump(mode="json") | {"secret": secret}
        try:
            self._client.put_item(
                TableName=self._config, Item=to_item(item), ConditionExpression="attribute_not_exists(pk)"
            )
        except ClientError as error:
            if is_condition_failure(error):
                raise Conflict(f"webhook {webhook.webhook_id} already exists") from error
            raise
        SETTINGS_CACHE.forget()

    def get_webhook(self, tenant_id: str, webhook_id: str) -> Webhook | None:
        item = self._get_config(tenant_id, f"{_PREFIX}{webhook_id}")
        return _webhook(item) if item else None

    def list_webhooks(self, tenant_id: str) -> list[Webhook]:
        found = (_webhook(i) for i in self._query_config_prefix(tenant_id, _PREFIX))
        return [webhook for webhook in found if webhook is not None]

    def delete_webhook(self, tenant_id: str, webhook_id: str) -> None:
        """Remove a webhook (its log stays until TTL); deliveries already queued find it gone and stop."""
        try:
            self._client.delete_item(
                TableName=self._config,
                Key=to_item({"pk": tenant_pk(tenant_id), "sk": f"{_PREFIX}{webhook_id}"}),
                ConditionExpression="attribute_exists(pk)",
            )
        except ClientError as error:
            if is_condition_failure(error):
                raise NotFound(f"webhook {webhook_id} not found") from error
            raise
        SETTINGS_CACHE.forget()

    def subscriptions(self, tenant_id: str, *, fresh: bool = False) -> list[Subscription]:
        """A tenant's webhooks with their secrets, cached per container (one Query per TTL); ``fresh``
        reads the table (a delivery for a webhook this container has not seen yet)."""
        if fresh:
            return self._read_subscriptions(tenant_id)
        return SETTINGS_CACHE.get(
            ("WEBHOOKS", self._config, tenant_id), lambda: self._read_subscriptions(tenant_id)
        )

    def _read_subscriptions(self, tenant_id: str) -> list[Subscription]:
        found: list[Subscription] = []
        for item in self._query_config_prefix(tenant_id, _PREFIX):
            webhook = _webhook(item)
            secret = item.get("secret")
            if webhook is not None and isinstance(secret, str) and secret:
                found.append(Subscription(webhook, secret))
        return found

    # ------------------------------------------------------------------ delivery log
    def claim_delivery(
        self, request: DeliveryRequest, holder: str, now: datetime, lease_seconds: int
    ) -> Claim:
        """Take the delivery for one attempt by the message ``holder``, counting it; or say who has it.

        A copy may post if the delivery is new, if its last attempt failed and the retry is due (or
        this is the message that owns that retry), if an attempt's lease ran out (its invocation
        crashed), or if it is dead and this is the message it died with, redriven from the DLQ
        (``request.redriven_after`` equal to its attempts). A delivered delivery is never posted again,
        nor a dead one by any other copy; while another copy's attempt or retry is pending this copy
        stands aside: that copy stays on the queue until it is done.
        """
        moment = to_iso(now)
        event = request.event
        values = expr_values(
            pending=DeliveryStatus.PENDING.value,
            retrying=DeliveryStatus.RETRYING.value,
            zero=0,
            one=1,
            now=moment,
            lease=to_iso(now + timedelta(seconds=lease_seconds)),
            holder=holder,
            tenant=request.tenant_id,
            webhook=request.webhook_id,
            event_id=event.event_id,
            event_type=str(event.type),
            occurred=to_iso(event.occurred_at),
            test=request.test,
            expires=expires_at(expiry.stamp_now(), self._retention_of(request.tenant_id).logs_days),
        )
        condition = (
            "attribute_not_exists(pk)"
            " OR (#status = :retrying AND (holder = :holder OR next_attempt_at <= :now))"
            " OR (#status = :pending AND (holder = :holder OR lease_until < :now))"
        )
        if request.redriven_after is not None:
            condition += " OR (#status = :dead AND attempts = :redriven_after)"
            values |= expr_values(dead=DeliveryStatus.DEAD.value, redriven_after=request.redriven_after)
        try:
            response = self._client.update_item(
                TableName=self._deliveries,
                Key=to_item(log_key(request)),
                UpdateExpression=(
                    "SET #status = :pending, attempts = if_not_exists(attempts, :zero) + :one, "
                    "holder = :holder, lease_until = :lease, last_attempt_at = :now, "
                    "tenant_id = :tenant, webhook_id = :webhook, event_id = :event_id, "
                    "event_type = :event_type, occurred_at = :occurred, test = :test, "
                    "created_at = if_not_exists(created_at, :now), "
                    "expires_at = :expires "
                    "REMOVE next_attempt_at"
                ),
                ConditionExpression=condition,
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues=values,
                ReturnValues="UPDATED_NEW",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as error:
            if not is_condition_failure(error):
                raise
            old = error.response.get("Item")
            stored = from_item(old) if old else self._log_item(request)
            if not stored:
                return Claim(None)
            status, held_by = stored.get("status"), stored.get("holder")
            return Claim(
                None,
                DeliveryStatus(status) if status in set(DeliveryStatus) else None,
                holder=held_by if isinstance(held_by, str) else None,
                attempts=int(stored.get("attempts", 0)),
            )
        attempts = from_item(response.get("Attributes", {})).get("attempts", 1)
        return Claim(int(attempts))

    def finish_delivery(
        self,
        request: DeliveryRequest,
        holder: str,
        status: DeliveryStatus,
        now: datetime,
        *,
        status_code: int | None,
        error: str | None,
        next_attempt_at: datetime | None = None,
    ) -> bool:
        """Record an attempt's outcome, if ``holder`` still holds the delivery (False if not)."""
        sets = ["#status = :status", "last_finished_at = :now"]
        removes = ["lease_until"]
        values: dict[str, Any] = {"status": status.value, "now": to_iso(now), "holder": holder}
        optional = {
            "last_status_code": status_code,
            "last_error": error,
            "next_attempt_at": to_iso(next_attempt_at) if next_attempt_at else None,
            "delivered_at": to_iso(now) if status is DeliveryStatus.DELIVERED else None,
        }
        for name, value in optional.items():
            if value is None:
                if name != "delivered_at":
                    removes.append(name)
            else:
                sets.append(f"{name} = :{name}")
                values[name] = value
        try:
            self._client.update_item(
                TableName=self._deliveries,
                Key=to_item(log_key(request)),
                UpdateExpression="SET " + ", ".join(sets) + " REMOVE " + ", ".join(removes),
                ConditionExpression="holder = :holder",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues=expr_values(**values),
            )
        except ClientError as failure:
            if is_condition_failure(failure):
                return False
            raise
        return True

    def _log_item(self, request: DeliveryRequest) -> Item | None:
        response = self._client.get_item(
            TableName=self._deliveries, Key=to_item(log_key(request)), ConsistentRead=True
        )
        raw = response.get("Item")
        return from_item(raw) if raw else None

    def get_delivery(self, request: DeliveryRequest) -> Delivery | None:
        item = self._log_item(request)
        return _delivery(item) if item and live(item) else None

    def list_deliveries(
        self, tenant_id: str, webhook_id: str, *, limit: int, start: Cursor | None = None
    ) -> tuple[list[Delivery], Cursor | None]:
        """One page of a webhook's log, newest event first; logs past their period left out (a page may
        then hold fewer than ``limit`` and still have a next cursor)."""
        key = delivery_start_key(start, tenant_id, webhook_id)
        kwargs: dict[str, Any] = {
            "TableName": self._deliveries,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": expr_values(pk=f"{tenant_id}#{webhook_id}"),
            "ScanIndexForward": False,
            "Limit": limit,
        }
        kwargs["FilterExpression"] = live_filter(kwargs["ExpressionAttributeValues"])
        if key:
            kwargs["ExclusiveStartKey"] = key
        response = self._client.query(**kwargs)
        found = (_delivery(from_item(raw)) for raw in response.get("Items", []))
        return [d for d in found if d is not None], delivery_cursor(response.get("LastEvaluatedKey"))


def _webhook(item: Item) -> Webhook | None:
    return read_model(Webhook, {k: v for k, v in item.items() if k != "secret"})


def _delivery(item: Item) -> Delivery | None:
    data = {k: v for k, v in item.items() if k not in _INTERNAL and k != "last_finished_at"}
    return read_model(Delivery, data)
