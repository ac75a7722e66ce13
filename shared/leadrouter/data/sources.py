"""Form sources: ``SOURCE#<id>`` items and their ``FORMKEY#<hash>`` lookups, written together."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from leadrouter.data.cache import SETTINGS_CACHE
from leadrouter.data.items import (
    Item,
    Store,
    expr_values,
    from_item,
    read_model,
    strip_keys,
    tenant_pk,
    to_item,
)
from leadrouter.domain.errors import Conflict
from leadrouter.domain.forms import FormSource


def _source_of(item: Item) -> FormSource | None:
    """A stored SOURCE# item as its model (the key's hash is stored beside it, never shown)."""
    return read_model(FormSource, {k: v for k, v in item.items() if k != "key_hash"})


class SourceStore(Store):
    """A tenant's form sources, found by id (administration) or by key hash (intake)."""

    def put_form_source(self, source: FormSource, key_hash: str) -> None:
        """Store a form source and its key lookup together (the key itself is never stored)."""
        try:
            self._put_source_items(source, key_hash, condition_rev=None)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "TransactionCanceledException":
                raise Conflict("form source or key already exists; retry with a new key") from error
            raise
        SETTINGS_CACHE.forget()

    def save_form_source(self, before: FormSource, after: FormSource) -> FormSource:
        """Store an edited source (both its items) if it is still at ``before``'s revision (else Conflict)."""
        item = self._get_config(before.tenant_id, f"SOURCE#{before.source_id}")
        key_hash = str(item.get("key_hash", "")) if item else ""
        if not key_hash:
            raise Conflict("this form source predates editing; create a new source instead")
        stored = FormSource.model_validate({**after.model_dump(), "rev": before.rev + 1})
        try:
            self._put_source_items(stored, key_hash, condition_rev=before.rev)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "TransactionCanceledException":
                raise Conflict(f"form source {before.source_id} changed meanwhile; reload it") from error
            raise
        SETTINGS_CACHE.forget()
        return stored

    def _put_source_items(self, source: FormSource, key_hash: str, condition_rev: int | None) -> None:
        body = source.model_dump(mode="json", exclude_none=True)
        if condition_rev is None:
            source_condition: dict[str, Any] = {"ConditionExpression": "attribute_not_exists(pk)"}
            key_condition = source_condition
        else:
            condition = "rev = :rev"
            if condition_rev == 0:  # sources from before revisions count as revision 0
                condition = "attribute_exists(pk) AND (attribute_not_exists(rev) OR rev = :rev)"
            source_condition = {
                "ConditionExpression": condition,
                "ExpressionAttributeValues": expr_values(rev=condition_rev),
            }
            key_condition = {"ConditionExpression": "attribute_exists(pk)"}
        self._client.transact_write_items(
            TransactItems=[
                {
                    "Put": {
                        "TableName": self._config,
                        "Item": to_item(
                            {
                                "pk": tenant_pk(source.tenant_id),
                                "sk": f"SOURCE#{source.source_id}",
                                "key_hash": key_hash,
                                **body,
                            }
                        ),
                        **source_condition,
                    }
                },
                {
                    "Put": {
                        "TableName": self._config,
                        "Item": to_item({"pk": f"FORMKEY#{key_hash}", "sk": "FORMKEY", **body}),
                        **key_condition,
                    }
                },
            ]
        )

    def form_source_by_key_hash(self, key_hash: str) -> FormSource | None:
        """The source of a form key. Cached per container for ``SETTINGS_TTL`` seconds: intake reads
        it on every submission, and an admin's edit may take that long to reach every container."""
        return SETTINGS_CACHE.get(("FORMKEY", self._config, key_hash), lambda: self._read_source(key_hash))

    def _read_source(self, key_hash: str) -> FormSource | None:
        response = self._client.get_item(
            TableName=self._config, Key=to_item({"pk": f"FORMKEY#{key_hash}", "sk": "FORMKEY"})
        )
        raw = response.get("Item")
        return read_model(FormSource, strip_keys(from_item(raw))) if raw else None

    def get_form_source(self, tenant_id: str, source_id: str) -> FormSource | None:
        item = self._get_config(tenant_id, f"SOURCE#{source_id}")
        return _source_of(item) if item else None

    def list_form_sources(self, tenant_id: str) -> list[FormSource]:
        found = (_source_of(i) for i in self._query_config_prefix(tenant_id, "SOURCE#"))
        return [source for source in found if source is not None]
