"""Staff: create, read, list, update (admins write; team leads read; staff read only themselves)."""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from pydantic import BaseModel, Field

from leadrouter.api.context import PathIdent, caller_of, now
from leadrouter.api.contract import answers
from leadrouter.domain.staff import StaffMember
from leadrouter.logic.admin import staff as logic
from leadrouter.runtime import repository

router = Router()


class StaffList(BaseModel):
    items: list[StaffMember]


class StaffUpdated(BaseModel):
    staff: StaffMember
    released_leads: int = Field(
        description="open leads put back into rotation because this update deactivated the member"
    )


@router.post(
    "/staff",
    summary="Create a staff member",
    description=(
        "The tenant comes from the token; staff_id is generated (S…) when absent. 409 if it exists. "
        "A member created paused has an open pause from now in `pauses` (read-only)."
    ),
    responses=answers("staff member created", status=201, conflict="a member with this staff_id exists"),
    tags=["staff"],
)
def create_staff(body: logic.StaffCreate) -> Response[StaffMember]:
    caller = caller_of(router, "admin")
    member = logic.create_staff(repository(), caller, body, now())
    return Response(status_code=201, content_type=content_types.APPLICATION_JSON, body=member)


@router.get("/staff", summary="List the tenant's staff (admins and team leads)", tags=["staff"])
def list_staff() -> StaffList:
    caller = caller_of(router, "admin", "team_lead")
    return StaffList(items=logic.list_staff(repository(), caller))


@router.get(
    "/staff/<staff_id>",
    summary="One staff member (admins and team leads: anyone; staff: only themselves)",
    responses=answers("the member", not_found="no such member in the caller's tenant, or not the caller"),
    tags=["staff"],
)
def get_staff(staff_id: PathIdent) -> StaffMember:
    return logic.get_staff(repository(), caller_of(router), staff_id)


@router.patch(
    "/staff/<staff_id>",
    summary="Update a staff member (active, paused, caps, working hours, leave, time zone, team, name)",
    description=(
        "Only the fields given change; null clears a cap or the team. Deactivating (active: false) never "
        "strands leads: each open lead the member holds goes back to pending (Lead gán tự động) with a "
        "'released' decision, and the rule in charge of its scope reassigns it on its next tick; "
        "`released_leads` says how many. Sending active: false again releases any left over. Pausing "
        "(paused: true) does NOT release: a paused member keeps their leads and gets no new ones until "
        "unpaused. By default the reclaim clock of their leads stops while they are paused, so nothing "
        "is taken back for the time they could not work (a reclaim rule with "
        "absence_stops_reclaim_clock: false keeps counting it). Each pause is recorded in `pauses` "
        "(start, and end once unpaused; kept for 60 days, at most 50): read-only, never accepted in a body. "
        "Send `expected_revision` (the `rev` you read) to be refused with 409 if the member changed since."
    ),
    responses=answers(
        "the member as saved, and how many leads the update released",
        not_found="no such member in the caller's tenant",
        conflict="the member changed since it was read: read it again and retry",
    ),
    tags=["staff"],
)
def update_staff(staff_id: PathIdent, body: logic.StaffPatch) -> StaffUpdated:
    caller = caller_of(router, "admin")
    member, released = logic.update_staff(repository(), caller, staff_id, body, now())
    return StaffUpdated(staff=member, released_leads=released)
