"""GET /me and /users: a tenant's admin manages the tenant's users in Cognito (moto tables and user pool)."""

from __future__ import annotations

from typing import Any

import pytest

from leadrouter import runtime
from leadrouter.data.repository import Repository
from leadrouter.domain.tenants import Tenant
from tests.support.api import ADMIN, call_as, claims
from tests.support.builders import TENANT, staff
from tests.support.cognito import add_user, attributes, pool_id

OTHER = "globex"


@pytest.fixture
def acme(user_pool: Any, moto_repo: Repository) -> dict[str, str]:
    """acme: an admin (the caller), a salesperson A; globex: its own admin and salesperson."""
    moto_repo.put_staff(staff("A", team="north"))
    moto_repo.put_staff(staff("B", team="south"))
    moto_repo.put_staff(staff("Z", tenant_id=OTHER))
    return {
        "admin": add_user(user_pool, "admin@acme.vn", role="admin"),
        "sales": add_user(user_pool, "lan@acme.vn", **{"custom:staff_id": "A"}),
        "other_admin": add_user(user_pool, "boss@globex.vn", tenant=OTHER, role="admin"),
        "other_sales": add_user(user_pool, "z@globex.vn", tenant=OTHER, **{"custom:staff_id": "Z"}),
    }


def admin_claims(users: dict[str, str]) -> dict[str, str]:
    """The acme admin's token (its sub is the user's Cognito username)."""
    return {**ADMIN, "sub": users["admin"], "email": "admin@acme.vn"}


# ------------------------------------------------------------------ GET /me
def test_me_names_the_caller_and_the_tenants_zone(moto_repo: Repository) -> None:
    # Given acme's settings with a name and a zone
    moto_repo.put_tenant(Tenant(tenant_id=TENANT, name="Công ty Acme", time_zone="Asia/Bangkok"))
    # When a salesperson asks who they are
    reply = call_as("GET", "/me", who={**claims("staff", staff_id="A", team="north"), "email": "lan@acme.vn"})
    # Then they get their role, staff id and team, and the tenant's name and zone
    assert reply.status == 200, reply.body
    assert reply.body == {
        "tenant_id": TENANT,
        "tenant_name": "Công ty Acme",
        "time_zone": "Asia/Bangkok",
        "role": "staff",
        "staff_id": "A",
        "team": "north",
        "subject": "user-staff-A",
        "email": "lan@acme.vn",
    }


def test_me_of_a_tenant_without_settings_has_the_defaults(moto_repo: Repository) -> None:
    reply = call_as("GET", "/me", who=claims("team_lead", staff_id="L", team="north"))
    assert reply.status == 200
    assert reply.body["tenant_name"] == TENANT and reply.body["time_zone"] == "Asia/Ho_Chi_Minh"
    assert reply.body["role"] == "team_lead" and reply.body["email"] is None


def test_me_without_a_token_is_401(moto_repo: Repository) -> None:
    assert call_as("GET", "/me", who=None).status == 401


# ------------------------------------------------------------------ invite
def test_an_admin_invites_a_salesperson_into_their_own_tenant(user_pool: Any, acme: dict[str, str]) -> None:
    # When the acme admin invites a salesperson, with another tenant's id slipped into nothing (not a field)
    body = {"email": "Minh@Acme.vn", "role": "staff", "staff_id": "B", "team": "south", "name": "Trần Minh"}
    reply = call_as("POST", "/users", body, who=admin_claims(acme))
    # Then the user exists in acme, invited, with the role and staff id given, the e-mail lower-case
    assert reply.status == 201, reply.body
    assert reply.body["email"] == "minh@acme.vn" and reply.body["status"] == "FORCE_CHANGE_PASSWORD"
    assert (reply.body["role"], reply.body["staff_id"], reply.body["team"]) == ("staff", "B", "south")
    stored = attributes(user_pool, reply.body["username"])
    assert stored["custom:tenant_id"] == TENANT and stored["custom:role"] == "staff"
    assert stored["custom:staff_id"] == "B" and stored["name"] == "Trần Minh"


def test_a_tenant_id_in_the_body_is_refused_and_nothing_is_created(
    user_pool: Any, acme: dict[str, str]
) -> None:
    # Given a body that names another tenant
    body = {"email": "spy@acme.vn", "role": "admin", "tenant_id": OTHER}
    # When the acme admin sends it
    reply = call_as("POST", "/users", body, who=admin_claims(acme))
    # Then it is a 422 naming tenant_id, and no user exists in either tenant
    assert reply.status == 422 and {e["field"] for e in reply.body["errors"]} == {"tenant_id"}
    emails = [
        attributes(user_pool, u["Username"])["email"]
        for u in user_pool.list_users(UserPoolId=pool_id())["Users"]
    ]
    assert "spy@acme.vn" not in emails


