"""What an idle reclaim rule costs per tick, on DynamoDB Local, over two reclaim windows.

    PYTHONPATH=shared:. .venv/bin/python bench/idle_rules.py   # writes bench/idle_rules_results.json
    PYTHONPATH=shared:. .venv/bin/python bench/idle_rules.py --tree <checkout> --record-before

K reclaim rules (30-minute window, 3 staff per tenant, spread over tenants), nothing held in their
scopes, are ticked every minute for 61 minutes on the deployed path: ``dispatch_tick`` (listing and
questions, orders captured), then ``run_order`` with ``sweep_idle_leads`` for each order (what a
sweeper invocation runs). The first tick (no stamp yet: every rule is swept once) is reported apart;
the average runs over the 60 ticks after it, so it includes the tick after each rule's window. Every
request is metered (``ReturnConsumedCapacity=INDEXES``, tagged by purpose); ``rru_aws`` charges each
read request DynamoDB's minimum (0.5 RRU eventually consistent, 1 strongly), which DynamoDB Local
leaves out; a botocore hook counts write requests. ``--tree`` measures another checkout with this
script (it uses only ``dispatch_tick``, ``run_order`` and ``sweep_idle_leads``, which both have).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench.trees import ROOT, import_first_from, measured_tree

TREE = measured_tree(sys.argv) if __name__ == "__main__" else ROOT
if __name__ == "__main__":
    import_first_from(TREE)

from bench.dispatch_before import (  # noqa: E402
    LEASE,
    NOW,
    CallCounter,
    TaggedMeter,
    Tally,
    commit_of,
    ddb_client,
    tags_per,
    total_of,
)
from bench.local import point_at  # noqa: E402
from leadrouter.data.repository import Repository  # noqa: E402
from leadrouter.domain.rules import Rule, RuleKind  # noqa: E402
from leadrouter.logic.routing.dispatch import dispatch_tick, run_order  # noqa: E402
from leadrouter.logic.routing.reclaim import sweep_idle_leads  # noqa: E402
from leadrouter.logic.routing.sweeps import SweepReport, default_owner  # noqa: E402
from leadrouter_local.ddb_local import DynamoDBLocal  # noqa: E402
from tests.support.builders import rule, seed, staff  # noqa: E402

RESULTS_PATH = Path(__file__).with_name("idle_rules_results.json")
BEFORE_PATH = Path(__file__).with_name("idle_rules_before.json")
RECLAIM_AFTER_MINUTES = 30
STAFF = ("A", "B", "C")


class CapturingQueue:
    """The dispatcher's queue: keeps the orders (a sweeper takes them in the same tick)."""

    def __init__(self) -> None:
        self.orders: list[Any] = []

    def send(self, orders: Sequence[Any]) -> int:
        self.orders += list(orders)
        return len(orders)


def seed_rules(repo: Repository, count: int, tenants: int) -> list[Rule]:
    """``count`` reclaim rules over ``tenants`` tenants of 3 staff each, every rule its own step."""
    rules: list[Rule] = []
    for k in range(count):
        tenant = f"t{k % tenants:03d}"
        found = rule(
            f"back{k:04d}",
            weights=dict.fromkeys(STAFF, 1),
            kind=RuleKind.RECLAIM,
            tenant_id=tenant,
            scope={"pool": "web", "step": f"s{k}"},
            reclaim_after_minutes=RECLAIM_AFTER_MINUTES,
        )
        seed(repo, found, [staff(s, tenant_id=tenant) for s in STAFF])
        rules.append(found)
    return rules


def measure(count: int, tenants: int, minutes: int) -> dict[str, Any]:
    with DynamoDBLocal() as ddb:
        settings = point_at(ddb)
        plain = Repository(settings, client=ddb_client())
        seed_rules(plain, count, tenants)
        real = ddb_client()
        meter, writes = TaggedMeter(real), CallCounter(real, "dynamodb")
        repo = Repository(settings, client=meter)
        owner = default_owner()
        ticks: list[dict[str, Any]] = []
        all_tags: list[dict[str, Tally]] = []
        for minute in range(minutes + 1):
            now = NOW + timedelta(minutes=minute)
            meter.reset()
            writes.reset()
            queue = CapturingQueue()
            dispatch_tick(repo, queue, "reclaim", now)
            outcomes: Counter[str] = Counter()
            for order in queue.orders:
                outcome = run_order(repo, order, sweep_idle_leads, now, LEASE, owner)
                outcomes["swept" if isinstance(outcome, SweepReport) else str(outcome)] += 1
            total = meter.totals()
            ticks.append(
                {
                    "minute": minute,
                    "orders": len(queue.orders),
                    "outcomes": dict(outcomes),
                    "write_requests_hook": writes.writes,
                    **{k: round(v / count, 4) for k, v in total.as_dict().items()},
                }
            )
            all_tags.append(meter.snapshot())
        counted = ticks[1:]
        summed: dict[str, Tally] = {}
        for tags in all_tags[1:]:
            for tag, tally in tags.items():
                summed.setdefault(tag, Tally()).add(tally)
        per_tick = total_of(summed.values()).as_dict(count * len(counted))
        worst = max(counted, key=lambda t: (t["wru"], t["rru_aws"]))
        return {
            "rules": count,
            "tenants": tenants,
            "staff_per_tenant": len(STAFF),
            "reclaim_after_minutes": RECLAIM_AFTER_MINUTES,
            "ticks_counted": len(counted),
            "first_tick_per_rule": ticks[0],
            "per_rule_per_tick": per_tick,
            "max_wru_per_rule_in_a_tick": max(t["wru"] for t in counted),
            "write_requests_hook_after_first": sum(t["write_requests_hook"] for t in counted),
            "worst_tick": worst,
            "by_purpose_per_rule_per_tick": tags_per(summed, count * len(counted)),
            "ticks": ticks,
        }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tree", default=str(ROOT), help="the checkout to measure (default: this one)")
    parser.add_argument("--rules", type=int, default=300)
    parser.add_argument("--tenants", type=int, default=100)
    parser.add_argument(
        "--minutes", type=int, default=2 * RECLAIM_AFTER_MINUTES, help="ticks after the first"
    )
    parser.add_argument("--record-before", action="store_true", help=f"write {BEFORE_PATH.name}")
    parser.add_argument("--out", default=None, help=f"results file (default {RESULTS_PATH.name})")
    args = parser.parse_args()
    from leadrouter.observability import logger

    logger.setLevel("CRITICAL")
    figures = {"commit": commit_of(TREE), **measure(args.rules, args.tenants, args.minutes)}
    per = figures["per_rule_per_tick"]
    worst = figures["worst_tick"]
    line = (
        f"idle reclaim rule: {per['wru']} WRU, {per['rru_aws']} RRU per tick"
        f" (average of {figures['ticks_counted']} ticks, {args.rules} rules, AWS minimum read charge,"
        f" {per['calls']} calls; costliest tick, minute {worst['minute']}: {worst['wru']} WRU,"
        f" {worst['rru_aws']} RRU, {worst['calls']} calls per rule)"
    )
    figures["line"] = line
    text = json.dumps(figures, indent=2, ensure_ascii=False)
    if args.record_before:
        BEFORE_PATH.write_text(text + "\n")
    else:
        out = Path(args.out) if args.out else RESULTS_PATH
        out.write_text(text + "\n")
        if BEFORE_PATH.exists():
            before = json.loads(BEFORE_PATH.read_text())
            print(f"before ({before['commit']}): {before['line']}")
    print(line)


if __name__ == "__main__":
    main()
