"""What an idle rule cost a tick before the dispatcher: ``run_sweeps`` of one tree over R idle rules.

    PYTHONPATH=shared:. .venv/bin/python bench/dispatch_before.py --tree /work/wt-before --record-before

``--tree`` is the checkout measured (its ``shared/``, ``leadrouter_local`` and ``template.yaml``;
default: this one). Made for commit 8da55d8, where a tick was one loop over every active rule in
charge and open: lease acquire, staff BatchGet, the due query, lease release, per rule, due or not.
``--record-before`` writes ``bench/dispatch_before.json`` (next to this script, whatever the tree),
which ``bench/dispatch_bench.py`` prints beside its own units per idle rule.

The script uses only what both trees have: ``Repository`` (``_rule_item``, the data layer's rule item
builder, for batch seeding), ``run_sweeps`` (``leadrouter.logic.sweeps`` before, ``tests.support.ticks``
now), ``bench.write_cost.MeteredClient`` and ``bench.local.point_at``. Units come from
``ReturnConsumedCapacity=INDEXES`` on every request, tagged by what the request is for (operation,
table or index, item kind), and a botocore hook on the same client counts every write request.
``dispatch_bench.py`` imports the seeding and the meter from here.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import subprocess
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.trees import ROOT, import_first_from, measured_tree

TREE = measured_tree(sys.argv) if __name__ == "__main__" else ROOT
if __name__ == "__main__":  # the measured tree first: its leadrouter, leadrouter_local and bench
    import_first_from(TREE)

import boto3  # noqa: E402
from botocore.config import Config  # noqa: E402

from bench.local import point_at  # noqa: E402
from bench.write_cost import READS, WRITES, MeteredClient  # noqa: E402
from leadrouter.data.items import tenant_pk, to_item  # noqa: E402
from leadrouter.data.repository import Repository  # noqa: E402
from leadrouter.domain.rules import Rule, new_rule  # noqa: E402
from leadrouter.domain.staff import StaffMember  # noqa: E402
from leadrouter.domain.tenants import Tenant  # noqa: E402
from leadrouter.settings import Settings  # noqa: E402
from leadrouter_local.ddb_local import DynamoDBLocal  # noqa: E402

NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)  # 09:00 in Ho Chi Minh City, a Tuesday
LEASE = timedelta(seconds=180)  # LEASE_SECONDS in template.yaml
BEFORE_PATH = Path(__file__).with_name("dispatch_before.json")
MAX_TENANTS = 1000
STAFF = {"A": 3, "B": 4, "C": 5}
BATCH_WRITE_LIMIT = 25
SEED_THREADS = 8
#: botocore operation names of every DynamoDB write.
WRITE_OPERATIONS = frozenset(
    {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems", "ExecuteStatement"}
)


# ------------------------------------------------------------------------------------------ seeding
def tenant_of(k: int, rules: int) -> str:
    """Rule k's tenant: rules spread evenly over min(R, 1000) tenants."""
    return f"t{k % min(rules, MAX_TENANTS):04d}"


def bench_rules(count: int) -> list[Rule]:
    """R weighted 3:4:5 rules, each its own scope (web / s<k>), no delay, continuous window."""
    return [
        new_rule(
            {
                "tenant_id": tenant_of(k, count),
                "rule_id": f"r{k:05d}",
                "name": f"Bench rule {k}",
                "kind": "weighted",
                "scope": {"pool": "web", "step": f"s{k}"},
                "staff": [{"staff_id": s, "weight": w} for s, w in STAFF.items()],
                "delay_minutes": 0,
            }
        )
        for k in range(count)
    ]


def config_items(rules: Sequence[Rule]) -> list[dict[str, Any]]:
    """The config items of the rules, their tenants and 3 staff per tenant, as the data layer stores
    them (``put_tenant``'s and ``put_staff``'s items, ``Repository._rule_item``)."""
    items: list[dict[str, Any]] = []
    for tenant_id in sorted({r.tenant_id for r in rules}):
        tenant = Tenant(tenant_id=tenant_id, name=f"Bench {tenant_id}")
        items.append({"pk": tenant_pk(tenant_id), "sk": "TENANT", **tenant.model_dump(mode="json")})
        for sid in STAFF:
            member = StaffMember(tenant_id=tenant_id, staff_id=sid, name=f"Staff {sid}")
            items.append({"pk": tenant_pk(tenant_id), "sk": f"STAFF#{sid}", **member.model_dump(mode="json")})
    items += [Repository._rule_item(rule) for rule in rules]
    return items


