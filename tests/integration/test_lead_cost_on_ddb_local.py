"""What a lead's life costs on the leads table, measured with ConsumedCapacity on DynamoDB Local (issue
#8, "Cost per lead"): assignment and each care activity at most 3 WRU, a reclaim 3, the sweeps' reads
a page of keys plus the leads they write, however many other leads the table holds."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest

from leadrouter.data.repository import Repository
from leadrouter.domain.leads import Lead, LeadStatus
from leadrouter.domain.rules import RuleKind
from leadrouter.domain.users import Caller
from leadrouter.logic.leads import care as lead_logic
from leadrouter.logic.routing.assign import sweep_due_leads
from leadrouter.logic.routing.reclaim import sweep_idle_leads
from leadrouter.settings import Settings
from tests.support.builders import NOW, TENANT, add_leads, rule, seed
from tests.support.ticks import run_sweeps

LEASE = timedelta(minutes=3)
WRITES = frozenset({"put_item", "update_item", "delete_item", "batch_write_item", "transact_write_items"})
READS = frozenset({"get_item", "query", "batch_get_item"})


class Metered:
    """A DynamoDB client that asks every request for its capacity and sums it per table."""

    def __init__(self, real: Any, leads_table: str) -> None:
        self._real, self._leads = real, leads_table
        self.units: dict[str, float] = defaultdict(float)

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._real, name)
        if name not in WRITES | READS:
            return method
        kind = "wru" if name in WRITES else "rru"

        def metered(**request: Any) -> Any:
            response = method(**request, ReturnConsumedCapacity="INDEXES")
            consumed = response.get("ConsumedCapacity") or []
            for entry in consumed if isinstance(consumed, list) else [consumed]:
                table = "leads" if entry["TableName"] == self._leads else "other"
                self.units[f"{table} {kind}"] += entry["CapacityUnits"]
            return response

        return metered

    @contextmanager
    def counting(self) -> Iterator[dict[str, float]]:
        self.units.clear()
        yield self.units


@pytest.fixture
def metered(ddb_tables: dict[str, str], ddb_local: Any) -> Metered:
    return Metered(ddb_local.client(), ddb_tables["LeadsTable"])


@pytest.fixture
def repo(metered: Metered) -> Repository:
    return Repository(Settings.from_env(), client=metered)


def _assigned(repo: Repository, count: int, others: int = 0) -> list[Lead]:
    """``count`` leads assigned by a sweep (``others`` pending leads of another scope beside them)."""
    seed(repo, rule("r-assign", weights={"A": 1, "B": 1}))
    if others:
        add_leads(repo, others, step="elsewhere")
    add_leads(repo, count)
    run_sweeps(repo, "assign", sweep_due_leads, NOW + timedelta(minutes=1), LEASE)
    return [x for x in repo.tenant_leads(TENANT) if x.status is LeadStatus.ASSIGNED]


def test_an_assignment_costs_3_wru_and_reads_the_page_it_writes(repo: Repository, metered: Metered) -> None:
    # Given 200 pending leads of the rule's scope beside 300 of another scope
    seed(repo, rule("r-assign", weights={"A": 1, "B": 1}))
    add_leads(repo, 300, step="elsewhere")
    add_leads(repo, 200)
    # When the sweep assigns them
    with metered.counting() as units:
        report = run_sweeps(repo, "assign", sweep_due_leads, NOW + timedelta(minutes=1), LEASE)
    # Then each assignment cost the lead's write, its due entry's delete and its owner entry: 3 WRU
    assert report.totals()["assigned"] == 200
    assert units["leads wru"] == 3 * 200
    # ... and the reads were the two pages' keys plus one consistent read per lead written, whatever
    # else the table holds (1 RRU per lead up to 4 KB)
    assert 200 <= units["leads rru"] <= 200 + 2 * 2


def test_each_care_activity_on_an_assigned_lead_costs_at_most_3_wru(
    repo: Repository, metered: Metered
) -> None:
    # Given 20 leads assigned to A and B
    leads = _assigned(repo, 20)
    at = NOW + timedelta(minutes=5)
    activities: dict[str, Callable[[Lead, Caller], object]] = {
        "note": lambda x, who: lead_logic.add_activity(repo, who, x.lead_id, "note", "gọi lại chiều", at),
        "call": lambda x, who: lead_logic.add_activity(repo, who, x.lead_id, "call", "", at),
        "care": lambda x, who: repo.record_care(TENANT, x.lead_id, at),
        "step": lambda x, who: lead_logic.move_step(repo, who, x.lead_id, "contacted", at),
    }
    for name, act in activities.items():
        # When each lead's owner records the activity
        with metered.counting() as units:
            for lead in leads:
                act(lead, Caller(tenant_id=TENANT, role="staff", staff_id=lead.owner))
            at += timedelta(minutes=1)
        # Then the leads table took at most 3 WRU per activity (the item 1, its owner entry re-keyed 2)
        assert units["leads wru"] <= 3 * len(leads), name
    # ... and every activity is in the lead's history, and restarted its idle clock
    history = repo.lead_events(TENANT, leads[0].lead_id)
    assert [e.kind for e in history] == ["note", "call", "step_change"]
    assert repo.get_lead(TENANT, leads[0].lead_id).idle_since == at - timedelta(minutes=1)  # type: ignore[union-attr]


def test_a_reclaim_costs_3_wru_per_lead_and_reads_only_idle_leads(repo: Repository, metered: Metered) -> None:
    # Given 100 leads assigned to A and B, 40 of them cared for later
    leads = _assigned(repo, 100)
    for lead in leads[:40]:
        assert repo.record_care(TENANT, lead.lead_id, NOW + timedelta(minutes=20))
    seed(repo, rule("r-reclaim", weights={"C": 1, "D": 1}, kind=RuleKind.RECLAIM, reclaim_after_minutes=30))
    # When the reclaim sweep runs 32 minutes after the assignment
    with metered.counting() as units:
        report = run_sweeps(repo, "reclaim", sweep_idle_leads, NOW + timedelta(minutes=32), LEASE)
    # Then the 60 idle leads moved, each for its write and its owner entry re-keyed: 3 WRU
    assert report.totals()["assigned"] == 60
    assert units["leads wru"] == 3 * 60
    # ... reading the keys of idle leads only (one small page per staff member), the 60 leads, and for
    # the rule's stamp the earliest lead each member still holds in the scope (half a unit each: the
    # owner index's keys, eventually consistent)
    assert 60 <= units["leads rru"] <= 60 + 4 * 1 + 4 * 0.5
