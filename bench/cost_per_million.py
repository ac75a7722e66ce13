"""Cost per million leads, measured: a lead's whole life on the local stack, priced per region.

    PYTHONPATH=shared:. .venv/bin/python bench/cost_per_million.py                 # 30 leads, both regions
    PYTHONPATH=shared:. .venv/bin/python bench/cost_per_million.py --leads 100 --leads-per-month 3e6

``make run``'s stack (DynamoDB Local, the emulated SQS / EventBridge / Scheduler / streams, every handler
in this process) takes plain HTML form POSTs (``/f/{form_key}``, urlencoded, as a browser sends them)
one at a time; the demo rule assigns each on arrival (stream → AssignFunction), PublishFunction puts
LeadReceived and LeadAssigned on the bus, the bus's rule sends both to the webhook queue, the fan-out
queues one delivery (one webhook, subscribed to LeadAssigned) and the delivery function POSTs it to a
receiver here. Each lead is followed until its webhook arrived and the stack is quiet again. Then one
assign tick and one reclaim tick run (the scheduled invocation, its 16 shard orders, their checks).

What is counted, in the functions' own calls (the emulators' own bookkeeping is not):
* DynamoDB: every request carries ``ReturnConsumedCapacity=INDEXES`` (botocore's one call path is
  wrapped, as in ``bench/intake_cost.py``); a conditional write refused is charged 1 WRU;
* Lambda: invocations and each handler's wall time in this process (local times stand in for AWS's),
  billed per started ms at each function's MemorySize from template.yaml (arm64); and a second figure
  that stretches each invocation's CPU time by the vCPU share of its memory (1,769 MB = one vCPU);
* SQS: the functions' requests (64 KB chunks), the bus rule's sends, and the event source mapping's
  requests: one ReceiveMessage and one DeleteMessageBatch per batch (at this volume a batch holds one
  message), plus its idle long polls (5 pollers × one 20-s poll each, per queue, all month);
* EventBridge: entries put (64 KB chunks); delivery of a custom event to an SQS target is not charged;
* CloudWatch Logs: the bytes of every line the handlers write (Powertools JSON at the template's
  LogLevel, EMF blobs) + 26 B per event, and API Gateway's access-log line (the template's format);
  Lambda's START/END/REPORT lines are off (SystemLogLevel WARN);
* CloudWatch metrics: the distinct EMF metrics emitted, and API Gateway's detailed metrics of the form
  route (MetricsEnabled), at $/metric-month spread over ``--leads-per-month``; alarms and dashboards
  of the template, monthly;
* X-Ray (when the stack's Tracing parameter is Active; it ships off): one trace per API request and
  per stream-triggered invocation (SQS and the bus carry the trace header on), recorded at the default
  rule's share (1 a second + 5 %) for leads spread evenly over the month;
* DynamoDB Streams reads are free for Lambda triggers; event filtering is not charged.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, TextIO
from unittest.mock import patch
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "shared"), str(ROOT)]

import botocore.client  # noqa: E402
import botocore.exceptions  # noqa: E402

from bench.cost_model import (  # noqa: E402
    LOG_EVENT_OVERHEAD_BYTES,
    SECONDS_PER_MONTH,
    Bill,
    Line,
    Price,
    chunks,
    gb_seconds,
    load_prices,
    per_lead,
    price,
    sampled_share,
)
from bench.stack_http import ADMIN, free_port, lift_demo_limits, request  # noqa: E402
from leadrouter_local.demo_data import FORM_KEY  # noqa: E402
from leadrouter_local.eventbridge import EventBridge  # noqa: E402
from leadrouter_local.lambda_runtime import Functions  # noqa: E402
from leadrouter_local.runner import Stack, running  # noqa: E402
from leadrouter_local.scheduler import scheduler_input, schedules  # noqa: E402
from leadrouter_local.sqs_pollers import SqsPoller, SqsTrigger, sqs_triggers  # noqa: E402
from leadrouter_local.template import load_template  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "cost_per_million.json"
GOAL_USD = 8.0
WRITES = frozenset({"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"})
READS = frozenset({"GetItem", "Query", "Scan", "BatchGetItem", "TransactGetItems"})
#: One vCPU per 1,769 MB of Lambda memory (AWS's figure); less memory gets that share of one.
FULL_VCPU_MB = 1769
#: Lambda's SQS event source mapping keeps 5 long-polling connections per queue while idle.
ESM_POLLERS = 5
ESM_WAIT_SECONDS = 20
#: A response's and a webhook POST's headers, roughly (bodies are measured).
HEADER_BYTES = 400
#: API Gateway's detailed metrics per resource and method (Count, 4XXError, 5XXError, Latency,
#: IntegrationLatency).
APIGW_DETAILED_METRICS = 5
#: What a deployed function's log line carries beyond the local one: ``xray_trace_id`` (~52
#: characters), always present in Lambda's environment whether or not the stack traces. The function's
#: name, ARN and memory are not written (``observability.LambdaLines``); EMF blobs carry none of these.
AWS_LOG_LINE_EXTRA_BYTES = 52
#: The signing secret is opened once per container per this many seconds (data/secrets.OPENED_TTL).
KMS_OPENED_TTL = 300


# ---------------------------------------------------------------------------------------- the meter
@dataclass
class Tally:
    """What the functions did while the tally was open."""

    invocations: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    wall_ms: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    cpu_ms: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    #: Invocations that start a trace: an API request, a stream batch, a scheduled tick.
    roots: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    wru: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    rru: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    refused_writes: int = 0
    ddb_calls: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    ddb_units: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    sqs: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    events_put: int = 0
    kms_requests: int = 0
    other_calls: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    log_bytes: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    log_events: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    emf_bytes: int = 0
    emf_events: int = 0
    metrics: set[tuple[str, str, str]] = field(default_factory=set)
    #: The first line each function wrote (and the first EMF blob), to see what the bytes are.
    samples: dict[str, str] = field(default_factory=dict)


class Meter:
    """Wraps the handlers, botocore's call path, the emulated bus's SQS targets, the SQS pollers and
    the functions' output, and adds what each did to the open tally (nothing outside invocations)."""

    def __init__(self) -> None:
        self.tally = Tally()
        self._lock = threading.Lock()
        self._local = threading.local()
        self.in_flight = 0
        self.last_end = time.monotonic()

    def owner(self) -> str | None:
        found: str | None = getattr(self._local, "function", None)
        return found

    @contextmanager
    def installed(self, out: TextIO) -> Iterator[Meter]:
        with ExitStack() as stack:
            stack.enter_context(patch.object(Functions, "handler", self._wrap_handler(Functions.handler)))
            real_call = botocore.client.BaseClient._make_api_call
            stack.enter_context(
                patch.object(botocore.client.BaseClient, "_make_api_call", self._wrap_call(real_call))
            )
            stack.enter_context(
                patch.object(EventBridge, "_deliver", self._wrap_deliver(EventBridge._deliver))
            )
            stack.enter_context(patch.object(SqsPoller, "_run", self._wrap_poller(SqsPoller._run)))
            stack.enter_context(
                patch.object(ThreadPoolExecutor, "submit", self._wrap_submit(ThreadPoolExecutor.submit))
            )
            sink = _Sink(self, out)
            stack.enter_context(patch.object(sys, "stdout", sink))
            from leadrouter.observability import logger

            handler = logger.registered_handler
            stream = handler.setStream(sink)  # type: ignore[attr-defined]
            stack.callback(handler.setStream, stream)  # type: ignore[attr-defined]
            yield self

    @contextmanager
    def measuring(self) -> Iterator[Tally]:
        with self._lock:
            self.tally = Tally()
        try:
            yield self.tally
        finally:
            with self._lock:
                self.tally = Tally()  # what runs in between is not counted

    # -- the handlers: time, owner of this thread (and of its pool threads), trace roots
    def _wrap_handler(self, real: Callable[[Functions, str], Any]) -> Callable[[Functions, str], Any]:
        meter = self

        def handler(functions: Functions, logical_id: str) -> Any:
            inner = real(functions, logical_id)

            def timed(event: dict[str, Any], context: Any) -> Any:
                meter._local.function = logical_id
                with meter._lock:
                    meter.in_flight += 1
                wall, cpu = time.perf_counter(), time.thread_time()
                try:
                    return inner(event, context)
                finally:
                    wall_ms = (time.perf_counter() - wall) * 1000
                    cpu_ms = (time.thread_time() - cpu) * 1000
                    meter._local.function = None
                    with meter._lock:
                        tally = meter.tally
                        tally.invocations[logical_id] += 1
                        tally.wall_ms[logical_id].append(wall_ms)
                        tally.cpu_ms[logical_id].append(cpu_ms)
                        if _starts_trace(event):
                            tally.roots[logical_id] += 1
                        meter.in_flight -= 1
                        meter.last_end = time.monotonic()

            return timed

        return handler

    def _wrap_submit(self, real: Callable[..., Any]) -> Callable[..., Any]:
        meter = self

        def submit(pool: ThreadPoolExecutor, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
            owner = meter.owner()

            def run(*a: Any, **k: Any) -> Any:
                meter._local.function = owner
                try:
                    return fn(*a, **k)
                finally:
                    meter._local.function = None

            return real(pool, run, *args, **kwargs)

        return submit

    # -- AWS calls made by a function
    def _wrap_call(self, real: Callable[..., Any]) -> Callable[..., Any]:
        meter = self

        def call(client: Any, operation: str, params: dict[str, Any]) -> Any:
            owner = meter.owner()
            service = client.meta.service_model.service_name
            if owner is None:
                return real(client, operation, params)
            if service == "dynamodb" and operation in WRITES | READS:
                return meter._dynamodb(lambda p: real(client, operation, p), operation, params)
            with meter._lock:
                tally = meter.tally
                if service == "sqs":
                    tally.sqs[f"{operation} (by a function)"] += chunks(_sqs_bytes(operation, params))
                elif service == "events" and operation == "PutEvents":
                    tally.events_put += sum(chunks(_entry_bytes(e)) for e in params.get("Entries", []))
                elif service == "kms":
                    tally.kms_requests += 1
                else:
                    tally.other_calls[f"{service}.{operation}"] += 1
            return real(client, operation, params)

        return call

    def _dynamodb(self, send: Callable[[dict[str, Any]], Any], operation: str, params: dict[str, Any]) -> Any:
        try:
            response = send({**params, "ReturnConsumedCapacity": "INDEXES"})
        except botocore.exceptions.ClientError as error:
            refused = operation in WRITES and not error.response.get("ConsumedCapacity")
            with self._lock:
                self.tally.ddb_calls[operation] += 1
                self.tally.refused_writes += int(refused)
            raise
        consumed = response.get("ConsumedCapacity") or []
        with self._lock:
            tally = self.tally
            tally.ddb_calls[operation] += 1
            units = tally.wru if operation in WRITES else tally.rru
            for entry in consumed if isinstance(consumed, list) else [consumed]:
                table = _table_of(entry["TableName"])
                units[table] += float(entry.get("CapacityUnits", 0.0))
                tally.ddb_units[f"{operation} {table}"] += float(entry.get("CapacityUnits", 0.0))
        return response

    # -- SQS requests nobody's code makes: the bus rule's sends, Lambda's pollers
    def _wrap_deliver(self, real: Callable[..., None]) -> Callable[..., None]:
        meter = self

        def deliver(bus: EventBridge, rule: Any, target: Any, event: dict[str, Any]) -> None:
            if ":sqs:" in target.arn:
                with meter._lock:
                    meter.tally.sqs["SendMessage (bus rule → queue)"] += chunks(
                        len(json.dumps(event).encode())
                    )
            real(bus, rule, target, event)

        return deliver

    def _wrap_poller(self, real: Callable[..., None]) -> Callable[..., None]:
        meter = self

        def run(poller: SqsPoller, trigger: SqsTrigger, url: str, arn: str, batch: list[Any]) -> None:
            size = sum(len(m.body.encode()) for m in batch)
            with meter._lock:
                meter.tally.sqs["ReceiveMessage (event source mapping)"] += chunks(size)
                meter.tally.sqs["DeleteMessageBatch (event source mapping)"] += 1
            real(poller, trigger, url, arn, batch)

        return run

    # -- what a function writes to stdout (log lines, EMF)
    def wrote(self, owner: str, line: str) -> None:
        size = len(line.encode()) + 1
        with self._lock:
            tally = self.tally
            tally.samples.setdefault("EMF" if line.startswith('{"_aws"') else owner, line)
            if line.startswith('{"_aws"'):
                tally.emf_bytes += size
                tally.emf_events += 1
                tally.metrics.update(_emf_metrics(line))
            else:
                tally.log_bytes[owner] += size
                tally.log_events[owner] += 1

    def quiet(self, seconds: float) -> bool:
        with self._lock:
            return self.in_flight == 0 and time.monotonic() - self.last_end >= seconds


class _Sink:
    """Stands for stdout: a function's lines go to the meter (per thread, whole lines), others out."""

    def __init__(self, meter: Meter, out: TextIO) -> None:
        self._meter = meter
        self._out = out
        self._pending = threading.local()

    def write(self, text: str) -> int:
        owner = self._meter.owner()
        if owner is None:
            return self._out.write(text)
        buffered = getattr(self._pending, "text", "") + text
        *lines, rest = buffered.split("\n")
        self._pending.text = rest
        for line in lines:
            if line:
                self._meter.wrote(owner, line)
        return len(text)

    def flush(self) -> None:
        self._out.flush()


def _starts_trace(event: dict[str, Any]) -> bool:
    records = event.get("Records") if isinstance(event, dict) else None
    if not records:
        return True  # an API request (API Gateway starts the trace) or a scheduled invocation
    return bool(records[0].get("eventSource") == "aws:dynamodb")  # SQS continues its sender's trace


def _table_of(name: str) -> str:
    return str(name).rsplit("-", 1)[-1]


def _sqs_bytes(operation: str, params: dict[str, Any]) -> int:
    if operation == "SendMessage":
        return len(str(params.get("MessageBody", "")).encode()) + len(
            json.dumps(params.get("MessageAttributes", {}))
        )
    if operation == "SendMessageBatch":
        return sum(len(str(e.get("MessageBody", "")).encode()) for e in params.get("Entries", []))
    return 0


def _entry_bytes(entry: dict[str, Any]) -> int:
    """EventBridge sizes an entry by its Time, Source, DetailType, Detail and Resources."""
    return sum(len(str(entry.get(k, "")).encode()) for k in ("Time", "Source", "DetailType", "Detail")) + sum(
        len(r.encode()) for r in entry.get("Resources", [])
    )


def _emf_metrics(line: str) -> set[tuple[str, str, str]]:
    blob = json.loads(line)
    found: set[tuple[str, str, str]] = set()
    for directive in blob["_aws"]["CloudWatchMetrics"]:
        for dimension_set in directive.get("Dimensions") or [[]]:
            dims = ",".join(f"{d}={blob.get(d)}" for d in dimension_set)
            for metric in directive["Metrics"]:
                found.add((directive["Namespace"], metric["Name"], dims))
    return found


# -------------------------------------------------------------------------------- the webhook receiver
class _Receiver:
    """Answers every POST 200 and keeps the bodies' sizes (the customer's endpoint)."""

    def __init__(self) -> None:
        self.bodies: list[int] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.bodies.append(len(body))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.port = free_port()
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, name="webhook-endpoint", daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# ----------------------------------------------------------------------------------------- the run
@dataclass
class Measured:
    leads: int
    life: Tally
    ticks: dict[str, Tally]
    response_bytes: int
    webhook_bytes: int
    wall_seconds: float
    #: Bytes a lead keeps in the leads table (items and their owner_idle copies), which has no TTL.
    stored_bytes: float = 0.0


def _wait(condition: Callable[[], bool], what: str, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"gave up waiting for {what}")
        time.sleep(0.02)


def _post_lead(stack: Stack, n: int) -> int:
    body = urlencode({"ho_ten": "Nguyễn Thị Ánh", "so_dien_thoai": f"098{n:07d}"}).encode()
    status, raw = request(
        stack.url,
        "POST",
        f"/f/{FORM_KEY}",
        body,
        {"Content-Type": "application/x-www-form-urlencoded", "Accept": "text/html,*/*;q=0.8"},
    )
    if status != 303:
        raise SystemExit(f"form POST answered {status}: {raw[:300]!r}")
    return len(raw)


def _life_of(stack: Stack, meter: Meter, receiver: _Receiver, first: int, count: int) -> int:
    """Posts ``count`` leads one at a time, each followed to its webhook and a quiet stack."""
    answered = 0
    for n in range(first, first + count):
        delivered = len(receiver.bodies)
        answered += _post_lead(stack, n)
        _wait(lambda d=delivered: len(receiver.bodies) > d, f"lead {n}'s webhook")  # type: ignore[misc]
        _wait(lambda: meter.quiet(0.6), "a quiet stack")
    return answered


def _tick(stack: Stack, meter: Meter, template: dict[str, Any], action: str) -> None:
    (schedule,) = [s for s in schedules(template) if s.input.get("action") == action]
    assert stack.functions is not None
    stack.functions.invoke(schedule.function, scheduler_input(schedule.input, datetime.now(UTC)))
    time.sleep(0.3)
    _wait(lambda: meter.quiet(1.0), f"the {action} tick's shards")


def measure(leads: int, warm: int) -> Measured:
    template = load_template()
    receiver = _Receiver()
    meter = Meter()
    started = time.monotonic()
    real_stdout = sys.stdout
    try:
        with running(
            port=free_port(), data_dir=None, schedule_seconds=3600, quiet=True, log=lambda _: None
        ) as stack:
            lift_demo_limits(stack.url)
            hook = {"url": f"http://127.0.0.1:{receiver.port}/", "event_types": ["LeadAssigned"]}
            status, raw = request(stack.url, "POST", "/webhooks", json.dumps(hook).encode(), ADMIN)
            assert status == 201, raw
            _at_template_levels(template)
            with meter.installed(real_stdout):
                _life_of(stack, meter, receiver, 0, warm)  # cold imports and first reads, uncounted
                hooks_before = len(receiver.bodies)
                with meter.measuring() as life:
                    answered = _life_of(stack, meter, receiver, warm, leads)
                webhook_bytes = sum(receiver.bodies[hooks_before:])
                stored = _leads_table_bytes(stack) / (warm + leads)
                ticks: dict[str, Tally] = {}
                for action in ("assign", "reclaim"):
                    _tick(stack, meter, template, action)  # the first of each warms its shards up
                    with meter.measuring() as tick:
                        _tick(stack, meter, template, action)
                    ticks[action] = tick
    finally:
        receiver.stop()
    return Measured(leads, life, ticks, answered, webhook_bytes, time.monotonic() - started, stored)


def _leads_table_bytes(stack: Stack) -> float:
    """The leads table's size as DynamoDB bills it: items and their owner_idle copies."""
    client = stack.ddb.client()
    total = 0.0
    pages = client.get_paginator("scan").paginate(TableName=stack.tables["LeadsTable"])
    for page in pages:
        for item in page["Items"]:
            total += _item_bytes(item) + 100  # DynamoDB counts 100 B of overhead per item
            if "owner_key" in item:  # its owner_idle copy: keys, two attributes and the overhead
                total += 100 + sum(
                    _item_bytes({k: item[k]})
                    for k in ("tenant_id", "lead_id", "owner_key", "idle_since", "assigned_at", "idle_scope")
                    if k in item
                )
    return total


def _item_bytes(value: dict[str, Any]) -> float:
    """DynamoDB's item size: attribute names and values (numbers ~1 B per 2 digits, +3 B per map/list)."""
    size = 0.0
    for name, attribute in value.items():
        size += len(name.encode()) + _value_bytes(attribute)
    return size


def _value_bytes(attribute: dict[str, Any]) -> float:
    ((kind, raw),) = attribute.items()
    if kind == "S":
        return len(str(raw).encode())
    if kind == "N":
        return len(str(raw)) / 2 + 1
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "M":
        return 3 + sum(len(k.encode()) + _value_bytes(v) + 1 for k, v in raw.items())
    if kind == "L":
        return 3 + sum(_value_bytes(v) + 1 for v in raw)
    if kind in ("SS", "NS", "BS"):
        return sum(len(str(v)) for v in raw)
    return len(str(raw))


def _at_template_levels(template: dict[str, Any]) -> None:
    """Logs as on AWS: the deployed JSON lines at the template's LogLevel, EMF metrics on."""
    from leadrouter.observability import LambdaLines, logger

    level = template["Parameters"]["LogLevel"]["Default"]
    logger.setLevel("WARNING" if level == "WARN" else level)
    formatter = LambdaLines()
    formatter.append_keys(service=os.environ.get("POWERTOOLS_SERVICE_NAME", "leadrouter"))
    logger.registered_handler.setFormatter(formatter)
    os.environ["POWERTOOLS_METRICS_DISABLED"] = "false"


# --------------------------------------------------------------------------------------- the model
@dataclass(frozen=True)
class Assumptions:
    leads_per_month: float
    endpoint_ms: float  # added to each webhook delivery's duration (a customer's endpoint)


def _memory(template: dict[str, Any]) -> dict[str, int]:
    default = int(template.get("Globals", {}).get("Function", {}).get("MemorySize", 128))
    return {
        lid: int(res.get("Properties", {}).get("MemorySize", default))
        for lid, res in template["Resources"].items()
        if res.get("Type") == "AWS::Serverless::Function"
    }


def _tracing(template: dict[str, Any]) -> bool:
    """Whether functions trace as deployed with the template's defaults (a ``!Ref`` takes the parameter's)."""
    mode = template.get("Globals", {}).get("Function", {}).get("Tracing", "PassThrough")
    if isinstance(mode, dict) and "Ref" in mode:
        mode = template.get("Parameters", {}).get(mode["Ref"], {}).get("Default", "PassThrough")
    return str(mode) == "Active"


def _resources(template: dict[str, Any], kind: str) -> dict[str, Any]:
    return {lid: r for lid, r in template["Resources"].items() if r.get("Type") == kind}


def _api_kind(template: dict[str, Any]) -> str:
    if _resources(template, "AWS::Serverless::HttpApi") or _resources(template, "AWS::ApiGatewayV2::Api"):
        return "http"
    return "rest"


def _access_log_bytes(template: dict[str, Any]) -> int:
    """One access-log line of the form route, the template's format with typical values."""
    typical = {
        "requestId": "c0ffee00-1234-4abc-9def-0123456789ab",
        "requestTimeEpoch": "1765100000000",
        "identity.sourceIp": "203.113.152.41",
        "httpMethod": "POST",
        "resourcePath": "/f/{form_key}",
        "status": "303",
        "responseLength": "0",
        "responseLatency": "85",
        "integration.latency": "80",
        "xrayTraceId": "Root=1-6750a1b2-0123456789abcdef01234567",
    }
    total = 0
    for api in _resources(template, "AWS::Serverless::Api").values():
        fmt = (api["Properties"].get("AccessLogSetting") or {}).get("Format")
        if fmt:
            line = re.sub(r"\$context\.([A-Za-z.]+)", lambda m: typical.get(m.group(1), "-"), fmt)
            total += len(line.encode()) + 1
    return total


def _detailed_api_metrics(template: dict[str, Any]) -> int:
    for api in _resources(template, "AWS::Serverless::Api").values():
        if any(s.get("MetricsEnabled") for s in api["Properties"].get("MethodSettings") or []):
            return APIGW_DETAILED_METRICS  # the one resource and method a lead comes through
    return 0


def _waf(template: dict[str, Any]) -> tuple[int, int]:
    acls = _resources(template, "AWS::WAFv2::WebACL")
    return len(acls), sum(len(a["Properties"].get("Rules") or []) for a in acls.values())


def _snapstart(template: dict[str, Any]) -> list[str]:
    globals_ = template.get("Globals", {}).get("Function", {}).get("SnapStart")
    return [
        lid
        for lid, res in _resources(template, "AWS::Serverless::Function").items()
        if (res.get("Properties", {}).get("SnapStart") or globals_ or {}).get("ApplyOn")
        == "PublishedVersions"
    ]


def lines_of(
    measured: Measured, template: dict[str, Any], assume: Assumptions, stretch_cpu: bool
) -> list[Line]:
    """Everything billed, per lead: the lead's own life, and the month's fixed work over its leads."""
    n = measured.leads
    month = assume.leads_per_month
    life = measured.life
    ticks_per_month = {s.input.get("action"): SECONDS_PER_MONTH / s.seconds for s in schedules(template)}
    memory = _memory(template)
    out: list[Line] = []

    def lead(service: str, item: str, units: float, key: str) -> None:
        out.append(Line(service, item, units, key))

    def monthly(service: str, item: str, units_a_month: float, key: str) -> None:
        out.append(Line(service, item, per_lead(units_a_month, month), key, fixed=True))

    def ticks(of: Callable[[Tally], float]) -> float:
        """A tick quantity a month: each action's tick × its ticks a month."""
        return sum(of(t) * ticks_per_month[a] for a, t in measured.ticks.items())

    def gbs(tally: Tally, lid: str) -> float:
        mb, total = memory[lid], 0.0
        for wall, cpu in zip(tally.wall_ms[lid], tally.cpu_ms[lid], strict=True):
            ms = wall + (cpu * (FULL_VCPU_MB / mb - 1) if stretch_cpu and mb < FULL_VCPU_MB else 0.0)
            total += gb_seconds(ms + (assume.endpoint_ms if lid == "WebhookDeliveryFunction" else 0.0), mb)
        return total

    # DynamoDB (on-demand; stream reads by Lambda triggers are free)
    for table in sorted(set(life.wru) | set(life.rru)):
        lead("DynamoDB", f"write units, {table}", life.wru.get(table, 0.0) / n, "dynamodb_write_request_unit")
        lead("DynamoDB", f"read units, {table}", life.rru.get(table, 0.0) / n, "dynamodb_read_request_unit")
    lead(
        "DynamoDB",
        "refused conditional writes (1 WRU each)",
        life.refused_writes / n,
        "dynamodb_write_request_unit",
    )
    monthly(
        "DynamoDB",
        "write units of the ticks",
        ticks(lambda t: sum(t.wru.values()) + t.refused_writes),
        "dynamodb_write_request_unit",
    )
    monthly(
        "DynamoDB",
        "read units of the ticks",
        ticks(lambda t: sum(t.rru.values())),
        "dynamodb_read_request_unit",
    )

    # Lambda (arm64, each function's MemorySize)
    for lid in sorted(life.invocations):
        lead("Lambda", f"invocations, {lid}", life.invocations[lid] / n, "lambda_request")
        lead("Lambda", f"GB-s, {lid} @ {memory[lid]} MB", gbs(life, lid) / n, "lambda_arm64_gb_second")
    monthly(
        "Lambda", "invocations of the ticks", ticks(lambda t: sum(t.invocations.values())), "lambda_request"
    )
    monthly(
        "Lambda",
        "GB-s of the ticks",
        ticks(lambda t: sum(gbs(t, lid) for lid in t.invocations)),
        "lambda_arm64_gb_second",
    )
    for lid in _snapstart(template):
        monthly(
            "Lambda",
            f"SnapStart snapshot cached, {lid}",
            memory[lid] / 1024 * SECONDS_PER_MONTH,
            "lambda_snapstart_cache_gb_second",
        )

    # API Gateway and its firewall
    api_requests = life.invocations.get("ApiFunction", 0) / n
    kind = _api_kind(template)
    lead("API Gateway", f"{kind.upper()} API requests", api_requests, f"apigateway_{kind}_request")
    acls, rules = _waf(template)
    if acls:
        lead("WAF", "requests inspected", api_requests, "waf_request")
        monthly("WAF", f"{acls} web ACL", acls, "waf_web_acl_month")
        monthly("WAF", f"{rules} rules", rules, "waf_rule_month")

    # EventBridge and Scheduler
    lead("EventBridge", "custom events put (64 KB chunks)", life.events_put / n, "eventbridge_custom_event")
    monthly(
        "EventBridge",
        "custom events put by the ticks",
        ticks(lambda t: t.events_put),
        "eventbridge_custom_event",
    )
    monthly(
        "Scheduler",
        f"{len(ticks_per_month)} schedules at rate(1 minute)",
        sum(ticks_per_month.values()),
        "scheduler_invocation",
    )

    # SQS (standard queues, 64 KB chunks)
    for what in sorted(life.sqs):
        lead("SQS", what, life.sqs[what] / n, "sqs_standard_request")
    monthly("SQS", "requests of the ticks", ticks(lambda t: sum(t.sqs.values())), "sqs_standard_request")
    queues = len(sqs_triggers(template))
    idle = queues * ESM_POLLERS * SECONDS_PER_MONTH / ESM_WAIT_SECONDS
    monthly("SQS", f"idle long polls, {queues} queues × {ESM_POLLERS} pollers", idle, "sqs_standard_request")

    # CloudWatch
    def ingested(t: Tally) -> float:
        lines = sum(t.log_events.values())
        events = lines + t.emf_events
        return (
            sum(t.log_bytes.values())
            + AWS_LOG_LINE_EXTRA_BYTES * lines
            + t.emf_bytes
            + LOG_EVENT_OVERHEAD_BYTES * events
        )

    lead_bytes = ingested(life) / n + _access_log_bytes(template) * api_requests
    lead(
        "CloudWatch",
        "log ingestion, GB (lines, EMF, access log)",
        lead_bytes / 1e9,
        "cloudwatch_logs_ingestion_gb",
    )
    lead(
        "CloudWatch",
        "log storage, GB-month (30 days, uncompressed: an upper bound)",
        lead_bytes / 1e9,
        "cloudwatch_logs_storage_gb_month",
    )
    monthly(
        "CloudWatch", "log ingestion of the ticks, GB", ticks(ingested) / 1e9, "cloudwatch_logs_ingestion_gb"
    )
    emitted = len(life.metrics.union(*(t.metrics for t in measured.ticks.values())))
    api_metrics = _detailed_api_metrics(template)
    monthly(
        "CloudWatch",
        f"{emitted} EMF metrics + {api_metrics} API Gateway detailed",
        emitted + api_metrics,
        "cloudwatch_metric_month",
    )
    alarms = len(_resources(template, "AWS::CloudWatch::Alarm"))
    dashboards = len(_resources(template, "AWS::CloudWatch::Dashboard"))
    monthly("CloudWatch", f"{alarms} alarms", alarms, "cloudwatch_alarm_month")
    monthly("CloudWatch", f"{dashboards} dashboards", dashboards, "cloudwatch_dashboard_month")

    # X-Ray (Tracing: Active): one trace per API request, stream batch and tick
    if _tracing(template):
        per_second = month / SECONDS_PER_MONTH
        recorded = sum(r / n * sampled_share(r / n * per_second) for r in life.roots.values())
        lead("X-Ray", "traces recorded (default sampling)", recorded, "xray_trace_recorded")
        monthly("X-Ray", "traces recorded by the ticks", sum(ticks_per_month.values()), "xray_trace_recorded")

    # KMS: a webhook's signing secret, opened once per container per TTL
    monthly("KMS", "Decrypt, one delivery container", SECONDS_PER_MONTH / KMS_OPENED_TTL, "kms_request")

    # Data out to the internet: the form's answers and the webhook POSTs
    hooks = life.invocations.get("WebhookDeliveryFunction", 0) / n
    out_bytes = (measured.response_bytes + measured.webhook_bytes) / n + HEADER_BYTES * (api_requests + hooks)
    lead("Data transfer", "out to the internet, GB", out_bytes / 1e9, "data_transfer_out_gb")
    return out


# ------------------------------------------------------------------------------------------ report
def _storage(measured: Measured, prices: dict[str, Price]) -> str:
    gb = measured.stored_bytes * 1e6 / 1e9
    stored = gb * prices["dynamodb_storage_gb_month"].usd
    backups = gb * prices["dynamodb_pitr_gb_month"].usd
    return (
        f"not in the total: a lead keeps ~{measured.stored_bytes:,.0f} B in the leads table (no TTL there; "
        f"submissions, deliveries and contact claims expire), so each million leads kept costs "
        f"${stored:.2f} a month stored + ${backups:.2f} of point-in-time recovery"
    )


def _what_ifs(bill: Bill, prices: dict[str, Price], measured: Measured, template: dict[str, Any]) -> str:
    """What the largest levers are worth, per million leads (from this bill's own lines)."""
    n = measured.leads
    xray = sum(p.usd_per_million for p in bill.lines if p.line.service == "X-Ray" and not p.line.fixed)
    roots = sum(measured.life.roots.values()) / n
    one_percent = roots * 0.01 * prices["xray_trace_recorded"].each * 1e6
    memory = _memory(template).get("WebhookDeliveryFunction", 128)
    hooks = measured.life.invocations.get("WebhookDeliveryFunction", 0) / n
    endpoint = hooks * gb_seconds(100.0, memory) * prices["lambda_arm64_gb_second"].each * 1e6
    api = measured.life.invocations.get("ApiFunction", 0) / n
    http = api * (prices["apigateway_rest_request"].each - prices["apigateway_http_request"].each) * 1e6
    # The webhook fan-out done by the publish function (the bus still published to, for integrators):
    # no bus-rule send to WebhookEventsQueue, no receive and delete of it, no fan-out invocation.
    life = measured.life
    fanouts = life.invocations.get("WebhookFanoutFunction", 0) / n
    fanout_ms = statistics.fmean(life.wall_ms["WebhookFanoutFunction"] or [0.0])
    hop_requests = life.sqs.get("SendMessage (bus rule → queue)", 0) / n + 2 * fanouts
    fanout_memory = _memory(template).get("WebhookFanoutFunction", 128)
    invocation = (
        prices["lambda_request"].each
        + gb_seconds(fanout_ms, fanout_memory) * prices["lambda_arm64_gb_second"].each
    )
    hop = (hop_requests * prices["sqs_standard_request"].each + fanouts * invocation) * 1e6
    tracing = (
        f"X-Ray at 1 % with no reservoir −${xray - one_percent:.2f}"
        if xray
        else f"X-Ray is off (Active at 1 % with no reservoir would add ${one_percent:.2f})"
    )
    return (
        f"levers: {tracing}; an HTTP API instead of REST −${http:.2f} (WAF does not attach to HTTP APIs); "
        f"the webhook fan-out in the publish function, without the bus → WebhookEventsQueue hop −${hop:.2f}; "
        f"each 100 ms a customer's endpoint takes to answer a webhook +${endpoint:.2f}"
    )


def _commit() -> str:
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        )
    except OSError:
        return "unknown"
    return head.stdout.strip() or "unknown"


