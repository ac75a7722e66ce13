"""Do-Not-Call lists and the advertising-call log: phones kept only as contact digests.

Config table, the tenant's partition (``TENANT#<id>``):

* ``DNC#<digest>``: a number on a Do-Not-Call list; ``tenant_at`` and/or ``national_at`` say which
  list(s) it is on (the tenant's own, the national register the tenant uploaded) and since when. Kept
  until removed.
* ``CALLED#<digest>``: the last advertising call to the number (``called_at``), deleted by TTL
  (``expires_at``) a little after 24 hours; reads go by ``called_at``, never by the item's presence,
  since TTL deletes late.

``digest`` is ``domain.privacy.contact_digest`` of the phone's contact key under the tenant's pepper:
the number itself is never stored here. A sweep reads both items of each phone it may call in one
consistent BatchGetItem per page (``calling_records``): 1 RRU per item asked (found or not, ≤ 1 KB),
so 2 RRU per lead checked.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from leadrouter.clock import from_iso, to_iso
from leadrouter.data.items import (
    BATCH_GET_LIMIT,
    Item,
    Store,
    expr_values,
    from_item,
    is_condition_failure,
    tenant_pk,
    to_item,
)
from leadrouter.domain.calling import CALL_GAP, DoNotCallOrigin

DNC_PREFIX = "DNC#"
CALLED_PREFIX = "CALLED#"
#: The call log outlives the 24 hours it bars by this much before TTL may delete it.
CALL_LOG_MARGIN = timedelta(hours=1)
#: Parallel writes of one Do-Not-Call upload (each number is one UpdateItem, so its lists merge).
UPLOAD_CONCURRENCY = 8


@dataclass(frozen=True)
class CallingRecord:
    """What the lists say of one phone digest."""

    do_not_call: frozenset[DoNotCallOrigin] = field(default_factory=frozenset)
    last_call_at: datetime | None = None


def _origin_attr(origin: DoNotCallOrigin) -> str:
    return f"{origin.value}_at"


class CallingStore(Store):
    """Do-Not-Call entries and the advertising-call log of a tenant, by phone digest."""

    def calling_records(self, tenant_id: str, digests: Sequence[str]) -> dict[str, CallingRecord]:
        """digest → what the lists hold for it (absent: on no list, never called): consistent
        BatchGetItem of its ``DNC#`` and ``CALLED#`` items, 50 digests per request."""
        unique = list(dict.fromkeys(digests))
        keys = [
            {"pk": tenant_pk(tenant_id), "sk": f"{prefix}{digest}"}
            for digest in unique
            for prefix in (DNC_PREFIX, CALLED_PREFIX)
        ]
        found: dict[str, dict[str, Item]] = {}
        for start in range(0, len(keys), BATCH_GET_LIMIT):
            request: dict[str, Any] = {
                self._config: {
                    "Keys": [to_item(k) for k in keys[start : start + BATCH_GET_LIMIT]],
                    "ConsistentRead": True,
                }
            }
            while request:
                response = self._client.batch_get_item(RequestItems=request)
                for raw in response.get("Responses", {}).get(self._config, []):
                    item = from_item(raw)
                    prefix, digest = str(item["sk"]).split("#", 1)
                    found.setdefault(digest, {})[prefix] = item
                request = response.get("UnprocessedKeys") or {}
        return {digest: _record(items) for digest, items in found.items()}

    def record_advertising_call(self, tenant_id: str, digest: str, at: datetime) -> None:
        """The phone was called for advertising at ``at`` (a later call only moves it forward)."""
        expires = int((at + CALL_GAP + CALL_LOG_MARGIN).timestamp())
        try:
            self._client.update_item(
                TableName=self._config,
                Key=to_item({"pk": tenant_pk(tenant_id), "sk": f"{CALLED_PREFIX}{digest}"}),
                UpdateExpression="SET called_at = :at, expires_at = :expires",
                ConditionExpression="attribute_not_exists(called_at) OR called_at < :at",
                ExpressionAttributeValues=expr_values(at=to_iso(at), expires=expires),
            )
        except ClientError as error:
            if not is_condition_failure(error):
                raise

    def add_do_not_call(
        self, tenant_id: str, digests: Iterable[str], origin: DoNotCallOrigin, at: datetime
    ) -> None:
        """Put each digest on ``origin``'s list (an UpdateItem each: a number on both lists keeps both)."""
        attr = _origin_attr(origin)

        def put(digest: str) -> None:
            self._client.update_item(
                TableName=self._config,
                Key=to_item({"pk": tenant_pk(tenant_id), "sk": f"{DNC_PREFIX}{digest}"}),
                UpdateExpression="SET #origin = if_not_exists(#origin, :at)",
                ExpressionAttributeNames={"#origin": attr},
                ExpressionAttributeValues=expr_values(at=to_iso(at)),
            )

        unique = list(dict.fromkeys(digests))
        with ThreadPoolExecutor(max_workers=UPLOAD_CONCURRENCY) as pool:
            list(pool.map(put, unique))

    def remove_do_not_call(self, tenant_id: str, digest: str, origin: DoNotCallOrigin) -> bool:
        """Take the digest off ``origin``'s list (the item goes when it is on no list); False if it was
        not on that list."""
        key = to_item({"pk": tenant_pk(tenant_id), "sk": f"{DNC_PREFIX}{digest}"})
        attr = _origin_attr(origin)
        try:
            response = self._client.update_item(
                TableName=self._config,
                Key=key,
                UpdateExpression="REMOVE #origin",
                ConditionExpression="attribute_exists(#origin)",
                ExpressionAttributeNames={"#origin": attr},
                ReturnValues="ALL_NEW",
            )
        except ClientError as error:
            if is_condition_failure(error):
                return False
            raise
        left = from_item(response.get("Attributes") or {})
        if not any(_origin_attr(o) in left for o in DoNotCallOrigin):
            try:
                self._client.delete_item(
                    TableName=self._config,
                    Key=key,
                    ConditionExpression=" AND ".join(
                        f"attribute_not_exists({_origin_attr(o)})" for o in DoNotCallOrigin
                    ),
                )
            except ClientError as error:
                if not is_condition_failure(error):  # put back on a list meanwhile: keep it
                    raise
        return True

    def count_do_not_call(self, tenant_id: str) -> dict[DoNotCallOrigin, int]:
        """How many numbers each list holds: a key-range Query of the ``DNC#`` items (an admin's
        question, not a sweep's: it reads every entry, ~0.5 RRU per 4 KB of them)."""
        counts = dict.fromkeys(DoNotCallOrigin, 0)
        names = {f"#{o.value}": _origin_attr(o) for o in DoNotCallOrigin}
        for item in self._paginate_query(
            TableName=self._config,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
            ProjectionExpression=", ".join(names),
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=expr_values(pk=tenant_pk(tenant_id), prefix=DNC_PREFIX),
        ):
            for origin in DoNotCallOrigin:
                if _origin_attr(origin) in item:
                    counts[origin] += 1
        return counts


def _record(items: dict[str, Item]) -> CallingRecord:
    listed = items.get(DNC_PREFIX.rstrip("#"), {})
    called = items.get(CALLED_PREFIX.rstrip("#"), {}).get("called_at")
    return CallingRecord(
        do_not_call=frozenset(o for o in DoNotCallOrigin if _origin_attr(o) in listed),
        last_call_at=from_iso(str(called)) if called else None,
    )
