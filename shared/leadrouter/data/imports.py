"""Customer-list imports in the tenant's partition of the config table.

* ``IMPORT#<import_id>``: the record (``domain.imports.Import``). Import ids begin with their request
  time (``domain.ids.new_id``), so a reverse Query on the prefix lists a tenant's imports newest first.
  While workers run (reading, checking, importing) the record is never rewritten whole: workers ADD
  their chunk's counts and the API changes only the status, each with a condition on it.
* ``IMPORTCHUNK#<import_id>#<stage>#<chunk>``: a chunk's counts were added. Put in the same
  transaction as the counters' ADD, conditioned on its absence, so a redelivered message adds nothing
  (deleted by TTL long after the chunk files are gone).
* ``IMPORTMAPPING``: the tenant's last confirmed mapping and the headers it was made for.
* ``IMPORTFILE#<sha256>``: when a file was first read, the time its rows' lead ids are made from, so
  every import of the same file names the same leads.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from leadrouter.clock import from_iso, to_iso, utc_now
from leadrouter.data.contacts import is_cancellation
from leadrouter.data.items import (
    Store,
    expr_values,
    from_item,
    is_condition_failure,
    read_model,
    strip_keys,
    tenant_pk,
    to_item,
)
from leadrouter.domain.errors import Conflict
from leadrouter.domain.imports import Import, ImportStatus

IMPORT_PREFIX = "IMPORT#"
CHUNK_PREFIX = "IMPORTCHUNK#"
MAPPING_KEY = "IMPORTMAPPING"
FILE_PREFIX = "IMPORTFILE#"
#: How long a chunk marker is kept (then TTL deletes it): longer than the chunk files it stands for
#: (FilesBucket's imports/ expire after FileRetentionDays), so no chunk can be counted twice.
MARKER_LIFE = timedelta(days=400)
#: The counters one chunk adds (``domain.imports.StageCounts``'s fields).
COUNTERS = ("chunks", "rows", "created", "linked", "rejected", "already_imported", "converted")


def _chunk_key(import_id: str, stage: str, chunk: int) -> str:
    return f"{CHUNK_PREFIX}{import_id}#{stage}#{chunk:07d}"


class ImportStore(Store):
    def _import_key(self, tenant_id: str, import_id: str) -> dict[str, Any]:
        return to_item({"pk": tenant_pk(tenant_id), "sk": f"{IMPORT_PREFIX}{import_id}"})

    def put_import(self, record: Import, *, expected: Sequence[ImportStatus] = ()) -> None:
        """Write the record whole: new (``expected`` empty), or over a record in one of ``expected``
        statuses (Conflict otherwise: another request or a worker moved it on)."""
        item = {"pk": tenant_pk(record.tenant_id), "sk": f"{IMPORT_PREFIX}{record.import_id}"}
        item |= record.model_dump(mode="json", exclude_none=True)
        kwargs: dict[str, Any] = {"TableName": self._config, "Item": to_item(item)}
        if expected:
            names = [f":s{i}" for i in range(len(expected))]
            kwargs["ConditionExpression"] = f"#status IN ({', '.join(names)})"
            kwargs["ExpressionAttributeNames"] = {"#status": "status"}
            kwargs["ExpressionAttributeValues"] = to_item(
                {n: s.value for n, s in zip(names, expected, strict=True)}
            )
        else:
            kwargs["ConditionExpression"] = "attribute_not_exists(pk)"
        try:
            self._client.put_item(**kwargs)
        except ClientError as error:
            if is_condition_failure(error):
                raise Conflict(f"import {record.import_id} changed meanwhile; reload it") from error
            raise

    def get_import(self, tenant_id: str, import_id: str) -> Import | None:
        item = self._get_config(tenant_id, f"{IMPORT_PREFIX}{import_id}")
        return read_model(Import, item) if item else None

    def list_imports(self, tenant_id: str, *, limit: int) -> list[Import]:
        """The tenant's latest imports, newest first."""
        response = self._client.query(
            TableName=self._config,
            ScanIndexForward=False,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
            ExpressionAttributeValues=expr_values(pk=tenant_pk(tenant_id), prefix=IMPORT_PREFIX),
            Limit=limit,
        )
        found = [read_model(Import, strip_keys(from_item(raw))) for raw in response.get("Items", [])]
        return [record for record in found if record is not None]

    def set_import_status(
        self,
        tenant_id: str,
        import_id: str,
        *,
        expected: Sequence[ImportStatus],
        status: ImportStatus,
        at: datetime,
        fields: Mapping[str, Any] | None = None,
    ) -> bool:
        """Move the record to ``status`` (and SET ``fields``) if it is in one of ``expected``; False if
        not. The counters are left as they are: workers may be adding to them."""
        values: dict[str, Any] = {":status": status.value, ":at": to_iso(at)}
        names = {"#status": "status"}
        sets = ["#status = :status", "updated_at = :at"]
        for i, (name, value) in enumerate((fields or {}).items()):
            names[f"#f{i}"] = name
            values[f":f{i}"] = value
            sets.append(f"#f{i} = :f{i}")
        allowed = [f":e{i}" for i in range(len(expected))]
        values |= {n: s.value for n, s in zip(allowed, expected, strict=True)}
        try:
            self._client.update_item(
                TableName=self._config,
                Key=self._import_key(tenant_id, import_id),
                UpdateExpression="SET " + ", ".join(sets),
                ConditionExpression=f"#status IN ({', '.join(allowed)})",
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=to_item(values),
            )
        except ClientError as error:
            if is_condition_failure(error):
                return False
            raise
        return True

    def count_chunk(
        self, tenant_id: str, import_id: str, stage: str, chunk: int, counts: Mapping[str, int]
    ) -> bool:
        """Add one chunk's ``counts`` to the record's ``stage`` counters (``checked`` or ``imported``),
        once: with its marker, in one transaction. False when the chunk was counted already."""
        added = {name: int(counts.get(name, 0)) for name in COUNTERS}
        names = {"#stage": stage} | {f"#{name}": name for name in added}
        update = "ADD " + ", ".join(f"#stage.#{name} :{name}" for name in added)
        try:
            self._client.transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": self._config,
                            "Item": to_item(
                                {
                                    "pk": tenant_pk(tenant_id),
                                    "sk": _chunk_key(import_id, stage, chunk),
                                    "expires_at": int((utc_now() + MARKER_LIFE).timestamp()),
                                }
                            ),
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                    {
                        "Update": {
                            "TableName": self._config,
                            "Key": self._import_key(tenant_id, import_id),
                            "UpdateExpression": update,
                            "ConditionExpression": "attribute_exists(pk)",
                            "ExpressionAttributeNames": names,
                            "ExpressionAttributeValues": to_item({f":{k}": v for k, v in added.items()}),
                        }
                    },
                ]
            )
        except ClientError as error:
            if is_cancellation(error):
                return False
            raise
        return True

    def counted_chunks(self, tenant_id: str, import_id: str, stage: str) -> set[int]:
        """The chunks of ``stage`` whose counts were added."""
        prefix = f"{CHUNK_PREFIX}{import_id}#{stage}#"
        return {int(str(item["sk"])[len(prefix) :]) for item in self._query_chunk_markers(tenant_id, prefix)}

    def _query_chunk_markers(self, tenant_id: str, prefix: str) -> list[dict[str, Any]]:
        return list(
            self._paginate_query(
                TableName=self._config,
                KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
                ExpressionAttributeValues=expr_values(pk=tenant_pk(tenant_id), prefix=prefix),
                ProjectionExpression="sk",
            )
        )

    def clear_chunk_counts(self, tenant_id: str, import_id: str, stage: str) -> None:
        """Forget a stage's chunk markers (a dry run made again counts again)."""
        prefix = f"{CHUNK_PREFIX}{import_id}#{stage}#"
        for item in self._query_chunk_markers(tenant_id, prefix):
            self._client.delete_item(
                TableName=self._config, Key=to_item({"pk": tenant_pk(tenant_id), "sk": item["sk"]})
            )

    def put_import_mapping(self, tenant_id: str, headers: Sequence[str], mapping: Mapping[str, Any]) -> None:
        item = {"pk": tenant_pk(tenant_id), "sk": MAPPING_KEY, "headers": list(headers), "mapping": mapping}
        self._client.put_item(TableName=self._config, Item=to_item(item))

    def get_import_mapping(self, tenant_id: str) -> tuple[list[str], dict[str, Any]] | None:
        """The tenant's last confirmed mapping and the headers it was made for."""
        item = self._get_config(tenant_id, MAPPING_KEY)
        if not item:
            return None
        return [str(h) for h in item.get("headers", [])], dict(item.get("mapping", {}))

    def file_first_read(self, tenant_id: str, sha256: str, at: datetime) -> datetime:
        """When this file (by content) was first read for the tenant: ``at`` the first time, the
        recorded time ever after."""
        key = {"pk": tenant_pk(tenant_id), "sk": f"{FILE_PREFIX}{sha256}"}
        try:
            self._client.put_item(
                TableName=self._config,
                Item=to_item(key | {"first_read_at": to_iso(at)}),
                ConditionExpression="attribute_not_exists(pk)",
            )
        except ClientError as error:
            if not is_condition_failure(error):
                raise
            item = self._get_config(tenant_id, f"{FILE_PREFIX}{sha256}")
            if item is None:  # not expected: the put just failed on it
                raise Conflict("the file's record changed meanwhile; retry") from error
            return from_iso(str(item["first_read_at"]))
        return at
