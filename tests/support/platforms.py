"""Platform sources as an admin creates them (through the API: secrets sealed) and deliveries as the
platforms post them (raw bytes, base64 as API Gateway hands them over)."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

from tests.support.api import Reply, call, call_as, event

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "platforms"


def fixture(kind: str, name: str) -> bytes:
    """A delivery as the platform's documentation shows it (``tests/fixtures/platforms/<kind>/``)."""
    return (FIXTURES / kind / name).read_bytes()


def fixture_json(kind: str, name: str) -> Any:
    return json.loads(fixture(kind, name))


def create_platform_source(kind: str, platform: dict[str, Any], **fields: Any) -> dict[str, Any]:
    """``POST /form-sources`` for a platform source: the answer (its ``form_key``, ``webhook_url``)."""
    body = {"name": f"{kind} source", "pool": "web", "kind": kind, "platform": {"kind": kind, **platform}}
    reply = call_as("POST", "/form-sources", {**body, **fields})
    assert reply.status == 201, reply.body
    answer: dict[str, Any] = reply.body
    return answer


def post_hook(
    key: str,
    raw: bytes,
    headers: dict[str, str] | None = None,
    content_type: str | None = "application/json",
    ip: str = "198.51.100.20",
) -> Reply:
    """A platform's POST to the source's webhook URL."""
    all_headers = dict(headers or {})
    if content_type is not None:
        all_headers["Content-Type"] = content_type
    ev: dict[str, Any] = event(
        "POST", f"/hooks/{key}", raw_body=base64.b64encode(raw).decode("ascii"), headers=all_headers
    )
    ev["isBase64Encoded"] = True
    ev["requestContext"]["identity"]["sourceIp"] = ip
    return call(ev)


def get_hook(key: str, query: dict[str, str]) -> Reply:
    """A platform's GET at the source's webhook URL (Meta's subscription handshake)."""
    ev: dict[str, Any] = event("GET", f"/hooks/{key}")
    ev["queryStringParameters"] = dict(query)
    ev["multiValueQueryStringParameters"] = {k: [v] for k, v in query.items()}
    return call(ev)


def submissions(status: str | None = None) -> list[dict[str, Any]]:
    reply = call_as("GET", "/intake/submissions" + (f"?status={status}" if status else ""))
    assert reply.status == 200, reply.body
    items: list[dict[str, Any]] = reply.body["items"]
    return items


def health(source_id: str) -> dict[str, Any]:
    reply = call_as("GET", f"/form-sources/{source_id}/health")
    assert reply.status == 200, reply.body
    answer: dict[str, Any] = reply.body
    return answer
