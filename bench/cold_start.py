"""Cold import and warm request of the API handler, each against what it cannot do without, in one run.

    PYTHONPATH=shared:. .venv/bin/python bench/cold_start.py            # N=5 imports, 300 requests
    PYTHONPATH=shared:. .venv/bin/python bench/cold_start.py --runs 9 --requests 500

**Cold import.** Each import is timed inside a fresh interpreter (``perf_counter`` around the import,
so the interpreter's own start-up is left out), round after round, every subject once per round, so
a busy neighbour slows them all alike; a first round that writes the ``.pyc`` files is not counted.
The baseline imports boto3, Powertools' event handler and pydantic; each function's handler is
imported as Lambda imports it (``app`` from the function's folder, ``leadrouter`` from the layer's
path) with the environment the template gives that function plus what Lambda sets
(``LAMBDA_TASK_ROOT``, ``AWS_LAMBDA_FUNCTION_NAME``, the region). Tracing is OFF, as in a function
without active tracing: ``POWERTOOLS_TRACE_DISABLED=true`` (the API's import with tracing on is shown
too, for what a traced container pays). Ratio: median API import / median baseline (target ≤ 1.3).

**Warm request.** On DynamoDB Local, in this process: a browser's urlencoded form POST to
``/f/{form_key}`` through ``functions/api/app.handler`` (an API Gateway proxy event, the handler
already warm), and a bare ``PutItem`` of the lead item that POST stored (read back, a new lead id
each time) on a client built as the repository's. The two alternate, so they share the machine's
noise. Ratio: median handler time / median PutItem time (target ≤ 3).

Both ratios go to ``bench/results/cold_start.json``. Medians and ratios, because the machine is shared.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "shared"), str(ROOT)]

import botocore.client  # noqa: E402

from leadrouter_local.template import FUNCTION_TYPE, load_template  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "cold_start.json"
BASELINE = "boto3, aws_lambda_powertools.event_handler, pydantic"
FORM_KEY = "fk_bench_cold_start_0001"
COLD_TARGET, WARM_TARGET = 1.3, 3.0

#: What the Lambda runtime sets in every container (besides the template's variables).
LAMBDA_RUNTIME_ENV = {
    "AWS_REGION": "ap-southeast-1",
    "AWS_DEFAULT_REGION": "ap-southeast-1",
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_SESSION_TOKEN": "bench",
    "AWS_EXECUTION_ENV": "AWS_Lambda_python3.12",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
    "AWS_LAMBDA_LOG_LEVEL": "INFO",
    "AWS_LAMBDA_LOG_FORMAT": "JSON",
}
TRACING_OFF = {"POWERTOOLS_TRACE_DISABLED": "true"}

_TIMED_IMPORT = (
    "import sys, time\n"
    "started = time.perf_counter()\n"
    "for name in sys.argv[1:]:\n"
    "    __import__(name)\n"
    "print(time.perf_counter() - started)\n"
)


# ------------------------------------------------------------------ cold imports
def _value(value: Any, key: str, parameters: dict[str, Any]) -> str:
    """A template variable as a container would see it: literals as written, a parameter's default,
    anything resolved at deploy time (an ARN, a queue URL) a stand-in of the same kind."""
    if isinstance(value, str | int | float):
        return str(value)
    if isinstance(value, dict) and "Ref" in value and value["Ref"] in parameters:
        return str(parameters[value["Ref"]].get("Default", ""))
    if key.endswith("_URL"):
        return f"https://sqs.ap-southeast-1.amazonaws.com/123456789012/bench-{key.lower()}"
    if key == "ALLOWED_ORIGINS":
        return "https://console.example.vn"
    return f"bench-{key.lower().replace('_', '-')}"


def function_envs(template: dict[str, Any]) -> dict[str, dict[str, str]]:
    """Each function's folder name → the environment Lambda gives it (tracing off)."""
    parameters = template.get("Parameters", {})
    common = template["Globals"]["Function"]["Environment"]["Variables"]
    envs: dict[str, dict[str, str]] = {}
    for logical_id, resource in template["Resources"].items():
        if resource["Type"] != FUNCTION_TYPE:
            continue
        properties = resource["Properties"]
        folder = properties["CodeUri"].strip("/").split("/")[-1]
        own = (properties.get("Environment") or {}).get("Variables", {})
        variables = {k: _value(v, k, parameters) for k, v in {**common, **own}.items()}
        envs[folder] = {
            **LAMBDA_RUNTIME_ENV,
            **variables,
            "AWS_LAMBDA_FUNCTION_NAME": f"leadrouter-{logical_id}",
            "LAMBDA_TASK_ROOT": str(ROOT / "functions" / folder),
        }
    return envs


