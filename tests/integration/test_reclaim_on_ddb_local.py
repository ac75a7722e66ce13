"""Reclaim against concurrent care activity, on DynamoDB Local: a salesperson's call always wins."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta

import pytest

from leadrouter.data.repository import Repository
from leadrouter.domain.leads import Decision, Lead
from leadrouter.domain.rules import RuleKind
from leadrouter.logic.routing.assign import sweep_due_leads
from leadrouter.logic.routing.reclaim import sweep_idle_leads
from leadrouter.runtime import new_repository
from tests.support.builders import NOW, TENANT, add_leads, rule, seed
from tests.support.ticks import run_sweeps

LEASE = timedelta(minutes=3)
ASSIGNED_AT = NOW + timedelta(seconds=5)
RECLAIM_AT = ASSIGNED_AT + timedelta(minutes=31)
CARE_AT = ASSIGNED_AT + timedelta(minutes=30, seconds=30)


@pytest.fixture
def repo(ddb_tables: dict[str, str]) -> Repository:
    return new_repository()


def _idle_leads(repo: Repository, count: int) -> list[Lead]:
    seed(repo, rule("r-assign", weights={"A": 1}))
    leads = add_leads(repo, count)
    run_sweeps(repo, "assign", sweep_due_leads, ASSIGNED_AT, LEASE)
    seed(repo, rule("r-reclaim", weights={"B": 1, "C": 1}, kind=RuleKind.RECLAIM, reclaim_after_minutes=30))
    return leads


def test_care_written_while_reclaim_decides_keeps_the_lead_with_its_owner(
    repo: Repository, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given 200 idle leads of A; for every other one, A logs a call after the sweep read it
    leads = _idle_leads(repo, 200)
    cared = {x.lead_id for x in leads[::2]}
    real = repo.reclaim_assigned

    def call_lands_first(lead: Lead, new_owner: str, decision: Decision) -> bool:
        if lead.lead_id in cared:
            assert repo.record_care(TENANT, lead.lead_id, CARE_AT)
        return real(lead, new_owner, decision)

    monkeypatch.setattr(repo, "reclaim_assigned", call_lands_first)
    # When the reclaim sweep runs
    report = run_sweeps(repo, "reclaim", sweep_idle_leads, RECLAIM_AT, LEASE)
    # Then the cared-for leads stay with A, the others move, and the lost writes are counted
    stored = {x.lead_id: x for x in repo.tenant_leads(TENANT)}
    assert {stored[i].owner for i in cared} == {"A"}
    assert {stored[i].idle_since for i in cared} == {CARE_AT}
    moved = [x for i, x in stored.items() if i not in cared]
    # (a slot whose write lost to a call is left unused, a gap, so the B/C split is not exact here)
    assert sum(Counter(x.owner for x in moved)[s] for s in ("B", "C")) == 100
    assert all(x.reclaim_count == 1 for x in moved)
    assert report.totals()["lost"] == 100 and report.totals()["assigned"] == 100


def test_concurrent_care_is_never_overwritten_by_reclaim(repo: Repository) -> None:
    # Given 400 idle leads, and A calling 200 of them while the reclaim sweep runs in another thread
    leads = _idle_leads(repo, 400)
    cared = [x.lead_id for x in leads[1::2]]
    caller = new_repository()
    start = threading.Barrier(2)
    care_results: list[bool] = []

    def call_them() -> None:
        start.wait()
        care_results.extend(caller.record_care(TENANT, lead_id, CARE_AT) for lead_id in cared)

    thread = threading.Thread(target=call_them)
    thread.start()
    start.wait()
    run_sweeps(new_repository(), "reclaim", sweep_idle_leads, RECLAIM_AT, LEASE)
    thread.join()
    stored = {x.lead_id: x for x in repo.tenant_leads(TENANT)}
    # Then no recorded call was ever overwritten: whichever write came second saw the first.
    # A call that landed first keeps the lead with A; a reclaim that landed first moved the lead,
    # and the call then reset the new owner's idle clock.
    assert all(care_results)
    assert {stored[i].idle_since for i in cared} == {CARE_AT}
    for lead_id in cared:
        lead = stored[lead_id]
        assert lead.owner == "A" or lead.decisions[-1].action == "reclaimed"
    # …and every lead nobody called was reclaimed exactly once
    untouched = [x for i, x in stored.items() if i not in set(cared)]
    assert all(x.reclaim_count == 1 and x.owner in {"B", "C"} for x in untouched)
