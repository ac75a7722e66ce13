"""Faults and races on DynamoDB Local with real threads: a deactivation racing a 2,000-lead sweep, and a
poisoned lead plus injected 500s across two tenants. Numbers go to .pytest_cache/concurrency_stats.json.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest

from leadrouter.data.repository import Repository
from leadrouter.domain.leads import Lead, LeadStatus
from leadrouter.domain.users import Caller
from leadrouter.logic.admin import staff as admin
from leadrouter.logic.routing.assign import sweep_due_leads
from leadrouter.logic.routing.decisions import MAX_ATTEMPTS
from leadrouter.runtime import new_repository
from leadrouter.settings import Settings
from tests.support.builders import NOW, TENANT, add_leads, lead, rule, seed
from tests.support.faults import Fault, FaultyClient, appends_decision, lead_key
from tests.support.poison import store_poisoned_lead
from tests.support.ticks import RunReport, run_sweeps

LEASE = timedelta(minutes=3)
DUE = NOW + timedelta(seconds=5)
OTHER = "globex"
STATS = Path(".pytest_cache") / "concurrency_stats.json"


def _record(name: str, value: object) -> None:
    STATS.parent.mkdir(exist_ok=True)
    data = json.loads(STATS.read_text()) if STATS.exists() else {}
    data[name] = value
    STATS.write_text(json.dumps(data, indent=2))


@pytest.fixture
def repo(ddb_tables: dict[str, str]) -> Repository:
    return new_repository()


def _tick(repo: Repository, minutes: int) -> RunReport:
    return run_sweeps(repo, "assign", sweep_due_leads, DUE + timedelta(minutes=minutes), LEASE)


def _live_assignments(lead: Lead) -> int:
    """Assignments not undone by a later release: exactly 1 for a lead assigned exactly once."""
    actions = [d.action for d in lead.decisions]
    return actions.count("assigned") - actions.count("released")


def _chain_ok(lead: Lead) -> bool:
    """assigned, then (released, assigned)*: never assigned twice without a release between."""
    actions = [d.action for d in lead.decisions]
    return bool(actions) and actions == ["assigned", *["released", "assigned"] * (len(actions) // 2)]


# ------------------------------------------------------------------ deactivation racing the sweep
def test_a_member_deactivated_during_a_2000_lead_sweep_holds_no_open_lead_after_one_more_tick(
    repo: Repository,
) -> None:
    # Given 2,000 due leads split 3:4:5 between A, B and C
    seed(repo, rule())
    add_leads(repo, 2000)
    sweeper, api = new_repository(), new_repository()
    # …and an admin who deactivates A (the API's use case) once the sweep has written 300 leads; the
    # sweep's writers wait at that point until the API has listed A's leads, then both run on together
    started, listed = threading.Event(), threading.Event()
    lock, written = threading.Lock(), [0]
    real_assign, real_list = sweeper.assign_pending, api.owner_leads

    def assign(*args: Any, **kwargs: Any) -> bool:
        with lock:
            written[0] += 1
            if written[0] == 300:
                started.set()
            late = written[0] > 300
        if late:
            assert listed.wait(timeout=60)
        return real_assign(*args, **kwargs)

    def list_then_go_on(tenant_id: str, staff_id: str) -> list[Lead]:
        found = real_list(tenant_id, staff_id)
        listed.set()
        return found

    sweeper.assign_pending = assign  # type: ignore[method-assign]
    api.owner_leads = list_then_go_on  # type: ignore[method-assign]
    released_by_api: list[int] = []

    def deactivate() -> None:
        assert started.wait(timeout=60)
        caller = Caller(tenant_id=TENANT, role="admin", subject="admin")
        patch = admin.StaffPatch(active=False)
        released_by_api.append(admin.update_staff(api, caller, "A", patch, DUE + timedelta(seconds=1))[1])

    thread = threading.Thread(target=deactivate)
    thread.start()
    # When the sweep runs while A is deactivated
    racing = run_sweeps(sweeper, "assign", sweep_due_leads, DUE, LEASE, owner="racing")
    thread.join()
    left_with_a = [x for x in repo.tenant_leads(TENANT) if x.status is LeadStatus.ASSIGNED and x.owner == "A"]
    # …the racing sweep gave A leads after the API had released theirs
    assert racing.totals()["assigned"] == 2000 and left_with_a
    # …and one more tick runs
    next_tick = _tick(repo, 1)
    # Then no open lead is held by the inactive member
    leads = list(repo.tenant_leads(TENANT))
    assert [x.lead_id for x in leads if x.owner == "A" and x.status is LeadStatus.ASSIGNED] == []
    # …every lead is assigned, exactly once now, with a valid chain of decisions
    assert Counter(x.status for x in leads) == {LeadStatus.ASSIGNED: 2000}
    assert all(_chain_ok(x) and _live_assignments(x) == 1 for x in leads)
    # …every lead A ever got was given back exactly once, by the API or by the next tick
    given_to_a = [x for x in leads if any(d.action == "assigned" and d.staff_id == "A" for d in x.decisions)]
    (api_released,) = released_by_api
    tick_released = next_tick.totals()["released"]
    assert tick_released == len(left_with_a)
    assert api_released + tick_released == len(given_to_a)
    assert next_tick.totals()["assigned"] == api_released + tick_released
    # …and no rotation slot was used twice
    slots = [d.slot for x in leads for d in x.decisions if d.action == "assigned"]
    assert len(slots) == len(set(slots))
    # …and nothing is left for later ticks
    assert _tick(repo, 2).totals()["released"] == 0
    _record(
        "deactivation_race_2000",
        {
            "given_to_a_by_racing_sweep": len(given_to_a),
            "released_by_api": api_released,
            "left_with_inactive_member_after_racing_sweep": len(left_with_a),
            "released_by_next_tick": tick_released,
            "reassigned_by_next_tick": next_tick.totals()["assigned"],
        },
    )


# ------------------------------------------------------------------ poisoned lead and injected 500s
def _fault_plan(faulty_leads: dict[str, Fault]) -> Any:
    """Each chosen lead's first decision write gets its fault; each tenant's first lease acquire is
    applied and answered 500 (acme: the 500 reaches us; globex: botocore's retry hits the condition)."""
    lock, done = threading.Lock(), set()
    leases = {f"TENANT#{TENANT}": Fault.AFTER, f"TENANT#{OTHER}": Fault.RETRIED}

    def plan(request: dict[str, Any]) -> Fault | None:
        lead_id = lead_key(request)
        if lead_id is not None and appends_decision(request) and lead_id in faulty_leads:
            key, fault = lead_id, faulty_leads[lead_id]
        elif "SET lease_owner" in request["UpdateExpression"]:
            key, fault = request["Key"]["pk"]["S"], leases[request["Key"]["pk"]["S"]]
        else:
            return None
        with lock:
            if key in done:
                return None
            done.add(key)
        return fault

    return plan


def test_a_poisoned_lead_and_injected_500s_stay_contained_across_two_tenants(repo: Repository) -> None:
    # Given two tenants, each with a rule; acme's oldest lead is a real poisoned item (a history so long
    # that no decision fits under DynamoDB's 400 KB limit), written with put_item
    seed(repo, rule())
    seed(repo, rule(weights={"Y": 1, "Z": 1}, tenant_id=OTHER))
    poisoned = store_poisoned_lead(repo, lead(received_at=NOW - timedelta(minutes=1)))
    history = len(poisoned.decisions)
    healthy = {TENANT: add_leads(repo, 300), OTHER: add_leads(repo, 300, tenant_id=OTHER)}
    # …and faults on the sweeping client: 5% of the lead writes applied then answered 500 (half of them
    # retried by "botocore" into our own condition), 2% failing before they apply
    faulty_leads: dict[str, Fault] = {}
    for leads in healthy.values():
        for i, x in enumerate(leads):
            if i % 20 == 0:
                faulty_leads[x.lead_id] = Fault.AFTER if i % 40 == 0 else Fault.RETRIED
            elif i % 50 == 7:
                faulty_leads[x.lead_id] = Fault.BEFORE
    client = FaultyClient(boto3.client("dynamodb"), _fault_plan(faulty_leads))
    sweeper = Repository(Settings.from_env(), client=client)
    # When four ticks run, a minute apart
    reports = [_tick(sweeper, minute) for minute in range(MAX_ATTEMPTS + 1)]
    # Then no rule failed and nothing was counted lost: every applied write was recognised as ours
    assert [r.failed for r in reports] == [[]] * len(reports)
    assert sum(r.totals()["lost"] for r in reports) == 0
    assert client.faults == {Fault.AFTER: 17, Fault.RETRIED: 15, Fault.BEFORE: 12, Fault.TOO_LARGE: 0}
    # …every healthy lead of both tenants is assigned exactly once (one decision each, no slot twice)
    for tenant, leads in healthy.items():
        stored = [repo.get_lead(tenant, x.lead_id) for x in leads]
        assert all(
            x is not None
            and x.status is LeadStatus.ASSIGNED
            and [d.action for d in x.decisions] == ["assigned"]
            for x in stored
        )
        assert len({x.decisions[0].slot for x in stored if x}) == 300
    # …the leads whose write failed before applying were assigned on the next tick
    assert [r.totals()["failed"] for r in reports] == [12 + 1, 1, 0, 0]
    assert [r.totals()["assigned"] for r in reports] == [600 - 12, 12, 0, 0]
    # …the poisoned lead was quarantined on its third failed tick, and is out of the due index
    assert [r.totals()["quarantined"] for r in reports] == [0, 0, 1, 0]
    quarantined = repo.get_lead(TENANT, poisoned.lead_id)
    assert quarantined is not None and quarantined.status is LeadStatus.ESCALATED
    assert (quarantined.failed_attempts, quarantined.last_failure) == (3, "ValidationException")
    assert (
        len(quarantined.decisions) == history
    )  # it could not take one more: quarantined by the minimal write
    assert reports[-1].totals()["seen"] == 0
    # …and the other tenant never saw any of it: all its leads went through on the first two ticks
    globex = {s.rule_id: s for s in reports[0].swept if s.tenant_id == OTHER}["r-web"]
    assert (globex.assigned, globex.failed, globex.quarantined) == (300 - 6, 6, 0)
    _record(
        "poisoned_lead_two_tenants",
        {
            "faults": {str(k): v for k, v in client.faults.items()},
            "per_tick": [
                {k: r.totals()[k] for k in ("seen", "assigned", "failed", "quarantined", "lost")}
                for r in reports
            ],
        },
    )
