"""Staff members as admins keep them: create, read, list, and patch (pause, leave, shifts, caps).

Deactivating a member gives their open leads back to rotation at once (``logic.routing.release``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Protocol

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
)

from leadrouter.domain.base import Ident, IsoDate, Name, omissible
from leadrouter.domain.dispatch import RECHECK_WINDOW
from leadrouter.domain.errors import Conflict, NotAllowed, NotFound
from leadrouter.domain.ids import new_id
from leadrouter.domain.staff import MAX_CAP, MAX_PAUSES, Pause, StaffMember, WorkingHours
from leadrouter.domain.users import Caller
from leadrouter.domain.zones import DEFAULT_TIME_ZONE, TIME_ZONES, check_zone
from leadrouter.logic.ports import ActiveRules, Staff
from leadrouter.logic.routing.release import DEACTIVATED, ReleasePorts, release_leads_of
from leadrouter.logic.validation import known_id, validated


class StaffEditPorts(Staff, ActiveRules, ReleasePorts, Protocol):
    """A member's edit; deactivating one releases their leads and asks for a recheck."""


Cap = Annotated[int, Field(ge=1, le=MAX_CAP)]
TimeZoneName = Annotated[
    str,
    Field(min_length=1, max_length=64, json_schema_extra={"enum": list(TIME_ZONES)}),
    AfterValidator(check_zone),
]
Shifts = Annotated[list[WorkingHours], Field(max_length=21)]
LeaveDates = Annotated[list[IsoDate], Field(max_length=400)]


class StaffFields(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: Name
    team: Ident | None = None
    active: bool = True
    paused: bool = False
    max_open_leads: Cap | None = None
    max_leads_per_day: Cap | None = None
    time_zone: TimeZoneName = DEFAULT_TIME_ZONE
    working_hours: Shifts = Field(default_factory=list)
    leave_dates: LeaveDates = Field(default_factory=list)


class StaffCreate(StaffFields):
    staff_id: Ident | None = Field(
        default=None, description="optional (generated S… when absent); the id the staff's token carries"
    )


class StaffPatch(BaseModel):
    """Only the fields given change; ``null`` clears a cap or the team."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: Name | None = omissible()
    team: Ident | None = None
    active: bool | None = omissible()
    paused: bool | None = omissible()
    max_open_leads: Cap | None = None
    max_leads_per_day: Cap | None = None
    time_zone: TimeZoneName | None = omissible()
    working_hours: Shifts | None = omissible()
    leave_dates: LeaveDates | None = omissible()
    expected_revision: StrictInt | None = Field(
        default=None,
        ge=0,
        le=2**31,
        description="the member's `rev` as you read it: if it moved on meanwhile the answer is 409 and "
        "nothing is written (omit to apply the patch to whatever is stored)",
    )


#: Pauses that ended longer ago than this are dropped: no reclaim clock of a lead still open reaches back
#: that far in practice, and the staff item stays small.
PAUSE_HISTORY = timedelta(days=60)


def pause_history(member: StaffMember, paused: bool, now: datetime) -> list[Pause]:
    """The member's pauses after ``paused`` is set at ``now``: pausing opens one, unpausing closes it.

    The history is the logic's, never a client's: the owner's reclaim clock stops in these stretches
    (``absence_stops_reclaim_clock``). A member paused before pauses were recorded has no open pause to
    close; unpausing them records nothing. The oldest beyond ``MAX_PAUSES`` and those ended before
    ``PAUSE_HISTORY`` are dropped (an open pause is the newest, so it is always kept).
    """
    pauses = list(member.pauses)
    if paused and not member.paused:
        pauses.append(Pause(start=now))
    elif not paused and member.paused:
        pauses = [Pause(start=p.start, end=now) if p.end is None else p for p in pauses]
    kept = [p for p in pauses if p.end is None or p.end >= now - PAUSE_HISTORY]
    return kept[-MAX_PAUSES:]


def create_staff(repo: Staff, caller: Caller, body: StaffCreate, now: datetime) -> StaffMember:
    """A new member; one created paused has an open pause from ``now``."""
    staff_id = body.staff_id or new_id("S")
    data = body.model_dump(exclude={"staff_id"}) | {"tenant_id": caller.tenant_id, "staff_id": staff_id}
    data["pauses"] = [Pause(start=now).model_dump()] if body.paused else []
    member = validated(StaffMember, data, "invalid staff member")
    repo.put_staff(member, new=True)
    return member


def get_staff(repo: Staff, caller: Caller, staff_id: str) -> StaffMember:
    """Admins and team leads read any staff member of their tenant; staff read only themselves."""
    if caller.role == "staff" and caller.staff_id != staff_id:
        raise NotAllowed("staff may read only their own profile")
    member = repo.get_staff(caller.tenant_id, [known_id(staff_id, "staff member")]).get(staff_id)
    if member is None:
        raise NotFound(f"staff member {staff_id} not found")
    return member


def list_staff(repo: Staff, caller: Caller) -> list[StaffMember]:
    if caller.role == "staff":
        raise NotAllowed("staff may read only their own profile")
    return repo.list_staff(caller.tenant_id)


def update_staff(
    repo: StaffEditPorts, caller: Caller, staff_id: str, patch: StaffPatch, now: datetime
) -> tuple[StaffMember, int]:
    """Apply the patch; setting ``active: false`` puts the member's open leads back into rotation.

    The member is saved first (so no sweep gives them new leads), then each open lead goes back to
    pending with a "released" decision for the rule in charge of its scope to reassign on its next tick.
    Sending ``active: false`` again releases anything left over. Pausing releases nothing: a paused
    member keeps their leads (the reclaim rule takes back the ones nobody cares for) and simply gets
    no new ones; the pause is recorded in ``pauses`` (see ``pause_history``). Returns the saved member
    and how many leads were released.
    """
    current = get_staff(repo, caller, staff_id)
    if patch.expected_revision is not None and patch.expected_revision != current.rev:
        raise Conflict(f"staff member {staff_id} is at revision {current.rev}, not {patch.expected_revision}")
    changes = patch.model_dump(exclude_unset=True, exclude={"expected_revision"})
    if changes.get("active") is False and current.active:
        changes["deactivated_at"] = now  # sweeps that raced this change give back what they assigned
    if changes.get("paused") is not None and changes["paused"] != current.paused:
        changes["pauses"] = [p.model_dump() for p in pause_history(current, changes["paused"], now)]
    member = validated(StaffMember, current.model_dump() | changes, "invalid staff member")
    if member != current:
        member = repo.update_staff(current, member)  # Conflict (409) if it changed since we read it
        repo.ask_recheck(caller.tenant_id, now + RECHECK_WINDOW)  # shifts, pauses, leave, deactivation
    released = 0
    if "active" in changes and not member.active:
        released = release_leads_of(repo, caller.tenant_id, member.staff_id, DEACTIVATED, now)
    return member, released
