"""Working time: the clock that escalation, reclaim and the morning queue run on (pure: no I/O).

A schedule is the set of UTC instants during which someone could work, as half-open intervals. A
member's schedule comes from their shifts (in their own time zone, daylight saving time included),
minus public holidays, minus leave days and pauses where the clock asks for that. A team's schedule is
the union of its members': working time passes for a team while at least one member is on.

Everything is derived from the staff items and the holiday calendar the sweep already holds; nothing
is stored. A member with no shifts works around the clock (holidays included): that is what a team
that never set hours gets today, and it keeps them on the wall clock.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from leadrouter.domain.staff import StaffMember

Interval = tuple[datetime, datetime]

#: Searches for "when will N working minutes have passed" stop this far out (a schedule with no
#: working time in a year and a month is "never").
HORIZON = timedelta(days=400)
_CHUNK = timedelta(days=7)
_END_OF_DAY = time(23, 59)
_NEVER_OFF: Callable[[date], bool] = lambda _day: False  # noqa: E731


@lru_cache(maxsize=256)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def local_instant(day: date, wall: time, zone: ZoneInfo) -> datetime:
    """The first UTC instant at which the clock on the wall in ``zone`` reads ``day`` ``wall`` or later.

    Ambiguous wall times (the hour repeated when daylight saving time ends) mean their first
    occurrence; wall times that do not exist (the hour skipped when it starts) mean the instant the
    clock jumps past them. So a shift is exactly the instants whose wall time lies inside it.
    """
    naive = datetime.combine(day, wall)
    first = naive.replace(tzinfo=zone).astimezone(UTC)
    if first.astimezone(zone).replace(tzinfo=None) == naive:
        return first
    # In the gap: local time jumps from before ``naive`` to after it somewhere in [lo, hi].
    lo = int(naive.replace(tzinfo=zone, fold=1).astimezone(UTC).timestamp())
    hi = int(first.timestamp())
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if datetime.fromtimestamp(mid, zone).replace(tzinfo=None) >= naive:
            hi = mid
        else:
            lo = mid
    return datetime.fromtimestamp(hi, UTC)


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """Sorted, disjoint intervals; touching ones are joined (a night shift split at midnight is one)."""
    merged: list[Interval] = []
    for start, end in sorted(i for i in intervals if i[1] > i[0]):
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def subtract(intervals: Sequence[Interval], holes: Iterable[Interval]) -> list[Interval]:
    """``intervals`` (sorted, disjoint) without ``holes``."""
    result = list(intervals)
    for hole_start, hole_end in merge(holes):
        kept: list[Interval] = []
        for start, end in result:
            if hole_end <= start or end <= hole_start:
                kept.append((start, end))
                continue
            if start < hole_start:
                kept.append((start, hole_start))
            if hole_end < end:
                kept.append((hole_end, end))
        result = kept
    return result


def clip(intervals: Iterable[Interval], start: datetime, end: datetime) -> list[Interval]:
    return [(max(s, start), min(e, end)) for s, e in intervals if e > start and s < end]


class Schedule:
    """Who could work when. Subclasses give the intervals inside a window; the clock's arithmetic
    (working time, "N working minutes after", "N working minutes before") is shared."""

    def intervals(self, start: datetime, end: datetime) -> list[Interval]:
        """Working intervals inside [start, end), sorted and disjoint."""
        raise NotImplementedError

    def working_time(self, start: datetime, end: datetime) -> timedelta:
        """How much working time passes from ``start`` to ``end`` (zero if ``end`` is not later)."""
        if end <= start:
            return timedelta(0)
        return sum((e - s for s, e in self.intervals(start, end)), timedelta(0))

    def is_working(self, at: datetime) -> bool:
        return bool(self.intervals(at, at + timedelta(microseconds=1)))

    def after(self, start: datetime, amount: timedelta) -> datetime | None:
        """The earliest instant by which ``amount`` of working time has passed since ``start``; None if
        that takes longer than ``HORIZON``. ``amount`` zero is ``start`` itself."""
        if amount <= timedelta(0):
            return start
        passed = timedelta(0)
        window = start
        while window < start + HORIZON:
            for s, e in self.intervals(window, window + _CHUNK):
                if passed + (e - s) >= amount:
                    return s + (amount - passed)
                passed += e - s
            window += _CHUNK
        return None

    def before(self, end: datetime, amount: timedelta) -> datetime | None:
        """The latest instant from which ``amount`` of working time has passed by ``end``; None if there
        was not that much in the ``HORIZON`` before. A lead due at or before it has waited ``amount``."""
        if amount <= timedelta(0):
            return end
        passed = timedelta(0)
        window = end
        while window > end - HORIZON:
            for s, e in reversed(self.intervals(window - _CHUNK, window)):
                if passed + (e - s) >= amount:
                    return e - (amount - passed)
                passed += e - s
            window -= _CHUNK
        return None

    def next_start(self, at: datetime) -> datetime | None:
        """``at`` if it is working time, else when working time next begins (None: not within HORIZON)."""
        window = at
        while window < at + HORIZON:
            found = self.intervals(window, window + _CHUNK)
            if found:
                return found[0][0]
            window += _CHUNK
        return None


@dataclass(frozen=True)
class AroundTheClock(Schedule):
    """Wall-clock time: used where nobody's hours are known (an owner who is no longer on file)."""

    def intervals(self, start: datetime, end: datetime) -> list[Interval]:
        return [(start, end)] if end > start else []


