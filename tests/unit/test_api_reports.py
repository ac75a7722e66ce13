"""GET /reports/distribution: actual vs ideal share, reclaims, escalations and speed-to-lead."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

import pytest

from leadrouter.clock import to_iso
from leadrouter.data.repository import Repository
from leadrouter.domain.ids import id_floor
from leadrouter.domain.leads import Decision, Lead
from leadrouter.domain.rules import RuleKind
from leadrouter.logic.reports.distribution import distribution
from leadrouter.logic.reports.speed import speed
from leadrouter.logic.routing.assign import sweep_due_leads
from leadrouter.logic.routing.reclaim import sweep_idle_leads
from tests.support.api import ADMIN, call, claims, event
from tests.support.builders import NOW, lead, rule, seed
from tests.support.ticks import run_sweeps

LEASE = timedelta(minutes=3)
SWEEP_AT = NOW + timedelta(minutes=2)
PERIOD = (NOW - timedelta(hours=1), NOW + timedelta(hours=1))


def _lead(received_at: datetime, **fields: Any) -> Lead:
    """A lead whose id carries its arrival time, as intake's ids do (reports find leads by id range)."""
    return lead(received_at=received_at, lead_id=id_floor(received_at) + secrets.token_hex(8), **fields)


def _report(
    period: tuple[datetime, datetime] = PERIOD, who: dict[str, str] | None = ADMIN, **query: str
) -> Any:
    params = {"received_from": to_iso(period[0]), "received_to": to_iso(period[1]), **query}
    path = "/reports/distribution?" + "&".join(f"{k}={v}" for k, v in params.items())
    return call(event("GET", path, claims=who))


def _rows(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["rule_id"]: r for r in body["rules"]}


def _by_staff(row: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["staff_id"]: s for s in row["staff"]}


# ------------------------------------------------------------------ the known scenario
def test_240_leads_on_3_4_5_are_60_80_100_with_hand_computed_speed(moto_repo: Repository) -> None:
    # Given the seed's 3:4:5 rule and 240 leads (20 whole cycles, three sweep pages) received 1..20 s
    # before the sweep (each offset 12×)
    seed(moto_repo, rule())
    offsets = [(i % 20) + 1 for i in range(240)]
    moto_repo.import_leads([_lead(SWEEP_AT - timedelta(seconds=k)) for k in offsets])
    # …one lead of another tenant and one received before the period
    moto_repo.import_leads([_lead(NOW, tenant_id="globex"), _lead(PERIOD[0] - timedelta(seconds=1))])
    # When one tick assigns them all, and the admin asks for the period's report
    assert run_sweeps(moto_repo, "assign", sweep_due_leads, SWEEP_AT, LEASE).totals()["assigned"] == 241
    reply = _report()
    # Then the split is exactly 60/80/100 against an ideal of 60/80/100: deviation 0
    assert reply.status == 200
    body = reply.body
    assert body["leads"] == 240
    row = _rows(body)["r-web"]
    assert row["assigned"] == 240 and row["versions"] == [1] and row["max_abs_deviation"] == 0
    staff = _by_staff(row)
    assert {sid: (s["assigned"], s["ideal"], s["deviation"]) for sid, s in staff.items()} == {
        "A": (60, 60.0, 0.0),
        "B": (80, 80.0, 0.0),
        "C": (100, 100.0, 0.0),
    }
    assert staff["A"]["ideal_share"] == pytest.approx(0.25)
    # …and speed-to-lead: 1..20 s twelve times each → median (10 + 11) / 2, nearest-rank p95 = the
    # 228th of 240 = 19
    assert body["speed_to_lead"] == {"leads": 240, "median_seconds": 10.5, "p95_seconds": 19.0}
    assert row["speed_to_lead"] == body["speed_to_lead"]
    assert (row["reclaims"], row["escalations"]) == (0, 0) and body["p95_method"] == "nearest-rank"


