"""GET /reports/overview: the day's leads in the tenant's time zone, and why pending leads wait."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

import pytest

from leadrouter.data.repository import Repository
from leadrouter.domain.ids import id_floor
from leadrouter.domain.leads import Lead
from leadrouter.logic.reports.overview import day_bounds
from leadrouter.logic.routing.assign import sweep_due_leads
from tests.support.api import ADMIN, call, claims, event
from tests.support.builders import NOW, lead, rule, seed, staff
from tests.support.ticks import run_sweeps

LEASE = timedelta(minutes=3)
#: NOW is 09:00 on Tuesday 24 November 2026 in Ho Chi Minh City (UTC+7): the day began at 17:00 UTC.
DAY_START = datetime.fromisoformat("2026-11-23T17:00:00+00:00")


@pytest.fixture(autouse=True)
def _api_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("leadrouter.api.context.clock", lambda: NOW + timedelta(minutes=5))


def _lead(received_at: datetime, **fields: Any) -> Lead:
    """A lead whose id carries its arrival time, as intake's ids do (the day is found by id range)."""
    return lead(received_at=received_at, lead_id=id_floor(received_at) + secrets.token_hex(8), **fields)


def _overview(who: dict[str, str] | None = ADMIN, query: str = "") -> Any:
    return call(event("GET", "/reports/overview" + query, claims=who))


def _groups(body: dict[str, Any]) -> dict[tuple[str, str, str], dict[str, Any]]:
    return {(g["pool"], g["step"], g["reason"]): g for g in body["waiting_groups"]}


def test_the_day_is_the_tenants_day_counted_by_status_now_with_speed(moto_repo: Repository) -> None:
    # Given a 1:1 rule, 4 leads received this morning (local), one a second before local midnight,
    # and one of another tenant
    seed(moto_repo, rule(weights={"A": 1, "B": 1}))
    today = [_lead(NOW - timedelta(seconds=s)) for s in (10, 20, 30, 40)]
    moto_repo.import_leads([*today, _lead(DAY_START - timedelta(seconds=1)), _lead(NOW, tenant_id="globex")])
    # When one tick assigns the tenant's leads (the day's at NOW + 2 min: 130..160 s after receipt)
    run_sweeps(moto_repo, "assign", sweep_due_leads, NOW + timedelta(minutes=2), LEASE)
    reply = _overview()
    # Then the day is 24 November from 00:00 local, with the 4 leads of that day, all assigned
    assert reply.status == 200, reply.body
    body = reply.body
    assert body["date"] == "2026-11-24" and body["time_zone"] == "Asia/Ho_Chi_Minh"
    assert datetime.fromisoformat(body["received_from"]) == DAY_START
    assert datetime.fromisoformat(body["received_to"]) == DAY_START + timedelta(days=1)
    assert (body["received"], body["assigned"], body["pending"], body["escalated"]) == (4, 4, 0, 0)
    assert body["speed_to_lead"] == {"leads": 4, "median_seconds": 145.0, "p95_seconds": 160.0}
    assert body["waiting"] == 0 and body["waiting_groups"] == [] and body["waiting_complete"] is True
    # …and ?date= names another day: the 23rd holds the lead of 23:59:59 local
    other = _overview(query="?date=2026-11-23").body
    assert other["date"] == "2026-11-23" and other["received"] == 1


def test_each_pending_lead_says_why_it_waits(moto_repo: Repository) -> None:
    # Given: r-web (A, B both paused); r-fb (30 min delay); r-zalo (its only member works at night);
    # r-tiktok (available, not swept yet); and the step "old" of pool web that no rule covers
    paused = [staff("A", paused=True), staff("B", paused=True)]
    seed(moto_repo, rule("r-web", weights={"A": 1, "B": 1}), paused)
    seed(moto_repo, rule("r-fb", weights={"C": 1}, scope={"pool": "fb", "step": "new"}, delay_minutes=30))
    night = [staff("D", working_hours=[{"start": "22:00", "end": "23:00"}])]
    seed(moto_repo, rule("r-zalo", weights={"D": 1}, scope={"pool": "zalo", "step": "new"}), night)
    seed(moto_repo, rule("r-tiktok", weights={"E": 1}, scope={"pool": "tiktok", "step": "new"}))
    moto_repo.import_leads(
        [_lead(NOW - timedelta(minutes=1)) for _ in range(3)]
        + [_lead(NOW, pool="fb"), _lead(NOW, pool="zalo"), _lead(NOW, pool="tiktok")]
        + [_lead(NOW - timedelta(days=1), step="old")]  # yesterday's: waiting counts every pending lead
        + [_lead(NOW, tenant_id="globex", step="old")]
    )
    reply = _overview()
    assert reply.status == 200, reply.body
    body = reply.body
    # Then every pending lead of the tenant (not the other tenant's) is counted by reason
    assert body["waiting_by_reason"] == {
        "no_eligible_staff": 3,
        "delay": 1,
        "waiting_for_working_hours": 1,
        "queued": 1,
        "no_rule": 1,
    }
    assert body["waiting"] == 7 and body["pending"] == 6 and body["received"] == 6
    groups = _groups(body)
    web = groups[("web", "new", "no_eligible_staff")]
    assert (web["rule_id"], web["leads"], web["pool"], web["step"]) == ("r-web", 3, "web", "new")
    assert web["staff_out"] == {"A": "paused", "B": "paused"}
    zalo = groups[("zalo", "new", "waiting_for_working_hours")]
    # (24 November is a public holiday in the default calendar: D's next shift is the 25th, 22:00 local)
    assert datetime.fromisoformat(zalo["expected_at"]) == DAY_START + timedelta(days=1, hours=22)
    old = groups[("web", "old", "no_rule")]
    assert old["rule_id"] is None and old["leads"] == 1
    assert groups[("fb", "new", "delay")]["rule_name"] is not None
    assert body["waiting_groups"][0]["reason"] == "no_eligible_staff"  # most leads first


def test_one_available_member_makes_the_leads_queued_not_unassignable(moto_repo: Repository) -> None:
    seed(moto_repo, rule("r-web", weights={"A": 1, "B": 1}), [staff("A", paused=True), staff("B")])
    moto_repo.import_leads([_lead(NOW - timedelta(minutes=1))])
    assert _overview().body["waiting_by_reason"] == {"queued": 1}


def test_team_leads_may_read_it_salespeople_may_not(moto_repo: Repository) -> None:
    seed(moto_repo, rule())
    assert _overview(claims("team_lead", team="kinh-doanh")).status == 200
    assert _overview(claims("staff", staff_id="A")).status == 403


def test_a_malformed_date_is_a_422_naming_it(moto_repo: Repository) -> None:
    reply = _overview(query="?date=24-11-2026")
    assert reply.status == 422 and "date" in str(reply.body)


@pytest.mark.parametrize("day", ["0790-11-30", "1969-12-31", "2200-01-01"])
def test_a_day_outside_the_services_years_is_a_422_not_a_failed_query(
    moto_repo: Repository, day: str
) -> None:
    # Lead ids are time-ordered from 1970: before it, the day's key range runs backwards (schemathesis).
    reply = _overview(query=f"?date={day}")
    assert reply.status == 422 and "date" in str(reply.body)


def test_day_bounds_follow_the_zone_and_its_daylight_saving() -> None:
    start, end = day_bounds(datetime(2026, 3, 8).date(), "America/New_York")
    assert (end - start) == timedelta(hours=23)
