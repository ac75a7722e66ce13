"""The operator creates a tenant and its first admin: POST /operator/tenants (IAM) and make tenant's CLI."""

from __future__ import annotations

import json
from typing import Any

import pytest

from leadrouter.data.repository import Repository
from leadrouter.domain.tenants import Tenant
from leadrouter_local import tenant as cli
from tests.support.api import ADMIN, call, event
from tests.support.cognito import add_user, attributes, pool_id

OPERATOR_ARN = "arn:aws:iam::123456789012:user/ops"
NEW = {
    "tenant_id": "an-phat",
    "name": "Công ty An Phát",
    "time_zone": "Asia/Bangkok",
    "admin_email": "lan@anphat.vn",
    "admin_name": "Nguyễn Thị Lan",
}


def as_operator(body: Any, arn: str | None = OPERATOR_ARN, claims: dict[str, str] | None = None) -> Any:
    """A request API Gateway let through an AWS_IAM route: the signer in requestContext.identity."""
    ev = event("POST", "/operator/tenants", body, claims=claims)
    ev["requestContext"]["identity"]["userArn"] = arn
    return call(ev)


def users_of(client: Any) -> list[dict[str, str]]:
    return [attributes(client, u["Username"]) for u in client.list_users(UserPoolId=pool_id())["Users"]]


def test_the_operator_creates_a_tenant_and_invites_its_first_admin(
    user_pool: Any, moto_repo: Repository
) -> None:
    # When the operator creates An Phát
    reply = as_operator(NEW)
    # Then the tenant is stored with its name and zone ...
    assert reply.status == 201, reply.body
    stored = moto_repo.get_tenant("an-phat")
    assert stored is not None and (stored.name, stored.time_zone) == ("Công ty An Phát", "Asia/Bangkok")
    # ... and its first admin is invited into it
    assert reply.body["admin"]["role"] == "admin" and reply.body["admin"]["status"] == "FORCE_CHANGE_PASSWORD"
    [admin] = users_of(user_pool)
    assert (admin["email"], admin["custom:tenant_id"], admin["custom:role"]) == (
        "lan@anphat.vn",
        "an-phat",
        "admin",
    )


def test_an_existing_tenant_is_409_and_nothing_is_written(user_pool: Any, moto_repo: Repository) -> None:
    # Given An Phát exists
    moto_repo.put_tenant(Tenant(tenant_id="an-phat", name="An Phát cũ"))
    # When the operator creates it again
    reply = as_operator(NEW)
    # Then 409, the tenant as it was, and no user
    assert reply.status == 409, reply.body
    assert moto_repo.get_tenant("an-phat").name == "An Phát cũ"  # type: ignore[union-attr]
    assert users_of(user_pool) == []


def test_an_admin_email_already_in_the_pool_is_409_and_nothing_is_written(
    user_pool: Any, moto_repo: Repository
) -> None:
    add_user(user_pool, "lan@anphat.vn", tenant="acme", role="admin")
    reply = as_operator(NEW)
    assert reply.status == 409, reply.body
    assert moto_repo.get_tenant("an-phat") is None and len(users_of(user_pool)) == 1


@pytest.mark.parametrize(
    ("arn", "claims"), [(None, ADMIN), (None, None), (OPERATOR_ARN, ADMIN)], ids=["admin", "nobody", "both"]
)
def test_only_an_iam_signed_request_is_the_operator(
    user_pool: Any, moto_repo: Repository, arn: str | None, claims: dict[str, str] | None
) -> None:
    # A tenant admin's token is not an operator's signature (and a request with both is no operator's)
    reply = as_operator(NEW, arn=arn, claims=claims)
    assert reply.status == 403, reply.body
    assert moto_repo.get_tenant("an-phat") is None and users_of(user_pool) == []


def test_a_bad_time_zone_is_422(user_pool: Any, moto_repo: Repository) -> None:
    reply = as_operator({**NEW, "time_zone": "Mars/Olympus"})
    assert reply.status == 422 and [e["field"] for e in reply.body["errors"]] == ["time_zone"]


def test_the_cli_runs_the_same_use_case(
    user_pool: Any, moto_repo: Repository, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["create", "--tenant-id", "an-phat", "--name", "Công ty An Phát", "--admin-email", "lan@anphat.vn"]
    # When the operator runs make tenant's command
    assert cli.main(args) == 0
    # Then it printed the tenant and its admin, and both exist
    printed = json.loads(capsys.readouterr().out)
    assert printed["tenant_id"] == "an-phat" and printed["time_zone"] == "Asia/Ho_Chi_Minh"
    assert moto_repo.get_tenant("an-phat") is not None
    assert [u["custom:tenant_id"] for u in users_of(user_pool)] == ["an-phat"]
    # And a second run is refused with nothing written
    assert cli.main(args) == 1
    assert "already exists" in capsys.readouterr().err and len(users_of(user_pool)) == 1


def test_the_cli_refuses_a_bad_email_before_touching_anything(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["create", "--tenant-id", "x", "--name", "X", "--admin-email", "not-an-email"]
    assert cli.main(args) == 2
    assert "admin_email" in capsys.readouterr().err
