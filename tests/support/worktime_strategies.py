"""Hypothesis strategies for the working-time clock: staff with random shifts, leave, pauses, time zones
with and without daylight saving time, holiday calendars, and instants that crowd the DST transitions."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import strategies as st

from leadrouter.domain.holidays import Holiday, HolidayCalendar, day_off
from leadrouter.domain.staff import Pause, StaffMember
from leadrouter.domain.worktime import AroundTheClock, MemberSchedule, Schedule, TeamSchedule
from tests.support.builders import staff

ZONES = ("Asia/Ho_Chi_Minh", "Europe/Berlin", "America/New_York")
MIDNIGHT = time(0)
END_OF_DAY = time(23, 59)  # a shift ending here runs to midnight

#: The 2026 daylight-saving transitions of the zones above, as UTC instants.
TRANSITIONS = (
    datetime(2026, 3, 8, 7, tzinfo=UTC),  # New York: 02:00 EST -> 03:00 EDT
    datetime(2026, 3, 29, 1, tzinfo=UTC),  # Berlin: 02:00 CET -> 03:00 CEST
    datetime(2026, 10, 25, 1, tzinfo=UTC),  # Berlin: 03:00 CEST -> 02:00 CET
    datetime(2026, 11, 1, 6, tzinfo=UTC),  # New York: 02:00 EDT -> 01:00 EST
)
WINDOW_START = datetime(2026, 2, 25, tzinfo=UTC)
WINDOW_END = datetime(2026, 11, 30, tzinfo=UTC)

# Wall times: anywhere in the day, often in the hours daylight saving time skips or repeats, on the
# minute mostly, sometimes with seconds.
_minute_times = st.builds(time, st.integers(0, 23), st.integers(0, 59))
_dst_hour_times = st.builds(time, st.integers(1, 3), st.integers(0, 59))
_odd_times = st.builds(time, st.integers(0, 23), st.integers(0, 59), st.integers(0, 59))
wall_times = st.one_of(_minute_times, _dst_hour_times, _odd_times)

weekdays = st.one_of(
    st.just([1, 2, 3, 4, 5, 6, 7]),
    st.just([1, 2, 3, 4, 5]),
    st.sets(st.integers(1, 7), min_size=1).map(sorted),
)


def _around(center: datetime, spread: timedelta) -> st.SearchStrategy[datetime]:
    seconds = int(spread.total_seconds())
    return st.integers(-seconds, seconds).map(lambda s: center + timedelta(seconds=s))


_on_the_minute = st.integers(0, int((WINDOW_END - WINDOW_START).total_seconds()) // 60).map(
    lambda m: WINDOW_START + timedelta(minutes=m)
)
_anywhere = st.integers(0, int((WINDOW_END - WINDOW_START).total_seconds())).map(
    lambda s: WINDOW_START + timedelta(seconds=s)
)
_near_transitions = st.sampled_from(TRANSITIONS).flatmap(lambda t: _around(t, timedelta(days=2)))
_odd_microseconds = st.tuples(_anywhere, st.integers(1, 999_999)).map(
    lambda p: p[0] + timedelta(microseconds=p[1])
)
#: UTC instants inside the window, crowding the DST transitions.
instants = st.one_of(_on_the_minute, _anywhere, _near_transitions, _odd_microseconds)

_offsets = st.one_of(
    st.just(0),
    st.integers(0, 3 * 24 * 60).map(lambda m: m * 60),
    st.integers(0, 21 * 24 * 3600),
)


def _cumulative(start: datetime, offsets: list[int]) -> list[datetime]:
    moments = [start]
    for seconds in offsets:
        moments.append(moments[-1] + timedelta(seconds=seconds))
    return moments


def ordered(count: int) -> st.SearchStrategy[list[datetime]]:
    """``count`` instants in order, each at most three weeks after the one before (often on the minute,
    sometimes equal); the first anywhere in ``instants``."""
    gaps = st.lists(_offsets, min_size=count - 1, max_size=count - 1)
    return st.tuples(instants, gaps).map(lambda p: _cumulative(*p))


dates_in_window = st.dates(WINDOW_START.date(), WINDOW_END.date())
#: Local dates often on a transition weekend.
dates = st.one_of(
    dates_in_window,
    st.sampled_from([t.date() + timedelta(days=n) for t in TRANSITIONS for n in (-1, 0, 1)]),
)


_one_in_five = st.integers(0, 4).map(lambda n: n == 0)
_one_in_six = st.integers(0, 5).map(lambda n: n == 0)
_pause_minutes = st.integers(1, 3 * 24 * 60)


@st.composite
def shift(draw: st.DrawFn) -> list[dict[str, Any]]:
    """One shift, or a night shift split at midnight (two shifts: to 23:59, and from 00:00)."""
    days = draw(weekdays)
    a, b = sorted((draw(wall_times), draw(wall_times)))
    if a == b or a >= END_OF_DAY:
        a, b = min(a, time(23, 58)), END_OF_DAY
    if draw(_one_in_five):
        b = END_OF_DAY
    if draw(_one_in_six):  # night shift: a (evening) to b (next morning)
        next_days = sorted({d % 7 + 1 for d in days})
        return [
            {"days": days, "start": b if b < END_OF_DAY else a, "end": END_OF_DAY},
            {"days": next_days, "start": MIDNIGHT, "end": a if a > MIDNIGHT else time(6)},
        ]
    return [{"days": days, "start": a, "end": b}]


@st.composite
def pause(draw: st.DrawFn) -> Pause:
    start = draw(instants)
    if draw(_one_in_six):
        return Pause(start=start)
    return Pause(start=start, end=start + timedelta(minutes=draw(_pause_minutes)))


_shift_lists = st.lists(shift(), min_size=1, max_size=3)
_leave_lists = st.lists(dates, max_size=3)
_pause_lists = st.lists(pause(), max_size=2)
_zones = st.sampled_from(ZONES)
_member_ids = st.integers(1, 99)
_one_in_eight = st.integers(0, 7).map(lambda n: n == 0)
_one_in_ten = st.integers(0, 9).map(lambda n: n == 0)


@st.composite
def members(draw: st.DrawFn, shifts: bool | None = None) -> StaffMember:
    """A staff member; ``shifts`` None: mostly with shifts, now and then with none (around the clock)."""
    has_shifts = not draw(_one_in_eight) if shifts is None else shifts
    hours = [s for group in draw(_shift_lists) for s in group]
    return staff(
        f"S{draw(_member_ids)}",
        time_zone=draw(_zones),
        working_hours=hours[:21] if has_shifts else [],
        leave_dates=draw(_leave_lists),
        pauses=draw(_pause_lists),
        paused=draw(_one_in_ten),
    )


calendars = st.builds(
    lambda country, added, removed: HolidayCalendar(
        country=country, added=[Holiday(day=d, name="Nghỉ công ty") for d in added], removed=removed
    ),
    st.sampled_from(["VN", "DE", "US", None]),
    st.lists(dates, max_size=3),
    st.lists(dates, max_size=2),
)


days_off: st.SearchStrategy[Callable[[date], bool]] = st.one_of(
    calendars.map(day_off), st.frozensets(dates, max_size=4).map(lambda s: s.__contains__)
)


_members = {None: members(), True: members(shifts=True), False: members(shifts=False)}


@st.composite
def _member_schedules(draw: st.DrawFn, shifts: bool | None) -> MemberSchedule:
    return MemberSchedule(
        draw(_members[shifts]), day_off=draw(days_off), leave=draw(st.booleans()), pauses=draw(st.booleans())
    )


_member_schedule_strategies = {k: _member_schedules(k) for k in (None, True, False)}


def member_schedules(shifts: bool | None = None) -> st.SearchStrategy[MemberSchedule]:
    """A member's schedule with a random calendar and random leave/pause options."""
    return _member_schedule_strategies[shifts]


teams = st.lists(member_schedules(), min_size=1, max_size=3).map(lambda ms: TeamSchedule(tuple(ms)))
schedules: st.SearchStrategy[Schedule] = st.one_of(
    member_schedules(), member_schedules(), teams, st.just(AroundTheClock())
)

#: Amounts of working time: minutes mostly (up to a few weeks of office hours), sometimes odd ones.
amounts = st.one_of(
    st.integers(1, 20_000).map(lambda m: timedelta(minutes=m)),
    st.integers(1, 10**6).map(lambda s: timedelta(seconds=s, microseconds=7)),
)


def local_midnight(day: date, zone: str) -> datetime:
    return datetime.combine(day, MIDNIGHT, ZoneInfo(zone)).astimezone(UTC)