def batch_write(client: Any, table: str, items: Sequence[dict[str, Any]]) -> None:
    """BatchWriteItem in 25s on ``SEED_THREADS`` threads, unprocessed items retried."""

    def write(chunk: Sequence[dict[str, Any]]) -> None:
        request: dict[str, Any] = {table: [{"PutRequest": {"Item": to_item(i)}} for i in chunk]}
        while request:
            request = client.batch_write_item(RequestItems=request).get("UnprocessedItems") or {}

    chunks = [items[i : i + BATCH_WRITE_LIMIT] for i in range(0, len(items), BATCH_WRITE_LIMIT)]
    with ThreadPoolExecutor(max_workers=SEED_THREADS) as pool:
        list(pool.map(write, chunks))


def seed_config(settings: Settings, count: int) -> tuple[list[Rule], float]:
    """Store R rules with their tenants and staff; returns them and the seconds it took."""
    started = time.perf_counter()
    rules = bench_rules(count)
    batch_write(ddb_client(), settings.config_table, config_items(rules))
    return rules, time.perf_counter() - started


def ddb_client() -> Any:
    """A client like the data layer's own (``data.items.Store``), pointed at DynamoDB Local by env."""
    return boto3.client(
        "dynamodb", config=Config(retries={"mode": "standard", "max_attempts": 6}, max_pool_connections=16)
    )


# ------------------------------------------------------------------------------------------ metering
#: The tag prefix of the tick's listing pages (rules, re-check items and scope markers share the index).
LISTING_TAG = "query ConfigTable.active_rules"


def purpose(operation: str, request: dict[str, Any]) -> str:
    """What a request is for: operation, table[.index], and the kind of item or listing it touches."""
    table = str(request.get("TableName", "")).rsplit("-", 1)[-1]
    if operation in ("batch_get_item", "batch_write_item"):
        found = request.get("RequestItems") or {}
        name = next(iter(found), "")
        spec = found.get(name)
        if isinstance(spec, dict):  # BatchGetItem: {"Keys": [...]}
            keyed = (spec.get("Keys") or [{}])[0]
        else:  # BatchWriteItem: [{"PutRequest": {"Item": ...}} | {"DeleteRequest": {"Key": ...}}]
            entry: dict[str, Any] = next(iter(spec[0].values()), {}) if spec else {}
            keyed = entry.get("Item") or entry.get("Key") or {}
        return f"{operation} {str(name).rsplit('-', 1)[-1]} {_kind_of(keyed)}".rstrip()
    index = request.get("IndexName")
    where = f"{table}.{index}" if index else table
    if operation == "query":
        values = request.get("ExpressionAttributeValues") or {}
        if index == "active_rules":
            kind = str((values.get(":kind") or {}).get("S", "")).split("#", 1)[0]
            return f"query {where} {kind}"
        prefix = str((values.get(":prefix") or {}).get("S", ""))
        return f"query {where} {prefix}".rstrip()
    key = request.get("Key") or request.get("Item") or {}
    return f"{operation} {where} {_kind_of(key)}".rstrip()


def _kind_of(key: dict[str, Any]) -> str:
    """The config item kind of a key (LEASE#, COUNTER#, STAFF#, RULE#, TENANT, ...); '' for leads."""
    sk = str((key.get("sk") or {}).get("S", ""))
    return sk.split("#", 1)[0] + "#" if "#" in sk else sk


