"""No phone, email or name in any X-Ray trace document: every handler runs under the real tracer (a fake
Lambda environment, moto for AWS) and a UDP collector on 127.0.0.1 reads what the SDK sends."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import threading
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tests.support.traced_handlers import ALERT_EMAIL, EMAILS, FAILING, NAMES, PHONE_DIGITS

ROOT = Path(__file__).resolve().parents[2]
HEADER = '{"format":"json","version":1}\n'


class Collector:
    """The X-Ray daemon's UDP side: every datagram received, until closed."""

    def __init__(self) -> None:
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.socket.bind(("127.0.0.1", 0))
        self.socket.settimeout(0.2)
        self.datagrams: list[bytes] = []
        self._open = True
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    @property
    def address(self) -> str:
        host, port = self.socket.getsockname()
        return f"{host}:{port}"

    def _read(self) -> None:
        while self._open:
            try:
                self.datagrams.append(self.socket.recv(65536))
            except TimeoutError:
                continue

    def close(self) -> list[dict[str, Any]]:
        """Stop after what is already queued has been read; the documents, parsed."""
        self._open = False
        self._thread.join()
        self.socket.setblocking(False)
        while True:
            try:
                self.datagrams.append(self.socket.recv(65536))
            except BlockingIOError:
                break
        self.socket.close()
        documents = []
        for datagram in self.datagrams:
            text = datagram.decode("utf-8")
            assert text.startswith(HEADER), text[:80]
            documents.append(json.loads(text[len(HEADER) :]))
        return documents


def _lambda_environment(daemon: str) -> dict[str, str]:
    """A Lambda container's environment as far as Powertools and the X-Ray SDK look: tracing on."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("POWERTOOLS_TRACE", "AWS_ENDPOINT_URL"))}
    env.update(
        LAMBDA_TASK_ROOT=str(ROOT),
        AWS_LAMBDA_FUNCTION_NAME="leadrouter-traced",
        AWS_XRAY_DAEMON_ADDRESS=daemon,
        AWS_XRAY_CONTEXT_MISSING="LOG_ERROR",
        AWS_DEFAULT_REGION="ap-southeast-1",
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        POWERTOOLS_SERVICE_NAME="leadrouter",
        POWERTOOLS_LOG_LEVEL="WARNING",
        PYTHONPATH=os.pathsep.join([str(ROOT / "shared"), str(ROOT)]),
    )
    return env


def _strings(value: Any) -> Iterator[str]:
    """Every string in a document, and in any JSON text it holds (an API answer's body is one)."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, str):
        yield value
        try:
            inner = json.loads(value)
        except ValueError:
            return
        if isinstance(inner, dict | list | str):
            yield from _strings(inner)
    elif value is not None:
        yield str(value)


def _leaks(document: dict[str, Any]) -> set[str]:
    """The personal data found anywhere in a document: a phone's digits in any spelling (E.164,
    national, spaced or dotted), an email or a name (NFC, case-folded)."""
    found: set[str] = set()
    for text in _strings(document):
        digits = re.sub(r"[\s.()+-]", "", text)
        found |= {d for d in PHONE_DIGITS if d in digits}
        folded = unicodedata.normalize("NFC", text).casefold()
        found |= {e for e in (*EMAILS, ALERT_EMAIL) if e in folded}
        found |= {n for n in NAMES if unicodedata.normalize("NFC", n).casefold() in folded}
    return found


def _entities(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [document, *(e for child in document.get("subsegments", []) for e in _entities(child))]


def test_no_trace_document_of_any_handler_holds_a_phone_email_or_name() -> None:
    # Given a collector where the X-Ray daemon would listen, and every function run on leads of known people
    collector = Collector()
    run = subprocess.run(
        [sys.executable, "-m", "tests.support.traced_handlers"],
        cwd=ROOT,
        env=_lambda_environment(collector.address),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    documents = collector.close()
    assert run.returncode == 0, run.stderr[-4000:]
    traces: dict[str, str] = json.loads(run.stdout.strip().splitlines()[-1])

    # Then every scenario's handler sent its trace (the collector really hears the SDK)…
    by_trace: dict[str, list[dict[str, Any]]] = {}
    for document in documents:
        by_trace.setdefault(document["trace_id"], []).append(document)
    for scenario, trace_id in traces.items():
        names = [e["name"] for d in by_trace.get(trace_id, []) for e in _entities(d)]
        assert "## handler" in names, f"{scenario}: no handler subsegment received ({names})"
    # …and no document of any of them holds a phone (any form), an email or a name
    leaks = {
        scenario: sorted({leak for d in by_trace[trace_id] for leak in _leaks(d)})
        for scenario, trace_id in traces.items()
    }
    assert {s: found for s, found in leaks.items() if found} == {}
    # …while the failed invocation still shows as a fault, with the error's type and stack, no message
    (handler,) = [e for d in by_trace[traces[FAILING]] for e in _entities(d) if e["name"] == "## handler"]
    assert handler.get("fault") is True
    (error,) = handler["cause"]["exceptions"]
    assert error["type"] == "BatchProcessingError" and error["stack"]
    exceptions = [
        x for d in documents for e in _entities(d) for x in (e.get("cause") or {}).get("exceptions", [])
    ]
    assert exceptions and not [x for x in exceptions if "message" in x]
