"""Rotation state: each rule version's atomic slot counter and each rule's sweep lease."""

from __future__ import annotations

from datetime import datetime, timedelta

from botocore.exceptions import ClientError

from leadrouter.clock import to_iso
from leadrouter.data.items import (
    Store,
    expr_values,
    is_condition_failure,
    tenant_pk,
    to_item,
)
from leadrouter.domain.models import (
    Rule,
)


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
    ) -> bool:
        """Take the rule's sweep lease if it is free and the rule's interval has elapsed since its last run.

        The lease outlives the function's timeout, so two live sweeps never run one rule at once;
        a crashed sweep's lease simply expires.
        """
        try:
            self._client.update_item(
                TableName=self._config,
                Key=to_item({"pk": tenant_pk(rule.tenant_id), "sk": f"LEASE#{rule.rule_id}"}),
                UpdateExpression="SET lease_owner = :owner, lease_until = :until, last_run_at = :now",
                ConditionExpression=(
                    "(attribute_not_exists(lease_until) OR lease_until <= :now)"
                    " AND (attribute_not_exists(last_run_at) OR last_run_at <= :ran_before)"
                ),
                ExpressionAttributeValues=expr_values(
                    owner=owner,
                    until=to_iso(now + lease),
                    now=to_iso(now),
                    ran_before=to_iso(now - interval),
                ),
            )
        except ClientError as error:
            if is_condition_failure(error):
                return False
            raise
        return True

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
