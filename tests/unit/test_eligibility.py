"""Who may take a lead now: status, leave and shifts in the staff member's own time zone, caps."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from leadrouter.domain import eligibility as el
from leadrouter.domain.holidays import HolidayCalendar, day_off
from leadrouter.domain.precedence import rules_in_charge
from leadrouter.domain.rules import Rule
from leadrouter.domain.worktime import MemberSchedule
from tests.support.builders import NOW, rule, staff
from tests.support.worktime_strategies import instants, member_schedules


def test_reasons_in_order_of_severity() -> None:
    assert el.unavailability(None, NOW) == el.UNKNOWN
    assert el.unavailability(staff("A", active=False, paused=True), NOW) == el.INACTIVE
    assert el.unavailability(staff("A", paused=True), NOW) == el.PAUSED
    assert el.unavailability(staff("A"), NOW) is None


def test_leave_and_shifts_use_the_staff_time_zone() -> None:
    # 23:30 UTC on Monday 23 Nov is 06:30 on Tuesday 24 Nov in Ho Chi Minh City
    late_utc = datetime(2026, 11, 23, 23, 30, tzinfo=UTC)
    on_leave_tuesday = staff("A", leave_dates=[date(2026, 11, 24)])
    assert el.unavailability(on_leave_tuesday, late_utc) == el.ON_LEAVE
    office = staff("A", working_hours=[{"days": [1, 2, 3, 4, 5], "start": "08:00", "end": "17:30"}])
    assert el.unavailability(office, late_utc) == el.OFF_SHIFT  # 06:30 local
    assert el.unavailability(office, NOW) is None  # 09:00 local Tuesday
    saturday_9am_local = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)
    assert el.unavailability(office, saturday_9am_local) == el.OFF_SHIFT


def test_unavailable_staff_lists_only_those_out() -> None:
    members = {"A": staff("A"), "B": staff("B", paused=True)}
    assert el.unavailable_staff(["A", "B", "Z"], members, NOW) == {"B": el.PAUSED, "Z": el.UNKNOWN}


def test_caps_bind_the_tighter_limit() -> None:
    capped = staff("A", max_open_leads=10, max_leads_per_day=5)
    assert el.remaining_capacity(capped, open_leads=8, assigned_today=1) == (2, el.OPEN_CAP)
    assert el.remaining_capacity(capped, open_leads=0, assigned_today=5) == (0, el.DAILY_CAP)
    assert el.remaining_capacity(staff("B"), 100, 100) is None


def test_day_starts_at_local_midnight() -> None:
    assert el.local_day_start(staff("A"), NOW) == datetime(2026, 11, 23, 17, 0, tzinfo=UTC)


def _with(rule_id: str, priority: int = 0, **scope: str) -> Rule:
    return rule(rule_id, scope=scope or {"pool": "web", "step": "new"}, priority=priority)


def test_one_rule_in_charge_per_scope_highest_priority_first() -> None:
    low, high = _with("r-1", 1), _with("r-2", 5)
    other_scope = _with("r-3", campaign="tet")
    in_charge, shadowed = rules_in_charge([low, high, other_scope])
    assert {r.rule_id for r in in_charge} == {"r-2", "r-3"}
    assert [r.rule_id for r in shadowed] == ["r-1"]
    # On a tie the older (lower, time-ordered) id wins
    in_charge, shadowed = rules_in_charge([_with("r-9"), _with("r-4")])
    assert [r.rule_id for r in in_charge] == ["r-4"]


# --------------------------------------------------------------------------- shifts and holidays, by property


@settings(max_examples=200, deadline=None)
@given(member_schedules(), instants, st.booleans(), st.booleans())
def test_off_shift_and_holiday_agree_with_the_working_time_clock(
    schedule: MemberSchedule, now: datetime, active: bool, holiday_today: bool
) -> None:
    # Given any member (shifts or none, any zone, leave, pauses, a holiday calendar) at any instant,
    # half the time on a local holiday
    member = schedule.member.model_copy(update={"active": active})
    local_day = now.astimezone(ZoneInfo(member.time_zone)).date()
    if holiday_today:
        schedule = MemberSchedule(member, {local_day}.__contains__, schedule.leave, schedule.pauses)
    # When eligibility is asked
    reason = el.unavailability(member, now, schedule.day_off)
    # Then off-shift is exactly "the member's own clock (leave aside) says not working", holiday is
    # exactly "a member with shifts on a local holiday", and both come after status and leave
    with_shifts = bool(member.working_hours) and active and not member.paused
    with_shifts = with_shifts and local_day not in member.leave_dates
    assert (reason == el.HOLIDAY) == (with_shifts and schedule.day_off(local_day))
    assert (reason == el.OFF_SHIFT) == (
        with_shifts
        and not schedule.day_off(local_day)
        and not MemberSchedule(member, leave=False).is_working(now)
    )
    # And an active, unpaused member may take a lead exactly when the team clock counts them working
    if active and not member.paused:
        team_clock = MemberSchedule(member, day_off=schedule.day_off, leave=True, pauses=False)
        assert (reason is None) == team_clock.is_working(now)


@settings(max_examples=100, deadline=None)
@given(member_schedules(shifts=True), instants)
def test_without_a_calendar_no_one_is_out_for_a_holiday(schedule: MemberSchedule, now: datetime) -> None:
    member = schedule.member.model_copy(update={"paused": False})
    reason = el.unavailability(member, now)
    assert reason != el.HOLIDAY
    if reason is None or reason == el.OFF_SHIFT:
        assert (reason is None) == MemberSchedule(member, leave=False).is_working(now)


def test_a_member_with_shifts_is_out_for_the_holiday_one_without_is_not() -> None:
    # Given Vietnam's default calendar and Tuesday 24 Nov 2026 09:00 in Ho Chi Minh City (a public holiday)
    calendar = day_off(HolidayCalendar())
    office = staff("A", working_hours=[{"days": [1, 2, 3, 4, 5], "start": "08:00", "end": "17:30"}])
    # Then the member with office hours is out for the holiday, the one without hours is not
    assert el.unavailability(office, NOW, calendar) == el.HOLIDAY
    assert el.unavailability(staff("B"), NOW, calendar) is None
    # And the next day, at 09:00, the office member is back
    assert el.unavailability(office, NOW + timedelta(days=1), calendar) is None
    # And leave outranks the holiday
    on_leave = office.model_copy(update={"leave_dates": [date(2026, 11, 24)]})
    assert el.unavailability(on_leave, NOW, calendar) == el.ON_LEAVE