def _markdown(region: str, bill: Bill, units: dict[str, float], month: float) -> list[str]:
    fixed = bill.fixed * month / 1e6
    lines = [
        f"#### {region}: ${bill.total:.2f} per million leads at {month:,.0f} leads a month "
        f"(${bill.variable:.2f} per million with the leads + ${fixed:.2f} a month whatever they are)",
        "",
        "| service | units per lead | $ per million leads | $ a month, fixed | all-in $ per million "
        "| share |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for s in bill.services:
        lines.append(
            f"| {s.service} | {_units_text(s.service, units)} | {s.variable:.2f} "
            f"| {s.fixed * month / 1e6:.2f} | {s.total:.2f} | {bill.share(s.total):.0%} |"
        )
    lines.append(f"| **total** | | **{bill.variable:.2f}** | **{fixed:.2f}** | **{bill.total:.2f}** | 100% |")
    return lines


def _units_text(service: str, units: dict[str, float]) -> str:
    return "; ".join(
        f"{k.split(': ', 1)[1]} {v:.3g}" for k, v in units.items() if k.startswith(service + ": ")
    )


def summary_units(measured: Measured, template: dict[str, Any]) -> dict[str, float]:
    """The per-lead units a reader wants beside the dollars (the lead's own life, not the ticks)."""
    n = measured.leads
    life = measured.life
    memory = _memory(template)
    api = life.invocations.get("ApiFunction", 0) / n
    return {
        "DynamoDB: WRU": (sum(life.wru.values()) + life.refused_writes) / n,
        "DynamoDB: RRU": sum(life.rru.values()) / n,
        "Lambda: invocations": sum(life.invocations.values()) / n,
        "Lambda: GB-s": sum(gb_seconds(ms, memory[lid]) for lid, v in life.wall_ms.items() for ms in v) / n,
        "API Gateway: requests": api,
        "WAF: requests": api,
        "EventBridge: events": life.events_put / n,
        "SQS: requests": sum(life.sqs.values()) / n,
        "CloudWatch: log KB": (sum(life.log_bytes.values()) + life.emf_bytes) / n / 1000,
        "X-Ray: trace roots": sum(life.roots.values()) / n,
        "Data transfer: KB": (measured.response_bytes + measured.webhook_bytes) / n / 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--leads", type=int, default=30, help="leads measured (after --warm)")
    parser.add_argument("--warm", type=int, default=3, help="leads posted first, not counted")
    parser.add_argument(
        "--leads-per-month", type=float, default=1_000_000, help="volume the fixed costs are spread over"
    )
    parser.add_argument(
        "--endpoint-ms", type=float, default=0.0, help="a customer's webhook endpoint's answer time"
    )
    parser.add_argument(
        "--region", action="append", help="price table region (default: us-east-1 and ap-southeast-1)"
    )
    args = parser.parse_args()
    regions = args.region or ["us-east-1", "ap-southeast-1"]
    template = load_template()
    measured = measure(args.leads, args.warm)
    assume = Assumptions(leads_per_month=args.leads_per_month, endpoint_ms=args.endpoint_ms)
    month = assume.leads_per_month
    units = summary_units(measured, template)
    results: dict[str, Any] = {
        "commit": _commit(),
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "leads": measured.leads,
        "leads_per_month": month,
        "endpoint_ms": assume.endpoint_ms,
        "tracing": _tracing(template),
        "api": _api_kind(template),
        "goal_usd_per_million": GOAL_USD,
        "units_per_lead": units,
        "measured": _raw(measured),
        "regions": {},
    }
    out = [
        f"### Cost per million leads ({measured.leads} leads measured one at a time in "
        f"{measured.wall_seconds:.0f} s on the local stack; local handler times stand in for AWS's; X-Ray "
        f"{'on' if _tracing(template) else 'off'}; {_api_kind(template).upper()} API)",
        "",
    ]
    for region in regions:
        prices = load_prices(region)
        bill = price(lines_of(measured, template, assume, stretch_cpu=False), prices)
        stretched = price(lines_of(measured, template, assume, stretch_cpu=True), prices)
        volumes = {  # X-Ray's sampled share changes with the volume too
            v: price(lines_of(measured, template, replace(assume, leads_per_month=v), False), prices).total
            for v in (month / 10, month, month * 10)
        }
        out += _markdown(region, bill, units, month)
        out += [
            "",
            f"goal ≤ ${GOAL_USD:.0f} per million at {month:,.0f} a month: "
            f"{'met' if bill.total <= GOAL_USD else 'missed'}; "
            + ", ".join(f"at {v:,.0f} a month ${usd:.2f}" for v, usd in volumes.items())
            + f"; with each invocation's CPU stretched to its memory's vCPU share ${stretched.total:.2f}",
            _what_ifs(bill, prices, measured, template),
            _storage(measured, prices),
            "",
            "largest lines ($ per million leads):",
            *(
                f"  {p.usd_per_million:7.3f}  {p.line.service}: {p.line.item}"
                + (" (monthly, spread)" if p.line.fixed else "")
                for p in sorted(bill.lines, key=lambda p: -p.usd_per_million)[:10]
            ),
            "",
        ]
        results["regions"][region] = {
            "total_usd_per_million": round(bill.total, 4),
            "variable_usd_per_million": round(bill.variable, 4),
            "fixed_usd_per_month": round(bill.fixed * month / 1e6, 4),
            "total_with_cpu_share_usd_per_million": round(stretched.total, 4),
            "total_usd_per_million_at": {f"{v:.0f}": round(usd, 4) for v, usd in volumes.items()},
            "meets_goal": bill.total <= GOAL_USD,
            "leads_table_bytes_per_lead": round(measured.stored_bytes),
            "storage_usd_per_million_leads_kept_per_month": round(
                measured.stored_bytes
                * 1e-3
                * (prices["dynamodb_storage_gb_month"].usd + prices["dynamodb_pitr_gb_month"].usd),
                4,
            ),
            "services": {
                s.service: {
                    "variable": round(s.variable, 4),
                    "fixed_per_month": round(s.fixed * month / 1e6, 4),
                    "total": round(s.total, 4),
                }
                for s in bill.services
            },
            "lines": [
                {
                    "service": p.line.service,
                    "item": p.line.item,
                    "fixed": p.line.fixed,
                    "units_per_lead": p.line.units,
                    "price": p.line.price,
                    "usd_per_million": round(p.usd_per_million, 4),
                }
                for p in sorted(bill.lines, key=lambda p: -p.usd_per_million)
            ],
        }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print("\n".join(out))
    print(f"(written to {RESULTS.relative_to(ROOT)})")


def _raw(measured: Measured) -> dict[str, Any]:
    def tally(t: Tally) -> dict[str, Any]:
        return {
            "invocations": dict(t.invocations),
            "wall_ms_mean": {k: round(sum(v) / len(v), 2) for k, v in t.wall_ms.items() if v},
            "cpu_ms_mean": {k: round(sum(v) / len(v), 2) for k, v in t.cpu_ms.items() if v},
            "trace_roots": dict(t.roots),
            "wru": {k: round(v, 2) for k, v in t.wru.items()},
            "rru": {k: round(v, 2) for k, v in t.rru.items()},
            "refused_writes": t.refused_writes,
            "dynamodb_calls": dict(t.ddb_calls),
            "dynamodb_units_by_operation": {k: round(v, 2) for k, v in t.ddb_units.items()},
            "sqs_requests": dict(t.sqs),
            "events_put": t.events_put,
            "other_calls": dict(t.other_calls),
            "log_bytes": dict(t.log_bytes),
            "log_events": dict(t.log_events),
            "emf_bytes": t.emf_bytes,
            "emf_events": t.emf_events,
            "metrics": sorted("/".join(m) for m in t.metrics),
            "sample_lines": t.samples,
        }

    return {
        "life_totals": tally(measured.life),
        "ticks": {a: tally(t) for a, t in measured.ticks.items()},
        "response_bytes": measured.response_bytes,
        "webhook_bytes": measured.webhook_bytes,
    }


if __name__ == "__main__":
    main()
