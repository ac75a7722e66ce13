"""A moto user pool shaped like template.yaml's, named to the API by USER_POOL_ID, and its users."""

from __future__ import annotations

import os
from typing import Any

from tests.support.builders import TENANT
from tests.support.template import template

REGION = "ap-southeast-1"


def create_pool(client: Any) -> str:
    """A moto user pool with template.yaml's sign-in and custom attributes."""
    props = template()["Resources"]["UserPool"]["Properties"]
    pool = client.create_user_pool(
        PoolName="users", UsernameAttributes=props["UsernameAttributes"], Schema=props["Schema"]
    )
    return str(pool["UserPool"]["Id"])


def pool_id() -> str:
    return os.environ["USER_POOL_ID"]


def add_user(client: Any, email: str, tenant: str = TENANT, role: str = "staff", **attrs: str) -> str:
    """A user created as an admin would, without e-mail (returns Cognito's username, the user's sub)."""
    values = {"email": email, "custom:tenant_id": tenant, "custom:role": role, **attrs}
    created = client.admin_create_user(
        UserPoolId=pool_id(),
        Username=email,
        UserAttributes=[{"Name": k, "Value": v} for k, v in values.items()],
        MessageAction="SUPPRESS",
    )
    return str(created["User"]["Username"])


def attributes(client: Any, username: str) -> dict[str, str]:
    user = client.admin_get_user(UserPoolId=pool_id(), Username=username)
    return {a["Name"]: a["Value"] for a in user["UserAttributes"]}
