"""The local runner reads routes, schedules and environment from template.yaml, never from a copy."""

from __future__ import annotations

import base64
import http.client
import json
import os
import signal
import socket
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml

from leadrouter_local.apigw import Tokens, make_http_handler, routes
from leadrouter_local.environment import resolve_environment
from leadrouter_local.runner import port_is_free
from leadrouter_local.scheduler import rate_seconds, scheduler_input, schedules
from leadrouter_local.stop_signals import StopSignals
from leadrouter_local.template import load_template


def _edited_copy(tmp_path: Path, edit: Callable[[dict[str, Any]], None]) -> Path:
    """A copy of template.yaml with ``edit`` applied (intrinsics are kept in their long form)."""
    template = load_template()
    edit(template)
    copy = tmp_path / "template.yaml"
    copy.write_text(yaml.safe_dump(template, sort_keys=False))
    return copy


def test_routes_and_schedules_come_from_the_template() -> None:
    template = load_template()
    found = {(r.method, r.path): r for r in routes(template)}
    assert found[("POST", "/intake/leads")].authenticated is False
    assert found[("GET", "/leads/{lead_id}")].authenticated is True
    assert found[("GET", "/leads/{lead_id}")].match("GET", "/leads/L123") == {"lead_id": "L123"}
    assert {(s.function, s.input.get("action") or s.input["kind"]) for s in schedules(template)} == {
        ("DispatchFunction", "assign"),
        ("DispatchFunction", "reclaim"),
        ("AlertFunction", "privacy_requests_due"),
    }
    assert {s.seconds for s in schedules(template)} == {60, 86400}


def test_the_runner_follows_an_edited_template(tmp_path: Path) -> None:
    # Given a copy of the template where the assign schedule runs every 5 minutes and a route moved
    def edit(template: dict[str, Any]) -> None:
        resources = template["Resources"]
        resources["DispatchFunction"]["Properties"]["Events"]["AssignTick"]["Properties"][
            "ScheduleExpression"
        ] = "rate(5 minutes)"
        for event in resources["ApiFunction"]["Properties"]["Events"].values():
            if event["Properties"]["Path"] == "/leads/{lead_id}":
                event["Properties"]["Path"] = "/v2/leads/{lead_id}"

    template = load_template(_edited_copy(tmp_path, edit))
    # Then the runner's tables of routes and schedules follow it
    paths = {r.path for r in routes(template)}
    assert "/v2/leads/{lead_id}" in paths and "/leads/{lead_id}" not in paths
    assert sorted(s.seconds for s in schedules(template)) == [60, 300, 86400]


def test_scheduler_input_fills_the_context_attributes() -> None:
    template_input = next(s.input for s in schedules(load_template()) if s.input["action"] == "assign")
    filled = scheduler_input(template_input, datetime(2026, 11, 24, 2, 1, tzinfo=UTC))
    assert filled["action"] == "assign" and filled["scheduled_time"] == "2026-11-24T02:01:00Z"
    assert filled["execution_id"] not in ("", "<aws.scheduler.execution-id>")
    assert "<aws." not in json.dumps(filled)


def test_rates_and_environment() -> None:
    assert rate_seconds("rate(1 minute)") == 60
    assert rate_seconds("rate(2 hours)") == 7200
    with pytest.raises(ValueError, match="cron"):
        rate_seconds("cron(0 * * * ? *)")
    env = resolve_environment(
        load_template(), {"LeadsTable": "L", "ConfigTable": "C", "EventsTable": "E", "SubmissionsTable": "S"}
    )
    assert (env["LEADS_TABLE"], env["CONFIG_TABLE"], env["LEASE_SECONDS"]) == ("L", "C", "180")


# ------------------------------------------------------------------ the local API Gateway answers everything
@pytest.fixture
def gateway() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """The local API Gateway on a free port, in front of a fake function that records its events.

    The fake answers 200 with the event's path parameters, and raises for the path ``/leads/boom``.
    """
    received: list[dict[str, Any]] = []

    def invoke(function: str, event: dict[str, Any]) -> dict[str, Any]:
        received.append(event)
        if event["path"] == "/leads/boom":
            raise RuntimeError("the function failed")
        return {
            "statusCode": 200,
            "headers": {"Content-Type": "application/json"},
            "body": json.dumps(event["pathParameters"]),
        }

    handler = make_http_handler(
        routes(load_template()), invoke, Tokens({"t": {"custom:tenant_id": "acme"}}), lambda _: None
    )
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}", received
    finally:
        server.shutdown()
        server.server_close()


