"""The scheduled tick at scale: dispatcher → AssignQueue → N sweepers, on DynamoDB Local and
the local SQS emulator, for 10 / 100 / 1,000 / 10,000 active rules over up to 1,000 tenants.

    PYTHONPATH=shared:. .venv/bin/python bench/dispatch_bench.py            # full: ~6 min on 2 cores
    PYTHONPATH=shared:. .venv/bin/python bench/dispatch_bench.py --quick    # smoke: R 10,100; N 1,4
    PYTHONPATH=shared:. .venv/bin/python bench/dispatch_bench.py --report bench/dispatch_results.json
    PYTHONPATH=shared:. .venv/bin/python bench/dispatch_before.py --tree <8da55d8 checkout> --record-before

Per R (a fresh DynamoDB Local): R weighted 3:4:5 rules spread evenly over min(R, 1000) tenants of 3
staff each, every rule its own scope (web / s<k>), no delay, continuous window; 5% of the rules (at
least one) get 3 due leads before each tick. For each N in (1, 4, 16) one tick, timed from t0:

* dispatch: ``dispatch_tick`` (the Lambda's code path: ``plan_tick`` + ``SweepQueue.send``) to the
  emulated AssignQueue, its requests metered (``ReturnConsumedCapacity=INDEXES``, tagged by purpose)
  and counted by a botocore hook on the same client (any write request would show there);
* sweep: N threads, each a sweeper with its own clients, receiving up to 10 orders at a time and
  running ``run_order`` with ``sweep_due_leads`` on each (``WRITE_CONCURRENCY`` as it is), deleting
  the orders that succeeded, until the queue is empty and nothing is in flight. ``t_last`` is when the
  last sweep that assigned a lead returned.

Then a tick with nothing due: the dispatcher's units per idle rule (its due questions, and its
listing's share). At R=1000 (``--fail-rules``), the N=4 tick again with one due rule whose sweep
always raises: every other rule's leads are assigned in that tick, and the failing order is
dead-lettered after ``maxReceiveCount`` receives (the emulator's visibility timeout scaled by
``--fail-time-scale``). Last, an extrapolation to AWS from the measured call counts (not local
latency) under stated assumptions. Output: a markdown report on stdout, figures in
``bench/dispatch_results.json`` (full runs; ``--out`` for others). Seconds are this machine's with
DynamoDB Local on the same 2 cores: they show the curve, not AWS latency.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "shared"), str(ROOT)]

import boto3  # noqa: E402
from botocore.config import Config  # noqa: E402

from bench.dispatch_before import (  # noqa: E402
    BEFORE_PATH,
    LEASE,
    LISTING_TAG,
    NOW,
    CallCounter,
    TaggedMeter,
    commit_of,
    ddb_client,
    merged,
    seed_config,
    tags_per,
    total_of,
)
from bench.local import point_at  # noqa: E402
from leadrouter.data import sweep_queue as sweep_queue_module  # noqa: E402
from leadrouter.data.repository import Repository  # noqa: E402
from leadrouter.data.sweep_queue import SweepQueue  # noqa: E402
from leadrouter.domain.dispatch import DISPATCH_SHARDS, SweepOrder  # noqa: E402
from leadrouter.domain.rules import Rule  # noqa: E402
from leadrouter.logic.routing import assign  # noqa: E402
from leadrouter.logic.routing import dispatch as dispatch_logic  # noqa: E402
from leadrouter.logic.routing.assign import sweep_due_leads  # noqa: E402
from leadrouter.logic.routing.dispatch import TickPlan, dispatch_tick, run_order  # noqa: E402
from leadrouter.logic.routing.scheduled import ORDER  # noqa: E402
from leadrouter.logic.routing.sweeps import SweepPorts, SweepReport, default_owner  # noqa: E402
from leadrouter.observability import logger  # noqa: E402
from leadrouter.runtime import new_repository  # noqa: E402
from leadrouter.settings import Settings  # noqa: E402
from leadrouter_local.aws_endpoint import AwsEmulator  # noqa: E402
from leadrouter_local.ddb_local import DynamoDBLocal  # noqa: E402
from leadrouter_local.template import load_template  # noqa: E402
from tests.support.builders import lead  # noqa: E402

SIZES = (10, 100, 1000, 10_000)
SWEEPERS = (1, 4, 16)
QUICK_SIZES = (10, 100)
QUICK_SWEEPERS = (1, 4)
DUE_SHARE = 0.05
LEADS_PER_DUE_RULE = 3
RESULTS_PATH = Path(__file__).with_name("dispatch_results.json")
#: How long a sweeper waits on an empty queue (long polling, as Lambda's event source mapping does).
POLL_WAIT_SECONDS = 1


# --------------------------------------------------------------------------------------------- set-up
def due_rules_of(rules: Sequence[Rule]) -> list[Rule]:
    """5% of the rules (at least one), spread over the list (so over tenants and shards)."""
    count = max(1, round(len(rules) * DUE_SHARE))
    return list(rules[:: len(rules) // count][:count])


def add_due_leads(repo: Repository, rules: Sequence[Rule], queued_at: datetime) -> int:
    """3 pending leads in each rule's scope, queued at ``queued_at`` (so due at once: no delay)."""

    def add(rule: Rule) -> int:
        leads = [
            lead(
                received_at=queued_at + timedelta(milliseconds=i),
                tenant_id=rule.tenant_id,
                pool=rule.scope.pool or "web",
                step=rule.scope.step or "new",
            )
            for i in range(LEADS_PER_DUE_RULE)
        ]
        repo.import_leads(leads)
        return len(leads)

    with ThreadPoolExecutor(max_workers=8) as pool:
        return sum(pool.map(add, rules))


