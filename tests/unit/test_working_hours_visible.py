"""What the working-time clocks do is shown, not only done.

- ``POST /rules/preview`` takes an arrival time and says when the lead's delay ends, when it is
  expected to be assigned, to whom, when it would be reclaimed (owner's clock) and escalated (team's);
- the distribution report counts, per rule, the leads that waited for working hours and their p50/p95
  wait in wall and in working time;
- ``GET /leads?unrouted=true`` lists due leads waiting for their team's hours with ``expected_at``,
  and the unrouted sweep leaves them alone (their rule is in charge).

The team is the issue's: three staff on Monday–Friday 08:00–17:00 in Asia/Ho_Chi_Minh (UTC+7). Dates
are in the week of 2026-12-07 (Monday), which has no Vietnamese public holiday (builders.NOW has one).
"""

from __future__ import annotations

import secrets
from datetime import datetime, time, timedelta, timezone
from typing import Any

import pytest

from leadrouter.clock import to_iso
from leadrouter.data.repository import Repository
from leadrouter.domain.holidays import Holiday, HolidayCalendar
from leadrouter.domain.ids import id_floor
from leadrouter.domain.leads import Decision, DecisionAction, Lead, LeadStatus
from leadrouter.domain.staff import StaffMember, WorkingHours
from leadrouter.domain.tenants import Tenant
from leadrouter.logic.routing.assign import sweep_due_leads
from leadrouter.logic.routing.unrouted import WAITING_FOR_WORKING_HOURS, sweep_unrouted
from tests.support.api import call_as, frozen_api_clock
from tests.support.builders import TENANT, lead, rule, seed, staff

HCM = timezone(timedelta(hours=7))
OFFICE = [WorkingHours(days=[1, 2, 3, 4, 5], start=time(8), end=time(17))]


