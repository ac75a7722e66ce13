"""The local Cognito user pool of `make run`: moto's cognito-idp over HTTP, the template's schema, demo users.

The console signs in against it with the same library and screen as on AWS (amazon-cognito-identity-js,
``USER_PASSWORD_AUTH`` here because moto does not check an SRP proof); the users API manages it with
the same boto3 calls (``AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER`` points boto3 at it). The local API
gateway verifies the ID tokens it issues as API Gateway's Cognito authorizer would: signature against
the pool's JWKS, issuer, audience, ``token_use`` and expiry.

Moto keeps users in memory: invited users are gone after a restart; the demo users are created again.
"""

from __future__ import annotations

import json
import logging
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import boto3
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

REGION = "ap-southeast-1"
#: Local only, printed in the banner: the demo users' password (moto's pool, never AWS).
DEMO_PASSWORD = "Demo@leadrouter1"  # noqa: S105


@dataclass(frozen=True)
class DemoUser:
    email: str
    tenant_id: str
    role: str
    staff_id: str | None = None
    team: str | None = None


@dataclass(frozen=True)
class LocalUserPool:
    endpoint: str
    pool_id: str
    client_id: str
    region: str = REGION
    stop: Callable[[], None] = field(default=lambda: None, compare=False, repr=False)

    @property
    def issuer(self) -> str:
        return f"https://cognito-idp.{self.region}.amazonaws.com/{self.pool_id}"

    def client(self) -> Any:
        return boto3.client(
            "cognito-idp",
            endpoint_url=self.endpoint,
            region_name=self.region,
            aws_access_key_id="local",
            aws_secret_access_key="local",  # noqa: S106 - moto's, meaningless on AWS
        )

    def console_config(self, api_url: str) -> dict[str, str]:
        """What the console reads from ``/config.json`` (the deployed one has no ``cognitoEndpoint``)."""
        return {
            "apiUrl": api_url,
            "region": self.region,
            "userPoolId": self.pool_id,
            "userPoolClientId": self.client_id,
            "authFlow": "USER_PASSWORD_AUTH",
            "cognitoEndpoint": self.endpoint + "/",
        }


def _template_schema(template: dict[str, Any]) -> list[dict[str, Any]]:
    props = template["Resources"]["UserPool"]["Properties"]
    return [
        {k: v for k, v in attr.items() if k in ("Name", "AttributeDataType", "Mutable")}
        for attr in props.get("Schema", [])
    ]


def start_user_pool(template: dict[str, Any], host: str = "127.0.0.1", port: int = 0) -> LocalUserPool:
    """moto's server on ``port`` (0: any free) with one pool and one app client shaped as the template's."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise
    _accept_token_revocation()
    _resend_without_a_second_user()
    server = ThreadedMotoServer(ip_address=host, port=port, verbose=False)
    server.start()
    endpoint = "http://{}:{}".format(*server.get_host_and_port())
    boto = LocalUserPool(endpoint=endpoint, pool_id="", client_id="").client()
    pool_id = boto.create_user_pool(
        PoolName="leadrouter-local-users",
        UsernameAttributes=["email"],
        Schema=_template_schema(template),
    )["UserPool"]["Id"]
    client_id = boto.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName="leadrouter-local-console",
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_USER_SRP_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]["ClientId"]
    return LocalUserPool(endpoint=endpoint, pool_id=pool_id, client_id=client_id, stop=server.stop)


def _accept_token_revocation() -> None:
    """moto has no RevokeToken (the console's sign-out calls it): locally it is accepted and does nothing,
    so a signed-out refresh token still works here until it expires; on AWS it is revoked."""
    from moto.cognitoidp.responses import CognitoIdpResponse

    if not hasattr(CognitoIdpResponse, "revoke_token"):
        CognitoIdpResponse.revoke_token = lambda self: "{}"  # type: ignore[attr-defined]


def _resend_without_a_second_user() -> None:
    """moto answers ``AdminCreateUser`` with ``MessageAction=RESEND`` by creating a second user with the same
    e-mail; Cognito sends the invitation again to the one user. Locally the existing user is returned."""
    from moto.cognitoidp.models import CognitoIdpBackend

    create = CognitoIdpBackend.admin_create_user
    if getattr(create, "resends_once", False):
        return

    def admin_create_user(
        self: Any, user_pool_id: str, username: str, message_action: str, *args: Any
    ) -> Any:
        if message_action == "RESEND":
            return self.admin_get_user(user_pool_id, username)
        return create(self, user_pool_id, username, message_action, *args)

    admin_create_user.resends_once = True  # type: ignore[attr-defined]
    CognitoIdpBackend.admin_create_user = admin_create_user  # type: ignore[method-assign,assignment]


def create_demo_users(pool: LocalUserPool, users: list[DemoUser], password: str = DEMO_PASSWORD) -> None:
    boto = pool.client()
    for user in users:
        attributes = {
            "email": user.email,
            "email_verified": "true",
            "custom:tenant_id": user.tenant_id,
            "custom:role": user.role,
            "custom:staff_id": user.staff_id,
            "custom:team": user.team,
        }
        boto.admin_create_user(
            UserPoolId=pool.pool_id,
            Username=user.email,
            UserAttributes=[{"Name": k, "Value": v} for k, v in attributes.items() if v],
            MessageAction="SUPPRESS",
        )
        boto.admin_set_user_password(
            UserPoolId=pool.pool_id, Username=user.email, Password=password, Permanent=True
        )


class IdTokenVerifier:
    """API Gateway's Cognito authorizer, locally: a valid ID token of the pool → its claims, else None."""

    def __init__(self, pool: LocalUserPool) -> None:
        self._pool = pool
        self._keys: KeySet | None = None

    def _key_set(self) -> KeySet:
        if self._keys is None:
            url = f"{self._pool.endpoint}/{self._pool.pool_id}/.well-known/jwks.json"
            with urllib.request.urlopen(url, timeout=5) as answer:  # noqa: S310 - the local pool
                self._keys = KeySet.import_key_set(json.loads(answer.read()))
        return self._keys

    def claims(self, token: str) -> dict[str, str] | None:
        try:
            decoded = jwt.decode(token, self._key_set(), algorithms=["RS256"])
        except (JoseError, ValueError):
            return None
        claims = decoded.claims
        if (
            claims.get("iss") != self._pool.issuer
            or claims.get("aud") != self._pool.client_id
            or claims.get("token_use") != "id"
            or not isinstance(claims.get("exp"), int)
            or claims["exp"] <= time.time()
        ):
            return None
        return {k: str(v) for k, v in claims.items()}
