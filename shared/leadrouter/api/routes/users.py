"""The signed-in caller (``GET /me``) and the tenant's users (admin only): invite, change, disable,
enable, resend the invitation. The tenant is always the admin's own, from the token."""

from __future__ import annotations

from typing import Annotated, Any, cast

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent

from leadrouter.api.auth import claims_of
from leadrouter.api.context import caller_of
from leadrouter.api.contract import answers
from leadrouter.domain.users import Username
from leadrouter.logic.admin import users as logic
from leadrouter.runtime import identity, repository

router = Router()

PathUsername = Annotated[Username, Path(description="the user's `username` from GET /users")]
_NOT_FOUND = "no such user in the caller's tenant (another tenant's users are never visible)"
_UNCONFIGURED: dict[int, OpenAPIResponse] = {
    503: {
        "description": "this deployment has no user pool configured (USER_POOL_ID): retry after Retry-After",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }
}


def _answers(description: str, **kwargs: Any) -> dict[int, OpenAPIResponse]:
    return {**answers(description, **kwargs), **_UNCONFIGURED}


@router.get(
    "/me",
    summary="Who is signed in: role, staff id, team, and the tenant's name and time zone",
    description=(
        "Any signed-in role. The console formats times in `time_zone` and shows only what `role` may do "
        "(the API still enforces it). A tenant that never stored its settings has its id as its name and "
        "Asia/Ho_Chi_Minh as its zone."
    ),
    tags=["users"],
)
def get_me() -> logic.Me:
    caller = caller_of(router)
    email = (claims_of(cast(APIGatewayProxyEvent, router.current_event)) or {}).get("email")
    return logic.me(repository(), caller, str(email) if email else None)


@router.get(
    "/users",
    summary="The tenant's users (admins)",
    description=(
        "Every user of the caller's tenant, by e-mail: role, staff id, team, enabled, and Cognito's account "
        "state (FORCE_CHANGE_PASSWORD until an invited user first signs in)."
    ),
    responses=_answers("the tenant's users"),
    tags=["users"],
)
def list_users() -> logic.UserList:
    caller = caller_of(router, "admin")
    return logic.list_users(identity(), caller)


@router.post(
    "/users",
    summary="Invite a user by e-mail (admins)",
    description=(
        "Creates the user in the caller's tenant (never another: the tenant is not part of the body) and "
        "Cognito e-mails the invitation, in Vietnamese, with a temporary password. Role staff needs a "
        "`staff_id`; a `staff_id` must be a staff member of the tenant (422 naming it). 409 if a user "
        "with this e-mail exists (in any tenant)."
    ),
    responses=_answers("the user, invited", status=201, conflict="a user with this e-mail exists"),
    tags=["users"],
)
def invite_user(body: logic.Invitation) -> Response[logic.UserView]:
    caller = caller_of(router, "admin")
    user = logic.invite_user(repository(), identity(), caller, body)
    return Response(status_code=201, content_type=content_types.APPLICATION_JSON, body=user)


@router.patch(
    "/users/<username>",
    summary="Change a user's role, staff id, team or name (admins)",
    description=(
        "Only the fields given change. A `staff_id` must be a staff member of the tenant, and role staff "
        "needs one. An admin cannot demote themself (403): a tenant never loses its last admin that way."
    ),
    responses=_answers("the user as changed", not_found=_NOT_FOUND),
    tags=["users"],
)
def change_user(username: PathUsername, body: logic.UserChange) -> logic.UserView:
    caller = caller_of(router, "admin")
    return logic.change_user(repository(), identity(), caller, username, body)


@router.post(
    "/users/<username>/disable",
    summary="Disable a user: they can no longer sign in (admins)",
    description="An admin cannot disable themself (403). Disabling a disabled user changes nothing.",
    responses=_answers("the user, disabled", not_found=_NOT_FOUND),
    tags=["users"],
)
def disable_user(username: PathUsername) -> logic.UserView:
    caller = caller_of(router, "admin")
    return logic.set_enabled(identity(), caller, username, enabled=False)


@router.post(
    "/users/<username>/enable",
    summary="Enable a disabled user again (admins)",
    responses=_answers("the user, enabled", not_found=_NOT_FOUND),
    tags=["users"],
)
def enable_user(username: PathUsername) -> logic.UserView:
    caller = caller_of(router, "admin")
    return logic.set_enabled(identity(), caller, username, enabled=True)


@router.post(
    "/users/<username>/invitation",
    summary="Send the invitation again, with a new temporary password (admins)",
    description="Only for a user who has not signed in yet (FORCE_CHANGE_PASSWORD); 409 otherwise.",
    responses=_answers(
        "the invitation was sent again",
        not_found=_NOT_FOUND,
        conflict="the user already signed in and set a password",
    ),
    tags=["users"],
)
def resend_invitation(username: PathUsername) -> logic.UserView:
    caller = caller_of(router, "admin")
    return logic.resend_invitation(identity(), caller, username)
