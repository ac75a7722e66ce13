"""No phone, email or name in any X-Ray trace document: every handler runs under the real tracer (a fake
Lambda environment, moto for AWS) and a UDP collector on 127.0.0.1 reads what the SDK sends."""

from __future__ import annotations

import ast
import io
import json
import logging
import os
import re
import socket
import subprocess
import sys
import threading
import traceback
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from leadrouter.data.repository import Repository
from leadrouter.observability import logger
from leadrouter.xray import FaultsWithoutMessages
from leadrouter_local.template import load_template
from tests.support.api import ADMIN, CRM, add_form_source, call, event
from tests.support.traced_handlers import ALERT_EMAIL, EMAILS, FAILING, NAMES, PHONE_DIGITS, PHONES_SENT

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
        for _ in range(2):  # \\u escapes of JSON, and of JSON in a bytes repr (a logged request body)
            if "\\u" in text:
                text += " " + text.encode("ascii", "backslashreplace").decode("unicode_escape")
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


#: Where the deployed code lives; every Python file under them is checked.
CODE = ("functions", "shared", "leadrouter_local")
CAPTURES = {"capture_lambda_handler", "capture_method"}
#: Trace calls that record a value; none may be added without deciding it holds no personal data.
RECORDERS = {"put_metadata", "put_annotation"}


def _trace_findings(source: str, where: str) -> list[str]:
    """Every capture that would record an answer or an error object, and every metadata/annotation."""
    tree = ast.parse(source)
    safe_captures: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in CAPTURES:
            off = {
                k.arg for k in node.keywords if isinstance(k.value, ast.Constant) and k.value.value is False
            }
            if {"capture_response", "capture_error"} <= off:
                safe_captures.add(id(node.func))
    return [
        f"{where}:{node.lineno}: {node.attr}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and ((node.attr in CAPTURES and id(node) not in safe_captures) or node.attr in RECORDERS)
    ]


def test_no_capture_in_the_code_base_records_answers_or_errors() -> None:
    # Given every Python file of the deployed code
    files = [f for folder in CODE for f in sorted((ROOT / folder).rglob("*.py"))]
    assert any(f.parent.name == "api" and f.name == "app.py" for f in files)
    # Then each handler or method capture turns both recordings off, and nothing adds metadata
    found = [x for f in files for x in _trace_findings(f.read_text("utf-8"), str(f.relative_to(ROOT)))]
    assert found == []
    # …and the check does see the captures that would record (so it can fail)
    for unsafe in (
        "@tracer.capture_lambda_handler\ndef handler(event, context): ...",
        "@tracer.capture_method(capture_response=False)\ndef load(): ...",
        "tracer.capture_lambda_handler(capture_response=False, capture_error=0)(handler)",
        "tracer.put_metadata('lead', lead)",
    ):
        assert _trace_findings(unsafe, "example"), unsafe


def test_the_template_turns_response_and_error_capture_off_for_every_function() -> None:
    template = load_template()
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    assert variables["POWERTOOLS_TRACER_CAPTURE_RESPONSE"] == "false"
    assert variables["POWERTOOLS_TRACER_CAPTURE_ERROR"] == "false"
    overridden = {
        (lid, key): value
        for lid, resource in template["Resources"].items()
        if resource["Type"] == "AWS::Serverless::Function"
        for key, value in (resource["Properties"].get("Environment") or {}).get("Variables", {}).items()
        if key.startswith("POWERTOOLS_TRACE")
    }
    assert overridden == {}


def test_an_error_reaches_the_trace_as_a_fault_without_its_message() -> None:
    from aws_xray_sdk.core.models.segment import Segment
    from aws_xray_sdk.core.models.subsegment import Subsegment

    collector = Collector()
    # Given a handler's subsegment, and a call in it, that failed with messages quoting a phone and an email
    segment = Segment("leadrouter", traceid="1-6b15e2d8-edd473b6a84710e8fde7f0fa")
    handler, call = Subsegment("## handler", "local", segment), Subsegment("dynamodb", "aws", segment)
    handler.add_subsegment(call)
    for entity, error in ((call, KeyError(EMAILS[0])), (handler, ValueError(f"bad phone {PHONES_SENT[0]}"))):
        with pytest.raises(type(error)) as raised:
            raise error
        entity.add_exception(raised.value, traceback.extract_tb(raised.tb))
    # When the emitter sends it
    FaultsWithoutMessages(collector.address).send_entity(handler)
    (document,) = collector.close()
    # Then each fault is there with the error's type and stack, and no message
    assert [e["name"] for e in _entities(document)] == ["## handler", "dynamodb"]
    for entity, kind in zip(_entities(document), ("ValueError", "KeyError"), strict=True):
        (error_entry,) = entity["cause"]["exceptions"]
        assert entity["fault"] is True and error_entry["type"] == kind and error_entry["stack"]
        assert "message" not in error_entry
    assert _leaks(document) == set()


def test_at_log_level_debug_no_library_logs_a_leads_contact(
    moto_repo: Repository, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a function deployed with LogLevel DEBUG: Lambda sets the root logger to DEBUG (and our own)
    caplog.set_level("DEBUG")
    app_level = logger.log_level
    logger.setLevel("DEBUG")
    # (our logger's handler keeps the stream it was made with: read it here, whatever test made it)
    handler = logger.registered_handler
    assert isinstance(handler, logging.StreamHandler)
    ours = io.StringIO()
    stream = handler.setStream(ours)
    add_form_source(moto_repo)
    try:
        # When a lead arrives by its form and an admin reads it
        body = {"name": NAMES[0], "phone": PHONES_SENT[0], "email": EMAILS[0]}
        reply = call(event("POST", "/intake/leads", body, headers=CRM))
        assert reply.status == 201
        assert call(event("GET", f"/leads/{reply.body['lead_id']}", claims=ADMIN)).status == 200
    finally:
        logger.setLevel(app_level)
        if stream is not None:
            handler.setStream(stream)
    # Then the logs held something, and neither the libraries' nor ours hold the phone, email or name
    logs = caplog.text + capsys.readouterr().out + ours.getvalue()
    assert "submission" in logs
    assert _leaks({"logs": logs.splitlines()}) == set()
