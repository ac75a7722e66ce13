"""The dispatcher's cheap questions: does a rule have anything to do this tick?

* assign: a one-item Query of the scope's ``due_queue`` partition (keys only) for a lead queued
  before the rule's delay: one eventually consistent read of at most 4 KB (0.5 RRU), no write;
* reclaim: nothing here. The rule's stamp (``data.rotation``, ``domain.dispatch.ReclaimStamp``) is
  listed with the rule; a probe or a sweep asks ``earliest_held_since`` per owner (idle leads are
  indexed per owner), only when the stamp or a probe point calls for it.

Eventual consistency is enough: a lead the index shows late is found by the next tick.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from leadrouter.clock import from_iso, to_iso
from leadrouter.data.items import (
    Store,
    expr_values,
    from_item,
    owner_partition,
    scope_partition,
)
from leadrouter.data.leads import DUE_INDEX, OWNER_INDEX

#: Index entries per page while looking for an owner's first lead in one scope.
HELD_PAGE = 100


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

    def earliest_held_since(
        self, tenant_id: str, owner: str, scope_key: str, after: datetime, until: datetime | None = None
    ) -> datetime | None:
        """The earliest ``idle_since`` after ``after`` (and at most ``until``) among the owner's leads
        held in the scope; None if there is none. The key range reads only the owner's leads touched
        in that range (the scope is a filter on them), eventually consistent, paged until one matches."""
        values = expr_values(o=owner_partition(tenant_id, owner), after=to_iso(after))
        condition = "owner_key = :o AND idle_since > :after"
        if until is not None:
            condition = "owner_key = :o AND idle_since BETWEEN :after AND :until"
            values |= expr_values(until=to_iso(until))
        kwargs: dict[str, Any] = {
            "TableName": self._leads,
            "IndexName": OWNER_INDEX,
            "KeyConditionExpression": condition,
            "FilterExpression": "idle_scope = :p",
            "ExpressionAttributeValues": values | expr_values(p=scope_partition(tenant_id, scope_key)),
            "ProjectionExpression": "idle_since",
            "Limit": HELD_PAGE,
            "ConsistentRead": False,
        }
        while True:
            response = self._client.query(**kwargs)
            items = response.get("Items") or []
            if items:
                return from_iso(str(from_item(items[0])["idle_since"]))
            if "LastEvaluatedKey" not in response:
                return None
            kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]
