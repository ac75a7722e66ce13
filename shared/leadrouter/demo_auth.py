"""Demo bearer tokens for the two local stacks only: `make run` and `sam local start-api`.

Neither has a Cognito authorizer (SAM CLI skips it with "Authorizer 'CognitoAuth' … was not found,
skipping"), so both turn the same fixed tokens into the claims the authorizer would have verified, here,
in one table and one function. `make run`'s API emulation calls :func:`claims_for` itself; the API
function imports this module only when ``AWS_SAM_LOCAL == "true"`` (:func:`leadrouter.api.auth.claims_of`).

AWS never sets ``AWS_SAM_LOCAL`` (only SAM CLI does, in its local containers), and on a deployed stack API
Gateway's Cognito authorizer refuses these strings before the function runs: a demo token cannot open
a deployed API.
"""

from __future__ import annotations

TENANT = "demo"
STAFF_IDS = ("A", "B", "C")
ADMIN_TOKEN = "demo-admin"  # noqa: S105 - a fixed local-only token, meaningless on AWS

#: Bearer token → the ID token claims Cognito would put in ``requestContext.authorizer.claims``.
DEMO_TOKENS: dict[str, dict[str, str]] = {
    ADMIN_TOKEN: {"sub": ADMIN_TOKEN, "custom:tenant_id": TENANT, "custom:role": "admin"},
    **{
        f"demo-staff-{sid.lower()}": {
            "sub": f"demo-staff-{sid.lower()}",
            "custom:tenant_id": TENANT,
            "custom:role": "staff",
            "custom:staff_id": sid,
        }
        for sid in STAFF_IDS
    },
}


def claims_for(
    authorization: str | None, tokens: dict[str, dict[str, str]] = DEMO_TOKENS
) -> dict[str, str] | None:
    """The claims of an ``Authorization: Bearer <demo token>`` header; None for no or an unknown token."""
    if not authorization:
        return None
    token = authorization.removeprefix("Bearer ").strip()
    found = tokens.get(token)
    return dict(found) if found is not None else None
