"""What one submission costs at the intake door, measured: WRU, RRU and DynamoDB calls per table.

    PYTHONPATH=shared:. .venv/bin/python bench/intake_cost.py --leads 200
    PYTHONPATH=shared:. .venv/bin/python bench/intake_cost.py --before   # the JSON API only, any commit

The real API handler (``functions/api/app.handler``) takes API Gateway proxy events on DynamoDB Local,
as a warm Lambda container would: N new leads per content type (distinct phones), the first of them
cold (this container's settings cache empty), then one linked submission (a known phone) and one
repeat (the same Idempotency-Key again). Every DynamoDB request of the process, Powertools' own
included, carries ``ReturnConsumedCapacity=INDEXES`` (``botocore``'s one call path is wrapped, so
the code under test is unchanged, as in ``bench/write_cost.py``). A write whose condition fails is
charged by DynamoDB but reports no capacity: those are counted as ``failed writes``.

``--before`` uses only modules that existed before the form door (forms were refused then), so the
script can be copied into an older worktree and run there.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "shared"), str(ROOT)]
os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "leadrouter-bench")
os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "ERROR")

import botocore.client  # noqa: E402
import botocore.exceptions  # noqa: E402

from bench.local import TENANT, point_at, seed_rule  # noqa: E402
from leadrouter.data.repository import Repository  # noqa: E402
from leadrouter.runtime import new_repository  # noqa: E402
from leadrouter_local.apigw import proxy_event  # noqa: E402
from leadrouter_local.ddb_local import DynamoDBLocal  # noqa: E402
from tests.support.api import add_form_source  # noqa: E402
from tests.support.lambda_context import FakeContext  # noqa: E402

FORM_KEY = "fk_bench_intake_0001"
WRITES = frozenset({"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"})
READS = frozenset({"GetItem", "Query", "Scan", "BatchGetItem", "TransactGetItems"})
FORM_HEADERS = {
    "Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8",
    "Origin": "https://shop.example.vn",
}


@dataclass
class Tally:
    """What DynamoDB reported for the requests made while it was active (per logical table)."""

    calls: int = 0
    failed_writes: int = 0
    wru: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    rru: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    table_calls: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    ops: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    #: Of the units above, what each global secondary index took.
    indexes: dict[str, float] = field(default_factory=lambda: defaultdict(float))


class Meter:
    """Wraps ``BaseClient._make_api_call`` for DynamoDB: asks for capacity, sums it per table."""

    def __init__(self, tables: dict[str, str]) -> None:
        self._logical = {name: logical.removesuffix("Table") for logical, name in tables.items()}
        self.tally = Tally()
        self._real: Callable[..., Any] = botocore.client.BaseClient._make_api_call

    @contextmanager
    def installed(self) -> Iterator[Meter]:
        real = self._real
        meter = self

        def metered(client: Any, operation: str, params: dict[str, Any]) -> Any:
            if client.meta.service_model.service_name != "dynamodb" or operation not in WRITES | READS:
                return real(client, operation, params)
            return meter._call(lambda p: real(client, operation, p), operation, params)

        botocore.client.BaseClient._make_api_call = metered
        try:
            yield self
        finally:
            botocore.client.BaseClient._make_api_call = real

    def _call(self, send: Callable[[dict[str, Any]], Any], operation: str, params: dict[str, Any]) -> Any:
        tally = self.tally
        tally.calls += 1
        named = {self._name(params["TableName"])} if "TableName" in params else set()
        touched = named or {self._name(t) for t in _transact_tables(params)}
        tally.ops[f"{operation} {'+'.join(sorted(touched))}"] += 1
        try:
            response = send({**params, "ReturnConsumedCapacity": "INDEXES"})
        except botocore.exceptions.ClientError as error:
            consumed = error.response.get("ConsumedCapacity")
            if operation in WRITES and not consumed:
                tally.failed_writes += 1
            for table in touched:
                tally.table_calls[table] += 1
            raise
        consumed = response.get("ConsumedCapacity") or []
        entries = consumed if isinstance(consumed, list) else [consumed]
        kind = tally.wru if operation in WRITES else tally.rru
        for entry in entries:
            table = self._name(entry["TableName"])
            named.add(table)
            kind[table] += float(entry.get("CapacityUnits", 0.0))
            for index, used in (entry.get("GlobalSecondaryIndexes") or {}).items():
                tally.indexes[f"{table}.{index}"] += float(used["CapacityUnits"])
        for table in named:
            tally.table_calls[table] += 1
        return response

    def _name(self, physical: str) -> str:
        return self._logical.get(physical, physical)

    @contextmanager
    def measuring(self) -> Iterator[Tally]:
        self.tally = Tally()
        try:
            yield self.tally
        finally:
            self.tally = Tally()  # what runs in between is not counted


def _transact_tables(params: dict[str, Any]) -> set[str]:
    found: set[str] = set()
    for item in params.get("TransactItems") or []:
        for op in item.values():
            if isinstance(op, dict) and "TableName" in op:
                found.add(str(op["TableName"]))
    return found


# ------------------------------------------------------------------ the doors, as senders post them
@dataclass(frozen=True)
class Door:
    name: str
    path: str
    build: Callable[[dict[str, str]], tuple[str, dict[str, str]]]  # fields → (body, headers)


def _json_api(fields: dict[str, str]) -> tuple[str, dict[str, str]]:
    typed: dict[str, Any] = {k: v for k, v in fields.items() if k in ("name", "phone", "email")}
    typed["fields"] = {k: v for k, v in fields.items() if k not in typed}
    return json.dumps(typed, ensure_ascii=False), {"X-Form-Key": FORM_KEY, "Content-Type": "application/json"}


def _urlencoded(fields: dict[str, str]) -> tuple[str, dict[str, str]]:
    return urlencode(fields), {**FORM_HEADERS, "Content-Type": "application/x-www-form-urlencoded"}


def _multipart(fields: dict[str, str]) -> tuple[str, dict[str, str]]:
    boundary = "----benchBoundary" + uuid.uuid4().hex[:16]
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
        for k, v in fields.items()
    ]
    body = "".join(parts) + f"--{boundary}--\r\n"
    return body, {**FORM_HEADERS, "Content-Type": f"multipart/form-data; boundary={boundary}"}


def _flat_json(fields: dict[str, str]) -> tuple[str, dict[str, str]]:
    return json.dumps(fields, ensure_ascii=False), {
        "Content-Type": "application/json",
        "Accept": "application/json",
    }


DOORS = (
    Door("JSON API (/intake/leads)", "/intake/leads", _json_api),
    Door("urlencoded (/f/{key})", f"/f/{FORM_KEY}", _urlencoded),
    Door("multipart (/f/{key})", f"/f/{FORM_KEY}", _multipart),
    Door("flat JSON (/f/{key})", f"/f/{FORM_KEY}", _flat_json),
)


def _post(door: Door, fields: dict[str, str], idempotency_key: str | None = None) -> int:
    from functions.api import app as api_app  # imported after the environment points at the tables

    body, headers = door.build(fields)
    if idempotency_key:
        headers = {**headers, "Idempotency-Key": idempotency_key}
    event = proxy_event("POST", door.path, body, headers=headers)
    answer = api_app.handler(event, FakeContext(function_name="leadrouter-api"))
    status = int(answer["statusCode"])
    if status not in (201, 303):
        raise SystemExit(f"{door.name}: {status} {answer.get('body')}")
    return status


def _forget_settings() -> None:
    """Empty this container's settings cache, if the tree has one (the cold submission)."""
    try:
        from leadrouter.data.cache import SETTINGS_CACHE
    except ImportError:  # before the form door: nothing was cached
        return
    SETTINGS_CACHE.forget()


