"""Write cost of the sweeps, measured: WRU per assigned (and per reclaimed) lead on DynamoDB Local.

    PYTHONPATH=shared:. .venv/bin/python bench/write_cost.py --leads 1000

Every request the sweep makes carries ``ReturnConsumedCapacity=INDEXES`` (added by a wrapping client,
so the code under test is unchanged and the script runs against any commit), and the capacity DynamoDB
Local reports is summed per table and per index. DynamoDB Local reports it like DynamoDB: a write costs
1 WRU per started KB of the item, on the table and again on every GSI whose copy of the item changes
(an ALL-projected index pays for the whole item; a lead entering one index and leaving another pays
both). Lease and slot-claim writes are counted too, spread over the leads of the sweep.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "shared"), str(ROOT)]

from bench.local import point_at, seed_rule  # noqa: E402
from leadrouter.data.repository import Repository  # noqa: E402
from leadrouter.domain.rules import new_rule  # noqa: E402
from leadrouter.logic.routing.assign import sweep_due_leads  # noqa: E402
from leadrouter.logic.routing.reclaim import sweep_idle_leads  # noqa: E402
from leadrouter.runtime import new_repository  # noqa: E402
from leadrouter_local.ddb_local import DynamoDBLocal  # noqa: E402
from tests.support.builders import add_leads  # noqa: E402
from tests.support.ticks import run_sweeps  # noqa: E402

NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
LEASE = timedelta(minutes=3)
WRITES = frozenset({"put_item", "update_item", "delete_item", "batch_write_item", "transact_write_items"})
READS = frozenset({"get_item", "query", "batch_get_item", "transact_get_items"})


class MeteredClient:
    """Passes every call through with ReturnConsumedCapacity=INDEXES and sums what comes back."""

    def __init__(self, real: Any) -> None:
        self._real = real
        self.units: dict[str, dict[str, float]] = {"write": defaultdict(float), "read": defaultdict(float)}
        self.calls: dict[str, int] = defaultdict(int)

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._real, name)
        if name not in WRITES | READS:
            return method
        kind = "write" if name in WRITES else "read"

        def metered(**request: Any) -> Any:
            self.calls[name] += 1
            response = method(**request, ReturnConsumedCapacity="INDEXES")
            consumed = response.get("ConsumedCapacity") or []
            for entry in consumed if isinstance(consumed, list) else [consumed]:
                self._add(kind, entry)
            return response

        return metered

    def _add(self, kind: str, entry: dict[str, Any]) -> None:
        table = entry["TableName"].rsplit("-", 1)[-1]
        self.units[kind][f"{table} (table)"] += entry.get("Table", {}).get("CapacityUnits", 0.0)
        for index, used in (entry.get("GlobalSecondaryIndexes") or {}).items():
            self.units[kind][f"{table}.{index}"] += used["CapacityUnits"]
        if "Table" not in entry:  # a table without index detail reports only the total
            self.units[kind][f"{table} (table)"] += entry.get("CapacityUnits", 0.0)

    def reset(self) -> None:
        for per in self.units.values():
            per.clear()
        self.calls.clear()


def _setup(repo: Repository, leads: int) -> None:
    seed_rule(repo, staff="ABCDEF", rule_id="assign")
    add_leads(repo, leads, received_at=NOW, tenant_id="bench", phone="+84912345678", email="an@example.vn")


def _reclaim_rule() -> Any:
    return new_rule(
        dict(
            tenant_id="bench",
            rule_id="reclaim",
            name="bench reclaim",
            kind="reclaim",
            scope={"pool": "web", "step": "new"},
            staff=[{"staff_id": s, "weight": 1} for s in "DEF"],
            reclaim_after_minutes=30,
        )
    )


def _summary(meter: MeteredClient, moved: int) -> dict[str, Any]:
    write_total = sum(meter.units["write"].values())
    return {
        "leads": moved,
        "wru_total": round(write_total, 2),
        "wru_per_lead": round(write_total / moved, 3) if moved else None,
        "wru_by_target": {k: round(v, 2) for k, v in sorted(meter.units["write"].items())},
        "rru_total": round(sum(meter.units["read"].values()), 2),
        "calls": dict(sorted(meter.calls.items())),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--leads", type=int, default=1000)
    parser.add_argument("--label", default=os.environ.get("BENCH_LABEL", "working tree"))
    args = parser.parse_args()
    with DynamoDBLocal() as ddb:
        settings = point_at(ddb)
        _setup(new_repository(settings), args.leads)
        meter = MeteredClient(ddb.client())
        repo = Repository(settings, client=meter)

        report = run_sweeps(repo, "assign", sweep_due_leads, NOW + timedelta(minutes=1), LEASE)
        assign = _summary(meter, report.totals()["assigned"])

        repo.create_rule(_reclaim_rule())
        meter.reset()
        report = run_sweeps(repo, "reclaim", sweep_idle_leads, NOW + timedelta(minutes=32), LEASE)
        reclaim = _summary(meter, report.totals()["assigned"])
        item = ddb.client().query(
            TableName=settings.leads_table,
            KeyConditionExpression="tenant_id = :t",
            ExpressionAttributeValues={":t": {"S": "bench"}},
            Limit=1,
        )["Items"][0]
    print(
        json.dumps(
            {
                "label": args.label,
                "assign": assign,
                "reclaim": reclaim,
                "lead_item_bytes_approx": len(json.dumps(item)),
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
