"""Pagination cursors: opaque tokens the stores hand out and take back, so no DynamoDB key leaves data/.

A cursor is base64url of a small JSON position, never a raw key. The store that reads one rebuilds the
start key from it with the caller's tenant (and the listing's own partition), so nothing a caller forges
or copies from another tenant reaches DynamoDB: a cursor that does not fit the listing is an
``InvalidInput`` naming ``cursor`` (a 422).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from leadrouter.data.items import PageKey, owner_partition
from leadrouter.domain.base import Ident
from leadrouter.domain.errors import InvalidInput

#: Where a listing stopped, as the API hands it out: opaque to every layer above data/.
Cursor = str

#: The fixed-width UTC text every stored timestamp uses (``clock.to_iso``).
_STORED_MOMENT = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$"
_DELIVERY_KEY = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z#[A-Za-z0-9_.:-]{1,80}$")
_BAD_CURSOR = "not a cursor this API returned for this listing"
_NOT_OURS = "not a cursor this API returned"


class LeadPosition(BaseModel):
    """Where a page of a tenant's leads stopped. ``idle_since`` is present exactly when the page came
    from the owner index (``owner_idle``)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    tenant_id: Ident
    lead_id: Ident
    idle_since: Annotated[str, Field(pattern=_STORED_MOMENT)] | None = None


def _refuse(reason: str = _BAD_CURSOR) -> InvalidInput:
    return InvalidInput("bad cursor", {"cursor": reason})


def _read(cursor: Cursor, reason: str = _BAD_CURSOR) -> Any:
    try:
        return json.loads(base64.urlsafe_b64decode(cursor.encode("ascii")))
    except (binascii.Error, UnicodeError, ValueError) as error:
        raise _refuse(reason) from error


def lead_cursor(key: PageKey) -> Cursor | None:
    """A leads listing's LastEvaluatedKey → its cursor (None at the end)."""
    if not key:
        return None
    position = LeadPosition(
        tenant_id=key["tenant_id"]["S"],
        lead_id=key["lead_id"]["S"],
        idle_since=key["idle_since"]["S"] if "idle_since" in key else None,
    )
    return base64.urlsafe_b64encode(position.model_dump_json(exclude_none=True).encode()).decode()


def lead_start_key(cursor: Cursor | None, tenant_id: str, owner: str | None, low: str, high: str) -> PageKey:
    """A leads listing's cursor back to its start key, or ``InvalidInput`` naming ``cursor``.

    ``owner`` says the listing runs on that owner's index partition. A tenant listing's key condition
    is the lead-id range ``low … high`` of its period, and a start key outside it is a DynamoDB
    ValidationException, so such a cursor is refused. (On the owner index the period is a filter: its
    last evaluated key may lie outside the period, and DynamoDB accepts it.)
    """
    if not cursor:
        return None
    try:
        position = LeadPosition.model_validate(_read(cursor))
    except ValidationError as error:
        raise _refuse() from error
    if position.tenant_id != tenant_id:
        raise _refuse()
    if (owner is None) != (position.idle_since is None):
        raise _refuse("this cursor belongs to a listing with another assignee filter")
    key: dict[str, Any] = {"tenant_id": {"S": tenant_id}, "lead_id": {"S": position.lead_id}}
    if owner is None:
        if not low <= position.lead_id <= high:
            raise _refuse("this cursor is outside received_from … received_to")
    elif position.idle_since is not None:
        key["owner_key"] = {"S": owner_partition(tenant_id, owner)}
        key["idle_since"] = {"S": position.idle_since}
    return key


def delivery_cursor(key: PageKey) -> Cursor | None:
    """A webhook's delivery log LastEvaluatedKey → its cursor (the sort key only; None at the end)."""
    if not key:
        return None
    return base64.urlsafe_b64encode(json.dumps({"s": key["sk"]["S"]}).encode()).decode()


def delivery_start_key(cursor: Cursor | None, tenant_id: str, webhook_id: str) -> PageKey:
    """A delivery log cursor back to a start key, rebuilt with the caller's tenant and the webhook."""
    if not cursor:
        return None
    try:
        sk = _read(cursor, _NOT_OURS)["s"]
        if not isinstance(sk, str) or not _DELIVERY_KEY.match(sk):
            raise ValueError
    except (ValueError, KeyError, TypeError) as error:
        raise _refuse(_NOT_OURS) from error
    return {"pk": {"S": f"{tenant_id}#{webhook_id}"}, "sk": {"S": sk}}


def submission_cursor(key: PageKey) -> Cursor | None:
    """A submissions listing's LastEvaluatedKey → its cursor (the record's id only; None at the end)."""
    if not key:
        return None
    return base64.urlsafe_b64encode(json.dumps({"s": key["submission_id"]["S"]}).encode()).decode()


def submission_start_key(cursor: Cursor | None, tenant_id: str, source_id: str | None) -> PageKey:
    """A submissions cursor back to a start key, rebuilt with the caller's tenant.

    With a source filter the key condition is the source's id prefix, and a start key outside it is a
    DynamoDB ValidationException, so such a cursor is refused.
    """
    if not cursor:
        return None
    try:
        submission_id = _read(cursor, _NOT_OURS)["s"]
        if not isinstance(submission_id, str) or not 0 < len(submission_id) <= 128:
            raise ValueError
    except (ValueError, KeyError, TypeError) as error:
        raise _refuse(_NOT_OURS) from error
    if source_id and not submission_id.startswith(f"{source_id}."):
        raise _refuse("this cursor belongs to a listing of another source")
    return {"tenant_id": {"S": tenant_id}, "submission_id": {"S": submission_id}}


_EXPORT_KEY = re.compile(r"^EXPORT#[A-Za-z0-9_.:-]{1,64}$")


def export_cursor(key: PageKey) -> Cursor | None:
    """A tenant's exports listing LastEvaluatedKey → its cursor (the sort key only; None at the end)."""
    if not key:
        return None
    return base64.urlsafe_b64encode(json.dumps({"s": key["sk"]["S"]}).encode()).decode()


def export_start_key(cursor: Cursor | None, partition: str) -> PageKey:
    """An exports cursor back to a start key, rebuilt on the caller's tenant partition."""
    if not cursor:
        return None
    try:
        sk = _read(cursor, _NOT_OURS)["s"]
        if not isinstance(sk, str) or not _EXPORT_KEY.match(sk):
            raise ValueError
    except (ValueError, KeyError, TypeError) as error:
        raise _refuse(_NOT_OURS) from error
    return {"pk": {"S": partition}, "sk": {"S": sk}}
