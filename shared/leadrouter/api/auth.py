"""Who is calling: a JWT's claims (admins and staff); form keys are read by the form door (``api.door``).

The tenant always comes from here, never from a body, path or query string.
"""

from __future__ import annotations

from aws_lambda_powertools.event_handler.exceptions import ServiceError
from pydantic import ValidationError

from leadrouter.domain.models import Caller

FORM_KEY_HEADER = "x-form-key"


class Unauthorized(ServiceError):
    def __init__(self, msg: str = "authentication required") -> None:
        super().__init__(401, msg)


class Forbidden(ServiceError):
    def __init__(self, msg: str = "not allowed for your role") -> None:
        super().__init__(403, msg)


def caller_from_claims(claims: dict[str, object] | None) -> Caller:
    if not claims or not claims.get("custom:tenant_id"):
        raise Unauthorized()
    try:
        return Caller(
            tenant_id=str(claims["custom:tenant_id"]),
            role=claims.get("custom:role", "staff"),
            staff_id=_opt(claims.get("custom:staff_id")),
            team=_opt(claims.get("custom:team")),
            subject=str(claims.get("sub", "")),
        )
    except ValidationError as error:
        raise Forbidden("token has an unknown role") from error


def _opt(value: object) -> str | None:
    return str(value) if value else None


def require_role(caller: Caller, *roles: str) -> None:
    if caller.role not in roles:
        raise Forbidden(f"needs role {' or '.join(roles)}")