def sqs_client(endpoint: str) -> Any:
    """A client like ``SweepQueue``'s own, pointed at one emulator."""
    return boto3.client(
        "sqs",
        endpoint_url=endpoint,
        config=Config(retries={"mode": "standard", "max_attempts": 6}, max_pool_connections=16),
    )


@dataclass
class Sweeper:
    """One sweeper invocation's clients (a Lambda container's: its own DynamoDB and SQS clients)."""

    repo: Repository
    meter: TaggedMeter
    writes: CallCounter
    owner: str
    #: Set by ``Queues`` (each emulator has its own endpoint).
    sqs: Any = None
    sqs_calls: CallCounter | None = None


@dataclass
class Stack:
    settings: Settings
    repo: Repository  # the dispatcher's, metered
    meter: TaggedMeter
    writes: CallCounter
    plain: Repository  # seeding and checks, not metered
    sweepers: list[Sweeper]


def make_stack(settings: Settings, sweepers: int) -> Stack:
    real = ddb_client()
    meter = TaggedMeter(real)
    counter = CallCounter(real, "dynamodb")
    found: list[Sweeper] = []
    for _ in range(sweepers):  # boto3 clients are made here, on one thread (making them is not thread-safe)
        own = ddb_client()
        own_meter = TaggedMeter(own)
        found.append(
            Sweeper(
                repo=Repository(settings, client=own_meter),
                meter=own_meter,
                writes=CallCounter(own, "dynamodb"),
                owner=default_owner(),
            )
        )
    return Stack(
        settings=settings,
        repo=Repository(settings, client=meter),
        meter=meter,
        writes=counter,
        plain=new_repository(settings),
        sweepers=found,
    )


class Queues:
    """The template's queues on one emulator, and the dispatcher's ``SweepQueue`` to its AssignQueue."""

    def __init__(self, stack: Stack, time_scale: float = 1.0) -> None:
        self.emulator = AwsEmulator(load_template(), time_scale=time_scale, log=lambda _: None)
        self.emulator.start()
        self.url = self.emulator.refs["AssignQueue"]
        self.dlq_url = self.emulator.refs["AssignDeadLetterQueue"]
        client = sqs_client(self.emulator.endpoint)
        self.sends = CallCounter(client, "sqs")
        self.queue = SweepQueue(self.url, client)
        for sweeper in stack.sweepers:
            sweeper.sqs = sqs_client(self.emulator.endpoint)
            sweeper.sqs_calls = CallCounter(sweeper.sqs, "sqs")

    def pending(self, url: str | None = None) -> int:
        """Messages visible, in flight or delayed (the harness's own look, not a metered call)."""
        found = self.emulator.sqs.queue_attributes(url or self.url)
        return sum(
            int(found[k])
            for k in (
                "ApproximateNumberOfMessages",
                "ApproximateNumberOfMessagesNotVisible",
                "ApproximateNumberOfMessagesDelayed",
            )
        )

    def stop(self) -> None:
        self.emulator.stop()


# --------------------------------------------------------------------------------------------- a tick
class BenchFailure(RuntimeError):
    """The always-failing rule's sweep."""


@dataclass
class SweepState:
    now: datetime
    failing: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    t_last: float | None = None
    assigned: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    receives: int = 0
    batches: int = 0
    failures: Counter[str] = field(default_factory=Counter)
    failure_times: list[float] = field(default_factory=list)

    def sweep(
        self,
        repo: SweepPorts,
        rule: Rule,
        now: datetime,
        time_left: Callable[[], float],
        release_after: datetime | None,
    ) -> SweepReport:
        if rule.rule_id == self.failing:
            raise BenchFailure(f"the sweep of {rule.rule_id} always fails (bench)")
        report = sweep_due_leads(repo, rule, now, time_left, release_after)
        if report.assigned:
            done = time.perf_counter()
            with self.lock:
                self.assigned += report.assigned
                self.t_last = max(self.t_last or done, done)
        return report


def sweeper_loop(sweeper: Sweeper, queues: Queues, state: SweepState) -> None:
    """One sweeper: receive ≤10 orders, run each, delete the ones that succeeded (a raised order stays,
    as a partial batch failure), until the queue holds nothing visible, in flight or delayed."""
    while True:
        messages = sweeper.sqs.receive_message(
            QueueUrl=queues.url, MaxNumberOfMessages=10, WaitTimeSeconds=POLL_WAIT_SECONDS
        ).get("Messages", [])
        if not messages:
            if queues.pending() == 0:
                return
            continue
        done: list[dict[str, Any]] = []
        for message in messages:
            order = ORDER.validate_json(message["Body"])
            try:
                outcome = run_order(sweeper.repo, order, state.sweep, state.now, LEASE, sweeper.owner)
            except Exception:
                rule_id = order.rule_id if isinstance(order, SweepOrder) else "unrouted"
                with state.lock:
                    state.failures[rule_id] += 1
                    state.failure_times.append(time.perf_counter())
                continue
            with state.lock:
                state.outcomes["swept" if isinstance(outcome, SweepReport) else str(outcome)] += 1
            done.append(message)
        with state.lock:
            state.receives += len(messages)
            state.batches += 1
        if done:
            sweeper.sqs.delete_message_batch(
                QueueUrl=queues.url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)],
            )


def plan_summary(plan: TickPlan) -> dict[str, int]:
    return {
        "active": plan.rules_active,
        "due": len(plan.due),
        "idle": len(plan.idle),
        "closed": len(plan.closed),
        "shadowed": len(plan.shadowed),
        "unchecked": len(plan.unchecked),
        "unrouted": len(plan.unrouted),
    }


