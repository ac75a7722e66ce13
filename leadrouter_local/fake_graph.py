"""A local stand-in for Meta's Graph API lead reads (``GET /{version}/{leadgen_id}``), for ``make run``
and the tests: it serves the leads it was given, and can fail, throttle and revoke on demand.

Answers as Graph does: the lead's JSON (``field_data`` …), or ``{"error": {"message", "type", "code"}}``
with Graph's status (500 for a failure, 400 for a rate limit or a revoked token). Control:
``add_lead``, ``fail_next``, ``throttle_next``, ``revoke`` in-process, or ``POST /_control`` with the
same names as JSON (``{"add_lead": {...}}``, ``{"fail_next": 3}``, ``{"revoke": "<token>"}``).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class GraphState:
    leads: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: The next N reads answer 500 (Graph down), then the next M answer a rate limit (code 80005).
    failures: int = 0
    throttles: int = 0
    revoked: set[str] = field(default_factory=set)
    #: Every read asked: (leadgen id, token), in order.
    reads: list[tuple[str, str]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class FakeGraph:
    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.state = GraphState()
        self._server = ThreadingHTTPServer((host, port), _handler(self.state))
        self.url = f"http://{host}:{self._server.server_address[1]}"

    def start(self) -> FakeGraph:
        threading.Thread(target=self._server.serve_forever, name="fake-graph", daemon=True).start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def add_lead(self, lead: Mapping[str, Any]) -> None:
        with self.state.lock:
            self.state.leads[str(lead["id"])] = dict(lead)

    def fail_next(self, count: int) -> None:
        with self.state.lock:
            self.state.failures = count

    def throttle_next(self, count: int) -> None:
        with self.state.lock:
            self.state.throttles = count

    def revoke(self, token: str) -> None:
        with self.state.lock:
            self.state.revoked.add(token)

    def restore(self, token: str) -> None:
        with self.state.lock:
            self.state.revoked.discard(token)


def _error(status: int, code: int, message: str, kind: str = "OAuthException") -> tuple[int, dict[str, Any]]:
    return status, {"error": {"message": message, "type": kind, "code": code, "fbtrace_id": "local"}}


def _answer(state: GraphState, path: str, query: Mapping[str, list[str]]) -> tuple[int, dict[str, Any]]:
    token = (query.get("access_token") or [""])[0]
    lead_id = path.rstrip("/").rsplit("/", 1)[-1]
    with state.lock:
        state.reads.append((lead_id, token))
        if state.failures > 0:
            state.failures -= 1
            return _error(500, 2, "An unexpected error has occurred. Please retry your request later.", "")
        if state.throttles > 0:
            state.throttles -= 1
            return _error(400, 80005, "There have been too many leadgen api calls to this Page.")
        if not token or token in state.revoked:
            return _error(
                400,
                190,
                "Error validating access token: CRM access has been revoked from Leads Access Manager.",
            )
        lead = state.leads.get(lead_id)
    if lead is None:
        return _error(
            400,
            100,
            f"Unsupported get request. Object with ID '{lead_id}' does not exist",
            "GraphMethodException",
        )
    return 200, lead


def _handler(state: GraphState) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            status, body = _answer(state, parts.path, parse_qs(parts.query))
            self._send(status, body)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            command = json.loads(self.rfile.read(length) or b"{}")
            with state.lock:
                if "add_lead" in command:
                    state.leads[str(command["add_lead"]["id"])] = command["add_lead"]
                state.failures = int(command.get("fail_next", state.failures))
                state.throttles = int(command.get("throttle_next", state.throttles))
                if "revoke" in command:
                    state.revoked.add(str(command["revoke"]))
                if "restore" in command:
                    state.revoked.discard(str(command["restore"]))
            self._send(200, {"ok": True})

        def _send(self, status: int, body: dict[str, Any]) -> None:
            raw = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=UTF-8")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler
