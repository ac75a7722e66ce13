"""Lead exports: one ``EXPORT#<export_id>`` item per export in the tenant's partition of the config table.

Export ids begin with their request time (``domain.ids.new_id``), so a reverse Query on the prefix lists
a tenant's exports newest first. The record is written whole each time (requested, running, done or
failed): a worker that runs an export again rewrites the same item.
"""

from __future__ import annotations

from typing import Any

from leadrouter.data.cursors import Cursor, export_cursor, export_start_key
from leadrouter.data.items import Store, expr_values, from_item, read_model, strip_keys, tenant_pk, to_item
from leadrouter.domain.exports import Export

EXPORT_PREFIX = "EXPORT#"
#: Items one listing call reads at most (a requester filter is applied after the key condition).


class ExportStore(Store):
    def put_export(self, export: Export) -> None:
        key = {"pk": tenant_pk(export.tenant_id), "sk": f"{EXPORT_PREFIX}{export.export_id}"}
        item = key | export.model_dump(mode="json", exclude_none=True)
        self._client.put_item(TableName=self._config, Item=to_item(item))

    def get_export(self, tenant_id: str, export_id: str) -> Export | None:
        item = self._get_config(tenant_id, f"{EXPORT_PREFIX}{export_id}")
        return read_model(Export, item) if item else None

    def list_exports(
        self, tenant_id: str, *, requested_by: str | None, limit: int, start: Cursor | None = None
    ) -> tuple[list[Export], Cursor | None]:
        """A page of the tenant's exports, newest first; with ``requested_by`` (a user's subject) only
        theirs. The filter applies after the key condition: a page may be short, with a cursor."""
        partition = tenant_pk(tenant_id)
        kwargs: dict[str, Any] = {
            "TableName": self._config,
            "ScanIndexForward": False,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
            "ExpressionAttributeValues": expr_values(pk=partition, prefix=EXPORT_PREFIX),
        }
        if requested_by is not None:
            kwargs["FilterExpression"] = "requested_by.subject = :subject"
            kwargs["ExpressionAttributeValues"] |= expr_values(subject=requested_by)
        found, key = self._filtered_page(
            kwargs,
            export_start_key(start, partition),
            limit,
            lambda raw: read_model(Export, strip_keys(from_item(raw))),
        )
        return found, export_cursor(key)