def _timed_import(modules: list[str], env: dict[str, str], cwd: Path) -> float:
    process_env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": str(ROOT / "shared"),
        **env,
    }
    done = subprocess.run(
        [sys.executable, "-c", _TIMED_IMPORT, *modules],
        cwd=cwd,
        env=process_env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"importing {modules} failed:\n{done.stderr[-3000:]}")
    return float(done.stdout.strip().splitlines()[-1])


def cold_imports(runs: int) -> dict[str, list[float]]:
    """Subject → its import times (s), ``runs`` fresh interpreters each, the rounds interleaved."""
    envs = function_envs(load_template())
    api_env = {**envs["api"], **TRACING_OFF}
    api = ROOT / "functions" / "api"
    baseline = [m.strip() for m in BASELINE.split(",")]
    subjects: dict[str, tuple[list[str], dict[str, str], Path]] = {
        "baseline": (baseline, {**LAMBDA_RUNTIME_ENV, **TRACING_OFF}, ROOT),
        "api": (["app"], api_env, api),
        "api (tracing on)": (["app"], envs["api"], api),
    }
    for folder in sorted(envs):
        if folder != "api":
            subjects[folder] = (["app"], {**envs[folder], **TRACING_OFF}, ROOT / "functions" / folder)
    times: dict[str, list[float]] = {name: [] for name in subjects}
    for round_ in range(runs + 1):
        for name, (modules, env, cwd) in subjects.items():
            took = _timed_import(modules, env, cwd)
            if round_:  # the first round writes the .pyc files a deployed layer ships
                times[name].append(took)
    return times


# ------------------------------------------------------------------ warm request
@contextmanager
def _stdout_discarded() -> Iterator[None]:
    """Metrics (EMF) and logs are still written, as in Lambda, to /dev/null instead of the terminal."""
    sys.stdout.flush()
    saved = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    try:
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(devnull)
        os.close(saved)


@dataclass
class Warm:
    """Per request (s): the handler's time, the part of it in DynamoDB calls, and a bare PutItem's."""

    handler: list[float] = field(default_factory=list)
    in_calls: list[float] = field(default_factory=list)
    calls: list[int] = field(default_factory=list)
    put_item: list[float] = field(default_factory=list)


@contextmanager
def _calls_timed(spent: list[float]) -> Iterator[None]:
    """Adds each AWS call's time to ``spent`` (botocore's one call path, wrapped)."""
    real = botocore.client.BaseClient._make_api_call

    def timed(client: Any, operation: str, params: dict[str, Any]) -> Any:
        started = time.perf_counter()
        try:
            return real(client, operation, params)
        finally:
            spent.append(time.perf_counter() - started)

    botocore.client.BaseClient._make_api_call = timed
    try:
        yield
    finally:
        botocore.client.BaseClient._make_api_call = real


def warm_request(requests: int) -> Warm:
    """The handler's times and the bare PutItem's, ``requests`` each, alternating."""
    for key, value in {**LAMBDA_RUNTIME_ENV, **TRACING_OFF}.items():
        if not key.startswith("AWS_") or key in ("AWS_LAMBDA_LOG_LEVEL", "AWS_LAMBDA_LOG_FORMAT"):
            os.environ[key] = value
    os.environ.setdefault("POWERTOOLS_SERVICE_NAME", "leadrouter")
    os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "LeadRouterBench")

    from bench.local import TENANT, point_at, seed_rule
    from leadrouter.runtime import dynamodb_client, new_repository
    from leadrouter_local.apigw import proxy_event
    from leadrouter_local.ddb_local import DynamoDBLocal
    from tests.support.api import add_form_source
    from tests.support.lambda_context import FakeContext

    with DynamoDBLocal() as ddb:
        settings = point_at(ddb)
        repo = new_repository(settings)
        seed_rule(repo)
        limits = {"rate_per_ip_per_minute": 6000, "allowed_origins": ["https://shop.example.vn"]}
        add_form_source(repo, FORM_KEY, tenant_id=TENANT, rate_per_minute=6000, web_form=limits)

        from functions.api import app as api_app

        _pin_api_clock()
        context = FakeContext(function_name="leadrouter-api")
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8",
            "Origin": "https://shop.example.vn",
        }

        def post(n: int) -> float:
            body = urlencode({"ho_ten": "Nguyễn Thị Ánh", "so_dien_thoai": f"091{n:07d}", "note": "bench"})
            event = proxy_event("POST", f"/f/{FORM_KEY}", body, headers=headers)
            started = time.perf_counter()
            answer = api_app.handler(event, context)
            took = time.perf_counter() - started
            if answer["statusCode"] != 303:
                raise SystemExit(f"form POST answered {answer['statusCode']}: {answer.get('body')}")
            return took

        client = dynamodb_client()
        warm = Warm()
        spent: list[float] = []
        with _stdout_discarded(), _calls_timed(spent):
            for n in range(20):  # warm: settings cached, connections open, lazy parts built
                post(n)
            lead = _stored_lead(client, settings.leads_table, TENANT)
            for _ in range(20):
                _put(client, settings.leads_table, lead)
            for n in range(requests):
                spent.clear()
                warm.handler.append(post(1000 + n))
                warm.in_calls.append(sum(spent))
                warm.calls.append(len(spent))
                warm.put_item.append(_put(client, settings.leads_table, lead))
    return warm


