"""Who is calling: a JWT's claims (admins and staff) or a form key (web forms and CRMs).

The tenant always comes from here, never from a body, path or query string.
"""

from __future__ import annotations

from datetime import datetime

from aws_lambda_powertools.event_handler.exceptions import ServiceError
from pydantic import ValidationError

from leadrouter.data.repository import Repository
from leadrouter.domain.keys import hash_form_key
from leadrouter.domain.models import Caller, FormSource

FORM_KEY_HEADER = "x-form-key"


class Unauthorized(ServiceError):
    def __init__(self, msg: str = "authentication required") -> None:
        super().__init__(401, msg)


class Forbidden(ServiceError):
    def __init__(self, msg: str = "not allowed for your role") -> None:
        super().__init__(403, msg)


class TooManyRequests(ServiceError):
    def __init__(self, msg: str) -> None:
        super().__init__(429, msg)


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


def form_source(repo: Repository, key: str | None, now: datetime) -> FormSource:
    """The source a form key belongs to, after its per-key rate limit; 401/429 otherwise."""
    if not key:
        raise Unauthorized(f"missing {FORM_KEY_HEADER} header")
    source = repo.form_source_by_key_hash(hash_form_key(key))
    if source is None or not source.active:
        raise Unauthorized("unknown or disabled form key")
    if not repo.take_rate_token(source, now):
        raise TooManyRequests(f"form key over its limit of {source.rate_per_minute} leads per minute")
    return source
