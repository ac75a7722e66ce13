"""API Gateway emulation: REST proxy events as API Gateway builds them, and routes read from template.yaml.

Every ``Api`` event of a function is a route (its ``Path`` and ``Method``; ``Auth: Authorizer: NONE``
makes it public, ``AWS_IAM`` an operator's route, any other route needs the Cognito authorizer).
:func:`make_http_handler` serves them over HTTP for ``make run``, with :class:`Tokens` standing in for
the Cognito authorizer; the proxy events are shared by the local runner and the tests, so both hand
the handler exactly what AWS would.
"""

from __future__ import annotations

import base64
import hmac
import json
import os
import re
import time
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qsl, quote, unquote, urlsplit

from leadrouter_local.template import functions


@dataclass(frozen=True)
class Route:
    function: str
    method: str
    path: str  # template form: /leads/{lead_id}
    authenticated: bool
    pattern: re.Pattern[str]
    #: Signed with IAM on AWS (``Authorizer: AWS_IAM``); locally, see ``operator_arn``.
    iam: bool = False

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
                    iam=auth == "AWS_IAM",
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
    user_arn: str | None = None,
) -> dict[str, Any]:
    """A REST API (v1) proxy event; ``claims`` is what a Cognito authorizer would have verified,
    ``user_arn`` the IAM principal API Gateway verified on an ``AWS_IAM`` route."""
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
            "identity": {"sourceIp": source_ip, "userArn": user_arn},
            "authorizer": {"claims": claims} if claims else None,
        },
        "body": body,
        "isBase64Encoded": is_base64_encoded,
    }


class Tokens:
    """Stand-in for the Cognito authorizer: bearer token → verified claims.

    A JWT (what the console sends) is verified by ``verify``, the local user pool's verifier; any other
    token is read with ``leadrouter.demo_auth.claims_for``, the code the API function itself uses under
    ``sam local start-api``, so a demo token means the same on both local stacks.
    """

    def __init__(
        self,
        claims_by_token: dict[str, dict[str, str]],
        verify: Callable[[str], dict[str, str] | None] | None = None,
    ) -> None:
        self._claims = claims_by_token
        self._verify = verify

    def claims(self, authorization: str | None) -> dict[str, str] | None:
        from leadrouter.demo_auth import claims_for

        token = (authorization or "").removeprefix("Bearer ").strip()
        if token.count(".") == 2:
            return self._verify(token) if self._verify else None
        return claims_for(authorization, self._claims)


class StaticSite:
    """The console's built files (``console/dist``) and its ``/config.json``, on the API's own port.

    API routes win: a file is served only for a GET or HEAD that no route answers. In production the
    same files are in S3 behind CloudFront (template.yaml), with a config.json written at deploy.
    """

    TYPES: ClassVar[dict[str, str]] = {
        ".html": "text/html; charset=utf-8",
        ".js": "text/javascript; charset=utf-8",
        ".css": "text/css; charset=utf-8",
        ".json": "application/json",
        ".svg": "image/svg+xml",
        ".png": "image/png",
        ".ico": "image/x-icon",
        ".mp3": "audio/mpeg",
        ".wav": "audio/wav",
        ".woff2": "font/woff2",
    }

    def __init__(self, root: Path, config: dict[str, str]) -> None:
        self._root = root.resolve()
        self._config = json.dumps(config).encode()

    def file(self, path: str) -> tuple[bytes, dict[str, str]] | None:
        if path == "/config.json":
            return self._config, {"Content-Type": "application/json", "Cache-Control": "no-cache"}
        if path in ("/", ""):
            path = "/index.html"
        found = (self._root / unquote(path).lstrip("/")).resolve()
        if not found.is_relative_to(self._root) or not found.is_file():
            if path == "/index.html":
                page = (
                    b"<!doctype html><title>leadrouter</title><p>The console is not built: run make console."
                )
                return page, {"Content-Type": "text/html; charset=utf-8"}
            return None
        kind = self.TYPES.get(found.suffix, "application/octet-stream")
        cache = "public, max-age=31536000, immutable" if "/assets/" in path else "no-cache"
        return found.read_bytes(), {"Content-Type": kind, "Cache-Control": cache}


#: Visible ASCII stays as it is in a request path; anything else is percent-encoded, as browsers and
#: API Gateway hand it on (http.server reads the request line as Latin-1, so raw UTF-8 arrives mangled).
_PATH_SAFE = "".join(chr(c) for c in range(0x21, 0x7F))
_CORS_HEADERS = "Content-Type,Authorization,X-Form-Key,Idempotency-Key"
#: The local stand-in for an IAM signature on ``AWS_IAM`` routes: this header, equal to the env var
#: ``LOCAL_OPERATOR_TOKEN``, which only the local runner sets (AWS never sees it: API Gateway checks IAM).
OPERATOR_TOKEN_HEADER = "X-Operator-Token"  # noqa: S105 (a header name)
LOCAL_OPERATOR_ARN = "arn:aws:iam::000000000000:user/local-operator"


def operator_arn(headers: dict[str, str]) -> str | None:
    """The local operator's ARN if the request carries the local operator token, else None."""
    expected = os.environ.get("LOCAL_OPERATOR_TOKEN", "")
    given = next((v for k, v in headers.items() if k.lower() == OPERATOR_TOKEN_HEADER.lower()), "")
    return LOCAL_OPERATOR_ARN if expected and hmac.compare_digest(given, expected) else None


MAX_REQUEST_BYTES = 10 * 1024 * 1024  # API Gateway's payload limit


