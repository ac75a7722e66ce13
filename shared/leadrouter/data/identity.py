"""The tenants' users in the Cognito user pool: the only module that calls cognito-idp.

A user's tenant, role, staff id and team are the pool's custom attributes (template.yaml, ``UserPool``);
this adapter reads and writes them and hands the logic ``UserAccount`` models, never Cognito's shapes.
Every method that names a user takes the tenant too and treats a user of another tenant as absent, so
no caller can reach across tenants by guessing a username.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from botocore.exceptions import ClientError
from pydantic import ValidationError

from leadrouter.domain.errors import Conflict, InvalidInput, NotFound
from leadrouter.domain.users import UserAccount, UserProfile

TENANT = "custom:tenant_id"
ROLE = "custom:role"
STAFF_ID = "custom:staff_id"
TEAM = "custom:team"
#: Users read per ListUsers page (Cognito's maximum).
PAGE_SIZE = 60


class CognitoUsers:
    """One user pool's users, by tenant. Thread-safe (it holds only a boto3 client)."""

    def __init__(self, client: Any, user_pool_id: str) -> None:
        self._client = client
        self._pool = user_pool_id

    # ------------------------------------------------------------------ reading
    def list_users(self, tenant_id: str) -> list[UserAccount]:
        """Every user of ``tenant_id``, by e-mail.

        Cognito's ListUsers can filter only on standard attributes (``email``, ``sub``, ...), not on
        ``custom:tenant_id``, so this pages through the whole pool (60 users a call) and keeps the
        tenant's own: its cost grows with the pool, not with the tenant. Fine for the hundreds of users
        a hosting operator has; past that, a tenant → users index in DynamoDB would replace it.
        """
        users = [user for user in self._all_users() if user.tenant_id == tenant_id]
        return sorted(users, key=lambda user: user.email)

    def _all_users(self) -> Iterator[UserAccount]:
        pages = self._client.get_paginator("list_users").paginate(
            UserPoolId=self._pool, PaginationConfig={"PageSize": PAGE_SIZE}
        )
        for page in pages:
            for raw in page.get("Users", []):
                user = _account(raw.get("Username", ""), raw.get("Attributes", []), raw)
                if user is not None:
                    yield user

    def get_user(self, tenant_id: str, username: str) -> UserAccount | None:
        """The user, if it exists and belongs to ``tenant_id`` (another tenant's user is None too)."""
        try:
            raw = self._client.admin_get_user(UserPoolId=self._pool, Username=username)
        except ClientError as error:
            if _code(error) in ("UserNotFoundException", "InvalidParameterException"):
                return None
            raise
        user = _account(raw.get("Username", ""), raw.get("UserAttributes", []), raw)
        return user if user is not None and user.tenant_id == tenant_id else None

    def email_taken(self, email: str) -> bool:
        """Whether any user of the pool, in any tenant, signs in with ``email``."""
        try:
            self._client.admin_get_user(UserPoolId=self._pool, Username=email)
        except ClientError as error:
            if _code(error) == "UserNotFoundException":
                return False
            raise
        return True

    # ------------------------------------------------------------------ writing
    def create_user(self, tenant_id: str, email: str, profile: UserProfile) -> UserAccount:
        """Create the user and have Cognito e-mail the invitation (the pool's Vietnamese template) with a
        temporary password. An e-mail already in the pool (any tenant) is a Conflict."""
        attributes = {"email": email, "email_verified": "true", TENANT: tenant_id, **_profile(profile)}
        try:
            raw = self._client.admin_create_user(
                UserPoolId=self._pool,
                Username=email,
                UserAttributes=_attribute_list(attributes),
                DesiredDeliveryMediums=["EMAIL"],
            )
        except ClientError as error:
            if _code(error) == "UsernameExistsException":
                raise Conflict("a user with this e-mail already exists") from error
            if _code(error) == "InvalidParameterException":  # an attribute the pool refuses: say which
                raise InvalidInput("invalid user", {"email": "the user pool does not accept it"}) from error
            raise
        created = raw["User"]
        user = _account(created.get("Username", ""), created.get("Attributes", []), created)
        if user is None:  # Cognito echoes the attributes it was given: cannot happen
            raise RuntimeError("Cognito did not return the user it created")
        return user

    def update_profile(self, user: UserAccount, profile: UserProfile) -> None:
        """Set role, staff id, team and name (AdminUpdateUserAttributes; the tenant is never written).

        A None in ``profile`` leaves that attribute as it is.
        """
        attributes = _profile(profile)
        if attributes:
            self._client.admin_update_user_attributes(
                UserPoolId=self._pool, Username=user.username, UserAttributes=_attribute_list(attributes)
            )

    def set_enabled(self, user: UserAccount, enabled: bool) -> None:
        """AdminEnableUser / AdminDisableUser: a disabled user cannot sign in or refresh a token."""
        if enabled:
            self._client.admin_enable_user(UserPoolId=self._pool, Username=user.username)
        else:
            self._client.admin_disable_user(UserPoolId=self._pool, Username=user.username)

    def resend_invitation(self, user: UserAccount) -> None:
        """AdminCreateUser with MessageAction=RESEND: a new temporary password, the same invitation.

        Cognito takes the sign-in e-mail as the username here; a user who already set a password is
        refused by Cognito (UnsupportedUserStateException), a Conflict.
        """
        try:
            self._client.admin_create_user(
                UserPoolId=self._pool,
                Username=user.email,
                MessageAction="RESEND",
                DesiredDeliveryMediums=["EMAIL"],
            )
        except ClientError as error:
            if _code(error) == "UnsupportedUserStateException":
                raise Conflict("this user already signed in; there is no invitation to resend") from error
            if _code(error) == "UserNotFoundException":
                raise NotFound("no such user") from error
            raise


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _profile(profile: UserProfile) -> dict[str, str]:
    values = {ROLE: profile.role, STAFF_ID: profile.staff_id, TEAM: profile.team, "name": profile.name}
    return {name: value for name, value in values.items() if value is not None}


def _attribute_list(attributes: Mapping[str, str]) -> list[Any]:
    return [{"Name": name, "Value": value} for name, value in attributes.items()]


def _account(username: str, attributes: Sequence[Any], raw: Mapping[str, Any]) -> UserAccount | None:
    """A pool user as the domain sees it; None for a user without a tenant or with an unknown role
    (created by hand in the AWS console), or with attributes the API would never have written: no
    tenant's admin can see or manage such a user."""
    values = {str(a["Name"]): str(a.get("Value", "")) for a in attributes}
    if not values.get(TENANT) or values.get(ROLE) not in ("admin", "team_lead", "staff"):
        return None
    try:
        return _validated(username, values, raw)
    except ValidationError:  # attributes set by hand that no admin of this API could have set
        return None


def _validated(username: str, values: Mapping[str, str], raw: Mapping[str, Any]) -> UserAccount:
    return UserAccount.model_validate(
        {
            "username": username,
            "tenant_id": values[TENANT],
            "email": values.get("email", ""),
            "name": values.get("name") or None,
            "role": values[ROLE],
            "staff_id": values.get(STAFF_ID) or None,
            "team": values.get(TEAM) or None,
            "enabled": bool(raw.get("Enabled", True)),
            "status": str(raw.get("UserStatus", "UNKNOWN")),
            "subject": values.get("sub") or None,
        }
    )