@dataclass
class Tally:
    """Requests, and the units DynamoDB Local reported for them; ``rru_aws`` also charges each read
    request DynamoDB's minimum (0.5 RRU per eventually consistent, 1 per strongly consistent read of
    each key or query), which DynamoDB Local leaves out: it reports 0 for a query that finds nothing."""

    calls: int = 0
    rru: float = 0.0
    wru: float = 0.0
    rru_aws: float = 0.0

    def add(self, other: Tally) -> None:
        self.calls += other.calls
        self.rru += other.rru
        self.wru += other.wru
        self.rru_aws += other.rru_aws

    def as_dict(self, per: float = 1.0) -> dict[str, float]:
        return {
            "calls": round(self.calls / per, 4),
            "rru": round(self.rru / per, 4),
            "rru_aws": round(self.rru_aws / per, 4),
            "wru": round(self.wru / per, 4),
        }


def minimum_rru(operation: str, request: dict[str, Any]) -> float:
    """What DynamoDB charges a read request at least: half a unit per key or query, one if consistent."""
    if operation == "batch_get_item":
        return sum(
            len(spec.get("Keys", [])) * (1.0 if spec.get("ConsistentRead") else 0.5)
            for spec in (request.get("RequestItems") or {}).values()
        )
    if operation in ("query", "get_item", "scan"):
        return 1.0 if request.get("ConsistentRead") else 0.5
    return 0.0


class TaggedMeter(MeteredClient):
    """``MeteredClient`` (units per table and index, calls per operation), thread-safe, plus calls and
    units per ``purpose`` of the request."""

    def __init__(self, real: Any) -> None:
        super().__init__(real)
        self._lock = threading.Lock()
        self.tags: dict[str, Tally] = defaultdict(Tally)

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._real, name)
        if name not in WRITES | READS:
            return method
        kind = "write" if name in WRITES else "read"

        def metered(**request: Any) -> Any:
            tag = purpose(name, request)
            with self._lock:
                self.calls[name] += 1
                self.tags[tag].calls += 1
            response = method(**request, ReturnConsumedCapacity="INDEXES")
            consumed = response.get("ConsumedCapacity") or []
            entries = consumed if isinstance(consumed, list) else [consumed]
            with self._lock:
                read = 0.0
                for entry in entries:
                    self._add(kind, entry)
                    units = float(entry.get("CapacityUnits", 0.0))
                    if kind == "write":
                        self.tags[tag].wru += units
                    else:
                        read += units
                self.tags[tag].rru += read
                self.tags[tag].rru_aws += max(read, minimum_rru(name, request))
            return response

        return metered

    def reset(self) -> None:
        with self._lock:
            super().reset()
            self.tags.clear()

    def totals(self) -> Tally:
        with self._lock:
            return total_of(self.tags.values())

    def snapshot(self) -> dict[str, Tally]:
        with self._lock:
            return {tag: Tally(**vars(tally)) for tag, tally in self.tags.items()}


def total_of(tallies: Iterable[Tally]) -> Tally:
    total = Tally()
    for tally in tallies:
        total.add(tally)
    return total


def merged(meters: Iterable[TaggedMeter]) -> dict[str, Tally]:
    """The tags of several meters summed (one per sweeper)."""
    found: dict[str, Tally] = defaultdict(Tally)
    for meter in meters:
        for tag, tally in meter.snapshot().items():
            found[tag].add(tally)
    return dict(found)


class CallCounter:
    """A botocore ``before-call`` hook: every request the client sends, by operation, and its writes."""

    def __init__(self, client: Any, service: str, writes: frozenset[str] = WRITE_OPERATIONS) -> None:
        self._lock = threading.Lock()
        self._writes = writes
        self.calls: dict[str, int] = defaultdict(int)
        client.meta.events.register(f"before-call.{service}", self._count)

    def _count(self, model: Any, **_: Any) -> None:
        with self._lock:
            self.calls[str(model.name)] += 1

    @property
    def writes(self) -> int:
        with self._lock:
            return sum(n for op, n in self.calls.items() if op in self._writes)

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(sorted(self.calls.items()))

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()


def tags_per(tags: dict[str, Tally], per: float) -> dict[str, dict[str, float]]:
    return {tag: tally.as_dict(per) for tag, tally in sorted(tags.items())}


