"""Rotation state: each rule version's atomic slot counter and each rule's sweep lease."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from leadrouter.clock import from_iso, to_iso
from leadrouter.data.items import (
    Item,
    Store,
    expr_values,
    from_item,
    is_condition_failure,
    tenant_pk,
    to_item,
)
from leadrouter.domain.rules import Rule


@dataclass(frozen=True, slots=True)
class Lease:
    """A sweep lease just taken. ``previous_run``: when the rule's previous sweep started (None if it
    never ran, or if this acquire had to be recognised after an error and the old value is gone)."""

    previous_run: datetime | None


def _held_by(lease: Item, owner: str, until: str) -> bool:
    return lease.get("lease_owner") == owner and lease.get("lease_until") == until


class RotationStore(Store):
    """The only writers of COUNTER# and LEASE# items."""

    # ------------------------------------------------------------------ rotation: counter and lease
    def claim_slots(self, rule: Rule, count: int) -> int:
        """Claim ``count`` consecutive rotation slots with one atomic ADD; returns the first slot.

        One write per block, not per lead, so a busy rule is not capped by one item's write rate.
        A retried claim can only leave a gap; it never hands a slot out twice.
        """
        if count <= 0:
            raise ValueError("claim at least one slot")
        response = self._client.update_item(
            TableName=self._config,
            Key=to_item({"pk": tenant_pk(rule.tenant_id), "sk": f"COUNTER#{rule.rule_id}#v{rule.version}"}),
            UpdateExpression="ADD seq :n",
            ExpressionAttributeValues=expr_values(n=count),
            ReturnValues="UPDATED_NEW",
        )
        end = int(response["Attributes"]["seq"]["N"])
        return end - count

    def acquire_lease(
        self, rule: Rule, owner: str, now: datetime, lease: timedelta, interval: timedelta
    ) -> Lease | None:
        """Take the rule's sweep lease if it is free and the rule's interval has elapsed since its last run.

        The lease outlives the function's timeout, so two live sweeps never run one rule at once;
        a crashed sweep's lease simply expires. Returns None if the lease is taken (or the interval has
        not elapsed). An attempt that was applied and then answered 5xx is recognised as ours, both when
        botocore's retry hits the condition and when the error reaches us (the lease is re-read).
        """
        key = to_item({"pk": tenant_pk(rule.tenant_id), "sk": f"LEASE#{rule.rule_id}"})
        until = to_iso(now + lease)
        try:
            response = self._client.update_item(
                TableName=self._config,
                Key=key,
                UpdateExpression="SET lease_owner = :owner, lease_until = :until, last_run_at = :now",
                ConditionExpression=(
                    "(attribute_not_exists(lease_until) OR lease_until <= :now)"
                    " AND (attribute_not_exists(last_run_at) OR last_run_at <= :ran_before)"
                ),
                ExpressionAttributeValues=expr_values(
                    owner=owner,
                    until=until,
                    now=to_iso(now),
                    ran_before=to_iso(now - interval),
                ),
                ReturnValues="UPDATED_OLD",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as error:
            if is_condition_failure(error):
                held = from_item(error.response.get("Item") or {})
                return Lease(previous_run=None) if _held_by(held, owner, until) else None
            return self._settle_lease(key, owner, until, error)
        except BotoCoreError as error:
            return self._settle_lease(key, owner, until, error)
        previous = from_item(response.get("Attributes") or {}).get("last_run_at")
        return Lease(previous_run=from_iso(previous) if previous else None)

    def _settle_lease(self, key: dict[str, Any], owner: str, until: str, error: Exception) -> Lease:
        raw = self._client.get_item(TableName=self._config, Key=key, ConsistentRead=True).get("Item")
        if raw and _held_by(from_item(raw), owner, until):
            return Lease(previous_run=None)
        raise error

    def release_lease(self, rule: Rule, owner: str, next_check: datetime | None = None) -> None:
        """Free the lease early (keeping last_run_at); a no-op if it was already taken over.

        ``next_check``: a complete reclaim sweep's "nothing is due before" stamp for this rule version
        (read by the dispatcher, ``data.dispatch``); written in the same update, so it costs nothing.
        """
        update = "REMOVE lease_owner, lease_until"
        values: dict[str, Any] = {"owner": owner}
        if next_check is not None:
            update = "SET next_check = :check, check_version = :version " + update
            values |= {"check": to_iso(next_check), "version": rule.version}
        try:
            self._client.update_item(
                TableName=self._config,
                Key=to_item({"pk": tenant_pk(rule.tenant_id), "sk": f"LEASE#{rule.rule_id}"}),
                UpdateExpression=update,
                ConditionExpression="lease_owner = :owner",
                ExpressionAttributeValues=expr_values(**values),
            )
        except ClientError as error:
            if not is_condition_failure(error):
                raise