@dataclass(frozen=True)
class MemberSchedule(Schedule):
    """One member's working time.

    ``day_off`` says whether a local date is a public holiday (it applies only to members with
    shifts). ``leave`` and ``pauses`` say whether leave days and paused stretches stop the clock: the
    team clock counts leave but not pauses (a paused team still escalates, as it should); the owner's
    reclaim clock counts both by default (a rule option).
    """

    member: StaffMember
    day_off: Callable[[date], bool] = _NEVER_OFF
    leave: bool = True
    pauses: bool = False

    def intervals(self, start: datetime, end: datetime) -> list[Interval]:
        if end <= start:
            return []
        member = self.member
        zone = _zone(member.time_zone)
        first_day = start.astimezone(zone).date() - timedelta(days=1)
        last_day = end.astimezone(zone).date() + timedelta(days=1)
        days = [first_day + timedelta(days=n) for n in range((last_day - first_day).days + 1)]
        if member.working_hours:
            shifts = [
                (
                    local_instant(day, shift.start, zone),
                    local_instant(day + timedelta(days=1), time(0), zone)
                    if shift.end >= _END_OF_DAY
                    else local_instant(day, shift.end, zone),
                )
                for day in days
                if not self.day_off(day) and not (self.leave and day in member.leave_dates)
                for shift in member.working_hours
                if day.isoweekday() in shift.days
            ]
            working = merge(clip(shifts, start, end))
        else:
            away = [
                (local_instant(day, time(0), zone), local_instant(day + timedelta(days=1), time(0), zone))
                for day in days
                if self.leave and day in member.leave_dates
            ]
            working = subtract([(start, end)], away)
        if self.pauses:
            working = subtract(working, pause_intervals(member))
        return working


def pause_intervals(member: StaffMember) -> list[Interval]:
    """The member's recorded pauses; a pause still open (or a paused member with no record) runs on."""
    far = datetime.max.replace(tzinfo=UTC)
    recorded = [(p.start, p.end or far) for p in member.pauses]
    if member.paused and not any(p.end is None for p in member.pauses):
        recorded.append((datetime.min.replace(tzinfo=UTC), far))
    return recorded


@dataclass(frozen=True)
class TeamSchedule(Schedule):
    """Working time passes for a team while at least one of its members could work."""

    members: tuple[Schedule, ...]

    def intervals(self, start: datetime, end: datetime) -> list[Interval]:
        return merge(iv for member in self.members for iv in member.intervals(start, end))
