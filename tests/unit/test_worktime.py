"""The working-time clock, proved by properties over random staff (several shifts a day, night shifts
split at midnight, shifts ending 23:59 = midnight, leave, pauses, holidays; Ho Chi Minh City, Berlin and
New York, whose daylight-saving transitions the random instants crowd), plus worked examples.

Ambiguous and skipped wall times: a shift on local date D is the half-open UTC interval
[local_instant(D, start), local_instant(D, end)) (end 23:59: local_instant(D + 1, 00:00)), where
local_instant is the *first* instant the wall clock reads that time or later. So a shift starting in the
hour skipped in spring starts when the clock jumps past it; in the hour repeated in autumn, a shift
starts and ends at the first occurrence of its wall times and covers the repeated hour whole or not at
all. ``is_working(t)`` is therefore asserted to equal the plain wall-clock definition ("t's local time is
inside a shift of t's local date, and that date is no holiday / leave day") for every t whose wall time
is unambiguous, and to equal the interval definition above for t inside the repeated hour.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from leadrouter.domain.staff import Pause, StaffMember, WorkingHours
from leadrouter.domain.worktime import (
    HORIZON,
    AroundTheClock,
    MemberSchedule,
    Schedule,
    TeamSchedule,
    local_instant,
    merge,
    pause_intervals,
)
from tests.support.builders import staff
from tests.support.worktime_strategies import (
    END_OF_DAY,
    amounts,
    dates,
    instants,
    local_midnight,
    member_schedules,
    members,
    ordered,
    schedules,
    teams,
)

PROPERTY = settings(max_examples=200, deadline=None)
US = timedelta(microseconds=1)
ZERO = timedelta(0)
BERLIN = "Europe/Berlin"


# --------------------------------------------------------------------------- arithmetic of the clock


@PROPERTY
@given(schedules, ordered(3))
def test_working_time_is_additive(schedule: Schedule, moments: list[datetime]) -> None:
    # Given a <= b <= c
    a, b, c = moments
    # Then the working time a→b plus b→c is the working time a→c
    assert schedule.working_time(a, b) + schedule.working_time(b, c) == schedule.working_time(a, c)


@PROPERTY
@given(schedules, ordered(3))
def test_working_time_is_monotone_and_never_more_than_wall_time(
    schedule: Schedule, moments: list[datetime]
) -> None:
    a, b, c = moments
    assert ZERO <= schedule.working_time(a, b) <= schedule.working_time(a, c)  # later end: more
    assert schedule.working_time(b, c) <= schedule.working_time(a, c)  # earlier start: more
    assert schedule.working_time(a, c) <= c - a
    assert schedule.working_time(c, a) == ZERO  # backwards: nothing


@PROPERTY
@given(schedules, ordered(2))
def test_intervals_are_sorted_disjoint_inside_the_window_and_sum_to_the_working_time(
    schedule: Schedule, moments: list[datetime]
) -> None:
    a, b = moments
    found = schedule.intervals(a, b)
    assert all(a <= s < e <= b for s, e in found)
    assert all(e1 < s2 for (_, e1), (s2, _) in pairwise(found))  # merged
    assert sum((e - s for s, e in found), ZERO) == schedule.working_time(a, b)
    # is_working agrees with the intervals at their edges (half-open)
    for s, e in found:
        assert schedule.is_working(s) and schedule.is_working(e - US)
        if e < b:
            assert not schedule.is_working(e)


@PROPERTY
@given(teams, ordered(2))
def test_a_team_works_at_least_as_long_as_each_member_and_at_most_their_sum(
    team: TeamSchedule, moments: list[datetime]
) -> None:
    a, b = moments
    each = [m.working_time(a, b) for m in team.members]
    assert max(each) <= team.working_time(a, b) <= sum(each, ZERO)
    assert team.is_working(a) == any(m.is_working(a) for m in team.members)


# --------------------------------------------------------------------------- after / before: the inverse


@PROPERTY
@given(schedules, ordered(2))
def test_adding_the_working_time_from_t_to_u_lands_at_or_before_u(
    schedule: Schedule, moments: list[datetime]
) -> None:
    t, u = moments
    passed = schedule.working_time(t, u)
    landed = schedule.after(t, passed)
    assert landed is not None and t <= landed <= u
    if schedule.is_working(u - US) and t < u:  # u inside working time (or at its end)
        assert landed == u
    assert schedule.working_time(landed, u) == ZERO  # nothing worked between where it lands and u


@PROPERTY
@given(schedules, ordered(2))
def test_taking_the_working_time_from_t_to_u_back_from_u_lands_at_or_after_t(
    schedule: Schedule, moments: list[datetime]
) -> None:
    t, u = moments
    passed = schedule.working_time(t, u)
    landed = schedule.before(u, passed)
    assert landed is not None and t <= landed <= u
    if schedule.is_working(t) and t < u:
        assert landed == t
    assert schedule.working_time(t, landed) == ZERO


@PROPERTY
@given(schedules, instants, amounts)
def test_after_is_the_earliest_instant_by_which_the_amount_has_passed(
    schedule: Schedule, t: datetime, amount: timedelta
) -> None:
    landed = schedule.after(t, amount)
    if landed is None:  # not that much working time within the horizon
        assert schedule.working_time(t, t + HORIZON) < amount
        return
    assert schedule.working_time(t, landed) == amount
    assert schedule.working_time(t, landed - US) < amount  # not a microsecond earlier
    assert schedule.is_working(landed - US)


@PROPERTY
@given(schedules, instants, amounts)
def test_before_is_the_latest_instant_from_which_the_amount_has_passed(
    schedule: Schedule, u: datetime, amount: timedelta
) -> None:
    landed = schedule.before(u, amount)
    if landed is None:
        assert schedule.working_time(u - HORIZON, u) < amount
        return
    assert schedule.working_time(landed, u) == amount
    assert schedule.working_time(landed + US, u) < amount  # not a microsecond later
    assert schedule.is_working(landed)


@PROPERTY
@given(schedules, instants)
def test_next_start_is_now_when_working_else_the_start_of_the_next_interval(
    schedule: Schedule, t: datetime
) -> None:
    start = schedule.next_start(t)
    if schedule.is_working(t):
        assert start == t
    elif start is None:
        assert schedule.working_time(t, t + HORIZON) == ZERO
    else:
        assert start > t and schedule.is_working(start)
        assert schedule.working_time(t, start) == ZERO
        assert schedule.after(t, US) == start + US


def test_zero_amounts_are_the_instant_itself() -> None:
    member = MemberSchedule(staff("A", working_hours=[{"start": "08:00", "end": "17:00"}]))
    midnight = datetime(2026, 5, 5, 17, tzinfo=UTC)
    assert member.after(midnight, ZERO) == midnight
    assert member.before(midnight, ZERO) == midnight


# --------------------------------------------------------------------------- what stops the clock


@PROPERTY
@given(member_schedules(shifts=True), dates)
def test_no_working_time_on_a_holiday_for_members_with_shifts(schedule: MemberSchedule, day: date) -> None:
    # Given the member's local date ``day`` is a public holiday
    def holiday(d: date) -> bool:
        return d == day or schedule.day_off(d)

    on_holiday = MemberSchedule(schedule.member, holiday, schedule.leave, schedule.pauses)
    zone = schedule.member.time_zone
    # Then that local day has no working time, and the days around it are untouched
    assert (
        on_holiday.working_time(local_midnight(day, zone), local_midnight(day + timedelta(1), zone)) == ZERO
    )
    if not schedule.day_off(day):
        before_day = local_midnight(day, zone)
        assert on_holiday.working_time(before_day - timedelta(days=2), before_day) == schedule.working_time(
            before_day - timedelta(days=2), before_day
        )


@PROPERTY
@given(member_schedules(shifts=False), ordered(2))
def test_holidays_do_not_apply_to_members_without_shifts(
    schedule: MemberSchedule, moments: list[datetime]
) -> None:
    a, b = moments
    everyday_off = MemberSchedule(schedule.member, lambda _d: True, schedule.leave, schedule.pauses)
    assert everyday_off.working_time(a, b) == schedule.working_time(a, b)


@PROPERTY
@given(member_schedules(), dates)
def test_a_leave_day_stops_the_clock_only_when_leave_counts(schedule: MemberSchedule, day: date) -> None:
    member = schedule.member
    zone = member.time_zone
    away = member.model_copy(update={"leave_dates": [*member.leave_dates, day]})
    start, end = local_midnight(day, zone), local_midnight(day + timedelta(1), zone)
    counted = MemberSchedule(away, schedule.day_off, leave=True, pauses=schedule.pauses)
    ignored = MemberSchedule(away, schedule.day_off, leave=False, pauses=schedule.pauses)
    plain = MemberSchedule(member, schedule.day_off, leave=False, pauses=schedule.pauses)
    assert counted.working_time(start, end) == ZERO
    assert ignored.working_time(start - timedelta(1), end + timedelta(1)) == plain.working_time(
        start - timedelta(1), end + timedelta(1)
    )


@PROPERTY
@given(member_schedules(), ordered(2))
def test_pauses_subtract_exactly_the_working_time_inside_them_and_only_when_asked(
    schedule: MemberSchedule, moments: list[datetime]
) -> None:
    a, b = moments
    member = schedule.member
    unpaused = member.model_copy(update={"pauses": [], "paused": False})
    kept = MemberSchedule(member, schedule.day_off, schedule.leave, pauses=False)
    bare = MemberSchedule(unpaused, schedule.day_off, schedule.leave, pauses=False)
    stopped = MemberSchedule(member, schedule.day_off, schedule.leave, pauses=True)
    # pauses=False: pauses change nothing
    assert kept.working_time(a, b) == bare.working_time(a, b)
    # pauses=True: the working time inside the pauses is taken out, nothing else
    inside = sum(
        (bare.working_time(max(s, a), min(e, b)) for s, e in merge(pause_intervals(member))),
        ZERO,
    )
    assert stopped.working_time(a, b) == bare.working_time(a, b) - inside


@PROPERTY
@given(members(shifts=True), st.sampled_from(["Asia/Ho_Chi_Minh", BERLIN, "America/New_York"]), dates)
def test_no_working_time_on_days_without_a_shift(member: StaffMember, zone: str, day: date) -> None:
    # Given a member whose shifts are on weekdays only (night shifts may run into Saturday morning)
    weekdays_only = [
        h.model_copy(update={"days": [d for d in h.days if d <= 5] or [1]}) for h in member.working_hours
    ]
    worker = MemberSchedule(member.model_copy(update={"working_hours": weekdays_only, "time_zone": zone}))
    # Then a Sunday has no working time
    sunday = day + timedelta(days=7 - day.isoweekday())
    assert (
        worker.working_time(local_midnight(sunday, zone), local_midnight(sunday + timedelta(1), zone)) == ZERO
    )


# --------------------------------------------------------------------------- the wall clock


def _end_instant(day: date, shift: WorkingHours, zone: ZoneInfo) -> datetime:
    if shift.end >= END_OF_DAY:
        return local_instant(day + timedelta(days=1), time(0), zone)
    return local_instant(day, shift.end, zone)


def _is_repeated(local: datetime) -> bool:
    """The wall time of ``local`` occurs twice (the hour repeated when daylight saving time ends)."""
    naive = local.replace(tzinfo=None)
    zone = local.tzinfo
    return naive.replace(tzinfo=zone, fold=0).utcoffset() != naive.replace(tzinfo=zone, fold=1).utcoffset()


def _wall_clock_says_working(schedule: MemberSchedule, t: datetime) -> bool:
    member = schedule.member
    zone = ZoneInfo(member.time_zone)
    local = t.astimezone(zone)
    day, wall = local.date(), local.time()
    if schedule.leave and day in member.leave_dates:
        return False
    if not member.working_hours:
        return True
    if schedule.day_off(day):
        return False
    shifts = [h for h in member.working_hours if day.isoweekday() in h.days]
    if _is_repeated(local):  # the interval definition: from the first occurrence of start to that of end
        return any(local_instant(day, h.start, zone) <= t < _end_instant(day, h, zone) for h in shifts)
    return any(h.start <= wall and (h.end >= END_OF_DAY or wall < h.end) for h in shifts)


@PROPERTY
@given(member_schedules(), instants, st.sampled_from(["calendar", "holiday", "leave"]))
def test_is_working_agrees_with_the_wall_clock(schedule: MemberSchedule, t: datetime, today: str) -> None:
    # Given a member at an instant whose local date is now and then a holiday or a leave day
    member = schedule.member
    local_day = t.astimezone(ZoneInfo(member.time_zone)).date()
    day_off = schedule.day_off
    if today == "holiday":
        day_off = {local_day}.__contains__
    elif today == "leave":
        member = member.model_copy(update={"leave_dates": [local_day]})
    without_pauses = MemberSchedule(member, day_off, schedule.leave, pauses=False)
    # Then is_working says what the wall clock says (see the module docstring for the repeated hour)
    assert without_pauses.is_working(t) == _wall_clock_says_working(without_pauses, t)


@PROPERTY
@given(members(shifts=True), instants)
def test_is_working_agrees_with_the_wall_clock_at_shift_edges(member: StaffMember, near: datetime) -> None:
    # Given an instant on a shift's edge (start or end, a microsecond either side), in the member's zone
    schedule = MemberSchedule(member)
    zone = ZoneInfo(member.time_zone)
    day = near.astimezone(zone).date()
    for h in member.working_hours:
        for edge in (local_instant(day, h.start, zone), _end_instant(day, h, zone)):
            for t in (edge - US, edge, edge + US):
                assert schedule.is_working(t) == _wall_clock_says_working(schedule, t)


# --------------------------------------------------------------------------- daylight saving time examples


def _office(zone: str, start: str = "08:00", end: str = "17:00") -> MemberSchedule:
    return MemberSchedule(staff("A", time_zone=zone, working_hours=[{"start": start, "end": end}]))


def _day(schedule: MemberSchedule, day: date) -> timedelta:
    zone = schedule.member.time_zone
    return schedule.working_time(local_midnight(day, zone), local_midnight(day + timedelta(1), zone))


def test_an_office_day_in_berlin_is_nine_hours_every_day_of_the_year_transitions_included() -> None:
    # Given a Berlin member on 08:00-17:00 every day
    office = _office(BERLIN)
    # When each local day of 2026 and 2027 is measured
    days = [date(2026, 1, 1) + timedelta(days=n) for n in range(730)]
    # Then every one is 9 hours, the transition Sundays and Mondays too
    assert {_day(office, d) for d in days} == {timedelta(hours=9)}
    assert _day(office, date(2026, 3, 29)) == _day(office, date(2026, 10, 26)) == timedelta(hours=9)


def test_an_office_day_in_new_york_is_nine_hours_on_its_transition_days_too() -> None:
    office = _office("America/New_York")
    for day in (date(2026, 3, 8), date(2026, 3, 9), date(2026, 11, 1), date(2026, 11, 2)):
        assert _day(office, day) == timedelta(hours=9)


def _night_shift(zone: str = BERLIN) -> MemberSchedule:
    return MemberSchedule(
        staff(
            "N",
            time_zone=zone,
            working_hours=[{"start": "22:00", "end": "23:59"}, {"start": "00:00", "end": "06:00"}],
        )
    )


def test_a_night_shift_across_the_spring_transition_is_seven_hours() -> None:
    # Given a Berlin night shift 22:00-23:59 + 00:00-06:00, Saturday 28 March into Sunday 29 March 2026
    night = _night_shift()
    noon_saturday = datetime(2026, 3, 28, 11, tzinfo=UTC)
    noon_sunday = datetime(2026, 3, 29, 10, tzinfo=UTC)
    # Then it is one stretch, 22:00 CET (21:00 UTC) to 06:00 CEST (04:00 UTC): the clock skipped an hour
    assert night.intervals(noon_saturday, noon_sunday) == [
        (datetime(2026, 3, 28, 21, tzinfo=UTC), datetime(2026, 3, 29, 4, tzinfo=UTC))
    ]
    assert night.working_time(noon_saturday, noon_sunday) == timedelta(hours=7)


def test_a_night_shift_across_the_autumn_transition_is_nine_hours() -> None:
    night = _night_shift()
    noon_saturday = datetime(2026, 10, 24, 10, tzinfo=UTC)
    noon_sunday = datetime(2026, 10, 25, 11, tzinfo=UTC)
    assert night.intervals(noon_saturday, noon_sunday) == [
        (datetime(2026, 10, 24, 20, tzinfo=UTC), datetime(2026, 10, 25, 5, tzinfo=UTC))
    ]
    assert night.working_time(noon_saturday, noon_sunday) == timedelta(hours=9)


def test_a_shift_starting_in_the_skipped_hour_starts_when_the_clock_jumps_past_it() -> None:
    # Given a Berlin shift 02:30-05:00 on the spring-forward Sunday (02:00-03:00 does not exist)
    early = _office(BERLIN, "02:30", "05:00")
    # Then it starts at 03:00 CEST (01:00 UTC) and lasts two hours
    zone = ZoneInfo(BERLIN)
    assert local_instant(date(2026, 3, 29), time(2, 30), zone) == datetime(2026, 3, 29, 1, tzinfo=UTC)
    assert _day(early, date(2026, 3, 29)) == timedelta(hours=2)
    assert not early.is_working(datetime(2026, 3, 29, 0, 59, 59, tzinfo=UTC))
    assert early.is_working(datetime(2026, 3, 29, 1, tzinfo=UTC))


def test_in_the_repeated_hour_a_shift_runs_from_the_first_occurrence_of_its_start_to_that_of_its_end() -> (
    None
):
    # Given the autumn Sunday in Berlin: 02:00-03:00 happens twice (CEST 00:00-01:00 UTC, CET 01:00-02:00 UTC)
    zone = ZoneInfo(BERLIN)
    second_quarter_past_two = datetime(2026, 10, 25, 1, 15, tzinfo=UTC)  # 02:15 CET, the second time
    assert local_instant(date(2026, 10, 25), time(2, 30), zone) == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    # A shift from 02:30 has begun by the second 02:15 (it began at the first 02:30): 3 h 30 min long
    from_half_past_two = _office(BERLIN, "02:30", "05:00")
    assert from_half_past_two.is_working(second_quarter_past_two)
    assert _day(from_half_past_two, date(2026, 10, 25)) == timedelta(hours=3, minutes=30)
    # A shift until 02:30 has ended by then (it ended at the first 02:30): 1 h 30 min long
    until_half_past_two = _office(BERLIN, "01:00", "02:30")
    assert not until_half_past_two.is_working(second_quarter_past_two)
    assert _day(until_half_past_two, date(2026, 10, 25)) == timedelta(hours=1, minutes=30)


def test_a_shift_ending_23_59_runs_to_midnight_and_joins_the_next_days_shift() -> None:
    late = _office("Asia/Ho_Chi_Minh", "20:00", "23:59")
    midnight = local_midnight(date(2026, 5, 6), "Asia/Ho_Chi_Minh")
    assert late.is_working(midnight - US)
    assert not late.is_working(midnight)
    assert _day(late, date(2026, 5, 5)) == timedelta(hours=4)


# --------------------------------------------------------------------------- pauses and around the clock


def test_a_paused_member_without_an_open_pause_record_is_paused_throughout() -> None:
    member = staff("A", paused=True)
    start = datetime(2026, 5, 5, tzinfo=UTC)
    assert MemberSchedule(member, pauses=True).working_time(start, start + timedelta(days=3)) == ZERO
    assert MemberSchedule(member, pauses=False).working_time(start, start + timedelta(days=3)) == timedelta(
        days=3
    )


def test_an_open_pause_runs_on_and_a_closed_one_ends() -> None:
    start = datetime(2026, 5, 5, tzinfo=UTC)
    closed = Pause(start=start + timedelta(hours=1), end=start + timedelta(hours=3))
    member = staff("A", pauses=[closed, Pause(start=start + timedelta(hours=10))])
    clock = MemberSchedule(member, pauses=True)
    assert clock.working_time(start, start + timedelta(days=1)) == timedelta(hours=8)


def test_around_the_clock_is_wall_time() -> None:
    start = datetime(2026, 5, 5, tzinfo=UTC)
    clock = AroundTheClock()
    assert clock.working_time(start, start + timedelta(hours=5)) == timedelta(hours=5)
    assert clock.after(start, timedelta(hours=5)) == start + timedelta(hours=5)
    assert clock.before(start, timedelta(hours=5)) == start - timedelta(hours=5)


# --------------------------------------------------------------------------- the horizon, quickly


def test_a_team_with_no_working_time_in_the_horizon_answers_never() -> None:
    # Given ten members with office hours, each paused throughout or off every day (a calendar gone wrong)
    now = datetime(2026, 11, 24, 2, tzinfo=UTC)
    hours = [
        {"days": [1, 2, 3, 4, 5], "start": "08:00", "end": "12:00"},
        {"days": [1, 2, 3, 4, 5], "start": "13:00", "end": "17:00"},
    ]
    team = TeamSchedule(
        tuple(
            MemberSchedule(staff(f"S{i}", working_hours=hours, paused=True), pauses=True)
            if i % 2
            else MemberSchedule(staff(f"S{i}", working_hours=hours), day_off=lambda _d: True)
            for i in range(10)
        )
    )
    # Then "120 working minutes before now", "after now" and "the next start" are never
    assert team.before(now, timedelta(minutes=120)) is None
    assert team.after(now, timedelta(minutes=120)) is None
    assert team.next_start(now) is None