def _pin_api_clock() -> None:
    """The API's clock runs from the middle of a 10-minute content bucket (early in one, a keyless
    submission also reads the previous bucket: a cost that depends on the wall clock)."""
    import leadrouter.api.context as api_context

    now = datetime.now(UTC).replace(second=0, microsecond=0)
    middle = now - timedelta(minutes=now.minute % 10) + timedelta(minutes=5)
    started = time.monotonic()
    api_context.clock = lambda: middle + timedelta(seconds=time.monotonic() - started)


def _stored_lead(client: Any, table: str, tenant: str) -> dict[str, Any]:
    """One lead item as the handler wrote it (every attribute, the index keys too)."""
    page = client.query(
        TableName=table,
        KeyConditionExpression="tenant_id = :t",
        ExpressionAttributeValues={":t": {"S": tenant}},
        Limit=1,
    )
    (item,) = page["Items"]
    return dict(item)


def _put(client: Any, table: str, lead: dict[str, Any]) -> float:
    item = {**lead, "lead_id": {"S": uuid.uuid4().hex}}
    started = time.perf_counter()
    client.put_item(TableName=table, Item=item)
    return time.perf_counter() - started


# ------------------------------------------------------------------ report
def _ms(values: list[float]) -> float:
    return round(statistics.median(values) * 1000, 2)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5, help="fresh interpreters per import subject")
    parser.add_argument("--requests", type=int, default=300, help="timed form POSTs (and PutItems)")
    parser.add_argument("--label", default=os.environ.get("BENCH_LABEL", "working tree"))
    parser.add_argument("--no-write", action="store_true", help="print only, leave the results file")
    args = parser.parse_args()

    imports = cold_imports(args.runs)
    warm = warm_request(args.requests)
    handler_times, put_times = warm.handler, warm.put_item

    baseline = statistics.median(imports["baseline"])
    cold_ratio = statistics.median(imports["api"]) / baseline
    warm_ratio = statistics.median(handler_times) / statistics.median(put_times)
    lines = [
        f"### Cold import and warm request ({args.label}; Python {platform.python_version()}, "
        f"POWERTOOLS_TRACE_DISABLED=true unless said; the machine may be shared: medians)",
        "",
        f"| import (median of {args.runs} fresh interpreters) | ms | × baseline | runs (ms) |",
        "|---|---:|---:|---|",
    ]
    for name, values in imports.items():
        runs = ", ".join(f"{v * 1000:.0f}" for v in values)
        subject = f"baseline ({BASELINE})" if name == "baseline" else f"{name} handler"
        times = statistics.median(values) / baseline
        lines.append(f"| {subject} | {_ms(values):.0f} | {times:.2f} | {runs} |")
    lines += [
        "",
        f"| warm (median of {args.requests}) | ms |",
        "|---|---:|",
        f"| form POST through the API handler (303) | {_ms(handler_times):.2f} |",
        f"| … of which in its {statistics.median(warm.calls):g} DynamoDB calls | {_ms(warm.in_calls):.2f} |",
        f"| bare PutItem of the same lead item | {_ms(put_times):.2f} |",
        "",
        f"cold import ratio: {cold_ratio:.2f} (target ≤ {COLD_TARGET}); "
        f"warm handler ratio: {warm_ratio:.2f} (target ≤ {WARM_TARGET})",
    ]
    print("\n".join(lines))
    if args.no_write:
        return
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    result = {
        "label": args.label,
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "POWERTOOLS_TRACE_DISABLED": "true",
        "cold_import_ratio": round(cold_ratio, 3),
        "cold_import_target": COLD_TARGET,
        "warm_handler_ratio": round(warm_ratio, 3),
        "warm_handler_target": WARM_TARGET,
        "import_ms_median": {name: _ms(values) for name, values in imports.items()},
        "import_runs": args.runs,
        "handler_ms_median": _ms(handler_times),
        "handler_in_dynamodb_calls_ms_median": _ms(warm.in_calls),
        "handler_dynamodb_calls_median": statistics.median(warm.calls),
        "put_item_ms_median": _ms(put_times),
        "requests": args.requests,
    }
    RESULTS.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"\nwritten to {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
