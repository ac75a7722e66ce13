"""Việc của tôi: a salesperson's open leads say when they will be reclaimed, on the owner's working
clock (the reclaim sweep's own arithmetic), and how many working minutes are left.

The team works Monday–Friday 08:00–17:00 in Asia/Ho_Chi_Minh; dates are in the week of 2026-12-07.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone
from typing import Any

import pytest

from leadrouter.data.repository import Repository
from leadrouter.domain.leads import LeadStatus
from leadrouter.domain.rules import RuleKind
from leadrouter.domain.staff import WorkingHours
from leadrouter.domain.tenants import Tenant
from tests.support.api import call_as, claims, frozen_api_clock
from tests.support.builders import TENANT, lead, rule, staff

HCM = timezone(timedelta(hours=7))
OFFICE = [WorkingHours(days=[1, 2, 3, 4, 5], start=time(8), end=time(17))]
STAFF_A = claims("staff", staff_id="A")


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=HCM)


def _open_lead(repo: Repository, idle_since: datetime, **fields: Any) -> str:
    held = lead(
        received_at=idle_since,
        status=LeadStatus.ASSIGNED,
        owner="A",
        assignees=["A"],
        held_by=["A"],
        assigned_at=idle_since,
        idle_since=idle_since,
        **fields,
    )
    repo.import_leads([held])
    return held.lead_id


@pytest.fixture
def office(moto_repo: Repository) -> Repository:
    moto_repo.put_tenant(Tenant(tenant_id=TENANT, name="Acme"))
    for sid in "AB":
        moto_repo.put_staff(staff(sid, working_hours=OFFICE))
    moto_repo.create_rule(
        rule("r-reclaim", weights={"A": 1, "B": 1}, kind=RuleKind.RECLAIM, reclaim_after_minutes=30)
    )
    return moto_repo


def _mine(lead_id: str) -> dict[str, object]:
    items = call_as("GET", "/leads", who=STAFF_A).body["items"]
    return next(x for x in items if x["lead"]["lead_id"] == lead_id)


def test_a_lead_cared_for_at_1650_is_due_at_0820_next_morning(
    office: Repository, monkeypatch: pytest.MonkeyPatch
) -> None:
    lead_id = _open_lead(office, at(8, 16, 50))
    moments = frozen_api_clock(monkeypatch, at(8, 16, 55))
    # On shift at 16:55: 25 of the 30 working minutes left, the clock running
    mine = _mine(lead_id)
    assert datetime.fromisoformat(str(mine["reclaim_due_at"])) == at(9, 8, 20)
    assert mine["reclaim_minutes_left"] == 25 and mine["reclaim_clock_running"] is True
    # At 19:00 the owner is off: 20 minutes left (the night does not count), the clock stopped
    moments["now"] = at(8, 19)
    mine = _mine(lead_id)
    assert mine["reclaim_minutes_left"] == 20 and mine["reclaim_clock_running"] is False
    assert datetime.fromisoformat(str(mine["reclaim_due_at"])) == at(9, 8, 20)
    # …and the lead's own page says the same
    page = call_as("GET", f"/leads/{lead_id}", who=STAFF_A).body
    assert page["reclaim_minutes_left"] == 20 and page["history"] == []
    # Past the due moment nothing is left
    moments["now"] = at(9, 9)
    assert _mine(lead_id)["reclaim_minutes_left"] == 0


def test_a_lead_no_reclaim_rule_watches_has_no_reclaim_clock(
    office: Repository, monkeypatch: pytest.MonkeyPatch
) -> None:
    lead_id = _open_lead(office, at(8, 10), pool="zalo")
    frozen_api_clock(monkeypatch, at(8, 11))
    mine = _mine(lead_id)
    assert mine["reclaim_due_at"] is None and mine["reclaim_minutes_left"] is None
    assert mine["reclaim_clock_running"] is None
