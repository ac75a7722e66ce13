"""Per-tenant quotas (config table): a count per fixed window that every container sees.

``pk`` = ``TENANT#<id>``, ``sk`` = ``QUOTA#<name>#<window start, unix s>``, TTL ``expires_at`` one
window after it ends. One conditional UpdateItem per use, refused ones included (they write nothing).
"""

from __future__ import annotations

import math
from datetime import datetime

from botocore.exceptions import ClientError

from leadrouter.data.items import Store, expr_values, is_condition_failure, tenant_pk, to_item


class QuotaStore(Store):
    def take_quota(
        self, tenant_id: str, name: str, *, limit: int, window_seconds: int, now: datetime
    ) -> int | None:
        """Count one use of ``name`` in the current window: None if it is within ``limit``, else the
        whole seconds until the window ends (a ``Retry-After``)."""
        moment = now.timestamp()
        start = int(moment) // window_seconds * window_seconds
        try:
            self._client.update_item(
                TableName=self._config,
                Key=to_item({"pk": tenant_pk(tenant_id), "sk": f"QUOTA#{name}#{start}"}),
                UpdateExpression="SET expires_at = if_not_exists(expires_at, :expires) ADD uses :one",
                ConditionExpression="attribute_not_exists(uses) OR uses < :limit",
                ExpressionAttributeValues=expr_values(one=1, limit=limit, expires=start + 2 * window_seconds),
            )
        except ClientError as error:
            if is_condition_failure(error):
                return max(1, math.ceil(start + window_seconds - moment))
            raise
        return None