def test_inviting_an_existing_email_is_409(user_pool: Any, acme: dict[str, str]) -> None:
    # the e-mail belongs to a user of another tenant: still taken (one user_pool, e-mail sign-in)
    reply = call_as("POST", "/users", {"email": "boss@globex.vn", "role": "admin"}, who=admin_claims(acme))
    assert reply.status == 409, reply.body
    assert attributes(user_pool, acme["other_admin"])["custom:tenant_id"] == OTHER


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"email": "x@acme.vn", "role": "staff"}, "required for role staff"),
        ({"email": "x@acme.vn", "role": "staff", "staff_id": "Z"}, "no staff member Z"),  # globex's
        ({"email": "x@acme.vn", "role": "team_lead", "staff_id": "nobody"}, "no staff member nobody"),
    ],
)
def test_a_staff_id_is_required_for_staff_and_must_be_the_tenants(
    user_pool: Any, acme: dict[str, str], body: dict[str, str], message: str
) -> None:
    reply = call_as("POST", "/users", body, who=admin_claims(acme))
    assert reply.status == 422, reply.body
    assert [e["field"] for e in reply.body["errors"]] == ["staff_id"]
    assert message in reply.body["errors"][0]["message"]
    assert len(user_pool.list_users(UserPoolId=pool_id())["Users"]) == 4  # nothing created


@pytest.mark.parametrize(
    "email", ['"lan"@acme.vn', "nguyễn@acme.vn", "+lan@acme.vn", "lan@acme.test", "lan@[10.0.0.1]"]
)
def test_an_address_the_pool_cannot_sign_in_with_is_422(
    user_pool: Any, acme: dict[str, str], email: str
) -> None:
    # (fuzzing found these reaching Cognito, which refused them with an error: a 5xx)
    reply = call_as("POST", "/users", {"email": email, "role": "admin"}, who=admin_claims(acme))
    assert reply.status == 422 and [e["field"] for e in reply.body["errors"]] == ["email"]
    assert len(user_pool.list_users(UserPoolId=pool_id())["Users"]) == 4


# ------------------------------------------------------------------ list
def test_the_list_shows_only_the_admins_tenant(user_pool: Any, acme: dict[str, str]) -> None:
    # Given a user without a tenant (made by hand in the AWS console) besides the two tenants' users
    user_pool.admin_create_user(UserPoolId=pool_id(), Username="stray@x.vn", MessageAction="SUPPRESS")
    # When the acme admin lists users
    reply = call_as("GET", "/users", who=admin_claims(acme))
    # Then exactly acme's users, by e-mail, with their role, staff id and account state
    assert reply.status == 200
    assert [(u["email"], u["role"], u["staff_id"]) for u in reply.body["items"]] == [
        ("admin@acme.vn", "admin", None),
        ("lan@acme.vn", "staff", "A"),
    ]
    assert all(u["enabled"] and u["status"] == "FORCE_CHANGE_PASSWORD" for u in reply.body["items"])
    assert "tenant_id" not in reply.body["items"][0]


def test_a_user_edited_by_hand_into_a_shape_the_api_never_writes_is_left_out_not_a_500(
    user_pool: Any, acme: dict[str, str]
) -> None:
    # Given an acme user whose staff id someone set in the AWS console to a value no API call could write
    add_user(user_pool, "odd@acme.vn", **{"custom:staff_id": "có dấu cách"})
    # Then the list still answers, without them, and they are a 404 like a stranger
    reply = call_as("GET", "/users", who=admin_claims(acme))
    assert reply.status == 200 and "odd@acme.vn" not in [u["email"] for u in reply.body["items"]]


def test_the_list_pages_through_the_whole_pool(user_pool: Any, acme: dict[str, str]) -> None:
    # Given more users than one ListUsers page (60), acme's spread among globex's
    for i in range(70):
        add_user(user_pool, f"g{i}@globex.vn", tenant=OTHER, **{"custom:staff_id": "Z"})
    for i in range(5):
        add_user(user_pool, f"s{i}@acme.vn", **{"custom:staff_id": "A"})
    # Then all of acme's are listed
    reply = call_as("GET", "/users", who=admin_claims(acme))
    assert len(reply.body["items"]) == 7


# ------------------------------------------------------------------ change, disable, enable, resend
def test_an_admin_changes_a_users_role_staff_id_and_team(user_pool: Any, acme: dict[str, str]) -> None:
    body = {"role": "team_lead", "staff_id": "B", "team": "south"}
    reply = call_as("PATCH", f"/users/{acme['sales']}", body, who=admin_claims(acme))
    assert reply.status == 200, reply.body
    assert (reply.body["role"], reply.body["staff_id"], reply.body["team"]) == ("team_lead", "B", "south")
    stored = attributes(user_pool, acme["sales"])
    assert (stored["custom:role"], stored["custom:staff_id"], stored["custom:team"]) == (
        "team_lead",
        "B",
        "south",
    )
    assert stored["custom:tenant_id"] == TENANT


def test_a_change_to_a_staff_id_of_another_tenant_is_422(user_pool: Any, acme: dict[str, str]) -> None:
    reply = call_as("PATCH", f"/users/{acme['sales']}", {"staff_id": "Z"}, who=admin_claims(acme))
    assert reply.status == 422 and attributes(user_pool, acme["sales"])["custom:staff_id"] == "A"


