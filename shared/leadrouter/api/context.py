"""Per-request helpers shared by the routers: the caller, the clock, cursors."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any, cast

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent

from leadrouter.api.auth import caller_from_claims, require_role
from leadrouter.clock import utc_now
from leadrouter.data.repository import PageKey
from leadrouter.domain.errors import InvalidInput
from leadrouter.domain.models import Caller


def caller_of(router: Router, *roles: str) -> Caller:
    """The authenticated caller (API Gateway's Cognito authorizer put the JWT claims in the event).

    With ``roles``, a caller of any other role is refused (403) before the route does anything.
    """
    event = cast(APIGatewayProxyEvent, router.current_event)
    authorizer = event.request_context.authorizer
    caller = caller_from_claims(authorizer.claims if authorizer else None)
    if roles:
        require_role(caller, *roles)
    return caller


#: The API's clock; tests replace it to place API actions on the same timeline as sweeps.
clock: Callable[[], datetime] = utc_now


def now() -> datetime:
    return clock()


def encode_cursor(key: PageKey) -> str | None:
    if not key:
        return None
    return base64.urlsafe_b64encode(json.dumps(key, separators=(",", ":")).encode()).decode()


def decode_cursor(cursor: str | None, tenant_id: str) -> PageKey:
    """An opaque cursor back to a DynamoDB start key; one from another tenant is refused."""
    if not cursor:
        return None
    try:
        key: dict[str, Any] = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (binascii.Error, ValueError) as error:
        raise InvalidInput("bad cursor", {"cursor": "not a cursor this API returned"}) from error
    if not isinstance(key, dict) or key.get("tenant_id") != {"S": tenant_id}:
        raise InvalidInput("bad cursor", {"cursor": "not a cursor this API returned"})
    return key