# ------------------------------------------------------------------ the run
@dataclass
class Row:
    door: str
    case: str
    submissions: int
    tally: Tally

    def per(self, value: float) -> float:
        return value / self.submissions if self.submissions else 0.0


def _phone(door: int, n: int) -> str:
    return f"09{door}{n:07d}"


def _pin_api_clock(at: datetime) -> None:
    """The API's clock runs from ``at`` (a keyless submission's cost depends on where in its
    10-minute content bucket it falls: early in one, the previous bucket is read too)."""
    import leadrouter.api.context as api_context

    started = time.monotonic()
    api_context.clock = lambda: at + timedelta(seconds=time.monotonic() - started)


def measure(doors: tuple[Door, ...], leads: int, edge_leads: int) -> list[Row]:
    rows: list[Row] = []
    meter = Meter(_tables)
    bucket = datetime.now(UTC).replace(second=0, microsecond=0)
    bucket -= timedelta(minutes=bucket.minute % 10)
    with meter.installed():
        for d, door in enumerate(doors):
            _pin_api_clock(bucket + timedelta(minutes=5))  # mid-bucket: the common case
            _forget_settings()
            fields = {"name": "Nguyễn Thị Ánh", "phone": _phone(d, 0), "note": "bench"}
            with meter.measuring() as cold:
                _post(door, fields)
            rows.append(Row(door.name, "new, cold (1st)", 1, cold))
            with meter.measuring() as warm:
                for n in range(1, leads + 1):
                    _post(door, {**fields, "phone": _phone(d, n)})
            rows.append(Row(door.name, f"new, warm (mean of {leads})", leads, warm))
            with meter.measuring() as both:
                for n in range(1, leads + 1):
                    email = f"an.{d}.{n}@example.vn"
                    _post(door, {**fields, "phone": _phone(d, 5000 + n), "email": email})
            rows.append(Row(door.name, f"new, warm, phone + email (mean of {leads})", leads, both))
            _pin_api_clock(bucket + timedelta(minutes=10, seconds=30))  # 2 min of every 10
            with meter.measuring() as edge:
                for n in range(leads + 10, leads + 10 + edge_leads):
                    _post(door, {**fields, "phone": _phone(d, n)})
            rows.append(
                Row(door.name, f"new, warm, 1st 2 min of a 10-min bucket ({edge_leads})", edge_leads, edge)
            )
            _pin_api_clock(bucket + timedelta(minutes=25))
            with meter.measuring() as linked:
                _post(door, {**fields, "name": "Nguyễn Thị Ánh (lần 2)", "phone": _phone(d, 1)})
            rows.append(Row(door.name, "linked (known phone)", 1, linked))
            key = f"bench-{uuid.uuid4().hex}"
            repeat_fields = {**fields, "phone": _phone(d, leads + 1)}
            _post(door, repeat_fields, idempotency_key=key)
            with meter.measuring() as repeat:
                _post(door, repeat_fields, idempotency_key=key)
            rows.append(Row(door.name, "repeat (same Idempotency-Key)", 1, repeat))
    return rows


