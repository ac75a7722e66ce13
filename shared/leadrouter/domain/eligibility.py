"""Who may take a lead right now, and how many more they may take (pure: no I/O).

The rotation asks this once per sweep; the answer is a map of staff id → reason for everyone who is
out, so the decision record can say who was skipped and why.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from leadrouter.domain.models import StaffMember

UNKNOWN = "unknown_staff"
INACTIVE = "inactive"
PAUSED = "paused"
ON_LEAVE = "on_leave"
OFF_SHIFT = "off_shift"
OPEN_CAP = "max_open_leads_reached"
DAILY_CAP = "max_leads_per_day_reached"
HELD_BEFORE = "held_before"


def unavailability(member: StaffMember | None, now: datetime) -> str | None:
    """The reason this staff member cannot take a lead at ``now``, or None if they can."""
    if member is None:
        return UNKNOWN
    if not member.active:
        return INACTIVE
    if member.paused:
        return PAUSED
    local = now.astimezone(ZoneInfo(member.time_zone))
    if local.date() in member.leave_dates:
        return ON_LEAVE
    if member.working_hours and not any(
        local.isoweekday() in shift.days and shift.start <= local.time() < shift.end
        for shift in member.working_hours
    ):
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
