"""One tenant's burst on DynamoDB Local: the partition limits on, the overflow queue on the local SQS,
its drain polling at the template's concurrency, and what became of every submission (the integration
test and ``bench/tenant_burst.py`` share it)."""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from functions.intake_overflow import app as drain_app
from leadrouter import runtime
from leadrouter.clock import utc_now
from leadrouter.data.repository import Repository
from leadrouter.domain.tenants import Tenant
from leadrouter.logic.intake.adapters.base import DoorRequest
from leadrouter.logic.intake.outcomes import resolved
from leadrouter.logic.intake.reception import take
from leadrouter_local.aws_endpoint import AwsEmulator
from leadrouter_local.sqs_pollers import SqsPoller, sqs_triggers
from leadrouter_local.template import load_template
from tests.support.api import add_form_source
from tests.support.lambda_context import FakeContext
from tests.support.partition_limits import PartitionLimits

TENANT = "burst"
#: A source admits at most 6,000 a minute (``rate_per_minute``'s bound): a tenant's burst of
#: thousands a second comes through many sources (landing pages, ad forms), all in its partitions.
RATE_PER_SOURCE_PER_MINUTE = 6000
QUEUE = "IntakeOverflowQueue"
DRAIN = "IntakeOverflowFunction"


def seed(repo: Repository, sources: int) -> list[str]:
    """The tenant and its ``sources`` form sources at their highest rate: their keys."""
    repo.put_tenant(Tenant(tenant_id=TENANT, name="Burst"))
    keys = [f"fk_burst_{n:04d}" for n in range(sources)]
    for n, key in enumerate(keys):
        add_form_source(
            repo,
            key,
            tenant_id=TENANT,
            source_id=f"s{n:03d}",
            rate_per_minute=RATE_PER_SOURCE_PER_MINUTE,
            web_form={"rate_per_ip_per_minute": RATE_PER_SOURCE_PER_MINUTE},
        )
    return keys


def phone(n: int) -> str:
    return f"09{n:08d}"


@dataclass
class Offered:
    """What the senders were answered: accepted at once, queued (accepted too), refused (by status)."""

    accepted: list[int] = field(default_factory=list)
    queued: list[int] = field(default_factory=list)
    refused: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0

    @property
    def answered_accepted(self) -> list[int]:
        return sorted(self.accepted + self.queued)


def _post(key: str, n: int, now: datetime) -> str:
    """One JSON API submission through the intake use case, as the door wires it: its answer's kind."""
    body = json.dumps({"name": f"Khách {n}", "phone": phone(n), "fields": {"burst": "yes"}})
    request = DoorRequest(
        headers={
            "content-type": "application/json",
            "accept": "application/json",
            "x-form-key": key,
            "idempotency-key": f"burst-{n}",
        },
        body=body.encode(),
        client_ip=f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}",
        via="json_api",
    )
    try:
        taken = take(
            runtime.door_repository(), runtime.door_limits(), request, now, overflow=runtime.intake_overflow()
        )
    except Exception as error:  # a 500 the sender would see
        return f"500 {type(error).__name__}"
    if taken.refusal is not None:
        return f"{taken.refusal.status} {taken.refusal.message[:40]}"
    assert taken.outcome is not None
    return "queued" if taken.outcome.queued else "accepted"


def offer(keys: list[str], count: int, threads: int, *, start: int = 0) -> Offered:
    """``count`` submissions of one tenant across its sources (numbered from ``start``: each its own
    phone), from ``threads`` senders at once."""
    offered = Offered()
    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        answers = pool.map(
            lambda n: (n, _post(keys[n % len(keys)], n, utc_now())), range(start, start + count)
        )
        for n, answer in answers:
            if answer == "accepted":
                offered.accepted.append(n)
            elif answer == "queued":
                offered.queued.append(n)
            else:
                offered.refused[answer] += 1
    offered.seconds = time.perf_counter() - started
    return offered


