"""The people who sign in to a tenant: their role, the staff member they are, and their account state.

A user's tenant and role are custom attributes of the Cognito user pool (``custom:tenant_id``,
``custom:role``, ``custom:staff_id``, ``custom:team``); the ID token carries them and the API reads
the caller from there (``api.auth``). Only an admin of the tenant (or the operator, for a tenant's first
admin) sets them; users cannot write them (template.yaml, the web client's WriteAttributes).
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from leadrouter.domain.base import Ident, Name, _Model
from leadrouter.domain.contacts import EMAIL_SCHEMA, normalise_email

#: admin: the whole tenant; team_lead: the leads their team holds; staff: their own leads.
Role = Literal["admin", "team_lead", "staff"]
#: Cognito's account states (``UserStatus``): FORCE_CHANGE_PASSWORD until an invited user first signs in.
AccountStatus = Annotated[str, Field(max_length=64, examples=["FORCE_CHANGE_PASSWORD", "CONFIRMED"])]
#: Cognito's username: with e-mail sign-in, a generated id (the ``sub``), never the e-mail itself.
Username = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.-]+$")]
#: The addresses a user may sign in with: plain ASCII ``local@domain.tld``, the shape the user pool
#: takes as a username (an address with quotes, non-ASCII letters or an IP literal is a 422, not an error
#: from Cognito). Special-use domains (.test, .local, ...) are refused as for every e-mail of the API.
USER_EMAIL_PATTERN = (
    r"^(?=[^@]{1,64}@)[A-Za-z0-9][A-Za-z0-9_%+-]*(?:\.[A-Za-z0-9_%+-]+)*@(?!.*\.(?:test|invalid|local|localhost|onion|arpa)$)"
    r"(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$"
)
_USER_EMAIL = re.compile(USER_EMAIL_PATTERN)


def check_user_email(value: str) -> str:
    """A valid address (``normalise_email``, lower-case) in the shape the user pool signs in with."""
    normalised = normalise_email(value)
    if not _USER_EMAIL.fullmatch(normalised):
        raise ValueError("use a plain address like ten@congty.vn (ASCII letters, digits and . _ % + -)")
    return normalised


#: A user's e-mail address, lower-case (Cognito compares sign-in e-mails case-insensitively).
Email = Annotated[
    str,
    Field(max_length=254, json_schema_extra={**EMAIL_SCHEMA, "pattern": USER_EMAIL_PATTERN}),
    AfterValidator(check_user_email),
]


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
    #: Cognito's ``sub`` (the token's subject); on AWS also the username of a pool that signs in by e-mail.
    subject: str | None = None


class UserProfile(_Model):
    """What an admin (or the operator) decides about a user: role, the staff member they are, team."""

    role: Role
    staff_id: Ident | None = None
    team: Ident | None = None
    name: Name | None = None


def needs_staff_id(role: Role) -> bool:
    """A salesperson's leads are the ones their staff member holds: without one they would see none."""
    return role == "staff"


class Caller(_Model):
    """Who is acting, as established by authentication (never by the request body).

    Roles: ``admin`` (the whole tenant), ``team_lead`` (leads held by their team), ``staff`` (their own).
    """

    tenant_id: Ident
    role: Literal["admin", "team_lead", "staff"]
    staff_id: Ident | None = None
    team: Ident | None = None
    subject: str = ""

    @property
    def label(self) -> str:
        return self.staff_id or self.subject or self.role
