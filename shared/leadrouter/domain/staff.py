"""A staff member as rules see them: shifts, leave, pauses, caps, and whether they take leads."""

from __future__ import annotations

from datetime import time
from typing import Annotated

from pydantic import (
    Field,
    ValidationInfo,
    field_validator,
)

from leadrouter.domain.base import Ident, IsoDate, LocalTime, Moment, Name, _Model
from leadrouter.domain.zones import DEFAULT_TIME_ZONE, check_zone

#: Bounds on admin-set numbers: every one fits a DynamoDB number (38 digits) with room to spare.
MAX_CAP = 100_000


class WorkingHours(_Model):
    """One shift in the staff member's local time; days are ISO weekdays 1 (Monday) … 7 (Sunday)."""

    days: list[Annotated[int, Field(ge=1, le=7)]] = Field(
        default_factory=lambda: [1, 2, 3, 4, 5, 6, 7], min_length=1, max_length=7
    )
    start: LocalTime
    end: LocalTime

    @field_validator("end")
    @classmethod
    def _after_start(cls, end: time, info: ValidationInfo) -> time:
        start = info.data.get("start")
        if start is not None and end <= start:
            raise ValueError("end must be after start (split a night shift into two shifts)")
        return end


class Pause(_Model):
    """A stretch during which the member was paused (``end`` None: still paused)."""

    start: Moment
    end: Moment | None = None


#: Pauses kept on a staff member (oldest dropped first): enough for any reclaim clock still running.
MAX_PAUSES = 50


class StaffMember(_Model):
    tenant_id: Ident
    staff_id: Ident
    name: Name
    team: Ident | None = None
    active: bool = True
    paused: bool = False
    max_open_leads: Annotated[int, Field(ge=1, le=MAX_CAP)] | None = None
    max_leads_per_day: Annotated[int, Field(ge=1, le=MAX_CAP)] | None = None
    time_zone: str = DEFAULT_TIME_ZONE
    #: Empty means "any time": most SMB teams answer leads whenever they come.
    working_hours: list[WorkingHours] = Field(default_factory=list, max_length=21)
    leave_dates: list[IsoDate] = Field(default_factory=list, max_length=400)
    #: Recorded when ``paused`` changes (never set directly): the owner's reclaim clock stops in them.
    pauses: list[Pause] = Field(default_factory=list, max_length=MAX_PAUSES)
    #: When the member was last deactivated: sweeps release leads a racing sweep still gave them.
    deactivated_at: Moment | None = None
    #: Bumped by every write; an update is conditioned on the revision it read (409 otherwise).
    rev: int = 0

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        return check_zone(value)
