"""The dispatcher's cheap questions: does a rule have anything to do this tick?

Each costs one eventually consistent read of at most 4 KB (0.5 RRU) and no write:

* assign: a one-item Query of the scope's ``due_queue`` partition (keys only) for a lead queued
  before the rule's delay;
* reclaim: the rule's lease item, which the last complete sweep stamped with the earliest moment
  anything can be due (``next_check``, see ``domain.dispatch.next_reclaim_check``), read 100 at a
  time with BatchGetItem. Idle leads are indexed per owner, so asking the index would cost one read
  per staff member.

Eventual consistency is enough: a lead the index shows late is found by the next tick, and a stale
lease item can only show an older, earlier ``next_check``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from leadrouter.clock import from_iso, to_iso
from leadrouter.data.items import (
    BATCH_GET_LIMIT,
    Store,
    expr_values,
    from_item,
    owner_partition,
    scope_partition,
    tenant_pk,
    to_item,
)
from leadrouter.data.leads import DUE_INDEX, OWNER_INDEX
from leadrouter.domain.rules import Rule


@dataclass(frozen=True, slots=True)
class ReclaimCheck:
    """What a rule's last complete reclaim sweep left on its lease: nothing is due before ``at``,
    for that rule version (another version may reclaim after another time)."""

    at: datetime
    rule_version: int


class DispatchStore(Store):
    def has_due_lead(self, tenant_id: str, scope_key: str, queued_before: datetime) -> bool:
        """Whether any pending lead of the scope was queued before ``queued_before``."""
        response = self._client.query(
            TableName=self._leads,
            IndexName=DUE_INDEX,
            KeyConditionExpression="due_scope = :p AND queued_at <= :cutoff",
            ExpressionAttributeValues=expr_values(
                p=scope_partition(tenant_id, scope_key), cutoff=to_iso(queued_before)
            ),
            Limit=1,
            ConsistentRead=False,
        )
        return bool(response.get("Items"))

    def next_idle_since(self, tenant_id: str, owner: str, after: datetime) -> datetime | None:
        """The earliest ``idle_since`` after ``after`` among the owner's leads, of any scope (so a lower
        bound for any one scope): one key-range item, eventually consistent."""
        response = self._client.query(
            TableName=self._leads,
            IndexName=OWNER_INDEX,
            KeyConditionExpression="owner_key = :o AND idle_since > :after",
            ExpressionAttributeValues=expr_values(o=owner_partition(tenant_id, owner), after=to_iso(after)),
            ProjectionExpression="idle_since",
            Limit=1,
            ConsistentRead=False,
        )
        items = response.get("Items") or []
        return from_iso(str(from_item(items[0])["idle_since"])) if items else None

    def reclaim_checks(self, rules: Sequence[Rule]) -> dict[tuple[str, str], ReclaimCheck]:
        """The ``next_check`` stamps of these rules' leases, by (tenant, rule); absent: never stamped."""
        found: dict[tuple[str, str], ReclaimCheck] = {}
        keys = list(dict.fromkeys((r.tenant_id, r.rule_id) for r in rules))
        for start in range(0, len(keys), BATCH_GET_LIMIT):
            request: dict[str, Any] = {
                self._config: {
                    "Keys": [
                        to_item({"pk": tenant_pk(tenant), "sk": f"LEASE#{rule}"})
                        for tenant, rule in keys[start : start + BATCH_GET_LIMIT]
                    ],
                    "ProjectionExpression": "pk, sk, next_check, check_version",
                    "ConsistentRead": False,
                }
            }
            while request:
                response = self._client.batch_get_item(RequestItems=request)
                for raw in response.get("Responses", {}).get(self._config, []):
                    item = from_item(raw)
                    if "next_check" not in item or "check_version" not in item:
                        continue
                    tenant = str(item["pk"]).removeprefix("TENANT#")
                    rule_id = str(item["sk"]).removeprefix("LEASE#")
                    found[(tenant, rule_id)] = ReclaimCheck(
                        at=from_iso(str(item["next_check"])), rule_version=int(item["check_version"])
                    )
                request = response.get("UnprocessedKeys") or {}
        return found
