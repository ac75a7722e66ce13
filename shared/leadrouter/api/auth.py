"""Who is calling: a JWT's claims (admins and staff); form keys are read by intake (``logic.intake``).

The tenant always comes from here, never from a body, path or query string.
"""

from __future__ import annotations

import os

from aws_lambda_powertools.event_handler.exceptions import ServiceError
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent
from pydantic import ValidationError

from leadrouter.domain.users import Caller

FORM_KEY_HEADER = "x-form-key"


class Unauthorized(ServiceError):
    def __init__(self, msg: str = "authentication required") -> None:
        super().__init__(401, msg)


class Forbidden(ServiceError):
    def __init__(self, msg: str = "not allowed for your role") -> None:
        super().__init__(403, msg)


def claims_of(event: APIGatewayProxyEvent) -> dict[str, object] | None:
    """The claims API Gateway's Cognito authorizer verified and put in ``requestContext.authorizer``.

    Under ``sam local start-api`` (and only there: AWS never sets ``AWS_SAM_LOCAL``) there is no
    authorizer, so the demo bearer tokens of ``make run`` stand in for it, read by the same module
    (``leadrouter.demo_auth``, imported only then). On AWS an event without claims is a 401.
    """
    authorizer = event.request_context.authorizer
    claims = authorizer.claims if authorizer else None
    if claims:
        return dict(claims)
    if os.environ.get("AWS_SAM_LOCAL") == "true":
        from leadrouter import demo_auth

        demo = demo_auth.claims_for(event.headers.get("Authorization"))
        return dict(demo) if demo else None
    return None


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


def operator_of(event: APIGatewayProxyEvent) -> str:
    """The IAM principal (its ARN) that signed an operator request.

    API Gateway verified the SigV4 signature (the route's ``Authorizer: AWS_IAM``) and put the signer in
    ``requestContext.identity.userArn``; ``make run``'s gateway puts its local operator there. A request
    without one, or carrying a user's token claims, is no operator's: 403.
    """
    authorizer = event.request_context.authorizer
    if authorizer is not None and authorizer.claims:
        raise Forbidden("operator routes are signed with IAM, not a user's token")
    principal = event.request_context.identity.user_arn
    if not principal:
        raise Forbidden("operator routes need an IAM-signed (SigV4) request")
    return principal
