"""Rate-limit windows every container sees: one counter item per key and window in the config table.

``pk`` = ``LIMIT#<scope>`` (its own partition, away from the tenant's settings), ``sk`` = the window's
start (epoch seconds). One conditional ``ADD`` both counts and decides, so concurrent containers can
never admit more than the limit between them; the item expires by the table's TTL (``expires_at``).
"""

from __future__ import annotations

from botocore.exceptions import ClientError

from leadrouter.data.items import Store, expr_values, is_condition_failure, to_item

LIMIT_PREFIX = "LIMIT#"


class LimitStore(Store):
    """Shared window counters (``logic.limits`` decides what is counted and when)."""

    def take_in_window(self, scope: str, window_start: int, limit: int, expires_at: int) -> bool:
        """Count one request in ``scope``'s window if it has counted fewer than ``limit``: True if counted.

        One UpdateItem (1 WRU for this small item). A refusal is a failed condition: DynamoDB charges
        it as a write too, so callers keep a free first line in front of this.
        """
        try:
            self._client.update_item(
                TableName=self._config,
                Key=to_item({"pk": f"{LIMIT_PREFIX}{scope}", "sk": str(window_start)}),
                UpdateExpression="ADD hits :one SET expires_at = :expires",
                ConditionExpression="attribute_not_exists(hits) OR hits < :limit",
                ExpressionAttributeValues=expr_values(one=1, limit=limit, expires=expires_at),
            )
        except ClientError as error:
            if is_condition_failure(error):
                return False
            raise
        return True
