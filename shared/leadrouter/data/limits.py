"""Rate-limit windows every container sees: one counter item per key and window in the config table.

``pk`` = ``LIMIT#<scope>`` (its own partition, away from the tenant's settings), ``sk`` = the window's
start (epoch seconds). Containers claim blocks of the window's requests with one conditional ``ADD``
each, so together they can never claim more than the limit; the item expires by the table's TTL
(``expires_at``).
"""

from __future__ import annotations

from botocore.exceptions import ClientError

from leadrouter.data.items import Item, Store, expr_values, from_item, is_condition_failure, to_item
from leadrouter.data.outages import store_outages

LIMIT_PREFIX = "LIMIT#"


class LimitStore(Store):
    """Shared window counters (``logic.intake.limits`` decides what is claimed and when)."""

    def claim_in_window(self, scope: str, window_start: int, limit: int, want: int, expires_at: int) -> int:
        """Claim up to ``want`` of the ``limit`` requests of ``scope``'s window: how many were claimed.

        The block if it fits (one UpdateItem, 1 WRU), else what is left (0: the window is full). A
        block that does not fit fails its condition (charged as a write too) and returns the count
        (``ALL_OLD``, no extra call); the remainder, always smaller, is then claimed the same way, so
        the count never passes ``limit`` however many containers claim at once. ``StoreUnavailable``
        when the table does not answer.
        """
        key = to_item({"pk": f"{LIMIT_PREFIX}{scope}", "sk": str(window_start)})
        want = min(want, limit)
        while want > 0:
            counted = self._claim(key, want, limit, expires_at)
            if counted is None:
                return want
            want = min(want - 1, limit - counted)
        return 0

    def _claim(self, key: Item, want: int, limit: int, expires_at: int) -> int | None:
        """Claim ``want`` in one conditional ADD: None if claimed, else the count that left no room."""
        with store_outages():
            try:
                self._client.update_item(
                    TableName=self._config,
                    Key=key,
                    UpdateExpression="ADD hits :want SET expires_at = :expires",
                    ConditionExpression="attribute_not_exists(hits) OR hits <= :most",
                    ExpressionAttributeValues=expr_values(want=want, most=limit - want, expires=expires_at),
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                )
            except ClientError as error:
                if not is_condition_failure(error):
                    raise
                return int(from_item(error.response.get("Item") or {}).get("hits", 0))
        return None