def _send(
    address: str, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection(address, timeout=10)
    try:
        connection.putrequest(method, path, skip_accept_encoding=True)
        for key, value in {"Authorization": "Bearer t", **(headers or {})}.items():
            connection.putheader(key, value)
        if body is not None and "Content-Length" not in (headers or {}):
            connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


@pytest.mark.parametrize("method", ["TRACE", "HEAD", "CONNECT", "PROPFIND", "BREW"])
def test_a_method_no_route_has_on_a_known_path_is_a_405_naming_the_allowed_ones(
    gateway: tuple[str, list[dict[str, Any]]], method: str
) -> None:
    # Given the routes of the template; When /leads/{id} is asked with a method it does not have
    status, headers, body = _send(gateway[0], method, "/leads/L1")
    # Then the answer is a 405 with Allow (http.server alone says 501 in HTML), and no function ran
    assert status == 405
    assert headers["Allow"] == "DELETE, GET, PATCH"
    assert body == (b"" if method == "HEAD" else b'{"message": "Method Not Allowed"}')
    assert gateway[1] == []


def test_an_unknown_path_is_403_missing_authentication_token_as_api_gateway_says(
    gateway: tuple[str, list[dict[str, Any]]],
) -> None:
    assert _send(gateway[0], "TRACE", "/nowhere")[0] == 403
    assert _send(gateway[0], "GET", "/nowhere")[2] == b'{"message": "Missing Authentication Token"}'
    assert _send(gateway[0], "OPTIONS", "/leads")[0] == 204


def test_a_body_that_is_not_utf8_reaches_the_function_base64_encoded(
    gateway: tuple[str, list[dict[str, Any]]],
) -> None:
    # When a client posts bytes that are not UTF-8
    status, _, _ = _send(gateway[0], "POST", "/intake/leads", b'{"name": "\xff\xfe"}')
    # Then the function gets them as Lambda gets binary bodies (it answers 415), not a dropped connection
    assert status == 200
    (event,) = gateway[1]
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == b'{"name": "\xff\xfe"}'


def test_a_utf8_body_reaches_the_function_as_text(gateway: tuple[str, list[dict[str, Any]]]) -> None:
    _send(gateway[0], "POST", "/intake/leads", '{"name": "Tết"}'.encode())
    (event,) = gateway[1]
    assert (event["isBase64Encoded"], event["body"]) == (False, '{"name": "Tết"}')


def test_a_function_that_raises_is_a_502_not_a_dropped_connection(
    gateway: tuple[str, list[dict[str, Any]]],
) -> None:
    status, _, body = _send(gateway[0], "GET", "/leads/boom")
    assert (status, json.loads(body)) == (502, {"message": "Internal server error"})


@pytest.mark.parametrize("length", ["-5", "abc"])
def test_a_bad_content_length_is_a_400(gateway: tuple[str, list[dict[str, Any]]], length: str) -> None:
    assert _send(gateway[0], "POST", "/intake/leads", b"{}", {"Content-Length": length})[0] == 400
    assert gateway[1] == []


def test_path_parameters_are_percent_decoded_and_the_path_stays_encoded(
    gateway: tuple[str, list[dict[str, Any]]],
) -> None:
    # When a campaign is named as a browser sends it, and as raw UTF-8 bytes
    assert _send(gateway[0], "POST", "/campaigns/T%E1%BA%BFt%202027/leads", b"{}")[0] == 200
    host, port = gateway[0].split(":")
    with socket.create_connection((host, int(port)), timeout=10) as raw:  # http.client sends ASCII only
        raw.sendall("POST /campaigns/Tết/leads HTTP/1.0\r\nAuthorization: Bearer t\r\n\r\n".encode())
        assert raw.makefile("rb").readline().split()[1] == b"200"
    # Then, as on API Gateway, pathParameters are decoded and the path is percent-encoded
    first, second = gateway[1]
    assert (first["path"], first["pathParameters"]) == (
        "/campaigns/T%E1%BA%BFt%202027/leads",
        {"campaign": "Tết 2027"},
    )
    assert (second["path"], second["pathParameters"]) == ("/campaigns/T%E1%BA%BFt/leads", {"campaign": "Tết"})


# ------------------------------------------------------------------ ports and signals
def test_a_port_just_freed_is_free_at_once() -> None:
    # Given a port whose server (binding with SO_REUSEADDR, as HTTPServer does) closed a connection
    # first, so that the port sits in TIME_WAIT
    with socket.socket() as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        client = socket.create_connection(("127.0.0.1", port))
        accepted, _ = listener.accept()
        accepted.close()  # the server side closes first: TIME_WAIT is on the server's port
        client.recv(1)
        client.close()
    # When the runner probes it / Then it is free: the next `make run` can bind it at once
    assert port_is_free("127.0.0.1", port)


def test_a_port_with_a_listener_is_busy() -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        assert not port_is_free("127.0.0.1", holder.getsockname()[1])


def test_a_second_stop_signal_during_the_first_changes_nothing() -> None:
    # Given the runner's stop handlers installed
    previous = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    stop = StopSignals()
    stop.install()
    try:
        # When SIGTERM arrives, and again while its handler is running (the nested case that deadlocked
        # a handler taking threading.Event's lock), then SIGINT
        def nested(signum: int, frame: object) -> None:
            signal.signal(signal.SIGTERM, stop)
            stop(signum, frame)
            signal.raise_signal(signal.SIGTERM)

        signal.signal(signal.SIGTERM, nested)
        signal.raise_signal(signal.SIGTERM)
        signal.raise_signal(signal.SIGINT)
        # Then every signal was recorded without blocking, and the wait returns the first
        assert stop.received == [signal.SIGTERM, signal.SIGTERM, signal.SIGINT]
        assert stop.wait(poll_seconds=0) == signal.SIGTERM
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def test_a_process_that_imported_leadrouter_before_its_namespace_was_set_survives_100_metrics() -> None:
    # Given a process without POWERTOOLS_METRICS_NAMESPACE (the local stack sets it after importing)
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith("POWERTOOLS_METRICS")}
    env["POWERTOOLS_METRICS_DISABLED"] = "true"
    env["PYTHONPATH"] = os.pathsep.join(sys.path)
    script = (
        "from leadrouter.observability import metrics\n"
        "for _ in range(150):\n"
        "    metrics.add_metric(name='LeadsReceived', unit='Count', value=1)\n"
        "print('ok')\n"
    )
    # When it records 150 values of one metric (the 100th used to raise "Must contain a metric namespace")
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60)
    # Then nothing raised
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().endswith("ok")


def test_an_iam_route_takes_only_the_local_operator_token(
    gateway: tuple[str, list[dict[str, Any]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the operator's route (Authorizer: AWS_IAM in the template) and the local runner's token
    address, received = gateway
    path, body = "/operator/tenants", b"{}"
    # When it is called with a user's bearer token only, or before the runner set a token
    assert _send(address, "POST", path, body)[0] == 403
    assert _send(address, "POST", path, body, {"X-Operator-Token": "guess"})[0] == 403
    monkeypatch.setenv("LOCAL_OPERATOR_TOKEN", "op-secret")
    assert _send(address, "POST", path, body, {"X-Operator-Token": "wrong"})[0] == 403
    # Then no function ran
    assert received == []
    # When it carries the runner's token
    status, _, _ = _send(address, "POST", path, body, {"X-Operator-Token": "op-secret"})
    # Then the function gets the operator as the IAM principal, no user's claims, and not the token
    assert status == 200
    context = received[0]["requestContext"]
    assert context["identity"]["userArn"] == "arn:aws:iam::000000000000:user/local-operator"
    assert context["authorizer"] is None
    assert "X-Operator-Token" not in received[0]["headers"]
