"""Per-request helpers shared by the routers: the caller, the clock, parameter types, cursors."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, cast
from urllib.parse import unquote

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent
from pydantic import BeforeValidator, Field

from leadrouter.api.auth import caller_from_claims, claims_of, require_role
from leadrouter.clock import utc_now
from leadrouter.domain.base import Ident, Label, PlausibleMoment
from leadrouter.domain.errors import InvalidInput
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


def request_id(router: Router) -> str | None:
    """API Gateway's id of this request, which the access audit records beside the caller."""
    event = cast(APIGatewayProxyEvent, router.current_event)
    return event.request_context.request_id or None


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
#: Long enough for every cursor a store hands out (they are opaque here: the data layer reads them).
CURSOR_MAX_LENGTH = 400
CURSOR_DOC = (
    "opaque: the `cursor` the previous page of this same listing returned (same filters); any other "
    "value is a 422 naming `cursor`"
)


__all__ = [
    "CURSOR_DOC",
    "CURSOR_MAX_LENGTH",
    "Instant",
    "PathIdent",
    "PathLabel",
    "PathSubmissionId",
    "caller_of",
    "check_order",
    "now",
    "request_id",
]
