"""Optimistic concurrency for config items: a write lands only on the revision its caller read."""

from __future__ import annotations

from botocore.exceptions import ClientError

from leadrouter.data.items import Item, Store, expr_values, is_condition_failure, to_item
from leadrouter.domain.errors import Conflict


class RevisedStore(Store):
    """A store of config items that carry a ``rev`` counter (tenants, staff, rules, pools)."""

    def _put_at_revision(self, item: Item, rev: int, what: str, *, may_be_new: bool = False) -> None:
        """Put a config item only if it is still at revision ``rev`` (else Conflict). Items from before
        revisions existed count as revision 0; ``may_be_new`` also accepts no item at all (settings
        that were never saved read as defaults at revision 0)."""
        if rev > 0:
            condition = "rev = :rev"
        elif may_be_new:
            condition = "attribute_not_exists(rev) OR rev = :rev"
        else:
            condition = "attribute_exists(pk) AND (attribute_not_exists(rev) OR rev = :rev)"
        try:
            self._client.put_item(
                TableName=self._config,
                Item=to_item(item),
                ConditionExpression=condition,
                ExpressionAttributeValues=expr_values(rev=rev),
            )
        except ClientError as error:
            if is_condition_failure(error):
                raise Conflict(f"{what} changed meanwhile; reload it and retry") from error
            raise
