"""Erasure receipts in the files store, under ``erasures/<tenant>/``.

Where: FilesBucket, not a table. A point-in-time restore of DynamoDB makes new tables as they were at
the restore point (docs/operations.md, Restoring): a receipt kept in the config table would vanish with
the erasure it proves, and nothing would say what to erase again. The bucket is not restored with the
tables, its ``erasures/`` prefix has no lifecycle rule (only ``imports/`` and ``exports/`` expire), and a
receipt holds no personal data (ids, times, counts, peppered digests), so it may be kept as long as the
tenant's data is. Beside them, ``pepper.sealed`` is a copy of the tenant's sealed pepper: a table
restored to before the pepper was made would otherwise lose the key to the receipts' digests.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime

from leadrouter.domain.erasure import ErasureReceipt
from leadrouter.domain.files import ListedFiles, tenant_key

PREFIX = "erasures/"
_STAMP = "%Y%m%dT%H%M%S%fZ"
_JSON = "application/json"


def receipt_key(receipt: ErasureReceipt) -> str:
    """``erasures/<tenant>/<UTC time>-<request id>.json``: a tenant's receipts list in time order."""
    stamp = receipt.at.astimezone(UTC).strftime(_STAMP)
    return tenant_key("erasures", receipt.tenant_id, f"{stamp}-{receipt.request_id}.json")


def pepper_key(tenant_id: str) -> str:
    return tenant_key("erasures", tenant_id, "pepper.sealed")


def put_receipt(files: ListedFiles, receipt: ErasureReceipt) -> None:
    body = receipt.model_dump_json(indent=1).encode("utf-8")
    files.put(receipt_key(receipt), io.BytesIO(body), content_type=_JSON)


def keep_pepper(files: ListedFiles, tenant_id: str, sealed: str) -> None:
    files.put(pepper_key(tenant_id), io.BytesIO(sealed.encode("ascii")), content_type="text/plain")


def kept_pepper(files: ListedFiles, tenant_id: str) -> str | None:
    try:
        body = files.open(pepper_key(tenant_id))
    except FileNotFoundError:
        return None
    try:
        return body.read().decode("ascii").strip() or None
    finally:
        body.close()


def _stamp_of(key: str) -> datetime | None:
    name = key.rsplit("/", 1)[-1]
    if not name.endswith(".json") or "-" not in name:
        return None
    try:
        return datetime.strptime(name.split("-", 1)[0], _STAMP).replace(tzinfo=UTC)
    except ValueError:
        return None


def receipts_since(files: ListedFiles, since: datetime) -> Iterator[ErasureReceipt]:
    """Every tenant's receipts of erasures made at or after ``since``, oldest first."""
    found: list[tuple[datetime, str]] = []
    for key in files.keys(PREFIX):
        at = _stamp_of(key)
        if at is not None and at >= since:
            found.append((at, key))
    for _, key in sorted(found):
        body = files.open(key)
        try:
            yield ErasureReceipt.model_validate(json.loads(body.read()))
        finally:
            body.close()
