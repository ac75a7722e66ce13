"""template.yaml keeps tenants' secrets under one KMS key that only the functions using them can use:
the API seals (Encrypt) and opens CAPTCHA secrets; the webhook delivery opens signing secrets; no
other function touches the key."""

from __future__ import annotations

from typing import Any

from leadrouter.domain.secrets import SecretPurpose
from leadrouter_local.template import functions, load_template

TEMPLATE = load_template()
RESOURCES: dict[str, Any] = TEMPLATE["Resources"]
FUNCTIONS = functions(TEMPLATE)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _kms_grants(lid: str) -> dict[str, tuple[Any, set[str]]]:
    """A function's KMS statements: action → (resource, purposes allowed by its condition)."""
    policies = RESOURCES[lid]["Properties"].get("Policies", [])
    found: dict[str, tuple[Any, set[str]]] = {}
    for policy in policies:
        for statement in policy.get("Statement", []) if isinstance(policy, dict) else []:
            for action in _as_list(statement["Action"]):
                if str(action).startswith("kms:") or action == "*":
                    condition = statement.get("Condition", {}).get("StringEquals", {})
                    purposes = set(_as_list(condition.get("kms:EncryptionContext:purpose", [])))
                    assert action not in found, f"{lid}: {action} granted twice"
                    found[action] = (statement["Resource"], purposes)
    return found


def test_the_secrets_key_is_a_rotated_symmetric_key_administered_by_the_account_only():
    key = RESOURCES["SecretsKey"]
    assert key["Type"] == "AWS::KMS::Key"
    assert key["DeletionPolicy"] == "Retain" == RESOURCES["ConfigTable"]["DeletionPolicy"]
    properties = key["Properties"]
    assert properties["KeySpec"] == "SYMMETRIC_DEFAULT" and properties["KeyUsage"] == "ENCRYPT_DECRYPT"
    assert properties["EnableKeyRotation"] is True
    [statement] = properties["KeyPolicy"]["Statement"]
    assert statement["Effect"] == "Allow"
    assert statement["Principal"] == {"AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:root"}}


def test_only_the_api_the_delivery_and_the_fetch_may_use_the_key_each_for_its_own_purposes():
    key = {"Fn::GetAtt": ["SecretsKey", "Arn"]}
    grants = {lid: _kms_grants(lid) for lid in FUNCTIONS}
    # The API seals every kind of secret, and opens CAPTCHA and platform secrets (a signature to check),
    # never a webhook's signing secret
    # (and the tenant's contact pepper, which it makes on first use and opens for an erasure's digests)
    pepper = SecretPurpose.CONTACT_PEPPER.value
    sealed = {
        SecretPurpose.WEBHOOK_SIGNING.value,
        SecretPurpose.CAPTCHA.value,
        SecretPurpose.SOURCE.value,
        pepper,
    }
    assert grants.pop("ApiFunction") == {
        "kms:Encrypt": (key, sealed),
        "kms:Decrypt": (key, {SecretPurpose.CAPTCHA.value, SecretPurpose.SOURCE.value, pepper}),
    }
    # The import worker opens the contact pepper only (the suppression list's digests), and seals nothing;
    # so do the sweeps (the call lists' digests), which never make one
    assert grants.pop("ImportFunction") == {"kms:Decrypt": (key, {pepper})}
    assert grants.pop("AssignFunction") == {"kms:Decrypt": (key, {pepper})}
    assert grants.pop("ReclaimFunction") == {"kms:Decrypt": (key, {pepper})}
    # The fetch opens platform tokens only, and seals nothing
    assert grants.pop("LeadFetchFunction") == {"kms:Decrypt": (key, {SecretPurpose.SOURCE.value})}
    # The delivery opens signing secrets only, and seals nothing
    assert grants.pop("WebhookDeliveryFunction") == {
        "kms:Decrypt": (key, {SecretPurpose.WEBHOOK_SIGNING.value}),
    }
    # Every other function (the fan-out reads the same webhook items) has no KMS action at all
    assert "WebhookFanoutFunction" in grants and all(not g for g in grants.values()), grants


def test_the_key_is_named_only_to_the_functions_that_use_it():
    holders = {lid for lid, fn in FUNCTIONS.items() if "SECRETS_KEY_ID" in fn["environment"]}
    assert holders == {
        "ApiFunction",
        "WebhookDeliveryFunction",
        "LeadFetchFunction",
        "ImportFunction",
        "AssignFunction",
        "ReclaimFunction",
    }
    assert "SECRETS_KEY_ID" not in TEMPLATE["Globals"]["Function"]["Environment"]["Variables"]
    for lid in holders:
        assert FUNCTIONS[lid]["environment"]["SECRETS_KEY_ID"] == {"Fn::GetAtt": ["SecretsKey", "Arn"]}


def test_no_role_in_the_template_grants_kms_beyond_the_secrets_key():
    # Plain IAM roles (API Gateway's logs role, ...) and function policies alike
    def statements(value: Any) -> list[dict[str, Any]]:
        if isinstance(value, dict):
            own = value["Statement"] if isinstance(value.get("Statement"), list) else []
            return [s for s in own if isinstance(s, dict)] + [
                s for k, v in value.items() if k != "KeyPolicy" for s in statements(v)
            ]
        if isinstance(value, list):
            return [s for v in value for s in statements(v)]
        return []

    kms = [s for s in statements(RESOURCES) if any(str(a).startswith("kms:") for a in _as_list(s["Action"]))]
    assert kms and all(s["Resource"] == {"Fn::GetAtt": ["SecretsKey", "Arn"]} for s in kms), kms
    assert all("*" not in str(a) for s in kms for a in _as_list(s["Action"]))