_tables: dict[str, str] = {}


def _seed(repo: Repository, before: bool) -> None:
    seed_rule(repo)
    extra: dict[str, Any] = {"rate_per_minute": 6000}
    if not before:
        extra["web_form"] = {"rate_per_ip_per_minute": 6000, "allowed_origins": ["https://shop.example.vn"]}
    add_form_source(repo, FORM_KEY, tenant_id=TENANT, **extra)


def _split(values: dict[str, float] | dict[str, int], per: Callable[[float], float]) -> str:
    return (
        ", ".join(f"{t} {per(v):.2f}".rstrip("0").rstrip(".") for t, v in sorted(values.items()) if v) or "0"
    )


def markdown(rows: list[Row], label: str) -> str:
    lines = [
        f"### Intake cost per submission ({label})",
        "",
        "| door | case | WRU | RRU | calls | failed writes | WRU by table | RRU by table | calls by table |",
        "|---|---|---:|---:|---:|---:|---|---|---|",
    ]
    for row in rows:
        t = row.tally
        lines.append(
            f"| {row.door} | {row.case} "
            f"| {row.per(sum(t.wru.values())):.2f} | {row.per(sum(t.rru.values())):.2f} "
            f"| {row.per(t.calls):.2f} | {row.per(t.failed_writes):.2f} | {_split(t.wru, row.per)} "
            f"| {_split(t.rru, row.per)} | {_split(t.table_calls, row.per)} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--leads", type=int, default=200, help="new leads per content type")
    parser.add_argument("--edge-leads", type=int, default=20, help="new leads early in a content bucket")
    parser.add_argument(
        "--before", action="store_true", help="the JSON API only (a tree before the form door)"
    )
    parser.add_argument("--label", default=os.environ.get("BENCH_LABEL"))
    parser.add_argument("--json", action="store_true", help="also print the raw tallies as JSON")
    args = parser.parse_args()
    with DynamoDBLocal() as ddb:
        settings = point_at(ddb)
        _tables.update({_logical(var): os.environ[var] for var in _table_vars()})
        _seed(new_repository(settings), args.before)
        doors = DOORS[:1] if args.before else DOORS
        rows = measure(doors, args.leads, args.edge_leads)
    label = args.label or ("before the form door" if args.before else "working tree")
    print(markdown(rows, label))
    if args.json:
        print(
            json.dumps([{"door": r.door, "case": r.case, "n": r.submissions, **_raw(r.tally)} for r in rows])
        )


def _table_vars() -> list[str]:
    return [var for var in os.environ if var.endswith("_TABLE")]


def _logical(var: str) -> str:
    """``LEADS_TABLE`` → ``LeadsTable`` (the template's logical id)."""
    return "".join(part.capitalize() for part in var.split("_"))


def _raw(t: Tally) -> dict[str, Any]:
    return {
        "calls": t.calls,
        "failed_writes": t.failed_writes,
        "wru": dict(t.wru),
        "rru": dict(t.rru),
        "table_calls": dict(t.table_calls),
        "ops": dict(t.ops),
        "indexes": dict(t.indexes),
    }


if __name__ == "__main__":
    main()
