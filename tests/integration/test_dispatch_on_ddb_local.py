"""The scheduled fan-out on DynamoDB Local and the template's queues (the local SQS emulator): a tick
orders each rule with work once, idle rules cost no write (an assign rule half a read unit, a reclaim
rule none beyond the listing), a failing rule fails only its own message, and a reclaim rule is left
alone until something can be due."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any, ClassVar

import boto3
import pytest
import yaml

from functions.assign import app as assign_app
from leadrouter.data.repository import Repository
from leadrouter.domain.dispatch import DISPATCH_SHARDS, RECHECK_WINDOW, shard_of
from leadrouter.domain.leads import LeadStatus
from leadrouter.domain.rules import RuleKind
from leadrouter.domain.users import Caller
from leadrouter.logic.admin.staff import StaffPatch, update_staff
from leadrouter.logic.routing import scheduled
from leadrouter.logic.routing.assign import sweep_due_leads
from leadrouter.logic.routing.dispatch import dispatch_tick, plan_tick
from leadrouter.logic.routing.reclaim import sweep_idle_leads
from leadrouter.runtime import new_repository, sweep_queue
from leadrouter.settings import Settings
from leadrouter_local.aws_endpoint import AwsEmulator
from leadrouter_local.template import load_template
from tests.support.builders import NOW, TENANT, add_leads, rule, seed, staff
from tests.support.faults import Fault, FaultyClient, config_key
from tests.support.lambda_context import FakeContext
from tests.support.ticks import run_sweeps
from tests.support.webhooks import sqs_event

LEASE = timedelta(minutes=3)
ADMIN = Caller(tenant_id=TENANT, role="admin", subject="admin")
TICK = NOW + timedelta(minutes=1)


@pytest.fixture
def repo(ddb_tables: dict[str, str]) -> Repository:
    return new_repository()


@pytest.fixture
def aws(ddb_tables: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[AwsEmulator]:
    """The template's queues, boto3's SQS pointed at them (nothing polls: the tests receive)."""
    emulator = AwsEmulator(load_template(), log=lambda _: None)
    emulator.start()
    for var, value in emulator.environment().items():
        monkeypatch.setenv(var, value)
    monkeypatch.setenv("ASSIGN_QUEUE_URL", emulator.refs["AssignQueue"])
    monkeypatch.setenv("RECLAIM_QUEUE_URL", emulator.refs["ReclaimQueue"])
    yield emulator
    emulator.stop()


def _receive_all(url: str) -> list[dict[str, Any]]:
    sqs, found = boto3.client("sqs"), list[dict[str, Any]]()
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        found += messages
    return found


def _many_rules(repo: Repository, tenants: int, per_tenant: int, due_every: int) -> set[tuple[str, str]]:
    """``tenants`` × ``per_tenant`` rules, each on its own step; every ``due_every``-th gets a due lead.
    Returns the (tenant, rule) pairs with a due lead."""
    due: set[tuple[str, str]] = set()
    n = 0
    for t in range(tenants):
        tenant = f"t{t:03d}"
        for k in range(per_tenant):
            seed(
                repo,
                rule(
                    f"r{k}",
                    weights={"A": 1, "B": 1},
                    tenant_id=tenant,
                    scope={"pool": "web", "step": f"s{k}"},
                ),
            )
            if n % due_every == 0:
                add_leads(repo, 1, tenant_id=tenant, step=f"s{k}")
                due.add((tenant, f"r{k}"))
            n += 1
    return due


def test_a_tick_over_many_rules_orders_each_due_rule_once(repo: Repository, aws: AwsEmulator) -> None:
    # Given 240 rules of 60 tenants (spread over the 16 shards), 24 of them with a due lead
    due = _many_rules(repo, tenants=60, per_tenant=4, due_every=10)
    assert len({shard_of(f"t{t:03d}") for t in range(60)}) == DISPATCH_SHARDS
    # When the assign tick runs
    plan = dispatch_tick(repo, sweep_queue(aws.refs["AssignQueue"]), "assign", TICK)
    # Then each due rule got exactly one order, and no idle rule got any
    orders = [json.loads(m["Body"]) for m in _receive_all(aws.refs["AssignQueue"])]
    ordered = Counter((o["tenant_id"], o["rule_id"]) for o in orders)
    assert set(ordered) == due and set(ordered.values()) == {1}
    assert plan.rules_active == 240 and len(plan.idle) == 216 and plan.unchecked == []


class Meter:
    """botocore hooks on a client: every DynamoDB call with its operation, index and the units
    DynamoDB Local reports for it (ReturnConsumedCapacity is added to each request). The dispatcher
    asks from several threads; a call's hooks run on its own thread."""

    WRITES: ClassVar = {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}

    def __init__(self, client: Any) -> None:
        self.calls: list[tuple[str, str | None, float]] = []
        self._asked = threading.local()
        events = client.meta.events
        events.register("provide-client-params.dynamodb.*", self._ask_units)
        events.register("after-call.dynamodb.*", self._count)

    def _ask_units(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        if "ReturnConsumedCapacity" in model.input_shape.members:
            params["ReturnConsumedCapacity"] = "TOTAL"
        self._asked.index = params.get("IndexName")

    def _count(self, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        used = parsed.get("ConsumedCapacity") or []
        units = sum(float(e.get("CapacityUnits", 0)) for e in (used if isinstance(used, list) else [used]))
        self.calls.append((model.name, getattr(self._asked, "index", None), units))

    def count(self, operation: str, index: str | None = None) -> int:
        return sum(1 for op, ix, _ in self.calls if op == operation and ix == index)

    def units(self, operation: str, index: str | None = None) -> float:
        return sum(u for op, ix, u in self.calls if op == operation and ix == index)

    @property
    def writes(self) -> int:
        return sum(1 for op, _, _ in self.calls if op in self.WRITES)


def test_idle_rules_cost_no_write_and_at_most_half_a_read_unit_each(repo: Repository) -> None:
    # Given 100 assign rules with nothing due, and 40 reclaim rules already swept to the end once
    for t in range(20):
        for k in range(5):
            seed(repo, rule(f"r{k}", tenant_id=f"t{t:02d}", scope={"pool": "web", "step": f"s{k}"}))
        for k in range(2):
            seed(
                repo, _reclaim_rule(f"back{k}", tenant_id=f"t{t:02d}", scope={"pool": "web", "step": f"s{k}"})
            )
    first = run_sweeps(repo, "reclaim", sweep_idle_leads, TICK, LEASE)
    assert len(first.swept) == 40  # never stamped yet: all swept, each stamping its lease
    client = boto3.client("dynamodb")
    meter = Meter(client)
    metered = Repository(Settings.from_env(), client=client)
    # When an assign tick and a reclaim tick a minute later are planned
    assign = plan_tick(metered, "assign", TICK + timedelta(minutes=1))
    reclaim = plan_tick(metered, "reclaim", TICK + timedelta(minutes=1))
    # Then every rule is idle and nothing at all was written
    assert len(assign.idle) == 100 and assign.due == [] and len(reclaim.idle) == 40 and reclaim.due == []
    assert meter.writes == 0
    # …each idle assign rule cost one one-item, eventually consistent query of its due partition: at
    # most 0.5 RRU (DynamoDB Local reports 0 for an empty answer; AWS bills the 0.5 minimum)
    assert meter.count("Query", "due_queue") == 100
    assert meter.units("Query", "due_queue") <= 100 * 0.5
    # …and the 40 reclaim rules asked nothing: their stamps came with the listing, one query per
    # shard and kind, never reading a lead
    assert meter.count("Query", "active_rules") == 3 * (DISPATCH_SHARDS + 1)  # assign, scopes, reclaim
    assert {op for op, _, _ in meter.calls} == {"Query"}


def _reclaim_rule(rule_id: str = "r-back", **fields: Any) -> Any:
    defaults: dict[str, Any] = {
        "weights": {"A": 1, "B": 1},
        "kind": RuleKind.RECLAIM,
        "reclaim_after_minutes": 30,
    }
    return rule(rule_id, **(defaults | fields))


def test_a_sweeper_failing_on_one_rule_fails_only_that_message(
    repo: Repository, aws: AwsEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given three tenants' rules with due leads, and globex's slot counter failing with a 500
    for tenant in ("acme", "globex", "initech"):
        seed(repo, rule(weights={"A": 1}, tenant_id=tenant))
        add_leads(repo, 4, tenant_id=tenant)
    dispatch_tick(repo, sweep_queue(aws.refs["AssignQueue"]), "assign", TICK)
    client = FaultyClient(
        boto3.client("dynamodb"),
        lambda r: Fault.BEFORE if config_key(r) == "TENANT#globex/COUNTER#r-web#v1" else None,
    )
    monkeypatch.setattr(scheduled, "repository", lambda: Repository(Settings.from_env(), client=client))
    monkeypatch.setattr(scheduled, "utc_now", lambda: TICK)
    # When one sweeper invocation gets the batch of the three orders
    messages = _receive_all(aws.refs["AssignQueue"])
    answer = assign_app.handler(sqs_event(messages, "AssignQueue"), FakeContext())
    # Then only globex's message is reported failed, and the others' leads are assigned
    bodies = {m["MessageId"]: json.loads(m["Body"]) for m in messages}
    assert [bodies[f["itemIdentifier"]]["tenant_id"] for f in answer["batchItemFailures"]] == ["globex"]
    statuses = {t: {x.status for x in repo.tenant_leads(t)} for t in ("acme", "globex", "initech")}
    assert statuses == {
        "acme": {LeadStatus.ASSIGNED},
        "globex": {LeadStatus.PENDING},
        "initech": {LeadStatus.ASSIGNED},
    }


def test_a_reclaim_rule_is_left_alone_until_something_can_be_due(repo: Repository) -> None:
    # Given A holds a lead assigned at NOW, and a 30-minute reclaim rule
    seed(repo, rule(weights={"A": 1}), [staff("A"), staff("B")])
    (lead,) = add_leads(repo, 1)
    run_sweeps(repo, "assign", sweep_due_leads, NOW, LEASE)
    seed(repo, _reclaim_rule(weights={"B": 1}))
    # When the reclaim ticks run every minute from +10 to +45
    swept_at = [
        m
        for m in range(10, 46)
        if run_sweeps(repo, "reclaim", sweep_idle_leads, NOW + timedelta(minutes=m), LEASE).swept
    ]
    # Then the rule was swept on the first tick (no stamp yet), left idle until A's lead could be due
    # (+30: the stamp follows the lead already held, not only "30 minutes from this sweep"), swept
    # then, moving the lead to B, and idle again for the next 30 minutes
    assert swept_at == [10, 30]
    stored = repo.get_lead(lead.tenant_id, lead.lead_id)
    assert stored is not None and stored.owner == "B"


def test_a_staff_edit_has_every_rule_of_the_tenant_swept_for_a_while(repo: Repository) -> None:
    # Given a reclaim rule stamped "nothing due before +30 min" by a complete sweep
    seed(repo, _reclaim_rule())
    assert run_sweeps(repo, "reclaim", sweep_idle_leads, NOW, LEASE).swept
    assert plan_tick(repo, "reclaim", NOW + timedelta(minutes=1)).idle == ["r-back"]
    # When an admin pauses B (working-time due moments follow pauses, shifts and leave)
    update_staff(repo, ADMIN, "B", StaffPatch(paused=True), NOW + timedelta(minutes=2))
    # Then the tenant's rules are swept whatever their stamps, for the re-check window, then idle again
    plan = plan_tick(repo, "reclaim", NOW + timedelta(minutes=3))
    assert [r.rule_id for r in plan.due] == ["r-back"] and plan.rechecked == ["r-back"]
    after = plan_tick(repo, "reclaim", NOW + timedelta(minutes=2) + RECHECK_WINDOW + timedelta(seconds=1))
    assert after.idle == ["r-back"]


def test_a_new_rule_version_is_not_bound_by_the_old_versions_stamp(repo: Repository) -> None:
    old = seed(repo, _reclaim_rule())
    run_sweeps(repo, "reclaim", sweep_idle_leads, NOW, LEASE)
    assert plan_tick(repo, "reclaim", NOW + timedelta(minutes=1)).idle == ["r-back"]
    # When the admin shortens the reclaim time (a new version)
    stored = repo.get_rule(old.tenant_id, old.rule_id)
    assert stored is not None
    repo.save_rule(stored, _reclaim_rule(reclaim_after_minutes=5, version=2))
    # Then the old version's stamp does not hold the new one back
    assert [r.rule_id for r in plan_tick(repo, "reclaim", NOW + timedelta(minutes=1)).due] == ["r-back"]


def test_the_local_stack_follows_the_sweep_queues_of_an_edited_template(
    tmp_path: Path, ddb_tables: dict[str, str]
) -> None:
    # Given a copy of the template where AssignQueue dead-letters after 2 receives, not 3, and the
    # assign function takes batches of 2
    template = load_template()
    template["Resources"]["AssignQueue"]["Properties"]["RedrivePolicy"]["maxReceiveCount"] = 2
    template["Resources"]["AssignFunction"]["Properties"]["Events"]["Orders"]["Properties"]["BatchSize"] = 2
    copy = tmp_path / "template.yaml"
    copy.write_text(yaml.safe_dump(template, sort_keys=False))
    seen: list[int] = []

    def invoke(function: str, event: dict[str, Any]) -> dict[str, Any]:
        assert function == "AssignFunction"
        seen.append(len(event["Records"]))
        return {"batchItemFailures": [{"itemIdentifier": r["messageId"]} for r in event["Records"]]}

    emulator = AwsEmulator(load_template(copy), log=lambda _: None, time_scale=0.01)
    try:
        url = emulator.refs["AssignQueue"]
        for n in range(3):
            emulator.sqs.send(url, json.dumps({"n": n}))
        # When its event source runs a function that fails everything
        emulator.start(invoke)
        dead = emulator.refs["AssignDeadLetterQueue"]
        deadline = time.monotonic() + 20
        while emulator.sqs.queue_attributes(dead)["ApproximateNumberOfMessages"] != "3":
            assert time.monotonic() < deadline, seen
            time.sleep(0.05)  # polls for the event source's work, bounded by the deadline
    finally:
        emulator.stop()
    # Then batches were at most 2, and each message was received exactly twice before the DLQ
    assert max(seen) <= 2 and sum(seen) == 6
