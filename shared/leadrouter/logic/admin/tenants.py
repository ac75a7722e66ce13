"""The operator's one step: a new tenant and its first admin (``POST /operator/tenants``, ``make tenant``).

The operator is the company hosting leadrouter (a CRM vendor), authenticated by IAM on AWS, never a
tenant's user. An existing tenant id or an e-mail already in the user pool is a 409 and nothing is
written: both are checked before the tenant item is written (conditionally, so a race between two
operators is a 409 too), and the admin is created last; Cognito e-mails them the invitation.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from leadrouter.domain.base import Ident, Name
from leadrouter.domain.errors import Conflict
from leadrouter.domain.tenants import Tenant
from leadrouter.domain.users import Email, UserProfile
from leadrouter.domain.zones import DEFAULT_TIME_ZONE, check_zone
from leadrouter.logic.admin.users import UserDirectory, UserView
from leadrouter.logic.ports import Tenants


class NewTenant(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    tenant_id: Ident = Field(description="the tenant's id in every token (custom:tenant_id); never changes")
    name: Name = Field(description="shown in the console, e.g. 'Công ty TNHH An Phát'")
    time_zone: Annotated[str, Field(max_length=64), AfterValidator(check_zone)] = Field(
        default=DEFAULT_TIME_ZONE,
        description="IANA name, e.g. Asia/Ho_Chi_Minh: the console shows times in it",
    )
    admin_email: Email = Field(description="the first admin: Cognito e-mails them an invitation")
    admin_name: Name | None = None


class TenantCreated(BaseModel):
    tenant_id: str
    name: str
    time_zone: str
    admin: UserView


def create_tenant(repo: Tenants, directory: UserDirectory, request: NewTenant) -> TenantCreated:
    """Write the tenant item and invite its first admin; 409 (nothing written) if either exists."""
    tenant = Tenant(tenant_id=request.tenant_id, name=request.name, time_zone=request.time_zone)
    if repo.get_tenant(tenant.tenant_id) is not None:
        raise Conflict(f"tenant {tenant.tenant_id} already exists")
    if directory.email_taken(request.admin_email):
        raise Conflict("a user with this e-mail already exists")
    try:
        stored = repo.save_tenant(None, tenant)
    except Conflict as error:
        raise Conflict(f"tenant {tenant.tenant_id} already exists") from error
    admin = directory.create_user(
        stored.tenant_id, request.admin_email, UserProfile(role="admin", name=request.admin_name)
    )
    return TenantCreated(
        tenant_id=stored.tenant_id, name=stored.name, time_zone=stored.time_zone, admin=UserView.of(admin)
    )
