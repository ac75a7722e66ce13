"""The signed-in caller (``GET /me``) and a tenant's users as its admins manage them.

The tenant is always the admin's own (``Caller.tenant_id``, from the token): a user of another tenant is
a 404 on every verb, exactly as a user that does not exist. The directory behind ``UserDirectory`` is the
Cognito user pool (``data.identity``); Cognito sends the invitation e-mail (template.yaml's Vietnamese
``InviteMessageTemplate``) with a temporary password. An admin cannot demote or disable themself, so a
tenant never loses its last admin through these routes.
"""

from __future__ import annotations

from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field

from leadrouter.domain.base import Ident, Name
from leadrouter.domain.errors import Conflict, InvalidInput, NotAllowed, NotFound
from leadrouter.domain.users import (
    AccountStatus,
    Caller,
    Email,
    Role,
    UserAccount,
    UserProfile,
    needs_staff_id,
)
from leadrouter.domain.zones import DEFAULT_TIME_ZONE
from leadrouter.logic.ports import Staff, Tenants

#: Cognito's state of an invited user who has not yet signed in and set a password.
INVITED = "FORCE_CHANGE_PASSWORD"


class UserDirectory(Protocol):
    """What the use cases need of the user pool (``data.identity.CognitoUsers``)."""

    def list_users(self, tenant_id: str) -> list[UserAccount]: ...
    def get_user(self, tenant_id: str, username: str) -> UserAccount | None: ...
    def email_taken(self, email: str) -> bool: ...
    def create_user(self, tenant_id: str, email: str, profile: UserProfile) -> UserAccount: ...
    def update_profile(self, user: UserAccount, profile: UserProfile) -> None: ...
    def set_enabled(self, user: UserAccount, enabled: bool) -> None: ...
    def resend_invitation(self, user: UserAccount) -> None: ...


# ------------------------------------------------------------------ the caller
class Me(BaseModel):
    """Who is signed in and the tenant's settings the console formats with."""

    tenant_id: str
    tenant_name: str = Field(description="the tenant's name (its id when it never set one)")
    time_zone: str = Field(description="the tenant's IANA time zone: the console shows times in it")
    role: Role
    staff_id: str | None = Field(description="the staff member whose leads are 'mine' (staff, team leads)")
    team: str | None
    subject: str = Field(description="the user's Cognito id (the token's sub)")
    email: str | None = Field(
        default=None, description="the e-mail the user signs in with, if the token has it"
    )


def me(repo: Tenants, caller: Caller, email: str | None) -> Me:
    tenant = repo.get_tenant(caller.tenant_id)
    return Me(
        tenant_id=caller.tenant_id,
        tenant_name=tenant.name if tenant is not None else caller.tenant_id,
        time_zone=tenant.time_zone if tenant is not None else DEFAULT_TIME_ZONE,
        role=caller.role,
        staff_id=caller.staff_id,
        team=caller.team,
        subject=caller.subject,
        email=email,
    )


# ------------------------------------------------------------------ users (admin only)
class UserView(BaseModel):
    username: str = Field(description="the user's id in this API's paths (Cognito's username, its sub)")
    email: str
    name: str | None
    role: Role
    staff_id: str | None
    team: str | None
    enabled: bool = Field(description="false: the user cannot sign in (disabled by an admin)")
    status: AccountStatus = Field(
        description="Cognito's account state: FORCE_CHANGE_PASSWORD until the invited user first signs "
        "in and sets a password, then CONFIRMED"
    )

    @classmethod
    def of(cls, user: UserAccount) -> UserView:
        return cls.model_validate(user.model_dump(exclude={"tenant_id", "subject"}))


class UserList(BaseModel):
    items: list[UserView]


class Invitation(BaseModel):
    """A new user of the admin's tenant (the tenant is the admin's own; it is never sent)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    email: Email = Field(description="where Cognito sends the invitation; the user signs in with it")
    role: Role
    staff_id: Ident | None = Field(
        default=None, description="the staff member this user is (required for role staff; must exist)"
    )
    team: Ident | None = Field(default=None, description="the team a team lead sees the leads of")
    name: Name | None = None


class UserChange(BaseModel):
    """Only the fields given change (role, staff id, team, name); none can be cleared to nothing."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    role: Role | None = None
    staff_id: Ident | None = Field(default=None, description="must be a staff member of the tenant")
    team: Ident | None = None
    name: Name | None = None


def list_users(directory: UserDirectory, caller: Caller) -> UserList:
    return UserList(items=[UserView.of(user) for user in directory.list_users(caller.tenant_id)])


def invite_user(repo: Staff, directory: UserDirectory, caller: Caller, body: Invitation) -> UserView:
    """Create the user in the caller's tenant; Cognito e-mails the invitation. 409 if the e-mail exists."""
    profile = UserProfile(role=body.role, staff_id=body.staff_id, team=body.team, name=body.name)
    check_profile(repo, caller.tenant_id, profile, changed_staff_id=body.staff_id)
    return UserView.of(directory.create_user(caller.tenant_id, body.email, profile))


def change_user(
    repo: Staff, directory: UserDirectory, caller: Caller, username: str, body: UserChange
) -> UserView:
    user = _user_of_tenant(directory, caller, username)
    if _is_self(caller, user) and body.role is not None and body.role != "admin":
        raise NotAllowed("an admin cannot demote themself: ask another admin of the tenant")
    role = body.role or user.role
    after = UserProfile(role=role, staff_id=body.staff_id or user.staff_id)
    check_profile(repo, caller.tenant_id, after, changed_staff_id=body.staff_id)
    given = body.model_dump(exclude_none=True)
    if given:
        directory.update_profile(user, UserProfile.model_validate({"role": role, **given}))
    return UserView.of(user.model_copy(update=given))


def set_enabled(directory: UserDirectory, caller: Caller, username: str, enabled: bool) -> UserView:
    user = _user_of_tenant(directory, caller, username)
    if _is_self(caller, user) and not enabled:
        raise NotAllowed("an admin cannot disable themself: ask another admin of the tenant")
    if user.enabled != enabled:
        directory.set_enabled(user, enabled)
    return UserView.of(user.model_copy(update={"enabled": enabled}))


def resend_invitation(directory: UserDirectory, caller: Caller, username: str) -> UserView:
    """A new temporary password by e-mail, for a user who has not signed in yet (else 409)."""
    user = _user_of_tenant(directory, caller, username)
    if user.status != INVITED:
        raise Conflict("this user already signed in; there is no invitation to resend")
    directory.resend_invitation(user)
    return UserView.of(user)


def check_profile(repo: Staff, tenant_id: str, profile: UserProfile, *, changed_staff_id: str | None) -> None:
    """A salesperson needs a staff id, and a staff id given must name a staff member of the tenant."""
    if needs_staff_id(profile.role) and profile.staff_id is None:
        raise InvalidInput("invalid user", {"staff_id": "required for role staff (whose leads are theirs)"})
    if changed_staff_id is not None and not repo.get_staff(tenant_id, [changed_staff_id]):
        raise InvalidInput("invalid user", {"staff_id": f"no staff member {changed_staff_id} in this tenant"})


def _user_of_tenant(directory: UserDirectory, caller: Caller, username: str) -> UserAccount:
    user = directory.get_user(caller.tenant_id, username)
    if user is None:
        raise NotFound(f"no user {username} in this tenant")
    return user


def _is_self(caller: Caller, user: UserAccount) -> bool:
    """The token's ``sub`` is the user's ``sub`` attribute, and the username of a pool that signs in by
    e-mail."""
    return bool(caller.subject) and caller.subject in (user.username, user.subject)