@contextmanager
def overflow_stack(
    describe: Any,
    wcu: float,
    *,
    time_scale: float = 0.2,
    clock: Callable[[], float] = time.monotonic,
) -> Iterator[Stack]:
    """The template's queues served locally (the env pointed at them) and ``wcu`` a second per
    partition key on the repository's client, refilled by ``clock``; the drain runs when the caller
    says (``Stack.drain``)."""
    template = load_template()
    emulator = AwsEmulator(template, log=lambda _: None, time_scale=time_scale)
    env = {**emulator.environment(), "INTAKE_OVERFLOW_QUEUE_URL": emulator.refs[QUEUE]}
    saved = {var: os.environ.get(var) for var in env}
    _set_env(env)
    clients = [runtime.drain_repository()._client, runtime.door_repository()._client]
    limits = PartitionLimits(describe, wcu, clock=clock)
    for client in clients:
        limits.install(client)
    emulator.start()  # the endpoint only: the drain's pollers are Stack.drain's
    try:
        yield Stack(emulator, limits, template)
    finally:
        emulator.stop()
        for client in clients:
            limits.uninstall(client)
        _set_env(saved)


@dataclass
class Stack:
    emulator: AwsEmulator
    limits: PartitionLimits
    template: dict[str, Any]

    @property
    def concurrency(self) -> int:
        """The drain's MaximumConcurrency in the template (Lambda's SQS event source mapping)."""
        event = self.template["Resources"][DRAIN]["Properties"]["Events"]["Overflow"]
        return int(event["Properties"]["ScalingConfig"]["MaximumConcurrency"])

    def waiting(self) -> int:
        return len(self.emulator.sqs.queue(self.emulator.refs[QUEUE]).messages)

    def dead_lettered(self) -> int:
        return len(self.emulator.sqs.queue(self.emulator.refs[f"{QUEUE[:-5]}DeadLetterQueue"]).messages)

    def drain(self, seconds: float, concurrency: int | None = None) -> float:
        """The drain's pollers (as many as its concurrency) until the queue is empty: the time it took."""
        (trigger,) = [t for t in sqs_triggers(self.template) if t.function == DRAIN]
        pollers = [
            SqsPoller([trigger], self.emulator.sqs, self.emulator.refs, _invoke_drain, log=lambda _: None)
            for _ in range(concurrency or self.concurrency)
        ]
        started = time.perf_counter()
        for poller in pollers:
            poller.start()
        try:
            while self.waiting() and time.perf_counter() - started < seconds:
                time.sleep(0.05)
        finally:
            for poller in pollers:
                poller.stop()
        return time.perf_counter() - started


def _invoke_drain(function: str, event: dict[str, Any]) -> Any:
    return drain_app.handler(event, FakeContext(function_name="leadrouter-intake-overflow"))


@dataclass(frozen=True)
class Ending:
    """What became of the accepted submissions once the queue is drained."""

    leads: int
    lost: list[int]
    duplicated: list[int]
    unresolved: int


def ending(repo: Repository, accepted: list[int]) -> Ending:
    """Leads per phone: every accepted submission should be exactly one lead, and its record say so."""
    by_phone = Counter(lead.phone for lead in repo.tenant_leads(TENANT))
    wanted = {"+84" + phone(n)[1:]: n for n in accepted}
    lost = sorted(n for p, n in wanted.items() if by_phone[p] == 0)
    duplicated = sorted(n for p, n in wanted.items() if by_phone[p] > 1)
    records, start = [], None
    while True:
        page, start = repo.list_submissions(TENANT, source_id=None, limit=500, start=start)
        records += page
        if start is None:
            break
    unresolved = sum(1 for r in resolved(repo, records) if r.status.value not in ("accepted", "linked"))
    return Ending(sum(by_phone[p] for p in wanted), lost, duplicated, unresolved)


def _set_env(values: dict[str, str | None] | dict[str, str]) -> None:
    for var, value in values.items():
        if value is None:
            os.environ.pop(var, None)
        else:
            os.environ[var] = value