def test_reclaims_and_escalations_are_counted_for_the_rule_in_the_decision(moto_repo: Repository) -> None:
    # Given A is given 4 leads by r-assign, and r-reclaim (A, B; 30 min idle) watches the same scope
    seed(moto_repo, rule("r-assign", weights={"A": 1}))
    seed(
        moto_repo,
        rule("r-reclaim", weights={"A": 1, "B": 1}, kind=RuleKind.RECLAIM, reclaim_after_minutes=30),
    )
    moto_repo.import_leads([_lead(NOW + timedelta(seconds=i)) for i in range(4)])
    at = NOW + timedelta(minutes=1)
    run_sweeps(moto_repo, "assign", sweep_due_leads, at, LEASE)
    # When A leaves them idle (→ reclaimed to B), and B does too (→ nobody new left: escalated)
    run_sweeps(moto_repo, "reclaim", sweep_idle_leads, at + timedelta(minutes=30), LEASE)
    run_sweeps(moto_repo, "reclaim", sweep_idle_leads, at + timedelta(minutes=61), LEASE)
    reply = _report()
    # Then the assign rule shows 4 assignments to A, the reclaim rule 4 reclaims (all from A) and
    # 4 escalations; speed-to-lead counts the first assignment only
    rows = _rows(reply.body)
    assert rows["r-assign"]["assigned"] == 4 and rows["r-assign"]["reclaims"] == 0
    assert (rows["r-reclaim"]["reclaims"], rows["r-reclaim"]["escalations"]) == (4, 4)
    assert _by_staff(rows["r-reclaim"])["A"]["reclaimed_from"] == 4
    assert _by_staff(rows["r-reclaim"])["B"]["reclaimed_from"] == 0
    assert reply.body["speed_to_lead"]["leads"] == 4
    # (received at NOW + 0..3 s, assigned at NOW + 60 s: 60, 59, 58, 57 s)
    assert reply.body["speed_to_lead"]["median_seconds"] == 58.5
    assert reply.body["speed_to_lead"]["p95_seconds"] == 60.0
    # …and the 4 escalations are listed, newest first, each with its reason, rule and who had it
    listed = reply.body["escalations"]
    assert len(listed) == 4 and [e["at"] for e in listed] == sorted((e["at"] for e in listed), reverse=True)
    assert {(e["rule_id"], e["previous_owner"], e["status"]) for e in listed} == {
        ("r-reclaim", "B", "escalated")
    }
    reasons = {e["reason"] for e in listed}
    assert len(reasons) == 1 and None not in reasons
    assert reply.body["escalations_by_reason"] == {reasons.pop(): 4}


def test_rule_filter_keeps_only_that_rules_leads(moto_repo: Repository) -> None:
    # Given two scopes with their own rules, 3 leads each
    seed(moto_repo, rule("r-web", weights={"A": 1}))
    seed(moto_repo, rule("r-fb", weights={"B": 1}, scope={"pool": "fb", "step": "new"}))
    moto_repo.import_leads([_lead(NOW + timedelta(seconds=i)) for i in range(3)])
    moto_repo.import_leads([_lead(NOW + timedelta(seconds=i), pool="fb") for i in range(3)])
    run_sweeps(moto_repo, "assign", sweep_due_leads, SWEEP_AT, LEASE)
    # When the report is filtered on r-fb
    body = _report(rule_id="r-fb").body
    # Then only r-fb and its leads appear
    assert body["leads"] == 3 and [r["rule_id"] for r in body["rules"]] == ["r-fb"]
    assert _by_staff(body["rules"][0]) == {
        "B": {
            "staff_id": "B",
            "weight": 1,
            "assigned": 3,
            "ideal": 3.0,
            "ideal_share": 1.0,
            "deviation": 0.0,
            "reclaimed_from": 0,
        }
    }
    # …and unfiltered, both rules with 6 leads
    assert {r["rule_id"]: r["assigned"] for r in _report().body["rules"]} == {"r-fb": 3, "r-web": 3}


# ------------------------------------------------------------------ access and bad input
@pytest.mark.parametrize(("who", "status"), [(None, 401), (claims("staff", staff_id="A"), 403)])
def test_no_token_is_401_and_staff_may_not_read_reports(
    moto_repo: Repository, who: dict[str, str] | None, status: int
) -> None:
    assert _report(who=who).status == status


def test_team_leads_read_reports_of_their_tenant_only(moto_repo: Repository) -> None:
    seed(moto_repo, rule(weights={"A": 1}))
    moto_repo.import_leads([_lead(NOW)])
    moto_repo.import_leads([_lead(NOW, tenant_id="globex")])
    reply = _report(who=claims("team_lead", staff_id="L", team="north"))
    assert reply.status == 200 and reply.body["leads"] == 1
    assert _report(who=claims("admin", tenant="globex")).body["rules"] == []


@pytest.mark.parametrize(
    ("query", "fields"),
    [
        ("", {"received_from", "received_to"}),
        ("received_from=2026-11-01T00:00:00Z", {"received_to"}),
        ("received_from=yesterday&received_to=2026-11-02T00:00:00Z", {"received_from"}),
        ("received_from=2026-11-02T00:00:00Z&received_to=2026-11-01T00:00:00Z", {"received_to"}),
        ("received_from=2026-11-01T00:00:00Z&received_to=2026-11-01T00:00:00Z", {"received_to"}),
        ("received_from=2026-01-01T00:00:00Z&received_to=2026-04-03T00:00:01Z", {"received_to"}),
        ("received_from=2026-11-01T00:00:00&received_to=2026-11-02T00:00:00Z", {"received_from"}),
        ("received_from=2026-11-01T00:00:00Z&received_to=2026-11-02T00:00:00Z&rule_id=bad%20id", {"rule_id"}),
    ],
)
def test_bad_periods_are_422_naming_the_field(moto_repo: Repository, query: str, fields: set[str]) -> None:
    reply = call(event("GET", f"/reports/distribution?{query}", claims=ADMIN))
    assert reply.status == 422, reply.body
    assert {e["field"] for e in reply.body["errors"]} == fields