def request_target(raw: str) -> str:
    """The request target as API Gateway passes it on: raw non-ASCII bytes percent-encoded."""
    return quote(raw.encode("latin-1", errors="replace"), safe=_PATH_SAFE)


def event_body(raw: bytes) -> tuple[str | None, bool]:
    """(body, isBase64Encoded): text if it is UTF-8, else base64 (Lambda's form for binary bodies)."""
    if not raw:
        return None, False
    try:
        return raw.decode("utf-8"), False
    except UnicodeDecodeError:
        return base64.b64encode(raw).decode("ascii"), True


def make_http_handler(
    api_routes: list[Route],
    invoke: Callable[[str, dict[str, Any]], Any],
    tokens: Tokens,
    log: Callable[[str], None],
    site: StaticSite | None = None,
) -> type[BaseHTTPRequestHandler]:
    """API Gateway over HTTP. Every request gets an answer, whatever its method or body, as AWS gives:

    * a path no route has: 403 Missing Authentication Token; a known path with another method
      (TRACE, HEAD, anything): 405 with an Allow header (where API Gateway also says 403, we are
      precise); OPTIONS: the path's own OPTIONS route if the template has one, else the stage's
      static CORS preflight;
    * a handler that raises: 502 Internal server error (what API Gateway answers when Lambda fails),
      with the traceback on the console; never a dropped connection.
    """

    class ApiGateway(BaseHTTPRequestHandler):
        server_version = "leadrouter-local"

        def __getattr__(self, name: str) -> Callable[[], None]:
            # http.server looks up do_<METHOD>; an unknown method would get its HTML 501 otherwise
            if name.startswith("do_"):
                return lambda: self._handle(name[3:])
            raise AttributeError(name)

        def do_OPTIONS(self) -> None:
            # A path with its own OPTIONS route (the form doors) is answered by the function, as on
            # AWS; every other path gets the stage's static preflight (SAM's Cors setting).
            path = request_target(self.path).split("?", 1)[0]
            if any(r.method == "OPTIONS" and r.pattern.fullmatch(path) for r in api_routes):
                self._handle("OPTIONS")
                return
            self._reply(204, {}, b"", cors=True)

        def _handle(self, method: str) -> None:
            started = time.monotonic()
            try:
                status = self._dispatch(method.upper())
            except (BrokenPipeError, ConnectionResetError):
                log(f"{method} {self.path[:200]}: the client hung up before the answer")
                return
            except Exception:
                log(f"{method} {self.path[:200]} → 502: the function raised\n{traceback.format_exc()}")
                self._json(502, {"message": "Internal server error"})
                return
            elapsed_ms = (time.monotonic() - started) * 1000
            log(f"{method} {self.path.split('?', 1)[0][:200]} → {status} ({elapsed_ms:.0f} ms)")

        def _dispatch(self, method: str) -> int:
            target = request_target(self.path)
            path = target.split("?", 1)[0]
            try:
                length = int(self.headers.get("Content-Length") or 0)
            except ValueError:
                length = -1
            if length < 0:
                return self._json(400, {"message": "Bad Request"})
            if length > MAX_REQUEST_BYTES:
                return self._json(413, {"message": "Request Too Long"})
            body, is_base64 = event_body(self.rfile.read(length) if length else b"")
            allowed = sorted({r.method for r in api_routes if r.pattern.fullmatch(path)})
            for route in api_routes:
                params = route.match(method, path)
                if params is None:
                    continue
                headers = {k: v for k, v in self.headers.items()}
                claims = tokens.claims(self.headers.get("Authorization"))
                signer = operator_arn(headers) if route.iam else None
                if route.iam and signer is None:
                    return self._json(403, {"message": "Missing Authentication Token"})  # as API Gateway
                if route.authenticated and not route.iam and claims is None:
                    return self._json(401, {"message": "Unauthorized"})
                event = proxy_event(
                    method,
                    target,
                    body,
                    headers={k: v for k, v in headers.items() if k.lower() != OPERATOR_TOKEN_HEADER.lower()},
                    claims=claims if route.authenticated and not route.iam else None,
                    user_arn=signer,
                    resource=route.path,
                    path_parameters={k: unquote(v) for k, v in params.items()},
                    source_ip=self.client_address[0],
                    is_base64_encoded=is_base64,
                )
                result = invoke(route.function, event)
                headers = {**(result.get("headers") or {})}
                for key, values in (result.get("multiValueHeaders") or {}).items():
                    headers[key] = ", ".join(values)
                status = int(result["statusCode"])
                raw = result.get("body") or ""
                payload = base64.b64decode(raw) if result.get("isBase64Encoded") else raw.encode()
                self._reply(status, headers, payload)
                return status
            found = site.file(path) if site and method in ("GET", "HEAD") else None
            if found is not None:
                self._reply(200, found[1], found[0])
                return 200
            if allowed:
                return self._json(405, {"message": "Method Not Allowed"}, {"Allow": ", ".join(allowed)})
            return self._json(403, {"message": "Missing Authentication Token"})  # what API Gateway says

        def _json(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> int:
            headers = {"Content-Type": "application/json", **(headers or {})}
            self._reply(status, headers, json.dumps(body).encode(), cors=True)
            return status

        def _reply(self, status: int, headers: dict[str, str], body: bytes, cors: bool = False) -> None:
            self.send_response(status)
            if cors:
                self.send_header("Access-Control-Allow-Origin", "*")
                self.send_header("Access-Control-Allow-Headers", _CORS_HEADERS)
                self.send_header("Access-Control-Allow-Methods", "GET,POST,PUT,PATCH,DELETE,OPTIONS")
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            return  # one line per request is logged by _handle

    return ApiGateway
