"""Idle reclaim rules on DynamoDB Local: their ticks write nothing, probes included, and a lead that
becomes held after the rule's stamp is still reclaimed on the first tick after it can be due, after care
activity moved its idle time too."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

import boto3
import pytest

from leadrouter.data.repository import Repository
from leadrouter.domain.rules import RuleKind
from leadrouter.logic.routing.assign import sweep_due_leads
from leadrouter.logic.routing.reclaim import sweep_idle_leads
from leadrouter.runtime import new_repository
from leadrouter.settings import Settings
from tests.support.builders import NOW, TENANT, add_leads, rule, seed, staff
from tests.support.ticks import run_sweeps

LEASE = timedelta(minutes=3)
WRITES = {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}


@pytest.fixture
def repo(ddb_tables: dict[str, str]) -> Repository:
    return new_repository()


class Calls:
    """A botocore ``before-call`` hook: every DynamoDB request the client sends, by operation."""

    def __init__(self, client: Any) -> None:
        self.by_operation: Counter[str] = Counter()
        client.meta.events.register("before-call.dynamodb", self._count)

    def _count(self, model: Any, **_: Any) -> None:
        self.by_operation[str(model.name)] += 1

    @property
    def writes(self) -> int:
        return sum(n for op, n in self.by_operation.items() if op in WRITES)


def _reclaim_rule(rule_id: str, tenant_id: str = TENANT, step: str = "new", **fields: Any) -> Any:
    return rule(
        rule_id,
        weights={"B": 1},
        kind=RuleKind.RECLAIM,
        tenant_id=tenant_id,
        scope={"pool": "web", "step": step},
        reclaim_after_minutes=30,
        **fields,
    )


def test_idle_reclaim_rules_write_nothing_on_any_tick_probes_included(repo: Repository) -> None:
    # Given 8 reclaim rules of two tenants, nothing held in their scopes, each swept once (stamped)…
    for tenant in ("acme", "globex"):
        seed(repo, rule("r-other", weights={"A": 1}, tenant_id=tenant, scope={"pool": "web", "step": "x"}))
        for k in range(4):
            seed(repo, _reclaim_rule(f"back{k}", tenant_id=tenant, step=f"s{k}"), [staff("A", tenant)])
        # …while their staff hold and care for leads of another scope
        add_leads(repo, 2, tenant_id=tenant, step="x")
    run_sweeps(repo, "assign", sweep_due_leads, NOW, LEASE)
    assert len(run_sweeps(repo, "reclaim", sweep_idle_leads, NOW, LEASE).swept) == 8
    client = boto3.client("dynamodb")
    calls = Calls(client)
    metered = Repository(Settings.from_env(), client=client)
    # When the reclaim ticks run every minute for an hour (two reclaim windows), A caring for a lead of
    # the other scope every 10 minutes
    probed, swept = Counter[int](), Counter[int]()
    other = next(x for x in repo.tenant_leads("acme") if x.step == "x")
    for minute in range(1, 61):
        now = NOW + timedelta(minutes=minute)
        if minute % 10 == 0:
            assert repo.record_care("acme", other.lead_id, now)
        report = run_sweeps(metered, "reclaim", sweep_idle_leads, now, LEASE)
        probed[minute], swept[minute] = len(report.probed), len(report.swept)
    # Then every rule was probed once per window (at 09:30 and 10:00), never swept, and nothing at all
    # was written: the ticks only read (the listing; at a probe the rule, the members and their owner
    # partitions)
    assert {m: n for m, n in probed.items() if n} == {30: 8, 60: 8}
    assert sum(swept.values()) == 0
    assert calls.writes == 0
    assert set(calls.by_operation) == {"Query", "GetItem"}


def test_a_lead_held_after_the_stamp_is_reclaimed_on_the_first_tick_after_it_can_be_due(
    repo: Repository,
) -> None:
    # Given an assign rule giving everything to A and a 30-minute reclaim rule (to B), stamped at 09:00
    # with nothing held
    seed(repo, rule("r-assign", weights={"A": 1}), [staff("A"), staff("B")])
    seed(repo, _reclaim_rule("r-back"))
    assert len(run_sweeps(repo, "reclaim", sweep_idle_leads, NOW, LEASE).swept) == 1
    # When a lead arrives and is assigned to A at 09:07, A calls it at 09:33 (its idle time moves on
    # after the rule stamped 09:37), and the reclaim ticks run every minute until 10:10
    (lead,) = add_leads(repo, 1, received_at=NOW + timedelta(minutes=7))
    swept_at: list[int] = []
    owner_at: dict[int, str | None] = {}
    for minute in range(1, 71):
        now = NOW + timedelta(minutes=minute)
        if minute == 7:
            assert run_sweeps(repo, "assign", sweep_due_leads, now, LEASE).totals()["assigned"] == 1
        if minute == 33:
            assert repo.record_care(TENANT, lead.lead_id, now)
        if run_sweeps(repo, "reclaim", sweep_idle_leads, now, LEASE).swept:
            swept_at.append(minute)
        stored = repo.get_lead(TENANT, lead.lead_id)
        owner_at[minute] = stored.owner if stored else None
    # Then the 09:30 probe found the new lead and had it swept (stamping 09:37), the 09:37 sweep found
    # it cared for (stamping 10:03), the 10:00 probe saw nothing new, and the lead went to B at 10:03:
    # the first tick after it could be due, never before
    assert swept_at == [30, 37, 63]
    assert owner_at[62] == "A" and owner_at[63] == "B"


def test_a_lead_moved_by_the_sweep_is_stamped_and_reclaimed_again_when_due(repo: Repository) -> None:
    # Given a lead A has held since 09:00 and a 30-minute reclaim rule to B or C
    seed(repo, rule("r-assign", weights={"A": 1}), [staff("A"), staff("B"), staff("C")])
    (lead,) = add_leads(repo, 1)
    run_sweeps(repo, "assign", sweep_due_leads, NOW, LEASE)
    seed(repo, rule("r-back", weights={"B": 1, "C": 1}, kind=RuleKind.RECLAIM, reclaim_after_minutes=30))
    # When the reclaim ticks run every minute until 10:05
    swept_at = [
        m
        for m in range(0, 66)
        if run_sweeps(repo, "reclaim", sweep_idle_leads, NOW + timedelta(minutes=m), LEASE).swept
    ]
    # Then it was swept on its first tick, at 09:30 (moved to one of B and C; the sweep stamps 10:00
    # for the lead it moved) and at 10:00 (moved to the other), with nothing swept in between
    assert swept_at == [0, 30, 60]
    stored = repo.get_lead(TENANT, lead.lead_id)
    assert stored is not None and stored.reclaim_count == 2 and stored.owner in {"B", "C"}
    assert set(stored.held_by) == {"A", "B", "C"}


class StampWrites:
    """A botocore hook counting the writes of ``STAMP#`` items (the rules' listed stamps)."""

    def __init__(self, client: Any) -> None:
        self.count = 0
        client.meta.events.register("provide-client-params.dynamodb.UpdateItem", self._count)

    def _count(self, params: dict[str, Any], **_: Any) -> None:
        self.count += str(params.get("Key", {}).get("sk", {}).get("S", "")).startswith("STAMP#")


