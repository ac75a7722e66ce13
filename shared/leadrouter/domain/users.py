"""The people who sign in to a tenant: their role, the staff member they are, and their account state.

A user's tenant and role are custom attributes of the Cognito user pool (``custom:tenant_id``,
``custom:role``, ``custom:staff_id``, ``custom:team``); the ID token carries them and the API reads
the caller from there (``api.auth``). Only an admin of the tenant (or the operator, for a tenant's first
admin) sets them; users cannot write them (template.yaml, the web client's WriteAttributes).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from leadrouter.domain.base import _Model
from leadrouter.domain.contacts import EMAIL_SCHEMA, normalise_email
from leadrouter.domain.models import Ident, Name

#: admin: the whole tenant; team_lead: the leads their team holds; staff: their own leads.
Role = Literal["admin", "team_lead", "staff"]
#: Cognito's account states (``UserStatus``): FORCE_CHANGE_PASSWORD until an invited user first signs in.
AccountStatus = Annotated[str, Field(max_length=64, examples=["FORCE_CHANGE_PASSWORD", "CONFIRMED"])]
#: Cognito's username: with e-mail sign-in, a generated id (the ``sub``), never the e-mail itself.
Username = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.-]+$")]
#: A user's e-mail address, lower-case (Cognito compares sign-in e-mails case-insensitively).
Email = Annotated[str, Field(max_length=254, json_schema_extra=EMAIL_SCHEMA), AfterValidator(normalise_email)]


class UserAccount(_Model):
    """One user of one tenant, as an admin sees it (never carries a password or a token)."""

    username: Username
    tenant_id: Ident
    email: str
    name: str | None = None
    role: Role
    staff_id: Ident | None = None
    team: Ident | None = None
    enabled: bool = True
    status: AccountStatus


class UserProfile(_Model):
    """What an admin (or the operator) decides about a user: role, the staff member they are, team."""

    role: Role
    staff_id: Ident | None = None
    team: Ident | None = None
    name: Name | None = None


def needs_staff_id(role: Role) -> bool:
    """A salesperson's leads are the ones their staff member holds: without one they would see none."""
    return role == "staff"