def listing_share(tags: dict[str, Tally]) -> Tally:
    """The listing's part of a tick: the ``active_rules`` index pages (rules and scope markers)."""
    return total_of(t for tag, t in tags.items() if tag.startswith(LISTING_TAG))


# ------------------------------------------------------------------------------------------ before
def _run_sweeps() -> Callable[..., Any]:
    """``run_sweeps`` where the tree has it: ``logic.sweeps`` (before the dispatcher), ``logic.dispatch``
    (the flat logic folder), ``tests.support.ticks`` (a test harness since logic has wings)."""
    for module in ("leadrouter.logic.sweeps", "leadrouter.logic.dispatch", "tests.support.ticks"):
        try:
            found = getattr(importlib.import_module(module), "run_sweeps", None)
        except ModuleNotFoundError:
            continue
        if found is not None:
            return found  # type: ignore[no-any-return]
    raise RuntimeError("no run_sweeps in this tree")


def measure_idle_ticks(count: int, ticks: int) -> dict[str, Any]:
    """R idle rules, ``ticks`` whole ticks of ``run_sweeps``; the first warms DynamoDB Local up (uncounted),
    the last is metered; the seconds are the median of the counted ones."""
    from leadrouter.logic.routing.assign import sweep_due_leads

    run_sweeps = _run_sweeps()
    with DynamoDBLocal() as ddb:
        settings = point_at(ddb)
        rules, seeded = seed_config(settings, count)
        real = ddb_client()
        counter = CallCounter(real, "dynamodb")
        meter = TaggedMeter(real)
        repo = Repository(settings, client=meter)
        seconds: list[float] = []
        report: Any = None
        for tick in range(ticks + 1):
            meter.reset()
            counter.reset()
            started = time.perf_counter()
            report = run_sweeps(repo, "assign", sweep_due_leads, NOW + timedelta(minutes=tick), LEASE)
            if tick:
                seconds.append(time.perf_counter() - started)
        assert report is not None
        assigned = report.totals()["assigned"]
        assert assigned == 0, f"{assigned} leads assigned: the rules were meant to be idle"
        total = meter.totals()
        listing = listing_share(meter.tags)
        rest = total_of(t for tag, t in meter.tags.items() if not tag.startswith(LISTING_TAG))
        seconds.sort()
        return {
            "rules": count,
            "tenants": len({r.tenant_id for r in rules}),
            "seed_seconds": round(seeded, 2),
            "rules_active": report.rules_active,
            "rules_swept": len(report.swept),
            "tick_seconds": round(seconds[len(seconds) // 2], 2),
            "tick_seconds_all": [round(s, 2) for s in seconds],
            "per_idle_rule": {
                "questions": rest.as_dict(count),
                "listing": listing.as_dict(count),
                "all": total.as_dict(count),
            },
            "tick_total": total.as_dict(),
            "by_purpose_per_rule": tags_per(meter.tags, count),
            "write_requests_hook": counter.writes,
            "write_requests_hook_per_rule": round(counter.writes / count, 4),
            "botocore_calls": counter.snapshot(),
        }


def commit_of(tree: Path) -> str:
    if os.environ.get("BENCH_COMMIT"):
        return os.environ["BENCH_COMMIT"]
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=tree, capture_output=True, text=True
        )
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "shared", "template.yaml"],
            cwd=tree,
            capture_output=True,
            text=True,
        )
    except OSError:
        return "unknown"
    return head.stdout.strip() + (" (modified)" if dirty.stdout.strip() else "")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tree", default=str(ROOT), help="the checkout to measure (default: this one)")
    parser.add_argument("--rules", type=int, default=1000)
    parser.add_argument("--ticks", type=int, default=3, help="counted ticks (one more warms up)")
    parser.add_argument("--record-before", action="store_true", help=f"write {BEFORE_PATH.name}")
    args = parser.parse_args()
    from leadrouter.observability import logger

    logger.setLevel("CRITICAL")
    figures = {"commit": commit_of(TREE), "measured": measure_idle_ticks(args.rules, args.ticks)}
    text = json.dumps(figures, indent=2, ensure_ascii=False)
    if args.record_before:
        BEFORE_PATH.write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
