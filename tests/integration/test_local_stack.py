"""End to end: `make run`'s stack as a subprocess, driven over HTTP like a user would."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from leadrouter_local.demo_data import FORM_KEY

ROOT = Path(__file__).resolve().parents[2]
ADMIN = {"Authorization": "Bearer demo-admin"}


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _request(
    url: str, method: str = "GET", body: Any = None, headers: dict[str, str] | None = None
) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        url, data=data, method=method, headers={"Content-Type": "application/json", **(headers or {})}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status), json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return int(error.code), json.loads(error.read() or b"null")


def _until(condition: Callable[[], bool], seconds: float, what: str) -> None:
    """Poll a condition with a deadline (the stack runs on its own clock; nothing is assumed)."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {seconds} s waiting for {what}")
        time.sleep(0.2)


def _start(port: int, *extra: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": f"{ROOT / 'shared'}:{ROOT}"}
    for var in (
        "AWS_ENDPOINT_URL_DYNAMODB",
        "LEADS_TABLE",
        "CONFIG_TABLE",
        "EVENTS_TABLE",
        "IDEMPOTENCY_TABLE",
    ):
        env.pop(var, None)
    return subprocess.Popen(
        [sys.executable, "-m", "leadrouter_local.runner", "--in-memory", "--port", str(port), *extra],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


@pytest.fixture
def launch() -> Iterator[Callable[..., str]]:
    """Start stacks (stopped with Ctrl-C at the end, which must exit cleanly); returns their URLs."""
    processes: list[subprocess.Popen[str]] = []

    def start(*extra: str) -> str:
        port = _free_port()
        process = _start(port, *extra)
        processes.append(process)
        url = f"http://127.0.0.1:{port}"

        def ready() -> bool:
            if process.poll() is not None:
                pytest.fail(f"stack exited early: {process.stdout.read() if process.stdout else ''}")
            try:
                return _request(f"{url}/openapi.json")[0] == 200
            except OSError:
                return False

        _until(ready, 60, "the local stack to answer")
        return url

    yield start
    for process in processes:
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=30)
        assert process.returncode == 0, output
        assert "stopped." in output
        assert "Traceback" not in output


@pytest.fixture
def stack(launch: Callable[..., str]) -> str:
    return launch("--schedule-seconds", "1")


def test_leads_posted_over_http_are_assigned_by_the_schedule(stack: str) -> None:
    # Given the demo tenant (A, B, C at 3:4:5) / When 24 leads arrive through the form endpoint
    ids = []
    for i in range(24):
        status, body = _request(
            f"{stack}/intake/leads",
            "POST",
            {"name": f"Lead {i}", "phone": f"0912{i:06d}"},
            {"X-Form-Key": FORM_KEY},
        )
        assert status == 201, body
        ids.append(body["lead_id"])

    # Then the emulated scheduler assigns every one of them
    def all_assigned() -> bool:
        status, page = _request(f"{stack}/leads?status=pending", headers=ADMIN)
        return status == 200 and not page["items"]

    _until(all_assigned, 60, "the schedule to assign every lead")
    status, page = _request(f"{stack}/leads?limit=200", headers=ADMIN)
    owners = Counter(x["lead"]["owner"] for x in page["items"])
    assert owners == {"A": 6, "B": 8, "C": 10}
    assert {x["lead"]["lead_id"] for x in page["items"]} == set(ids)
    # …and the report agrees
    today = datetime.now(UTC).date()
    since, until = today - timedelta(days=1), today + timedelta(days=1)
    period = f"received_from={since}T00:00:00Z&received_to={until}T00:00:00Z"
    status, report = _request(f"{stack}/reports/distribution?{period}", headers=ADMIN)
    assert status == 200, report
    assert report["leads"] == 24 and report["speed_to_lead"]["leads"] == 24
    (row,) = [r for r in report["rules"] if r["rule_id"] == "web-new-weighted"]
    assert row["assigned"] == 24 and row["max_abs_deviation"] == 0
    assert {s["staff_id"]: s["assigned"] for s in row["staff"]} == {"A": 6, "B": 8, "C": 10}
    # …and the emulated authorizer rejects what API Gateway would
    assert _request(f"{stack}/leads")[0] == 401
    assert _request(f"{stack}/leads", headers={"Authorization": "Bearer forged"})[0] == 401
    assert _request(f"{stack}/no-such-route", headers=ADMIN)[0] == 403


def test_a_busy_port_gives_one_clear_line() -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        process = _start(port)
        output, _ = process.communicate(timeout=60)
    assert process.returncode != 0
    assert f"port {port}" in output and "busy" in output
    assert "Traceback" not in output


def test_a_lead_is_assigned_on_arrival_through_the_emulated_stream(launch: Callable[..., str]) -> None:
    # Given a stack whose schedules would not fire for an hour: only the stream trigger can assign
    url = launch("--schedule-seconds", "3600")
    status, body = _request(
        f"{url}/intake/leads", "POST", {"name": "An", "phone": "0912345678"}, {"X-Form-Key": FORM_KEY}
    )
    assert status == 201

    def assigned() -> bool:
        status: str = _request(f"{url}/leads/{body['lead_id']}", headers=ADMIN)[1]["lead"]["status"]
        return status == "assigned"

    _until(assigned, 20, "the stream-triggered assignment")
    _, detail = _request(f"{url}/leads/{body['lead_id']}", headers=ADMIN)
    assert detail["lead"]["owner"] in {"A", "B", "C"}
    assert [h["action"] for h in detail["history"] if h["type"] == "decision"] == ["assigned"]