def test_a_rule_swept_every_tick_for_a_waiting_lead_writes_its_stamp_once(repo: Repository) -> None:
    # Given a lead A has held since 09:00 and a 30-minute reclaim rule to B, who is paused (so a due
    # lead waits with A, up to the rule's escalation time)
    seed(repo, rule("r-assign", weights={"A": 1}), [staff("A")])
    (lead,) = add_leads(repo, 1)
    run_sweeps(repo, "assign", sweep_due_leads, NOW, LEASE)
    seed(repo, _reclaim_rule("r-back"), [staff("B", paused=True)])
    client = boto3.client("dynamodb")
    stamps = StampWrites(client)
    metered = Repository(Settings.from_env(), client=client)
    # When the reclaim ticks run from 09:30 to 09:35
    reports = [
        run_sweeps(metered, "reclaim", sweep_idle_leads, NOW + timedelta(minutes=m), LEASE)
        for m in range(30, 36)
    ]
    # Then the rule is swept on each tick (the lead waits), but its stamp ("sweep again next tick") is
    # written once: the later sweeps find it stored already
    assert [sum(s.waiting for s in r.swept) for r in reports] == [1] * 6
    assert stamps.count == 1
    stored = repo.get_lead(TENANT, lead.lead_id)
    assert stored is not None and stored.owner == "A"
