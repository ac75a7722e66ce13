"""Who may take a lead right now, and how many more they may take (pure: no I/O).

The rotation asks this once per sweep; the answer is a map of staff id → reason for everyone who is
out, so the decision record can say who was skipped and why.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from leadrouter.domain.staff import StaffMember
from leadrouter.domain.worktime import MemberSchedule

UNKNOWN = "unknown_staff"
INACTIVE = "inactive"
PAUSED = "paused"
ON_LEAVE = "on_leave"
HOLIDAY = "holiday"
OFF_SHIFT = "off_shift"
OPEN_CAP = "max_open_leads_reached"
DAILY_CAP = "max_leads_per_day_reached"
HELD_BEFORE = "held_before"


def unavailability(
    member: StaffMember | None, now: datetime, day_off: Callable[[date], bool] | None = None
) -> str | None:
    """The reason this staff member cannot take a lead at ``now``, or None if they can.

    ``day_off`` is the tenant's holiday calendar (it binds members with shifts only). Being on shift
    is asked of the same schedule the working-time clocks use, so the two never disagree.
    """
    if member is None:
        return UNKNOWN
    if not member.active:
        return INACTIVE
    if member.paused:
        return PAUSED
    local = now.astimezone(ZoneInfo(member.time_zone))
    if local.date() in member.leave_dates:
        return ON_LEAVE
    if not member.working_hours:
        return None
    if day_off is not None and day_off(local.date()):
        return HOLIDAY
    if not MemberSchedule(member, leave=False).is_working(now):
        return OFF_SHIFT
    return None


def unavailable_staff(
    staff_ids: Iterable[str], members: Mapping[str, StaffMember], now: datetime
) -> dict[str, str]:
    reasons = {sid: unavailability(members.get(sid), now) for sid in staff_ids}
    return {sid: reason for sid, reason in reasons.items() if reason is not None}


def local_day_start(member: StaffMember, now: datetime) -> datetime:
    """Midnight of the staff member's own day, in UTC: "per day" means their day, not the server's."""
    local = now.astimezone(ZoneInfo(member.time_zone))
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight.astimezone(UTC)


def remaining_capacity(member: StaffMember, open_leads: int, assigned_today: int) -> tuple[int, str] | None:
    """How many more leads the caps allow, with the cap that binds; None if uncapped."""
    limits: list[tuple[int, str]] = []
    if member.max_open_leads is not None:
        limits.append((member.max_open_leads - open_leads, OPEN_CAP))
    if member.max_leads_per_day is not None:
        limits.append((member.max_leads_per_day - assigned_today, DAILY_CAP))
    if not limits:
        return None
    room, reason = min(limits)
    return max(room, 0), reason