def _reset(stack: Stack, queues: Queues) -> None:
    stack.meter.reset()
    stack.writes.reset()
    queues.sends.reset()
    for sweeper in stack.sweepers:
        sweeper.meter.reset()
        sweeper.writes.reset()
        if sweeper.sqs_calls is not None:
            sweeper.sqs_calls.reset()


def one_tick(
    stack: Stack,
    queues: Queues,
    rules: Sequence[Rule],
    due: Sequence[Rule],
    sweepers: int,
    now: datetime,
    failing: str | None = None,
) -> dict[str, Any]:
    """Fresh due leads, then one tick: dispatch, N sweepers until the queue is drained."""
    expected = add_due_leads(stack.plain, due, now - timedelta(minutes=1))
    if failing is not None:
        expected -= LEADS_PER_DUE_RULE
    _reset(stack, queues)
    state = SweepState(now=now, failing=failing)
    cpu0, t0 = time.process_time(), time.perf_counter()
    plan = dispatch_tick(stack.repo, queues.queue, "assign", now)
    t_dispatch, cpu_dispatch = time.perf_counter(), time.process_time()
    threads = [
        threading.Thread(target=sweeper_loop, args=(s, queues, state), name=f"sweeper-{i}")
        for i, s in enumerate(stack.sweepers[:sweepers])
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    t_drained, cpu_end = time.perf_counter(), time.process_time()
    left = [r.rule_id for r in due if stack.plain.has_due_lead(r.tenant_id, r.scope.key, now)]
    dispatch_tags = stack.meter.snapshot()
    sweep_tags = merged(s.meter for s in stack.sweepers[:sweepers])
    swept = max(1, state.outcomes["swept"])
    t_last = state.t_last if state.t_last is not None else t_dispatch
    result: dict[str, Any] = {
        "rules": len(rules),
        "tenants": len({r.tenant_id for r in rules}),
        "sweepers": sweepers,
        "due_rules": len(due),
        "plan": plan_summary(plan),
        "dispatch_seconds": round(t_dispatch - t0, 3),
        "dispatch_cpu_seconds": round(cpu_dispatch - cpu0, 3),
        "dispatch_calls": {tag: t.calls for tag, t in sorted(dispatch_tags.items())},
        "dispatch_units": total_of(dispatch_tags.values()).as_dict(),
        "dispatch_write_requests_hook": stack.writes.writes,
        "dispatch_sqs_calls": queues.sends.snapshot(),
        "sweep_seconds": round(t_last - t_dispatch, 3),
        "total_seconds": round(t_last - t0, 3),
        "drained_seconds": round(t_drained - t0, 3),
        "sweep_cpu_seconds": round(cpu_end - cpu_dispatch, 3),
        "leads_assigned": state.assigned,
        "leads_expected": expected,
        "rules_with_due_leads_left": left,
        "outcomes": dict(state.outcomes),
        "receives": state.receives,
        "receive_batches": state.batches,
        "sweep_per_due_rule": tags_per(sweep_tags, swept),
        "sweep_units_per_due_rule": total_of(sweep_tags.values()).as_dict(swept),
        "sweep_write_requests_hook": sum(s.writes.writes for s in stack.sweepers[:sweepers]),
        "sweeper_sqs_calls": dict(
            sum(
                (Counter(s.sqs_calls.snapshot()) for s in stack.sweepers[:sweepers] if s.sqs_calls),
                Counter(),
            )
        ),
    }
    if failing is not None:
        dead = queues.emulator.sqs.queue(queues.dlq_url).messages
        bodies = [json.loads(m.body) for m in dead]
        result["failing"] = {
            "rule_id": failing,
            "raised": state.failures[failing],
            "last_failure_seconds": round(max(state.failure_times) - t0, 3) if state.failure_times else None,
            "dead_letters": [b.get("rule_id") for b in bodies],
            "dead_letter_receive_counts": [m.receive_count for m in dead],
            "others_assigned_by_seconds": round(t_last - t0, 3),
            "dlq_by_seconds": round(t_drained - t0, 3),
            "every_other_rule_assigned": state.assigned == expected and left == [failing],
        }
    return result


def idle_tick(stack: Stack, queues: Queues, rules: Sequence[Rule], now: datetime) -> dict[str, Any]:
    """A tick where no rule is due: every due question is an idle rule's."""
    _reset(stack, queues)
    cpu0, t0 = time.process_time(), time.perf_counter()
    plan = dispatch_tick(stack.repo, queues.queue, "assign", now)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    assert not plan.due, f"{len(plan.due)} rules due in the idle tick"
    tags = stack.meter.snapshot()
    count = len(rules)
    questions = total_of(t for tag, t in tags.items() if not tag.startswith(LISTING_TAG))
    listing = total_of(t for tag, t in tags.items() if tag.startswith(LISTING_TAG))
    return {
        "rules": count,
        "plan": plan_summary(plan),
        "dispatch_seconds": round(seconds, 3),
        "dispatch_cpu_seconds": round(cpu, 3),
        "per_idle_rule": {
            "questions": questions.as_dict(count),
            "listing": listing.as_dict(count),
            "all": total_of(tags.values()).as_dict(count),
        },
        "by_purpose": {tag: t.as_dict() for tag, t in sorted(tags.items())},
        "write_requests_hook": stack.writes.writes,
        "botocore_calls": stack.writes.snapshot(),
        "sqs_calls": queues.sends.snapshot(),
    }


def run_size(count: int, sweepers: Sequence[int], fail: tuple[int, float] | None) -> dict[str, Any]:
    """One R on a fresh DynamoDB Local: seed, warm up, a tick per N, an idle tick, maybe the failing tick."""
    with DynamoDBLocal() as ddb:
        settings = point_at(ddb)
        rules, seeded = seed_config(settings, count)
        due = due_rules_of(rules)
        stack = make_stack(settings, max([*sweepers, fail[0] if fail else 1]))
        queues = Queues(stack)
        try:
            idle_tick(stack, queues, rules, NOW)  # warms DynamoDB Local up (uncounted)
            ticks = []
            for i, n in enumerate(sweepers):
                ticks.append(one_tick(stack, queues, rules, due, n, NOW + timedelta(minutes=10 * (i + 1))))
                _progress(ticks[-1])
            idle = idle_tick(stack, queues, rules, NOW + timedelta(minutes=10 * (len(sweepers) + 1)))
        finally:
            queues.stop()
        sizes = listed_item_bytes(settings, due)
        failing = None
        if fail is not None:
            n, scale = fail
            queues = Queues(stack, time_scale=scale)
            try:
                at = NOW + timedelta(minutes=10 * (len(sweepers) + 2))
                victim = due[len(due) // 2].rule_id
                failing = one_tick(stack, queues, rules, due, n, at, failing=victim)
                failing["time_scale"] = scale
                _progress(failing)
            finally:
                queues.stop()
    return {
        "rules": count,
        "tenants": len({r.tenant_id for r in rules}),
        "due_rules": len(due),
        "item_bytes": sizes,
        "seed_seconds": round(seeded, 2),
        "ticks": ticks,
        "idle": idle,
        "failing": failing,
    }


def item_bytes(item: dict[str, Any]) -> int:
    """An item's size as DynamoDB counts it: attribute names plus values (strings as UTF-8, numbers
    ~1 byte per 2 digits + 1, 3 bytes + 1 per element for lists and maps)."""

    def value(v: dict[str, Any]) -> int:
        (kind, raw), *_ = v.items()
        if kind == "S":
            return len(str(raw).encode())
        if kind == "N":
            return math.ceil(len(str(raw).lstrip("-").replace(".", "")) / 2) + 1
        if kind in ("BOOL", "NULL"):
            return 1
        if kind == "B":
            return len(raw)
        if kind in ("SS", "NS", "BS"):
            return sum(value({kind[0]: x}) for x in raw)
        if kind == "L":
            return 3 + sum(1 + value(x) for x in raw)
        return 3 + sum(1 + len(k.encode()) + value(x) for k, x in raw.items())  # M

    return sum(len(name.encode()) + value(v) for name, v in item.items())


def listed_item_bytes(settings: Settings, due: Sequence[Rule]) -> dict[str, int]:
    """The mean size of the stored rule items and scope markers the tick lists (of the due rules'
    tenants: every one has both)."""
    client = ddb_client()
    rules: list[int] = []
    markers: list[int] = []
    for tenant in sorted({r.tenant_id for r in due})[:50]:
        for prefix, found in (("RULE#", rules), ("SCOPE#", markers)):
            items = client.query(
                TableName=settings.config_table,
                KeyConditionExpression="pk = :pk AND begins_with(sk, :p)",
                ExpressionAttributeValues={":pk": {"S": f"TENANT#{tenant}"}, ":p": {"S": prefix}},
            )["Items"]
            found += [item_bytes(i) for i in items]
    return {
        "rule": round(sum(rules) / max(len(rules), 1)),
        "marker": round(sum(markers) / max(len(markers), 1)),
    }


def _progress(tick: dict[str, Any]) -> None:
    print(
        f"  R={tick['rules']} N={tick['sweepers']}: dispatch {tick['dispatch_seconds']} s, total "
        f"{tick['total_seconds']} s, {tick['leads_assigned']}/{tick['leads_expected']} leads",
        file=sys.stderr,
        flush=True,
    )


# --------------------------------------------------------------------------------------- extrapolation
@dataclass(frozen=True)
class Assumptions:
    """What the AWS figures rest on; every number but these is measured (call counts, units, CPU)."""

    ddb_call_seconds: float = 0.010
    sqs_call_seconds: float = 0.020
    check_threads: int = dispatch_logic.CHECK_THREADS
    listing_threads: int = 8  # Store._list_partitions' default
    send_threads: int = sweep_queue_module.SEND_THREADS
    shards: int = DISPATCH_SHARDS
    page_bytes: int = 1024 * 1024
    account_concurrency: int = 1000
    sweep_max_concurrency: int = 16
    dispatch_timeout_seconds: float = 30.0  # template.yaml DispatchFunction Timeout
    tick_seconds: float = 60.0
    dispatch_memory_mb: int = 1769  # template.yaml DispatchFunction MemorySize (1 vCPU)
    sweep_memory_mb: int = 512
    mb_per_vcpu: int = 1769
    due_share: float = DUE_SHARE
    markers_per_rule: float = 1.0

    @classmethod
    def from_template(cls) -> Assumptions:
        template = load_template()
        resources = template["Resources"]
        functions = template.get("Globals", {}).get("Function", {})
        dispatch = resources["DispatchFunction"]["Properties"]
        sweep = resources["AssignFunction"]["Properties"]
        return cls(
            sweep_max_concurrency=int(template["Parameters"]["SweepMaxConcurrency"]["Default"]),
            dispatch_timeout_seconds=float(dispatch.get("Timeout", functions.get("Timeout", 60))),
            dispatch_memory_mb=int(dispatch.get("MemorySize", functions.get("MemorySize", 128))),
            sweep_memory_mb=int(sweep.get("MemorySize", functions.get("MemorySize", 128))),
        )


def extrapolate(sizes: list[dict[str, Any]], a: Assumptions) -> dict[str, Any]:
    """The largest R a one-minute tick holds on AWS, from the call counts of the largest R measured."""
    ordered = sorted(sizes, key=lambda s: s["rules"])
    top = ordered[-1]
    r_meas = top["rules"]
    idle = top["idle"]["by_purpose"]

    def calls(prefix: str) -> int:
        return int(sum(t["calls"] for tag, t in idle.items() if tag.startswith(prefix)))

    rule_pages = calls(f"{LISTING_TAG} assign")
    marker_pages = calls(f"{LISTING_TAG} scope")
    questions = calls("query LeadsTable.due_queue")
    rule_bytes, marker_bytes = top["item_bytes"]["rule"], top["item_bytes"]["marker"]
    # the dispatcher's CPU: what one more rule adds (the two largest idle ticks), and the rest fixed
    cpu_top = top["idle"]["dispatch_cpu_seconds"]
    if len(ordered) > 1:
        below = ordered[-2]
        cpu_rule = (cpu_top - below["idle"]["dispatch_cpu_seconds"]) / (r_meas - below["rules"])
    else:
        cpu_rule = cpu_top / r_meas
    cpu_rule = max(cpu_rule, 0.0)
    cpu_fixed = max(cpu_top - cpu_rule * r_meas, 0.0)
    due_tick = max(top["ticks"], key=lambda t: (t["due_rules"], t["sweepers"]))
    swept = max(1, due_tick["outcomes"].get("swept", 0))
    cpu_sweep = due_tick["sweep_cpu_seconds"] / swept
    per_rule = due_tick["sweep_per_due_rule"]
    per_rule_calls = sum(t["calls"] for t in per_rule.values())
    lead_writes = sum(t["calls"] for tag, t in per_rule.items() if tag == "update_item LeadsTable")
    sends_measured = due_tick["dispatch_sqs_calls"].get("SendMessageBatch", 0)
    dispatch_vcpu = a.dispatch_memory_mb / a.mb_per_vcpu
    sweep_vcpu = a.sweep_memory_mb / a.mb_per_vcpu
    legacy = max(rule_pages - a.shards, 0)
    limit = min(a.dispatch_timeout_seconds, a.tick_seconds)

    def pages(rules: float, item_bytes: float) -> int:
        return max(1, math.ceil(rules / a.shards * item_bytes / a.page_bytes))

    def dispatch_seconds(r: int, with_cpu: bool = True) -> dict[str, float]:
        due = math.ceil(r * a.due_share)
        waves = math.ceil(a.shards / a.listing_threads)
        listing = (waves * pages(r, rule_bytes) + 1) * a.ddb_call_seconds
        marker = (a.shards * pages(r * a.markers_per_rule, marker_bytes) + 1) * a.ddb_call_seconds
        ask = math.ceil(r / a.check_threads) * a.ddb_call_seconds
        send = math.ceil(math.ceil(due / 10) / a.send_threads) * a.sqs_call_seconds
        cpu = (cpu_fixed + r * cpu_rule) / dispatch_vcpu if with_cpu else 0.0
        parts = {"listing": listing, "markers": marker, "questions": ask, "sends": send, "cpu": cpu}
        return {**parts, "total": sum(parts.values())}

    def shard_seconds(r: int, with_cpu: bool = True) -> dict[str, float]:
        """As deployed: each shard listed and asked by its own invocation (all 16 at once), one shard order
        (an SQS send and receive) before it; the busiest shard holds ceil(R/16) rules."""
        share = math.ceil(r / a.shards)
        due = math.ceil(share * a.due_share)
        listing = (pages(r, rule_bytes) + 1) * a.ddb_call_seconds
        marker = (pages(r * a.markers_per_rule, marker_bytes) + 1) * a.ddb_call_seconds
        ask = math.ceil(share / a.check_threads) * a.ddb_call_seconds
        send = (math.ceil(math.ceil(due / 10) / a.send_threads) + 2) * a.sqs_call_seconds
        cpu = (cpu_fixed + share * cpu_rule) / dispatch_vcpu if with_cpu else 0.0
        parts = {"listing": listing, "markers": marker, "questions": ask, "sends": send, "cpu": cpu}
        return {**parts, "total": sum(parts.values())}

    def largest(with_cpu: bool, model: Callable[[int, bool], dict[str, float]] = dispatch_seconds) -> int:
        low, high = 1, 100_000_000
        while low < high:
            mid = (low + high + 1) // 2
            if model(mid, with_cpu)["total"] <= limit:
                low = mid
            else:
                high = mid - 1
        return low

    r_dispatch_calls, r_dispatch_cpu = largest(False), largest(True)
    r_shard_calls, r_shard_cpu = largest(False, shard_seconds), largest(True, shard_seconds)
    # a sweep: its DynamoDB calls one after another, except the leads' writes (in parallel: one round)
    rounds = per_rule_calls - lead_writes + (1 if lead_writes else 0)
    sqs_per_rule = 2 * a.sqs_call_seconds / 10  # ReceiveMessage + DeleteMessageBatch per 10 orders
    sweep_calls_s = rounds * a.ddb_call_seconds + sqs_per_rule
    sweep_cpu_s = sweep_calls_s + cpu_sweep / sweep_vcpu
    cap = a.sweep_max_concurrency
    ns = sorted({*SWEEPERS, cap, a.account_concurrency})
    per_minute_calls = {n: math.floor(n * a.tick_seconds / sweep_calls_s) for n in ns}
    per_minute_cpu = {n: math.floor(n * a.tick_seconds / sweep_cpu_s) for n in ns}
    r_sweep_calls = math.floor(per_minute_calls[cap] / a.due_share)
    r_sweep_cpu = math.floor(per_minute_cpu[cap] / a.due_share)
    holds_calls = min(r_dispatch_calls, r_sweep_calls)
    holds_cpu = min(r_dispatch_cpu, r_sweep_cpu)
    at_calls, at_cpu = dispatch_seconds(r_dispatch_calls, False), dispatch_seconds(r_dispatch_cpu)

    def terms(t: dict[str, float]) -> str:
        return " + ".join(f"{t[k]:.2f}" for k in ("listing", "markers", "questions", "sends", "cpu"))

    lines = [
        f"Assumptions: {a.ddb_call_seconds * 1000:.0f} ms per DynamoDB call and "
        f"{a.sqs_call_seconds * 1000:.0f} ms per SQS call from Lambda; the dispatcher's "
        f"{a.check_threads} check threads, "
        f"{a.listing_threads} listing threads, {a.send_threads} send threads; {a.shards} shards; 1 MB "
        f"query pages; Lambda vCPU = memory / {a.mb_per_vcpu} MB (dispatcher {a.dispatch_memory_mb} MB = "
        f"{dispatch_vcpu:.2f} vCPU, sweeper {a.sweep_memory_mb} MB = {sweep_vcpu:.2f} vCPU) at this "
        f"machine's per-core speed; account concurrency {a.account_concurrency}; AssignQueue event source "
        f"MaximumConcurrency {cap} (template default); dispatcher timeout "
        f"{a.dispatch_timeout_seconds:.0f} s, tick {a.tick_seconds:.0f} s; {a.due_share:.0%} of rules due, "
        f"{LEADS_PER_DUE_RULE} leads each; one scope marker per rule (every scope has held a lead).",
        "",
        f"Measured at R={r_meas:,} (idle tick): {rule_pages} rule-listing pages ({legacy} of them the "
        f"empty legacy key), rule item {rule_bytes} B, scope marker {marker_bytes} B, {marker_pages} "
        f"marker pages, {questions:,} due questions (one per open rule in charge). Dispatcher CPU (this "
        f"process: boto3, pydantic, all threads): {cpu_fixed:.2f} s fixed + {cpu_rule * 1000:.3f} ms per "
        f"rule. Due tick (R={due_tick['rules']:,}, N={due_tick['sweepers']}): {sends_measured} "
        f"SendMessageBatch for {due_tick['plan']['due']} orders; per due rule {per_rule_calls:.2f} "
        f"DynamoDB calls, {lead_writes:.2f} of them lead writes; sweeper CPU {cpu_sweep * 1000:.1f} ms per "
        "due rule (an upper bound: the in-process SQS emulator's threads count too).",
        "",
        "One invocation for the whole tick (dispatch_tick with every shard, as this bench measures it), "
        "t(R) = listing + markers + questions + sends [+ CPU]:",
        f"  listing   = (ceil({a.shards}/{a.listing_threads}) x pages + 1) x {a.ddb_call_seconds:g} s, "
        f"pages = ceil(R/{a.shards} x {rule_bytes} B / 1 MB) per shard",
        f"  markers   = ({a.shards} x ceil(R/{a.shards} x {marker_bytes} B / 1 MB) + 1) x "
        f"{a.ddb_call_seconds:g} s",
        f"  questions = ceil(R/{a.check_threads}) x {a.ddb_call_seconds:g} s",
        f"  sends     = ceil(ceil({a.due_share:g} x R/10)/{a.send_threads}) x {a.sqs_call_seconds:g} s",
        f"  CPU       = ({cpu_fixed:.2f} s + R x {cpu_rule * 1000:.3f} ms) / {dispatch_vcpu:.2f} vCPU "
        "(the GIL: all threads share one core)",
        f"  calls only: t({r_dispatch_calls:,}) = {terms(at_calls)} = {at_calls['total']:.2f} s "
        f"<= {limit:.0f} s  => R <= {r_dispatch_calls:,}",
        f"  with CPU:   t({r_dispatch_cpu:,}) = {terms(at_cpu)} = {at_cpu['total']:.2f} s "
        f"<= {limit:.0f} s  => R <= {r_dispatch_cpu:,}",
        "",
        f"Sweep of one due rule: {per_rule_calls:.2f} calls, {lead_writes:.2f} of them parallel lead writes "
        f"=> {rounds:.2f} round trips x {a.ddb_call_seconds:g} s + {sqs_per_rule:.3f} s SQS (receive + "
        f"delete per 10 orders) = {sweep_calls_s:.3f} s; + CPU {cpu_sweep * 1000:.1f} ms / "
        f"{sweep_vcpu:.2f} vCPU = "
        f"{sweep_cpu_s:.3f} s",
        "  due rules N sweepers clear per minute (N x 60 s / per-rule time), calls only: "
        + ", ".join(f"N={n}: {v:,}" for n, v in per_minute_calls.items())
        + "; with CPU: "
        + ", ".join(f"N={n}: {v:,}" for n, v in per_minute_cpu.items()),
        f"  at MaximumConcurrency {cap}: R <= {per_minute_calls[cap]:,} / {a.due_share:g} = "
        f"{r_sweep_calls:,} (calls only), {per_minute_cpu[cap]:,} / {a.due_share:g} = "
        f"{r_sweep_cpu:,} (with CPU)",
        "",
        f"One invocation would hold R = min(dispatch, sweep) = min({r_dispatch_calls:,}, "
        f"{r_sweep_calls:,}) = "
        f"{holds_calls:,} rules from call counts alone, min({r_dispatch_cpu:,}, {r_sweep_cpu:,}) = "
        f"{holds_cpu:,} with the measured CPU. SQS is not the limit "
        f"(standard queue: no SendMessageBatch rate limit, 120,000 messages in flight against {cap * 10} "
        f"here); the account's {a.account_concurrency} concurrent executions only bind if "
        "SweepMaxConcurrency is raised towards its maximum (1000).",
        "",
        "As deployed (template.yaml: DispatchQueue, one dispatch invocation per shard, 16 at once, "
        "each after a shard order): t_shard(R) = "
        f"(pages + 1) x {a.ddb_call_seconds:g} s + (marker pages + 1) x {a.ddb_call_seconds:g} s + "
        f"ceil(ceil(R/{a.shards})/{a.check_threads}) x {a.ddb_call_seconds:g} s + sends + 2 x "
        f"{a.sqs_call_seconds:g} s [+ ({cpu_fixed:.2f} s + R/{a.shards} x {cpu_rule * 1000:.3f} ms) / "
        f"{dispatch_vcpu:.2f} vCPU] => R <= {r_shard_calls:,} (calls only), {r_shard_cpu:,} (with CPU); "
        f"A one-minute tick holds min({r_shard_calls:,}, {r_sweep_calls:,}) = "
        f"{min(r_shard_calls, r_sweep_calls):,} rules (calls only), min({r_shard_cpu:,}, {r_sweep_cpu:,}) = "
        f"{min(r_shard_cpu, r_sweep_cpu):,} (with CPU) at the default Lambda and SQS limits: the "
        "sweepers' MaximumConcurrency (16) binds; raising SweepMaxConcurrency raises it in proportion.",
    ]
    return {
        "assumptions": vars(a),
        "measured_at_rules": r_meas,
        "rule_item_bytes": rule_bytes,
        "marker_item_bytes": marker_bytes,
        "rule_listing_pages": rule_pages,
        "marker_pages": marker_pages,
        "due_questions": questions,
        "dispatch_cpu_fixed_seconds": round(cpu_fixed, 3),
        "dispatch_cpu_ms_per_rule": round(cpu_rule * 1000, 4),
        "sweep_calls_per_due_rule": round(per_rule_calls, 3),
        "sweep_round_trips_per_due_rule": round(rounds, 3),
        "sweep_cpu_ms_per_due_rule": round(cpu_sweep * 1000, 3),
        "sweep_seconds_per_due_rule_aws": {
            "calls": round(sweep_calls_s, 4),
            "with_cpu": round(sweep_cpu_s, 4),
        },
        "due_rules_per_minute": {"calls": per_minute_calls, "with_cpu": per_minute_cpu},
        "dispatch_limit_rules": {"calls": r_dispatch_calls, "with_cpu": r_dispatch_cpu},
        "dispatch_seconds_at_limit": {
            "calls": {k: round(v, 3) for k, v in at_calls.items()},
            "with_cpu": {k: round(v, 3) for k, v in at_cpu.items()},
        },
        "dispatch_seconds_at": {
            r: {k: round(v, 3) for k, v in dispatch_seconds(r).items()} for r in (10_000, 50_000, 100_000)
        },
        "sweep_limit_rules": {"calls": r_sweep_calls, "with_cpu": r_sweep_cpu},
        "tick_holds_rules": {"calls": holds_calls, "with_cpu": holds_cpu},
        "per_shard_dispatch": {
            "dispatch_limit_rules": {"calls": r_shard_calls, "with_cpu": r_shard_cpu},
            "tick_holds_rules": {
                "calls": min(r_shard_calls, r_sweep_calls),
                "with_cpu": min(r_shard_cpu, r_sweep_cpu),
            },
        },
        "lines": lines,
    }


# --------------------------------------------------------------------------------------------- report
def _calls_of(tick: dict[str, Any], prefix: str) -> int:
    return sum(n for tag, n in tick["dispatch_calls"].items() if tag.startswith(prefix))


def render(figures: dict[str, Any]) -> str:
    out = [
        f"# Dispatch benchmark ({figures['commit']}), WRITE_CONCURRENCY={figures['write_concurrency']}",
        "",
        "Local seconds (DynamoDB Local + SQS emulator on this machine's 2 cores): the curve, not AWS "
        "latency.",
        "",
        "| R | tenants | due rules | N | dispatch s | list pages (rules/markers) | due queries | "
        "SendMessageBatch | dispatch RRU (AWS min) | dispatch WRU (hook writes) | sweep s | total s | "
        "leads assigned/expected |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for size in figures["sizes"]:
        for tick in size["ticks"]:
            units = tick["dispatch_units"]
            out.append(
                f"| {tick['rules']:,} | {tick['tenants']:,} | {tick['due_rules']} | {tick['sweepers']} | "
                f"{tick['dispatch_seconds']:.2f} | {_calls_of(tick, f'{LISTING_TAG} assign')}/"
                f"{_calls_of(tick, f'{LISTING_TAG} scope')} | "
                f"{_calls_of(tick, 'query LeadsTable.due_queue')} | "
                f"{tick['dispatch_sqs_calls'].get('SendMessageBatch', 0)} | "
                f"{units['rru']:g} ({units['rru_aws']:g}) | "
                f"{units['wru']:g} ({tick['dispatch_write_requests_hook']}) | {tick['sweep_seconds']:.2f} | "
                f"{tick['total_seconds']:.2f} | {tick['leads_assigned']}/{tick['leads_expected']} |"
            )
    out += [
        "",
        "Sweep calls per due rule (N=max): "
        + "; ".join(
            f"R={s['rules']:,}: "
            + ", ".join(
                f"{tag} {v['calls']:g}"
                for tag, v in max(s["ticks"], key=lambda t: t["sweepers"])["sweep_per_due_rule"].items()
            )
            for s in figures["sizes"][-1:]
        ),
        "",
        "## Units per idle rule per tick",
        "",
        "| tree | R | tick s | calls | RRU measured | RRU (AWS minimum) | WRU | write requests (hook) | "
        "of which listing: calls / RRU |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    before = figures.get("before")
    if before:
        m = before["measured"]
        q, li = m["per_idle_rule"]["questions"], m["per_idle_rule"]["listing"]
        out.append(
            f"| before ({before['commit']}, run_sweeps) | {m['rules']:,} | {m['tick_seconds']:.2f} | "
            f"{q['calls']:g} | {q['rru']:g} | {q['rru_aws']:g} | {q['wru']:g} | "
            f"{m['write_requests_hook_per_rule']:g} | {li['calls']:g} / {li['rru']:g} |"
        )
    for size in figures["sizes"]:
        idle = size["idle"]
        q, li = idle["per_idle_rule"]["questions"], idle["per_idle_rule"]["listing"]
        out.append(
            f"| after (dispatch_tick) | {idle['rules']:,} | {idle['dispatch_seconds']:.2f} | "
            f"{q['calls']:g} | {q['rru']:g} | {q['rru_aws']:g} | {q['wru']:g} | "
            f"{idle['write_requests_hook'] / idle['rules']:g} | {li['calls']:g} / {li['rru']:g} |"
        )
    out += [
        "",
        "Calls, RRU and WRU per idle rule exclude the listing (its share is the last column). DynamoDB Local "
        "reports 0 RRU for a query that finds nothing; DynamoDB charges at least 0.5 (eventually consistent) "
        "or 1 (consistent) per query and per key read: the 'AWS minimum' column.",
    ]
    for size in figures["sizes"]:
        failing = size.get("failing")
        if not failing:
            continue
        f = failing["failing"]
        out += [
            "",
            f"## One always-failing rule (R={failing['rules']:,}, N={failing['sweepers']}, "
            f"visibility timeout x{failing['time_scale']})",
            "",
            f"- failing rule {f['rule_id']}: its sweep raised {f['raised']} times; "
            f"AssignDeadLetterQueue holds {f['dead_letters']} (moved after "
            f"{f['dead_letter_receive_counts']} receives), queue drained at {f['dlq_by_seconds']:.2f} s",
            f"- every other due rule: {failing['leads_assigned']}/{failing['leads_expected']} leads "
            f"assigned by {f['others_assigned_by_seconds']:.2f} s (dispatch "
            f"{failing['dispatch_seconds']:.2f} s); due leads left only in "
            f"{failing['rules_with_due_leads_left']}: "
            f"{'yes' if f['every_other_rule_assigned'] else 'NO'}",
        ]
    extra = figures.get("extrapolation")
    if extra:
        out += ["", "## AWS extrapolation (from call counts)", "", *extra["lines"]]
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="R 10,100 and N 1,4 (a smoke run)")
    parser.add_argument(
        "--sizes", type=lambda s: [int(x) for x in s.split(",")], help="rule counts, e.g. 10,100"
    )
    parser.add_argument("--sweepers", type=lambda s: [int(x) for x in s.split(",")], help="N, e.g. 1,4,16")
    parser.add_argument(
        "--fail-rules", type=int, help="R of the failing-rule tick (default 1000, or the largest)"
    )
    parser.add_argument("--fail-sweepers", type=int, default=4)
    parser.add_argument(
        "--fail-time-scale",
        type=float,
        help="the emulator's time scale in that tick (default 0.02: 180 s visibility = 3.6 s; quick 0.005)",
    )
    parser.add_argument("--out", type=Path, help=f"write the figures here (full runs: {RESULTS_PATH.name})")
    parser.add_argument("--verbose", action="store_true", help="keep the service's log lines")
    parser.add_argument(
        "--report",
        type=Path,
        help="measure nothing: report a results file again (extrapolation redone; --out to save it)",
    )
    args = parser.parse_args()
    if args.report is not None:
        saved = json.loads(args.report.read_text())
        saved["extrapolation"] = extrapolate(saved["sizes"], Assumptions.from_template())
        if args.out is not None:
            args.out.write_text(json.dumps(saved, indent=2, ensure_ascii=False) + "\n")
        print(render(saved))
        return
    if not args.verbose:
        logger.setLevel("CRITICAL")
    sizes = args.sizes or list(QUICK_SIZES if args.quick else SIZES)
    sweepers = args.sweepers or list(QUICK_SWEEPERS if args.quick else SWEEPERS)
    fail_rules = args.fail_rules or (1000 if 1000 in sizes else max(sizes))
    out = args.out or (None if args.quick or args.sizes or args.sweepers else RESULTS_PATH)
    results = []
    for count in sizes:
        print(f"R={count}", file=sys.stderr, flush=True)
        scale = args.fail_time_scale or (0.005 if args.quick else 0.02)
        fail = (args.fail_sweepers, scale) if count == fail_rules else None
        results.append(run_size(count, sweepers, fail))
    figures: dict[str, Any] = {
        "commit": commit_of(ROOT),
        "write_concurrency": assign.WRITE_CONCURRENCY,
        "sweepers": sweepers,
        "sizes": results,
        "before": json.loads(BEFORE_PATH.read_text()) if BEFORE_PATH.exists() else None,
    }
    figures["extrapolation"] = extrapolate(results, Assumptions.from_template())
    if out is not None:
        out.write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n")
    print(render(figures))


if __name__ == "__main__":
    main()
