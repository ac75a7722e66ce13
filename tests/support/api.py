"""Minimal API Gateway REST proxy events and a client that drives the real Lambda handler."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import boto3
import pytest

from leadrouter.data.repository import Repository
from leadrouter.domain.forms import FormSource
from leadrouter.domain.keys import hash_form_key, hash_source_secret
from leadrouter_local.apigw import proxy_event
from tests.support.builders import TENANT
from tests.support.lambda_context import FakeContext

FORM_KEY = "fk_test_web_form_0001"
#: The test sources' secret: a server that sends it is answered with the lead (not only a receipt).
SOURCE_SECRET = "ss_test_source_secret_0001"
#: What a CRM posting server to server sends: the form key and the source's secret.
CRM = {"X-Form-Key": FORM_KEY, "X-Source-Secret": SOURCE_SECRET}


def claims(role: str = "admin", tenant: str = TENANT, staff_id: str | None = None, team: str | None = None):
    data = {"sub": f"user-{role}-{staff_id or 'x'}", "custom:tenant_id": tenant, "custom:role": role}
    if staff_id:
        data["custom:staff_id"] = staff_id
    if team:
        data["custom:team"] = team
    return data


ADMIN = claims("admin")


def event(
    method: str,
    path: str,
    body: Any = None,
    *,
    claims: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    raw_body: str | None = None,
) -> dict[str, Any]:
    text = raw_body if raw_body is not None else (json.dumps(body) if body is not None else None)
    return proxy_event(method, path, text, headers=headers, claims=claims)


@dataclass
class Reply:
    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


def call(ev: dict[str, Any]) -> Reply:
    from functions.api import app as api_app

    raw = api_app.handler(ev, FakeContext(function_name="leadrouter-api"))
    body = raw.get("body")
    try:
        parsed = json.loads(body) if body else None
    except ValueError:
        parsed = body
    headers = dict(raw.get("headers") or {})
    for name, values in (raw.get("multiValueHeaders") or {}).items():  # how a REST proxy answer carries them
        headers[name] = ", ".join(values)
    return Reply(status=raw["statusCode"], body=parsed, headers=headers)


def add_form_source(repo: Repository, key: str = FORM_KEY, **fields: Any) -> FormSource:
    source = FormSource(
        tenant_id=fields.pop("tenant_id", TENANT),
        source_id=fields.pop("source_id", "web-form"),
        name="Website form",
        pool=fields.pop("pool", "web"),
        secret_hash=fields.pop("secret_hash", hash_source_secret(SOURCE_SECRET)),
        **fields,
    )
    repo.put_form_source(source, hash_form_key(key))
    return source


def call_as(method: str, path: str, body: Any = None, who: dict[str, str] | None = ADMIN, **kw: Any) -> Reply:
    """Call the API as ``who`` (JWT claims; None = no token)."""
    return call(event(method, path, body, claims=who, **kw))


def config_items(tables: dict[str, str]) -> list[dict[str, Any]]:
    """Every item of the config table, for 'nothing was written' checks (a test may Scan)."""
    client = boto3.client("dynamodb", region_name="ap-southeast-1")
    items = client.scan(TableName=tables["ConfigTable"])["Items"]
    return sorted(items, key=lambda i: (i["pk"]["S"], i["sk"]["S"]))


def frozen_api_clock(monkeypatch: pytest.MonkeyPatch, start: datetime) -> dict[str, datetime]:
    """Put API actions on a test's timeline (sweeps take ``now`` explicitly): the API reads
    ``moments["now"]``, which the test moves."""
    moments = {"now": start}
    monkeypatch.setattr("leadrouter.api.context.clock", lambda: moments["now"])
    return moments
