"""What one lead costs over its life, measured: WRU and RRU per lead for intake, assignment, care and
reclaim, and the assign sweep's time against the bare conditional writes it makes, on DynamoDB Local.

    PYTHONPATH=shared:. .venv/bin/python bench/lead_cost.py                  # this tree beside "before"
    PYTHONPATH=shared:. .venv/bin/python bench/lead_cost.py --record-before  # (re)write the before table

Units come from ``ReturnConsumedCapacity=INDEXES`` on every request (``bench.write_cost.MeteredClient``
wraps the client; the code under test is unchanged), per table and per index. The script uses only
the logic's public entry points (``submit_lead``, ``run_sweeps``, ``add_activity``, ``move_step``,
``record_care``, ``assign_pending``), so it runs on the commit before the index redesign as well:
``--record-before`` there wrote the committed ``lead_cost_before.json`` this run prints beside its own.

Phases, each on its own fresh meter:

* intake: ``submit_lead`` of N leads with distinct phones into the rule's scope (contact claim + lead);
* assignment: the assign sweep of those N leads (a 3:4:5 rule; lease, staff read, slot claims, writes);
* care: on C assigned leads each, a note and a call through the API's logic (lead + its history event
  in one transaction), the data layer's bare ``record_care``, and a step change; per activity;
* reclaim: the reclaim sweep of the leads nobody cared for, 32 minutes later (a 30-minute rule).

Sweep time: S pending leads assigned by the sweep (writes at the sweep's concurrency, 8), against S
``assign_pending`` calls on other leads at the same concurrency with no queries in between (the floor:
what the sweep's writes cost on their own). Median of ``--repeat`` runs; local latency, so the ratio
matters, not the seconds (one more pair of runs first warms DynamoDB Local's JIT up, uncounted).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "shared"), str(ROOT)]

from bench.local import TENANT, point_at, seed_rule  # noqa: E402
from bench.write_cost import MeteredClient  # noqa: E402
from leadrouter.data.repository import Repository  # noqa: E402
from leadrouter.domain.forms import FormSource  # noqa: E402
from leadrouter.domain.leads import Decision, Lead, LeadStatus  # noqa: E402
from leadrouter.domain.rules import Rule, new_rule  # noqa: E402
from leadrouter.domain.users import Caller  # noqa: E402
from leadrouter.logic.intake.new_leads import IntakeRequest, submit_lead  # noqa: E402
from leadrouter.logic.leads import care as lead_logic  # noqa: E402
from leadrouter.logic.routing.assign import WRITE_CONCURRENCY, sweep_due_leads  # noqa: E402
from leadrouter.logic.routing.reclaim import sweep_idle_leads  # noqa: E402
from leadrouter.runtime import new_repository  # noqa: E402
from leadrouter_local.ddb_local import DynamoDBLocal  # noqa: E402
from tests.support.builders import add_leads  # noqa: E402
from tests.support.ticks import run_sweeps  # noqa: E402

NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
LEASE = timedelta(minutes=3)
BEFORE_PATH = Path(__file__).with_name("lead_cost_before.json")


def _per_lead(meter: MeteredClient, count: int) -> dict[str, Any]:
    writes, reads = meter.units["write"], meter.units["read"]
    leads_w = sum(v for k, v in writes.items() if k.startswith("LeadsTable"))
    return {
        "n": count,
        "wru_per_lead": round(sum(writes.values()) / count, 3) if count else None,
        "rru_per_lead": round(sum(reads.values()) / count, 3) if count else None,
        "leads_table_wru_per_lead": round(leads_w / count, 3) if count else None,
        "wru_by_target": {k: round(v / count, 3) for k, v in sorted(writes.items())} if count else {},
        "rru_by_target": {k: round(v / count, 3) for k, v in sorted(reads.items())} if count else {},
        "calls": dict(sorted(meter.calls.items())),
    }


def _reclaim_rule() -> Rule:
    return new_rule(
        dict(
            tenant_id=TENANT,
            rule_id="reclaim",
            name="bench reclaim",
            kind="reclaim",
            scope={"pool": "web", "step": "new"},
            staff=[{"staff_id": s, "weight": 1} for s in "DEF"],
            reclaim_after_minutes=30,
        )
    )


def measure_costs(ddb: DynamoDBLocal, leads: int, cared: int) -> dict[str, Any]:
    settings = point_at(ddb)
    plain = new_repository(settings)
    seed_rule(plain, staff="ABCDEF", rule_id="assign")
    meter = MeteredClient(ddb.client())
    repo = Repository(settings, client=meter)
    source = FormSource(tenant_id=TENANT, source_id="form", name="form", pool="web", rate_per_minute=6000)
    plain.put_form_source(source, "bench-key-hash")

    meter.reset()
    for i in range(leads):
        request = IntakeRequest(name=f"Khách {i}", phone=f"09{i:08d}", email=f"k{i}@example.vn")
        submit_lead(repo, source, request, NOW + timedelta(milliseconds=i))
    intake = _per_lead(meter, leads)

    meter.reset()
    report = run_sweeps(repo, "assign", sweep_due_leads, NOW + timedelta(minutes=1), LEASE)
    assignment = _per_lead(meter, report.totals()["assigned"])

    assigned = [x for x in plain.tenant_leads(TENANT) if x.status is LeadStatus.ASSIGNED][:cared]
    care: dict[str, Any] = {}
    at = NOW + timedelta(minutes=5)
    activities: dict[str, Callable[[Lead, Caller], object]] = {
        "note (API)": lambda lead, caller: lead_logic.add_activity(
            repo, caller, lead.lead_id, "note", "gọi lại", at
        ),
        "call (API)": lambda lead, caller: lead_logic.add_activity(
            repo, caller, lead.lead_id, "call", "", at
        ),
        "record_care (data layer)": lambda lead, caller: repo.record_care(TENANT, lead.lead_id, at),
        "step change (API)": lambda lead, caller: lead_logic.move_step(
            repo, caller, lead.lead_id, "contacted", at
        ),
    }
    for name, act in activities.items():
        meter.reset()
        for lead in assigned:
            act(lead, Caller(tenant_id=TENANT, role="staff", staff_id=lead.owner))
            at += timedelta(milliseconds=1)
        care[name] = _per_lead(meter, len(assigned))

    repo.create_rule(_reclaim_rule())
    meter.reset()
    report = run_sweeps(repo, "reclaim", sweep_idle_leads, NOW + timedelta(minutes=32), LEASE)
    reclaim = _per_lead(meter, report.totals()["assigned"])
    return {"intake": intake, "assignment": assignment, "care": care, "reclaim": reclaim}


def _bare_writes(repo: Repository, rule: Rule, pending: list[Any]) -> float:
    decision = Decision(at=NOW + timedelta(minutes=1), action="assigned", rule_id=rule.rule_id, staff_id="A")

    def write(lead: Any) -> bool:
        return repo.assign_pending(lead, "A", rule, decision)

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=WRITE_CONCURRENCY) as pool:
        done = sum(pool.map(write, pending))
    elapsed = time.perf_counter() - started
    assert done == len(pending), f"bare writes: {done} of {len(pending)} applied"
    return elapsed


def measure_sweep_time(ddb: DynamoDBLocal, leads: int, repeat: int) -> dict[str, Any]:
    settings = point_at(ddb)
    repo = new_repository(settings)
    rule = seed_rule(repo, rule_id="timed")
    sweeps: list[float] = []
    bare: list[float] = []
    for run in range(-1, repeat):  # run -1 warms DynamoDB Local's JIT up and is not counted
        at = NOW + timedelta(days=run + 1)
        add_leads(repo, leads, received_at=at, tenant_id=TENANT, phone="+84912345678")
        started = time.perf_counter()
        report = run_sweeps(repo, "assign", sweep_due_leads, at + timedelta(minutes=1), LEASE)
        swept = time.perf_counter() - started
        assert report.totals()["assigned"] == leads, report.totals()
        others = add_leads(repo, leads, received_at=at, tenant_id=TENANT, step="bare", phone="+84912345678")
        written = _bare_writes(repo, rule, others)
        if run >= 0:
            sweeps.append(swept)
            bare.append(written)
    sweep_s, bare_s = statistics.median(sweeps), statistics.median(bare)
    return {
        "leads": leads,
        "concurrency": WRITE_CONCURRENCY,
        "sweep_seconds": round(sweep_s, 2),
        "bare_conditional_writes_seconds": round(bare_s, 2),
        "ratio": round(sweep_s / bare_s, 2),
        "runs": repeat,
    }


def _commit() -> str:
    """The commit measured (``BENCH_COMMIT`` for a tree that is not a checkout, e.g. a git archive)."""
    if os.environ.get("BENCH_COMMIT"):
        return os.environ["BENCH_COMMIT"]
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        )
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "shared", "template.yaml"],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
    except OSError:
        return "unknown"
    return head.stdout.strip() + (" (modified)" if dirty.stdout.strip() else "")


def _table(label: str, figures: dict[str, Any]) -> list[str]:
    costs = figures["costs"]
    rows = [("intake", costs["intake"]), ("assignment", costs["assignment"])]
    rows += [(f"care: {name}", value) for name, value in costs["care"].items()]
    rows.append(("reclaim", costs["reclaim"]))
    lines = [
        f"{label} ({figures['commit']})",
        f"  {'per lead':32} {'WRU':>7} {'of which leads table':>21} {'RRU':>7}",
    ]
    for name, value in rows:
        wru, leads_wru, rru = value["wru_per_lead"], value["leads_table_wru_per_lead"], value["rru_per_lead"]
        lines.append(f"  {name:32} {wru:>7} {leads_wru:>21} {rru:>7}")
    timing = figures["sweep_time"]
    lines.append(
        f"  sweep of {timing['leads']} at concurrency {timing['concurrency']}: {timing['sweep_seconds']} s"
        f" vs {timing['bare_conditional_writes_seconds']} s of bare conditional writes = {timing['ratio']}x"
    )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--leads", type=int, default=1000)
    parser.add_argument("--cared", type=int, default=200)
    parser.add_argument("--sweep-leads", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument(
        "--record-before", action="store_true", help=f"write {BEFORE_PATH.name} from this tree"
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON only")
    args = parser.parse_args()
    with DynamoDBLocal() as ddb:
        costs = measure_costs(ddb, args.leads, args.cared)
    with DynamoDBLocal() as ddb:
        timing = measure_sweep_time(ddb, args.sweep_leads, args.repeat)
    figures = {"commit": _commit(), "costs": costs, "sweep_time": timing}
    if args.record_before:
        BEFORE_PATH.write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n")
    if args.json:
        print(json.dumps(figures, indent=2, ensure_ascii=False))
        return
    lines = _table("this tree", figures)
    if BEFORE_PATH.exists() and not args.record_before:
        lines = [*_table("before", json.loads(BEFORE_PATH.read_text())), "", *lines]
    print("\n".join(lines))


if __name__ == "__main__":
    main()