def test_a_92_day_period_is_accepted(moto_repo: Repository) -> None:
    assert _report((NOW - timedelta(days=92), NOW)).status == 200


# ------------------------------------------------------------------ the pure computation
def _decided(received_at: datetime, *decisions: Decision, **fields: Any) -> Lead:
    return _lead(received_at).model_copy(update={"decisions": list(decisions), **fields})


def test_speed_counts_manual_assignment_and_only_the_first_assignment() -> None:
    # Given a lead assigned by hand after 10 s, one by r-web after 20 s then released and reassigned,
    # and one never assigned
    t = NOW
    manual = _decided(t, Decision(at=t + timedelta(seconds=10), action="manual", staff_id="A"))
    auto = _decided(
        t,
        Decision(
            at=t + timedelta(seconds=20), action="assigned", rule_id="r-web", rule_version=1, staff_id="A"
        ),
        Decision(at=t + timedelta(hours=1), action="released", previous_owner="A"),
        Decision(at=t + timedelta(hours=2), action="assigned", rule_id="r-web", rule_version=2, staff_id="B"),
    )
    waiting = _decided(t)
    # When the report is computed
    report = distribution([manual, auto, waiting], [rule(weights={"A": 1, "B": 1})], *PERIOD)
    # Then speed covers the two assigned leads (10 s and 20 s); the rule's figure only its own lead
    assert report.leads == 3
    assert (report.speed_to_lead.median_seconds, report.speed_to_lead.p95_seconds) == (15.0, 20.0)
    (row,) = report.rules
    assert row.speed_to_lead.leads == 1 and row.speed_to_lead.median_seconds == 20.0
    # …both rotation turns count, across the two versions seen
    assert row.assigned == 2 and row.versions == [1, 2]
    assert {s.staff_id: s.assigned for s in row.staff} == {"A": 1, "B": 1}


def test_a_deleted_rule_and_a_staff_member_no_longer_in_the_rule_are_still_reported() -> None:
    # Given decisions by a rule that no longer exists, and by r-web for someone since removed from it
    gone = _decided(NOW, Decision(at=NOW, action="assigned", rule_id="r-old", rule_version=3, staff_id="A"))
    moved = _decided(NOW, Decision(at=NOW, action="assigned", rule_id="r-web", rule_version=1, staff_id="Z"))
    # When computed against the current rules
    report = distribution([gone, moved], [rule(weights={"A": 1, "B": 3})], *PERIOD)
    rows = {r.rule_id: r for r in report.rules}
    # Then the deleted rule shows its count with no ideal; Z shows with weight None and ideal 0
    assert rows["r-old"].name is None and rows["r-old"].staff[0].ideal is None
    assert rows["r-old"].max_abs_deviation is None
    staff = {s.staff_id: s for s in rows["r-web"].staff}
    assert [s.staff_id for s in rows["r-web"].staff] == ["A", "B", "Z"]
    assert staff["Z"].weight is None and staff["Z"].ideal == 0 and staff["Z"].deviation == 1.0
    assert staff["B"].ideal == pytest.approx(0.75) and staff["B"].deviation == pytest.approx(-0.75)


def test_leads_outside_the_period_are_ignored_even_if_given() -> None:
    at_end = _decided(PERIOD[1], Decision(at=PERIOD[1], action="manual", staff_id="A"))
    at_start = _decided(PERIOD[0], Decision(at=PERIOD[0], action="manual", staff_id="A"))
    report = distribution([at_end, at_start], [], *PERIOD)
    assert report.leads == 1 and report.speed_to_lead.leads == 1


@pytest.mark.parametrize(
    ("samples", "median", "p95"),
    [
        ([], None, None),
        ([7.0], 7.0, 7.0),
        ([1.0, 2.0, 3.0, 4.0], 2.5, 4.0),
        ([float(x) for x in range(1, 21)], 10.5, 19.0),  # ceil(0.95 × 20) = 19th value
        ([float(x) for x in range(1, 22)], 11.0, 20.0),  # ceil(0.95 × 21) = 20th value
    ],
)
def test_median_and_nearest_rank_p95(samples: list[float], median: float | None, p95: float | None) -> None:
    result = speed(samples)
    assert (result.leads, result.median_seconds, result.p95_seconds) == (len(samples), median, p95)
