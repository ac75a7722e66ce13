"""API Gateway emulation: REST proxy events as API Gateway builds them, and routes read from template.yaml.

Shared by the local runner and the tests, so both hand the handler exactly what AWS would.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from leadrouter_local.template import functions


@dataclass(frozen=True)
class Route:
    function: str
    method: str
    path: str  # template form: /leads/{lead_id}
    authenticated: bool
    pattern: re.Pattern[str]

    def match(self, method: str, path: str) -> dict[str, str] | None:
        if method.upper() != self.method and self.method != "ANY":
            return None
        found = self.pattern.fullmatch(path)
        return found.groupdict() if found else None


def routes(template: dict[str, Any]) -> list[Route]:
    """Every ``Api`` event of every function in the template, most specific paths first."""
    found: list[Route] = []
    for logical_id, fn in functions(template).items():
        for event in fn["events"].values():
            if event["type"] != "Api":
                continue
            props = event["properties"]
            path = str(props["Path"])
            auth = (props.get("Auth") or {}).get("Authorizer")
            regex = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(path))
            found.append(
                Route(
                    function=logical_id,
                    method=str(props["Method"]).upper(),
                    path=path,
                    authenticated=auth != "NONE",
                    pattern=re.compile(regex),
                )
            )
    return sorted(found, key=lambda r: (r.path.count("{"), -len(r.path)))


def proxy_event(
    method: str,
    path: str,
    body: str | None,
    *,
    headers: dict[str, str] | None = None,
    claims: dict[str, str] | None = None,
    resource: str | None = None,
    path_parameters: dict[str, str] | None = None,
    source_ip: str = "127.0.0.1",
    is_base64_encoded: bool = False,
) -> dict[str, Any]:
    """A REST API (v1) proxy event; ``claims`` is what a Cognito authorizer would have verified."""
    url = urlsplit(path)
    pairs = parse_qsl(url.query, keep_blank_values=True)
    multi: dict[str, list[str]] = {}
    for key, value in pairs:
        multi.setdefault(key, []).append(value)
    all_headers = {"Content-Type": "application/json", **(headers or {})}
    return {
        "resource": resource or url.path,
        "path": url.path,
        "httpMethod": method.upper(),
        "headers": all_headers,
        "multiValueHeaders": {k: [v] for k, v in all_headers.items()},
        "queryStringParameters": {k: v[-1] for k, v in multi.items()} or None,
        "multiValueQueryStringParameters": multi or None,
        "pathParameters": path_parameters or None,
        "stageVariables": None,
        "requestContext": {
            "requestId": str(uuid.uuid4()),
            "stage": "local",
            "path": url.path,
            "resourcePath": resource or url.path,
            "httpMethod": method.upper(),
            "identity": {"sourceIp": source_ip},
            "authorizer": {"claims": claims} if claims else None,
        },
        "body": body,
        "isBase64Encoded": is_base64_encoded,
    }
