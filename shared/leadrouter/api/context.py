"""Per-request helpers shared by the routers: the caller, the clock, parameter types, cursors."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, cast
from urllib.parse import unquote

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
)

from leadrouter.api.auth import caller_from_claims, claims_of, require_role
from leadrouter.clock import utc_now
from leadrouter.data.items import owner_partition
from leadrouter.data.repository import PageKey
from leadrouter.domain.base import Ident, Label, PlausibleMoment
from leadrouter.domain.errors import InvalidInput
from leadrouter.domain.ids import id_floor
from leadrouter.domain.users import Caller


def caller_of(router: Router, *roles: str) -> Caller:
    """The authenticated caller (API Gateway's Cognito authorizer put the JWT claims in the event).

    With ``roles``, a caller of any other role is refused (403) before the route does anything.
    """
    event = cast(APIGatewayProxyEvent, router.current_event)
    caller = caller_from_claims(claims_of(event))
    if roles:
        require_role(caller, *roles)
    return caller


#: The API's clock; tests replace it to place API actions on the same timeline as sweeps.
clock: Callable[[], datetime] = utc_now


def now() -> datetime:
    return clock()


# ------------------------------------------------------------------ parameter types
def _percent_decoded(value: object) -> object:
    """API Gateway REST hands the path over still percent-encoded and Powertools matches it as is.

    Neither ids nor labels may contain '%', so decoding once is unambiguous: ``T%E1%BA%BFt%202027`` is
    "Tết 2027", ``R%3A1`` is "R:1" (clients encode ':'), and a doubly encoded ``%2525`` decodes to a '%'
    that the type then refuses.
    """
    return unquote(value, errors="strict") if isinstance(value, str) else value


#: Path segments are validated like bodies: an id that could never have been created is a 422 naming
#: the parameter, before anything reaches DynamoDB (which refuses keys over 1,024 bytes with a 500).
PathIdent = Annotated[Ident, BeforeValidator(_percent_decoded), Path()]
#: A pool or campaign in the path: Vietnamese with spaces, percent-decoded first.
PathLabel = Annotated[Label, BeforeValidator(_percent_decoded), Path()]
#: A stored submission's id (the sender's own id, or a key derived from it), percent-decoded first.
PathSubmissionId = Annotated[
    Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.:-]+$")],
    BeforeValidator(_percent_decoded),
    Path(),
]

#: A time bound in a query string: ISO 8601 with a time zone (a naive time would be read in the server's
#: zone), in the service's years.
Instant = PlausibleMoment


def check_order(received_from: datetime | None, received_to: datetime | None) -> None:
    """A period whose end is before its start is a mistake to name, not an empty page."""
    if received_from is not None and received_to is not None and received_to < received_from:
        raise InvalidInput("invalid period", {"received_to": "must not be before received_from"})


# ------------------------------------------------------------------ cursors
#: The fixed-width UTC text every stored timestamp uses (``clock.to_iso``).
_STORED_MOMENT = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$"
CURSOR_MAX_LENGTH = 400
CURSOR_DOC = (
    "opaque: the `cursor` the previous page of this same listing returned (same filters); any other "
    "value is a 422 naming `cursor`"
)


class ListCursor(BaseModel):
    """Where a page of ``GET /leads`` stopped: our own small model, never a raw DynamoDB key.

    The server rebuilds the start key from it with the caller's tenant (and the owner index key when
    the listing is by owner), so nothing a caller forges or copies from another tenant reaches
    DynamoDB. ``idle_since`` is present exactly when the page came from the owner index (``owner_idle``).
    """

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    tenant_id: Ident
    lead_id: Ident
    idle_since: Annotated[str, Field(pattern=_STORED_MOMENT)] | None = None


_BAD_CURSOR = "not a cursor this API returned for this listing"


def _refuse(reason: str = _BAD_CURSOR) -> InvalidInput:
    return InvalidInput("bad cursor", {"cursor": reason})


def encode_cursor(key: PageKey) -> str | None:
    """DynamoDB's LastEvaluatedKey → an opaque cursor (base64url of a ``ListCursor``)."""
    if not key:
        return None
    cursor = ListCursor(
        tenant_id=key["tenant_id"]["S"],
        lead_id=key["lead_id"]["S"],
        idle_since=key["idle_since"]["S"] if "idle_since" in key else None,
    )
    text = cursor.model_dump_json(exclude_none=True)
    return base64.urlsafe_b64encode(text.encode()).decode()


def decode_cursor(
    cursor: str | None,
    tenant_id: str,
    *,
    owner: str | None = None,
    received_from: datetime | None = None,
    received_to: datetime | None = None,
) -> PageKey:
    """A cursor back to the DynamoDB start key of the listing it came from, or a 422 naming ``cursor``.

    ``owner`` says the listing runs on the owner index. A tenant listing's key condition is the
    lead-id range of its period (``LeadStore.list_leads``), and a start key outside it is a DynamoDB
    ValidationException, so such a cursor is refused here. (On the owner index the period is a filter:
    its last evaluated key may lie outside the period, and DynamoDB accepts it.)
    """
    if not cursor:
        return None
    try:
        raw: Any = json.loads(base64.urlsafe_b64decode(cursor.encode("ascii")))
        position = ListCursor.model_validate(raw)
    except (binascii.Error, UnicodeError, ValueError, ValidationError) as error:
        raise _refuse() from error
    if position.tenant_id != tenant_id:
        raise _refuse()
    if (owner is None) != (position.idle_since is None):
        raise _refuse("this cursor belongs to a listing with another assignee filter")
    key: dict[str, Any] = {"tenant_id": {"S": tenant_id}, "lead_id": {"S": position.lead_id}}
    if owner is None:
        lowest = id_floor(received_from) if received_from else "L"
        highest = (id_floor(received_to) if received_to else "L") + "~"
        if not lowest <= position.lead_id <= highest:
            raise _refuse("this cursor is outside received_from … received_to")
    elif position.idle_since is not None:
        key["owner_key"] = {"S": owner_partition(tenant_id, owner)}
        key["idle_since"] = {"S": position.idle_since}
    return key


__all__ = [
    "CURSOR_DOC",
    "CURSOR_MAX_LENGTH",
    "Instant",
    "ListCursor",
    "PathIdent",
    "PathLabel",
    "PathSubmissionId",
    "caller_of",
    "check_order",
    "decode_cursor",
    "encode_cursor",
    "now",
]
