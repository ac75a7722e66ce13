"""End to end: `make run`'s stack as a subprocess, driven over HTTP like a user would."""

from __future__ import annotations

import signal
import socket
import subprocess
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest

from leadrouter_local.demo_data import FORM_KEY, SOURCE_SECRET
from tests.support import stack as local_stack

ADMIN = {"Authorization": "Bearer demo-admin"}


@pytest.fixture
def launch() -> Iterator[Callable[..., str]]:
    """Start stacks (stopped with Ctrl-C at the end, which must exit cleanly); returns their URLs."""
    processes: list[subprocess.Popen[str]] = []

    def start(*extra: str) -> str:
        port = local_stack.free_port()
        process = local_stack.start(port, *extra)
        processes.append(process)
        url = f"http://127.0.0.1:{port}"
        local_stack.wait_ready(process, url)
        return url

    yield start
    for process in processes:
        local_stack.stop(process)


@pytest.fixture
def stack(launch: Callable[..., str]) -> str:
    return launch("--schedule-seconds", "1")


def test_leads_posted_over_http_are_assigned_by_the_schedule(stack: str) -> None:
    # Given the demo tenant (A, B, C at 3:4:5) / When 24 leads arrive through the form endpoint
    ids = []
    for i in range(24):
        status, body = local_stack.request(
            f"{stack}/intake/leads",
            "POST",
            {"name": f"Lead {i}", "phone": f"0912{i:06d}"},
            {"X-Form-Key": FORM_KEY, "X-Source-Secret": SOURCE_SECRET},
        )
        assert status == 201, body
        ids.append(body["lead_id"])

    # Then the emulated scheduler assigns every one of them
    def all_assigned() -> bool:
        status, page = local_stack.request(f"{stack}/leads?status=pending", headers=ADMIN)
        return status == 200 and not page["items"]

    local_stack.until(all_assigned, 60, "the schedule to assign every lead")
    status, page = local_stack.request(f"{stack}/leads?limit=200", headers=ADMIN)
    owners = Counter(x["lead"]["owner"] for x in page["items"])
    assert owners == {"A": 6, "B": 8, "C": 10}
    assert {x["lead"]["lead_id"] for x in page["items"]} == set(ids)
    # …and the report agrees
    today = datetime.now(UTC).date()
    since, until = today - timedelta(days=1), today + timedelta(days=1)
    period = f"received_from={since}T00:00:00Z&received_to={until}T00:00:00Z"
    status, report = local_stack.request(f"{stack}/reports/distribution?{period}", headers=ADMIN)
    assert status == 200, report
    assert report["leads"] == 24 and report["speed_to_lead"]["leads"] == 24
    (row,) = [r for r in report["rules"] if r["rule_id"] == "web-new-weighted"]
    assert row["assigned"] == 24 and row["max_abs_deviation"] == 0
    assert {s["staff_id"]: s["assigned"] for s in row["staff"]} == {"A": 6, "B": 8, "C": 10}
    # …and the emulated authorizer rejects what API Gateway would
    assert local_stack.request(f"{stack}/leads")[0] == 401
    assert local_stack.request(f"{stack}/leads", headers={"Authorization": "Bearer forged"})[0] == 401
    assert local_stack.request(f"{stack}/no-such-route", headers=ADMIN)[0] == 403


def test_a_busy_port_gives_one_clear_line() -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        process = local_stack.start(port)
        process.wait(timeout=60)
        output = local_stack.console(process)
    assert process.returncode != 0
    assert f"port {port}" in output and "busy" in output
    assert "Traceback" not in output


def test_a_lead_is_assigned_on_arrival_through_the_emulated_stream(launch: Callable[..., str]) -> None:
    # Given a stack whose schedules would not fire for an hour: only the stream trigger can assign
    url = launch("--schedule-seconds", "3600")
    status, body = local_stack.request(
        f"{url}/intake/leads",
        "POST",
        {"name": "An", "phone": "0912345678"},
        {"X-Form-Key": FORM_KEY, "X-Source-Secret": SOURCE_SECRET},
    )
    assert status == 201

    def assigned() -> bool:
        status: str = local_stack.request(f"{url}/leads/{body['lead_id']}", headers=ADMIN)[1]["lead"][
            "status"
        ]
        return status == "assigned"

    local_stack.until(assigned, 20, "the stream-triggered assignment")
    _, detail = local_stack.request(f"{url}/leads/{body['lead_id']}", headers=ADMIN)
    assert detail["lead"]["owner"] in {"A", "B", "C"}
    assert [h["action"] for h in detail["history"] if h["type"] == "decision"] == ["assigned"]


def test_two_sigterms_stop_cleanly_and_the_port_is_free_again_at_once() -> None:
    # Given a running stack that has served requests (its port will sit in TIME_WAIT once stopped)
    port = local_stack.free_port()
    url = f"http://127.0.0.1:{port}"
    first = local_stack.start(port)
    local_stack.wait_ready(first, url)
    for _ in range(3):
        local_stack.request(f"{url}/openapi.json")
    # When it gets SIGTERM twice in a row (a supervisor, then an impatient one)
    first.send_signal(signal.SIGTERM)
    first.send_signal(signal.SIGTERM)
    first.wait(timeout=30)
    output = local_stack.console(first)
    # Then it stops cleanly, once
    assert first.returncode == 0, output
    assert output.count("stopped.") == 1 and "Traceback" not in output
    # ...and a new stack binds the same port straight away
    second = local_stack.start(port)
    try:
        local_stack.wait_ready(second, url)
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=30)
        output = local_stack.console(second)
    assert second.returncode == 0, output


def _raw(url: str, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None):
    request = urllib.request.Request(f"{url}{path}", data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status), dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return int(error.code), dict(error.headers), error.read()


def test_the_local_api_answers_trace_unknown_methods_and_bytes_that_are_not_utf8(
    launch: Callable[..., str],
) -> None:
    url = launch("--schedule-seconds", "3600")
    # TRACE, HEAD and made-up methods on a known path: 405 with the allowed ones
    for method in ("TRACE", "HEAD", "PROPFIND"):
        status, headers, _ = _raw(url, method, "/leads", headers=ADMIN)
        assert (status, headers.get("Allow")) == (405, "GET"), method
    # a body that is not UTF-8, on the public route: 400 from the door, no lead
    status, _, body = _raw(
        url,
        "POST",
        "/intake/leads",
        b'{"name": "\xff\xfe", "phone": "0912345678"}',
        {"X-Form-Key": FORM_KEY, "Content-Type": "application/json"},
    )
    assert status == 400, body
    # JSON nested 5,000 deep with the public form key: 422, and the stack still answers
    deep = b'{"name": "An", "phone": "0912345678", "fields": ' + b"[" * 5000 + b"]" * 5000 + b"}"
    status, _, body = _raw(
        url, "POST", "/intake/leads", deep, {"X-Form-Key": FORM_KEY, "Content-Type": "application/json"}
    )
    assert status == 422, body
    assert local_stack.request(f"{url}/leads", headers=ADMIN) == (200, {"items": [], "cursor": None})


def test_the_local_stack_takes_a_webhook_on_this_machine(stack: str) -> None:
    # Given make run's stack (the template declares WEBHOOKS_ALLOW_LOCAL empty: AWS never allows it)
    # When an admin registers a receiver on 127.0.0.1, as make demo does
    status, body = local_stack.request(
        f"{stack}/webhooks", "POST", {"url": "http://127.0.0.1:8025/", "event_types": ["LeadAssigned"]}, ADMIN
    )
    # Then it is taken, and the secret is shown
    assert status == 201, body
    assert body["secret"].startswith("whsec_")
