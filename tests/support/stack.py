"""`make run`'s stack as a subprocess, for the tests that drive it over HTTP like a user would."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def request(
    url: str, method: str = "GET", body: Any = None, headers: dict[str, str] | None = None
) -> tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(
        url, data=data, method=method, headers={"Content-Type": "application/json", **(headers or {})}
    )
    try:
        with urllib.request.urlopen(req, timeout=10) as response:
            return int(response.status), json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return int(error.code), json.loads(error.read() or b"null")


def until(condition: Callable[[], bool], seconds: float, what: str) -> None:
    """Poll a condition with a deadline (the stack runs on its own clock; nothing is assumed)."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {seconds} s waiting for {what}")
        time.sleep(0.2)


def start(port: int, *extra: str, data_dir: Path | None = None) -> subprocess.Popen[str]:
    """``python -m leadrouter_local.runner`` on ``port`` (in memory, or keeping its data in
    ``data_dir``), with none of this process's tables."""
    env = {**os.environ, "PYTHONPATH": f"{ROOT / 'shared'}:{ROOT}"}
    for var in (
        "AWS_ENDPOINT_URL_DYNAMODB",
        "LEADS_TABLE",
        "CONFIG_TABLE",
        "EVENTS_TABLE",
        "SUBMISSIONS_TABLE",
    ):
        env.pop(var, None)
    storage = ["--data-dir", str(data_dir)] if data_dir is not None else ["--in-memory"]
    process = subprocess.Popen(
        [sys.executable, "-m", "leadrouter_local.runner", *storage, "--port", str(port), *extra],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    _CONSOLES[process.pid] = _Console(process)
    return process


class _Console:
    """Reads what the stack prints as it prints it. A full pipe would block the stack's request
    threads on their log lines (a fuzzing run prints thousands) until the test stops it."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.lines: list[str] = []
        self._thread = threading.Thread(target=self._read, args=(process,), daemon=True)
        self._thread.start()

    def _read(self, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            self.lines.append(line)

    def text(self, wait: float = 0) -> str:
        self._thread.join(wait)
        return "".join(self.lines)


_CONSOLES: dict[int, _Console] = {}


def wait_ready(process: subprocess.Popen[str], url: str) -> None:
    def ready() -> bool:
        if process.poll() is not None:
            pytest.fail(f"stack exited early: {_CONSOLES[process.pid].text(wait=5)}")
        try:
            return request(f"{url}/openapi.json")[0] == 200
        except OSError:
            return False

    until(ready, 60, "the local stack to answer")


def stop(process: subprocess.Popen[str], stop_signal: int = signal.SIGINT) -> str:
    """Stop it as Ctrl-C would; it must exit cleanly. Returns everything it printed."""
    process.send_signal(stop_signal)
    process.wait(timeout=30)
    output = console(process)
    assert process.returncode == 0, output
    assert "stopped." in output and "Traceback" not in output, output
    return output


def console(process: subprocess.Popen[str]) -> str:
    """Everything a stack that has exited printed (its stdout is read as it prints: see ``_Console``)."""
    return _CONSOLES.pop(process.pid).text(wait=10)
