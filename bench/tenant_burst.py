"""One tenant's burst against DynamoDB's per-partition-key write limit: refused, lost, duplicated.

    PYTHONPATH=shared:. .venv/bin/python bench/tenant_burst.py [--leads 600] [--threads 8] [--wcu auto]

DynamoDB Local with AWS's limit reproduced (``tests.support.partition_limits``: a token bucket per
partition key, each write charged its WCU by size, refused with ProvisionedThroughputExceededException
inside botocore's retry loop), the overflow queue on the local SQS emulator and its drain
(IntakeOverflowFunction's handler, polled as Lambda's event source mapping polls it). N submissions of
one tenant go through the intake use case (``reception.take``, wired as the door wires it) from
threads, as fast as the machine takes them; then the queue is drained and every answer is checked
against the leads: accepted (stored at once or queued), refused (what a visitor would see: 4xx/5xx),
lost (answered accepted, never a lead), duplicated (more than one lead).

Scaling. AWS gives a partition key 1,000 WCU/s; the goal is 2,000 leads/s of one tenant, so the burst
is 2x the budget of a key that takes 1 WCU per lead. This machine offers far fewer than 2,000 a second,
so the budget is scaled with it: a short unthrottled run measures the rate R the machine offers and the
budget is R/2 WCU/s per key (``--wcu`` sets it), i.e. the same 2x overload (more, in fact: a queued
submission costs the door less than a stored one, so the throttled burst is offered faster). The
drain runs ``--drain-pollers`` pollers here (the template's MaximumConcurrency is for AWS's speed).
Ends with the arithmetic for AWS from the measured units per lead.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "shared"), str(ROOT)]
os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "ERROR")

from bench.local import point_at  # noqa: E402
from leadrouter.runtime import new_repository  # noqa: E402
from leadrouter_local.ddb_local import DynamoDBLocal  # noqa: E402
from leadrouter_local.template import load_template  # noqa: E402
from tests.support.burst import DRAIN, ending, offer, overflow_stack, seed  # noqa: E402

AWS_WCU_PER_KEY = 1000
TARGET = 2000
#: One drain instance on AWS: a batch of 10, ~4 calls a lead at ~5 ms each (DynamoDB's single-digit
#: milliseconds), so ~40-50 leads a second (an estimate, not measured here: DynamoDB Local is slower).
AWS_DRAIN_LEADS_PER_INSTANCE = 40
RESULTS = ROOT / "bench" / "results" / "tenant_burst.json"


def _logical(partition: str) -> str:
    """``<physical table>[/index]|key`` → ``Leads[/index]`` (the key's value left out: it names a tenant)."""
    table, _, _ = partition.partition("|")
    name, _, index = table.partition("/")
    for var, physical in os.environ.items():
        if var.endswith("_TABLE") and physical == name:
            logical = "".join(p.capitalize() for p in var.removesuffix("_TABLE").split("_"))
            return logical + (f"/{index}" if index else "")
    return table


def run(args: argparse.Namespace) -> dict[str, Any]:
    with DynamoDBLocal() as ddb:
        point_at(ddb)
        repo = new_repository()
        keys = seed(repo, sources=args.sources)
        if args.wcu == "auto":  # the rate this machine offers with no limit, on its own leads
            with overflow_stack(ddb.client(), wcu=1e9):
                calibration = offer(keys, args.calibrate, args.threads, start=10_000_000)
            wcu = max(2.0, args.calibrate / calibration.seconds / 2)
        else:
            wcu = float(args.wcu)
        with overflow_stack(ddb.client(), wcu=wcu) as stack:
            before = dict(stack.limits.by_key)
            offered = offer(keys, args.leads, args.threads)
            throttled_at_door = sum(stack.limits.throttled.values())
            burst_units = {k: v - before.get(k, 0.0) for k, v in stack.limits.by_key.items()}
            drain_seconds = stack.drain(seconds=args.drain_timeout, concurrency=args.drain_pollers)
            throttled_in_drain = sum(stack.limits.throttled.values()) - throttled_at_door
            waiting, dead = stack.waiting(), stack.dead_lettered()
            units = {k: v - before.get(k, 0.0) for k, v in stack.limits.by_key.items()}
        end = ending(repo, offered.answered_accepted)
    per_lead: dict[str, float] = {}
    for partition, used in units.items():
        name = _logical(partition)
        per_lead[name] = max(per_lead.get(name, 0.0), used / args.leads)  # the hottest key of each
    hottest = max(per_lead.values())
    rate = args.leads / offered.seconds
    return {
        "leads": args.leads,
        "threads": args.threads,
        "sources": args.sources,
        "wcu_per_key_per_second": round(wcu, 1),
        "offered_per_second": round(rate, 1),
        "overload": round(rate * hottest / wcu, 2),
        "aws_overload": round(TARGET * hottest / AWS_WCU_PER_KEY, 2),
        "accepted_at_once": len(offered.accepted),
        "queued": len(offered.queued),
        "refused": dict(offered.refused),
        "absorbed_per_second": round(len(offered.answered_accepted) / offered.seconds, 1),
        "stored_at_once_per_second": round(len(offered.accepted) / offered.seconds, 1),
        "throttled_writes_at_door": throttled_at_door,
        "throttled_writes_in_drain": throttled_in_drain,
        "burst_wcu_per_lead_by_key": {
            _logical(k): round(v / args.leads, 2) for k, v in burst_units.items() if v / args.leads >= 0.05
        },
        "wcu_per_lead_hottest_key": {k: round(v, 2) for k, v in per_lead.items() if v >= 0.05},
        "drain_seconds": round(drain_seconds, 1),
        "drain_pollers": args.drain_pollers,
        "left_in_queue": waiting,
        "dead_lettered": dead,
        "leads_made": end.leads,
        "lost": len(end.lost),
        "duplicated": len(end.duplicated),
        "records_not_accepted": end.unresolved,
    }


def aws_arithmetic(result: dict[str, Any]) -> list[str]:
    """What the measured units per lead mean at AWS's 1,000 WCU/s per key and a 2,000 leads/s burst."""
    hottest = max(result["wcu_per_lead_hottest_key"].values())
    direct = AWS_WCU_PER_KEY / hottest
    drain_concurrency = int(
        load_template()["Resources"][DRAIN]["Properties"]["Events"]["Overflow"]["Properties"][
            "ScalingConfig"
        ]["MaximumConcurrency"]
    )
    drain = min(direct, drain_concurrency * AWS_DRAIN_LEADS_PER_INSTANCE)
    backlog = (TARGET - direct) * 60
    return [
        f"- WCU per lead on each hot key (measured): {json.dumps(result['wcu_per_lead_hottest_key'])}; "
        f"the hottest takes {hottest:.2f}, so a key stores at most {direct:,.0f} leads/s "
        f"({AWS_WCU_PER_KEY:,} WCU/s / {hottest:.2f}); items over 1 KB (long attributes, UTM) take 2 WCU: "
        f"{AWS_WCU_PER_KEY / (2 * hottest):,.0f}/s.",
        f"- Offered {TARGET:,} leads/s: the door stores ~{direct:,.0f}/s at once and queues the rest "
        f"(~{TARGET - direct:,.0f}/s) with one SendMessage each; an SQS standard queue takes a nearly "
        "unlimited rate of SendMessage, so every visitor is answered 201/303 (202 to a source's server) "
        "and nothing is refused for DynamoDB: the absorbed rate is bounded by API Gateway and the API "
        "function's concurrency (~2,000/s x ~0.05 s = ~100 concurrent executions), not by the partition.",
        f"- The drain: {drain_concurrency} instances (MaximumConcurrency) x ~{AWS_DRAIN_LEADS_PER_INSTANCE} "
        f"leads/s = ~{drain_concurrency * AWS_DRAIN_LEADS_PER_INSTANCE:,}/s, capped by the same hot key "
        f"({direct:,.0f}/s): a minute at {TARGET:,}/s leaves ~{backlog:,.0f} queued, made within "
        f"~{backlog / drain:,.0f} s after the burst (while it lasts the drain and the door share the key; "
        "a throttled drain item comes back in 2-60 s, after 30 deliveries it is dead-lettered, alarmed).",
        "- Exactly once: the queued record carries its key and its one lead id (measured above: "
        f"{result['lost']} lost, {result['duplicated']} duplicated).",
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--leads", type=int, default=600)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--sources", type=int, default=24, help="a source admits 6,000 a minute at most")
    parser.add_argument("--wcu", default="auto", help="WCU/s per partition key, or auto (half the rate)")
    parser.add_argument("--calibrate", type=int, default=150, help="leads of the unthrottled run (auto)")
    parser.add_argument("--drain-pollers", type=int, default=2)
    parser.add_argument("--drain-timeout", type=float, default=120.0)
    parser.add_argument("--json", action="store_true", help="also write bench/results/tenant_burst.json")
    args = parser.parse_args()
    started = time.perf_counter()
    result = run(args)
    result["seconds"] = round(time.perf_counter() - started, 1)
    refused = sum(result["refused"].values())
    print("### One tenant's burst over the partition-key limit (DynamoDB Local, limit injected)")
    print()
    print("| measure | value |")
    print("|---|---:|")
    rows = [
        ("partition-key budget (WCU/s, scaled)", result["wcu_per_key_per_second"]),
        ("offered (leads/s)", result["offered_per_second"]),
        (
            "overload of the hottest key (AWS at 2,000/s)",
            f"{result['overload']}x ({result['aws_overload']}x)",
        ),
        ("absorbed: answered accepted (leads/s)", result["absorbed_per_second"]),
        ("stored at once (leads/s)", result["stored_at_once_per_second"]),
        ("queued", result["queued"]),
        ("refused", f"{refused} {result['refused'] or ''}".strip()),
        (
            "throttled writes: door / drain",
            f"{result['throttled_writes_at_door']} / {result['throttled_writes_in_drain']}",
        ),
        (f"drain time ({result['drain_pollers']} pollers, s)", result["drain_seconds"]),
        ("left in queue / dead-lettered", f"{result['left_in_queue']} / {result['dead_lettered']}"),
        ("leads made", f"{result['leads_made']} of {result['leads']}"),
        ("lost / duplicated", f"{result['lost']} / {result['duplicated']}"),
        ("run (s)", result["seconds"]),
    ]
    for name, value in rows:
        print(f"| {name} | {value} |")
    print()
    print("On AWS (1,000 WCU/s per partition key):")
    for line in aws_arithmetic(result):
        print(line)
    if args.json:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    if refused or result["lost"] or result["duplicated"]:
        raise SystemExit("a submission was refused, lost or duplicated")


if __name__ == "__main__":
    main()