def at(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    """December 2026, wall time in Ho Chi Minh City (7 = Monday, 11 = Friday)."""
    return datetime(2026, 12, day, hour, minute, second, tzinfo=HCM)


def _office(staff_id: str, **fields: Any) -> StaffMember:
    return staff(staff_id, working_hours=fields.pop("working_hours", OFFICE), **fields)


def _team(repo: Repository, *extra: StaffMember, **by_id: dict[str, Any]) -> None:
    repo.put_tenant(Tenant(tenant_id=TENANT, name="Acme"))
    for sid in "ABC":
        repo.put_staff(_office(sid, **by_id.get(sid, {})))
    for member in extra:
        repo.put_staff(member)


def _draft(**fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": "Landing page",
        "kind": "round_robin",
        "scope": {"pool": "web", "step": "new"},
        "staff": [{"staff_id": sid} for sid in "ABC"],
    }
    return body | fields


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _times(answer: dict[str, Any]) -> dict[str, Any]:
    return {k: _moment(v) if k.endswith("_at") else v for k, v in answer.items()}


# ------------------------------------------------------------------ preview
def test_preview_of_a_friday_1830_lead_says_it_is_assigned_monday_0800(moto_repo: Repository) -> None:
    # Given the office-hours team
    _team(moto_repo)
    # When an admin previews a round-robin rule for a lead arriving on Friday at 18:30
    reply = call_as("POST", "/rules/preview", _draft(arrival=at(11, 18, 30).isoformat()))
    # Then its delay ends at once (wall clock), it is assigned on Monday at 08:00 to slot 0 of the
    # rotation, and it would be escalated only after 120 working minutes: Monday 10:00, not 20:30 Friday
    assert reply.status == 200, reply.body
    answer = _times(reply.body["arrival_preview"])
    assert answer == {
        "arrival_at": at(11, 18, 30),
        "delay_ends_at": at(11, 18, 30),
        "expected_assignment_at": at(14, 8),
        "first_assignee": reply.body["cycle"][0],
        "escalate_at": at(14, 10),
    }


def test_preview_follows_leave_the_morning_hold_and_the_delay(moto_repo: Repository) -> None:
    # Given slot 0's member is on leave on Monday, and C starts at 08:15 (within the 30-minute hold)
    first = rule(weights={"A": 1, "B": 1, "C": 1}).cycle[0]  # the draft's cycle is built the same way
    late = [WorkingHours(days=[1, 2, 3, 4, 5], start=time(8, 15), end=time(17))]
    others: dict[str, dict[str, Any]] = {sid: {} for sid in "ABC"}
    others[first] = {"leave_dates": [at(14, 0).date()]}
    others["C" if first != "C" else "B"] |= {"working_hours": late}
    _team(moto_repo, **others)
    # When the Friday 18:30 lead is previewed under a rule with a 2-hour delay
    reply = call_as("POST", "/rules/preview", _draft(arrival=at(11, 18, 30).isoformat(), delay_minutes=120))
    # Then the delay ends at 20:30 (wall clock), the backlog is shared at 08:15 when the late starter is
    # on, and it goes to the first member of the cycle who is not on leave
    answer = _times(reply.body["arrival_preview"])
    assert answer["delay_ends_at"] == at(11, 20, 30)
    assert answer["expected_assignment_at"] == at(14, 8, 15)
    assert answer["first_assignee"] == next(s for s in reply.body["cycle"] if s != first)


def test_preview_of_a_reclaim_rule_reclaims_a_tuesday_1650_lead_at_0820_wednesday(
    moto_repo: Repository,
) -> None:
    # Given the office-hours team, and D who has no hours set (works around the clock)
    _team(moto_repo, staff("D"))
    reclaim = _draft(kind="reclaim", reclaim_after_minutes=30, arrival=at(8, 16, 50).isoformat())
    # When an admin previews a 30-minute reclaim rule for a lead its owner got on Tuesday at 16:50
    answer = call_as("POST", "/rules/preview", reclaim).body["arrival_preview"]
    # Then, on the owner's clock, it is reclaimed at 08:20 on Wednesday (10 minutes on Tuesday, 20 on
    # Wednesday), never overnight; to someone else in the rotation; escalated 120 working minutes later
    assert _moment(answer["reclaim_at"]) == at(9, 8, 20)
    assert _moment(answer["escalate_at"]) == at(9, 10, 20)
    assert answer["owner"] in "ABC" and answer["first_assignee"] not in (None, answer["owner"])
    assert "expected_assignment_at" not in answer and "delay_ends_at" not in answer
    # …and an owner who works around the clock has it reclaimed at 17:20 the same day
    with_d = call_as("POST", "/rules/preview", reclaim | {"owner": "D"}).body["arrival_preview"]
    assert _moment(with_d["reclaim_at"]) == at(8, 17, 20) and with_d["owner"] == "D"


def test_preview_refuses_an_unknown_owner_and_an_owner_on_an_assign_rule(moto_repo: Repository) -> None:
    _team(moto_repo)
    reclaim = _draft(kind="reclaim", reclaim_after_minutes=30, owner="nobody")
    unknown = call_as("POST", "/rules/preview", reclaim)
    assert unknown.status == 422 and unknown.body["errors"][0]["field"] == "owner"
    assign = call_as("POST", "/rules/preview", _draft(owner="A"))
    assert assign.status == 422 and assign.body["errors"][0]["field"] == "owner"


def test_preview_omits_the_assignee_when_nobody_could_take_the_lead(moto_repo: Repository) -> None:
    # Given everyone is paused (the team clock still runs: pauses do not stop escalation)
    _team(moto_repo, **{sid: {"paused": True} for sid in "ABC"})
    answer = call_as("POST", "/rules/preview", _draft(arrival=at(8, 10).isoformat())).body["arrival_preview"]
    # Then the schedule still expects it at once, nobody is named, and escalation is 2 working hours on
    assert _moment(answer["expected_assignment_at"]) == at(8, 10)
    assert "first_assignee" not in answer and _moment(answer["escalate_at"]) == at(8, 12)


# ------------------------------------------------------------------ report
def _assigned(received: datetime, *turns: Decision, **fields: Any) -> Lead:
    """A lead received (and queued) then, with the given decisions; its id carries its arrival time."""
    return lead(
        received_at=received,
        lead_id=id_floor(received) + secrets.token_hex(8),
        status=LeadStatus.ASSIGNED,
        owner="A",
        assignees=["A"],
        assigned_at=turns[-1].at if turns else None,
        decisions=list(turns),
        **fields,
    )


def _turn(moment: datetime, action: DecisionAction = "assigned") -> Decision:
    if action == "assigned":
        return Decision(at=moment, action="assigned", rule_id="r-web", rule_version=1, staff_id="A")
    return Decision(at=moment, action=action, staff_id="A", previous_owner="A")


def test_the_report_gives_p50_and_p95_of_waits_for_working_hours(moto_repo: Repository) -> None:
    # Given the office-hours team on a round-robin rule with a 30-minute delay, and leads it assigned:
    _team(moto_repo)
    moto_repo.create_rule(rule(weights={"A": 1, "B": 1, "C": 1}, delay_minutes=30))
    moto_repo.import_leads(
        [
            # due Monday 10:30, assigned 5 s later: no wait for hours
            _assigned(at(7, 10), _turn(at(7, 10, 30, 5))),
            # due Friday 18:30, assigned Monday 08:00: wall 61.5 h, working 0
            _assigned(at(4, 18), _turn(at(7, 8))),
            # due Monday 16:50, assigned Tuesday 08:20: wall 15.5 h, working 30 min (10 + 20)
            _assigned(at(7, 16, 20), _turn(at(8, 8, 20))),
            # due Tuesday 07:00, assigned 08:00: wall 1 h, working 0
            _assigned(at(8, 6, 30), _turn(at(8, 8))),
            # due Saturday 09:00, assigned Monday 08:00: wall 47 h, working 0
            _assigned(at(5, 8, 30), _turn(at(7, 8))),
            # received 07:30 but due 08:00 (the delay), assigned at 08:00: it did not wait for hours
            _assigned(at(8, 7, 30), _turn(at(8, 8))),
            # assigned when due, released, assigned again the next morning: only its first turn is a wait
            _assigned(at(8, 9), _turn(at(8, 9, 30)), _turn(at(8, 10), "released"), _turn(at(9, 8))),
            # assigned by hand: not the rule's
            _assigned(at(7, 11), Decision(at=at(7, 12), action="manual", staff_id="A", by="admin")),
        ]
    )
    # When the admin asks for the week's distribution report
    period = f"received_from={to_iso(at(4, 0))}&received_to={to_iso(at(10, 0))}"
    reply = call_as("GET", f"/reports/distribution?{period}")
    # Then 7 leads were measured and 4 waited for working hours; wall waits 1 h, 15.5 h, 47 h, 61.5 h
    # → p50 (mean of the middle two) 31.25 h, nearest-rank p95 61.5 h; working waits 0, 0, 0, 30 min
    assert reply.status == 200, reply.body
    (row,) = reply.body["rules"]
    assert row["working_hours_wait"] == {
        "measured": 7,
        "waited": 4,
        "wall_p50_seconds": (55_800 + 169_200) / 2,
        "wall_p95_seconds": 221_400.0,
        "working_p50_seconds": 0.0,
        "working_p95_seconds": 1_800.0,
    }


def test_the_report_counts_the_tenants_own_holidays_as_off(moto_repo: Repository) -> None:
    # Given the office-hours team, and the tenant made Thursday 10 December a company holiday
    _team(moto_repo)
    company_day = HolidayCalendar(added=[Holiday(day=at(10, 0).date(), name="Ngày hội công ty")])
    moto_repo.put_tenant(Tenant(tenant_id=TENANT, name="Acme", holidays=company_day))
    moto_repo.create_rule(rule(weights={"A": 1, "B": 1, "C": 1}))
    # …and a lead due that Thursday at 10:00, assigned on Friday at 08:00
    moto_repo.import_leads([_assigned(at(10, 10), _turn(at(11, 8)))])
    period = f"received_from={to_iso(at(10, 0))}&received_to={to_iso(at(11, 0))}"
    (row,) = call_as("GET", f"/reports/distribution?{period}").body["rules"]
    # Then it waited for working hours: 22 h of wall time and none of the team's working time
    wait = row["working_hours_wait"]
    assert (wait["waited"], wait["wall_p50_seconds"], wait["working_p95_seconds"]) == (1, 79_200.0, 0.0)


def test_a_team_without_hours_never_waits_for_them(moto_repo: Repository) -> None:
    # Given a rule whose staff set no hours (around the clock), and a lead due on Saturday night
    seed(moto_repo, rule(weights={"A": 1, "B": 1}))
    moto_repo.import_leads([_assigned(at(12, 23), _turn(at(12, 23, 0, 3)))])
    period = f"received_from={to_iso(at(12, 0))}&received_to={to_iso(at(13, 0))}"
    (row,) = call_as("GET", f"/reports/distribution?{period}").body["rules"]
    # Then it is measured and did not wait; no percentiles
    assert row["working_hours_wait"] == {
        "measured": 1,
        "waited": 0,
        "wall_p50_seconds": None,
        "wall_p95_seconds": None,
        "working_p50_seconds": None,
        "working_p95_seconds": None,
    }


# ------------------------------------------------------------------ unrouted listing
@pytest.fixture
def api_now(monkeypatch: pytest.MonkeyPatch) -> dict[str, datetime]:
    return frozen_api_clock(monkeypatch, at(12, 10))


def _listing() -> list[tuple[str, str | None, datetime | None]]:
    items = call_as("GET", "/leads?unrouted=true").body["items"]
    return [
        (x["lead"]["lead_id"], x["unrouted"], _moment(x["expected_at"]) if x["expected_at"] else None)
        for x in items
    ]


def test_a_friday_evening_lead_is_listed_as_waiting_until_monday_0800(
    moto_repo: Repository, api_now: dict[str, datetime]
) -> None:
    # Given the office-hours team's rule, a lead from Friday 18:30, and one in a step no rule covers
    _team(moto_repo)
    moto_repo.create_rule(rule(weights={"A": 1, "B": 1, "C": 1}))
    friday, stranded = lead(received_at=at(11, 18, 30)), lead(received_at=at(11, 18, 31), step="Gọi lại")
    moto_repo.import_leads([friday, stranded])
    # When the admin lists unrouted leads on Saturday at 10:00
    # Then the Friday lead waits for working hours, expected Monday 08:00; the other has no rule
    assert _listing() == [
        (stranded.lead_id, "no_rule", None),
        (friday.lead_id, WAITING_FOR_WORKING_HOURS, at(14, 8)),
    ]
    # …and the unrouted sweep, even Monday at 07:59, escalates only the lead no rule covers
    report = sweep_unrouted(moto_repo, at(14, 7, 59))
    assert report.escalated == {"no_rule": 1}
    assert moto_repo.get_lead(TENANT, friday.lead_id).status is LeadStatus.PENDING  # type: ignore[union-attr]
    # When the team is on (Monday 08:00) the rule assigns it, and it is no longer listed
    assert sweep_due_leads(moto_repo, moto_repo.get_rule(TENANT, "r-web"), at(14, 8)).assigned == 1  # type: ignore[arg-type]
    api_now["now"] = at(14, 8, 1)
    assert _listing() == []


def test_the_morning_hold_lists_the_backlog_until_the_late_starter_is_on(
    moto_repo: Repository, api_now: dict[str, datetime]
) -> None:
    # Given C starts at 08:15 (within the 30-minute hold), a lead from Sunday and one from Monday 08:03
    late = [WorkingHours(days=[1, 2, 3, 4, 5], start=time(8, 15), end=time(17))]
    _team(moto_repo, C={"working_hours": late})
    moto_repo.create_rule(rule(weights={"A": 1, "B": 1, "C": 1}))
    sunday, monday = lead(received_at=at(13, 20)), lead(received_at=at(14, 8, 3))
    moto_repo.import_leads([sunday, monday])
    # When the admin lists at 08:05, while A and B are on but the backlog is held for C
    api_now["now"] = at(14, 8, 5)
    # Then the Sunday lead is listed as waiting until 08:15; the Monday one is assigned as it comes
    assert _listing() == [(sunday.lead_id, WAITING_FOR_WORKING_HOURS, at(14, 8, 15))]
    # …and at 08:15 nothing waits any more
    api_now["now"] = at(14, 8, 15)
    assert _listing() == []
