"""Rotation state: each rule version's atomic slot counter, each rule's sweep lease, and each reclaim
rule's stamp (what its last complete sweep saw, ``domain.dispatch.ReclaimStamp``)."""

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
from leadrouter.domain.dispatch import ReclaimStamp, shard_key
from leadrouter.domain.rules import Rule

#: Sort-key prefix of reclaim rules' stamps, listed in the same partitions as the rules.
STAMP_PREFIX = "STAMP#"


@dataclass(frozen=True, slots=True)
class Lease:
    """A sweep lease just taken. ``previous_run``: when the rule's previous sweep started (None if it
    never ran, or if this acquire had to be recognised after an error and the old value is gone)."""

    previous_run: datetime | None


def _held_by(lease: Item, owner: str, until: str) -> bool:
    return lease.get("lease_owner") == owner and lease.get("lease_until") == until


class RotationStore(Store):
    """The only writers of COUNTER#, LEASE# and STAMP# items."""

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

    def release_lease(self, rule: Rule, owner: str) -> None:
        """Free the lease early (keeping last_run_at); a no-op if it was already taken over."""
        try:
            self._client.update_item(
                TableName=self._config,
                Key=to_item({"pk": tenant_pk(rule.tenant_id), "sk": f"LEASE#{rule.rule_id}"}),
                UpdateExpression="REMOVE lease_owner, lease_until",
                ConditionExpression="lease_owner = :owner",
                ExpressionAttributeValues=expr_values(owner=owner),
            )
        except ClientError as error:
            if not is_condition_failure(error):
                raise

    def save_reclaim_stamp(self, rule: Rule, stamp: ReclaimStamp) -> None:
        """Store a complete reclaim sweep's stamp where the dispatcher lists the rule (the sparse
        ``active_rules`` index, the tenant's ``reclaim#<shard>`` partition), so reading it costs only
        its ~200 bytes of the listing. Written only by sweeps (2 WRU: the item and its index entry),
        never on an idle tick; a sweep that started earlier never overwrites a later one's stamp."""
        values = expr_values(
            tenant=rule.tenant_id,
            rule=rule.rule_id,
            kind=shard_key("reclaim", rule.tenant_id),
            ref=f"{rule.tenant_id}#~stamp#{rule.rule_id}",
            rev=stamp.rule_rev,
            swept=to_iso(stamp.swept_at),
        )
        update = (
            "SET tenant_id = :tenant, rule_id = :rule, active_kind = :kind, rule_ref = :ref,"
            " rule_rev = :rev, swept_at = :swept"
        )
        if stamp.next_due is None:
            update += " REMOVE next_due"
        else:
            update += ", next_due = :due"
            values |= expr_values(due=to_iso(stamp.next_due))
        try:
            self._client.update_item(
                TableName=self._config,
                Key=to_item({"pk": tenant_pk(rule.tenant_id), "sk": f"{STAMP_PREFIX}{rule.rule_id}"}),
                UpdateExpression=update,
                ConditionExpression="attribute_not_exists(swept_at) OR swept_at <= :swept",
                ExpressionAttributeValues=values,
            )
        except ClientError as error:
            if not is_condition_failure(error):
                raise

    def reclaim_stamp(self, rule: Rule) -> ReclaimStamp | None:
        """The rule's stored stamp, read consistently (1 RRU); None if there is none or it is unreadable."""
        key = to_item({"pk": tenant_pk(rule.tenant_id), "sk": f"{STAMP_PREFIX}{rule.rule_id}"})
        raw = self._client.get_item(TableName=self._config, Key=key, ConsistentRead=True).get("Item")
        stamped = stamp_from_item(from_item(raw)) if raw else None
        return stamped[2] if stamped else None


def stamp_from_item(item: Item) -> tuple[str, str, ReclaimStamp] | None:
    """(tenant, rule, stamp) of a listed ``STAMP#`` item; None if it is unreadable (the rule is then
    swept, as if never stamped)."""
    try:
        due = item.get("next_due")
        stamp = ReclaimStamp(
            rule_rev=int(item["rule_rev"]),
            swept_at=from_iso(str(item["swept_at"])),
            next_due=from_iso(str(due)) if due is not None else None,
        )
        return str(item["tenant_id"]), str(item["rule_id"]), stamp
    except (KeyError, TypeError, ValueError):
        return None