def test_disable_then_enable(user_pool: Any, acme: dict[str, str]) -> None:
    # When the admin disables the salesperson
    reply = call_as("POST", f"/users/{acme['sales']}/disable", who=admin_claims(acme))
    # Then Cognito has them disabled (they cannot sign in)
    assert reply.status == 200 and reply.body["enabled"] is False
    assert user_pool.admin_get_user(UserPoolId=pool_id(), Username=acme["sales"])["Enabled"] is False
    # And enabling brings them back
    reply = call_as("POST", f"/users/{acme['sales']}/enable", who=admin_claims(acme))
    assert reply.status == 200 and reply.body["enabled"] is True
    assert user_pool.admin_get_user(UserPoolId=pool_id(), Username=acme["sales"])["Enabled"] is True


def test_resend_sends_the_invitation_again(user_pool: Any, acme: dict[str, str]) -> None:
    # Given the Cognito calls the API makes, recorded
    sent: list[dict[str, Any]] = []
    client = runtime.identity()._client  # the one client the API uses
    client.meta.events.register(
        "provide-client-params.cognito-idp.AdminCreateUser", lambda params, **_: sent.append(dict(params))
    )
    # When the admin resends a not-yet-signed-in user's invitation
    reply = call_as("POST", f"/users/{acme['sales']}/invitation", who=admin_claims(acme))
    # Then Cognito is asked to RESEND to the user's sign-in e-mail (it mails a new temporary password)
    assert reply.status == 200, reply.body
    assert [(p["Username"], p["MessageAction"]) for p in sent] == [("lan@acme.vn", "RESEND")]


def test_resend_to_a_user_who_signed_in_is_409(user_pool: Any, acme: dict[str, str]) -> None:
    user_pool.admin_set_user_password(
        UserPoolId=pool_id(), Username=acme["sales"], Password="Xx1!" * 4, Permanent=True
    )
    reply = call_as("POST", f"/users/{acme['sales']}/invitation", who=admin_claims(acme))
    assert reply.status == 409, reply.body


# ------------------------------------------------------------------ isolation and roles
VERBS = [
    ("PATCH", "", {"role": "admin"}),
    ("POST", "/disable", None),
    ("POST", "/enable", None),
    ("POST", "/invitation", None),
]


@pytest.mark.parametrize(("method", "suffix", "body"), VERBS)
def test_another_tenants_user_is_404_on_every_verb(
    user_pool: Any, acme: dict[str, str], method: str, suffix: str, body: Any
) -> None:
    before = user_pool.admin_get_user(UserPoolId=pool_id(), Username=acme["other_sales"])
    reply = call_as(method, f"/users/{acme['other_sales']}{suffix}", body, who=admin_claims(acme))
    assert reply.status == 404, reply.body
    after = user_pool.admin_get_user(UserPoolId=pool_id(), Username=acme["other_sales"])
    assert (after["UserAttributes"], after["Enabled"]) == (before["UserAttributes"], before["Enabled"])


@pytest.mark.parametrize("role", ["staff", "team_lead"])
@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/users", None),
        ("POST", "/users", {"email": "x@acme.vn", "role": "admin"}),
        *[(method, "/users/{user}" + suffix, body) for method, suffix, body in VERBS],
    ],
)
def test_only_admins_manage_users(
    user_pool: Any, acme: dict[str, str], role: str, method: str, path: str, body: Any
) -> None:
    reply = call_as(
        method, path.format(user=acme["sales"]), body, who=claims(role, staff_id="A", team="north")
    )
    assert reply.status == 403, reply.body
    assert attributes(user_pool, acme["sales"])["custom:role"] == "staff"
    assert len(user_pool.list_users(UserPoolId=pool_id())["Users"]) == 4


def test_an_admin_cannot_demote_or_disable_themself(user_pool: Any, acme: dict[str, str]) -> None:
    me = admin_claims(acme)
    demote = call_as("PATCH", f"/users/{acme['admin']}", {"role": "staff", "staff_id": "A"}, who=me)
    disable = call_as("POST", f"/users/{acme['admin']}/disable", who=me)
    assert (demote.status, disable.status) == (403, 403)
    user = user_pool.admin_get_user(UserPoolId=pool_id(), Username=acme["admin"])
    assert user["Enabled"] is True and attributes(user_pool, acme["admin"])["custom:role"] == "admin"
    # ... but may still change their own team or name
    assert call_as("PATCH", f"/users/{acme['admin']}", {"team": "north"}, who=me).status == 200


def test_without_a_user_pool_the_routes_answer_503_not_500(moto_tables: dict[str, str]) -> None:
    # Given a deployment without USER_POOL_ID (make run before its local Cognito)
    reply = call_as("GET", "/users")
    # Then a 503 that says what is missing
    assert reply.status == 503 and "USER_POOL_ID" in reply.body["message"]
