"""The AWS JSON protocol the local SQS and EventBridge speak, so boto3 talks to them unmodified.

A request is a POST whose ``X-Amz-Target`` header names the operation (``AmazonSQS.SendMessage``,
``AWSEvents.PutEvents``) and whose body is the operation's JSON input; the answer is the operation's JSON
output. Errors take the shape boto3 parses into its modelled exceptions: ``__type`` is
``com.amazonaws.<json version>#<code>``, and for SQS (a query-compatible service) the
``x-amzn-query-error`` header carries the query protocol's code, which botocore prefers.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any

#: The account every emulated ARN and answer names.
ACCOUNT = "000000000000"

#: One operation: the request's JSON input in, the answer's JSON output out.
Operation = Callable[[dict[str, Any]], dict[str, Any]]


class AwsError(Exception):
    """An error answer: ``code`` as the service names it, HTTP 400 unless said otherwise."""

    def __init__(self, code: str, message: str, query_code: str | None = None, status: int = 400) -> None:
        super().__init__(message)
        self.code, self.message, self.query_code, self.status = code, message, query_code, status


@dataclass(frozen=True)
class Service:
    """A service's operations behind its ``X-Amz-Target`` prefix and the JSON version it speaks."""

    prefix: str
    json_version: str
    operations: Mapping[str, Operation]


def nothing(operation: Callable[[dict[str, Any]], None], answer: dict[str, Any] | None = None) -> Operation:
    """An operation whose answer is always the same (empty, for most)."""

    def run(request: dict[str, Any]) -> dict[str, Any]:
        operation(request)
        return dict(answer or {})

    return run


def make_handler(
    *services: Service, rest: Callable[[BaseHTTPRequestHandler], None] | None = None
) -> type[BaseHTTPRequestHandler]:
    """One endpoint for every service given: the operation is the ``X-Amz-Target`` header. A request
    without one (any method but a JSON POST) goes to ``rest``, a REST protocol's server (S3's)."""
    operations = {f"{s.prefix}.{name}": op for s in services for name, op in s.operations.items()}
    versions = {f"{s.prefix}.": s.json_version for s in services}

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive: boto3 reuses its connections
        disable_nagle_algorithm = True  # headers and body are two writes: no 40 ms delayed-ACK stall

        def do_POST(self) -> None:
            if rest is not None and "X-Amz-Target" not in self.headers:
                rest(self)
                return
            target = self.headers.get("X-Amz-Target", "")
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b"{}"
            json_version = next((v for p, v in versions.items() if target.startswith(p)), "1.1")
            try:
                operation = operations.get(target)
                if operation is None:
                    raise AwsError(
                        "UnknownOperationException", f"{target or 'no X-Amz-Target'} is not emulated locally"
                    )
                status, answer, query = 200, operation(json.loads(raw or b"{}")), None
            except AwsError as error:
                status, query = error.status, error.query_code
                answer = {"__type": f"com.amazonaws.{json_version}#{error.code}", "message": error.message}
            except (KeyError, TypeError, ValueError) as error:
                status, query = 400, "InvalidParameterValue"
                answer = {"__type": "ValidationException", "message": f"{type(error).__name__}: {error}"}
            payload = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", f"application/x-amz-json-{json_version}")
            self.send_header("Content-Length", str(len(payload)))
            self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
            if query:
                self.send_header("x-amzn-query-error", f"{query};Sender")
            self.end_headers()
            self.wfile.write(payload)

        def do_REST(self) -> None:
            if rest is None:
                self.send_error(501, f"{self.command} is not emulated here")
                return
            rest(self)

        do_GET = do_HEAD = do_PUT = do_DELETE = do_OPTIONS = do_REST

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler
