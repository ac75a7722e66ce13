"""Leads: list, read with history, edit, assign by hand, move step, log care, delete and restore."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query
from pydantic import BaseModel, ConfigDict, Field

from leadrouter.api.context import (
    CURSOR_DOC,
    CURSOR_MAX_LENGTH,
    Instant,
    PathIdent,
    caller_of,
    check_order,
    now,
    request_id,
)
from leadrouter.api.contract import answers
from leadrouter.domain.attribution import UtmValue
from leadrouter.domain.base import Ident, Label, Moment
from leadrouter.domain.leads import Lead, LeadStatus
from leadrouter.logic.leads import assignment, care, edits, reading
from leadrouter.logic.routing.unrouted import list_unrouted
from leadrouter.runtime import repository

router = Router()

_NO_LEAD = "no such lead in the caller's tenant, or not one the caller may see (or deleted)"
_CHANGED = "the lead changed since it was read (a sweep or a colleague): read it again and retry"


class LeadOut(BaseModel):
    lead: Lead
    status_label: str
    unrouted: str | None = Field(
        default=None,
        description="for ?unrouted=true: why no rule assigns this pending lead now: no_rule, "
        "window_closed, or waiting_for_working_hours (its rule is open but its team is off, or holds "
        "the overnight backlog until everyone starting soon is on; it is not escalated as unrouted)",
    )
    expected_at: Moment | None = Field(
        default=None,
        description="for waiting_for_working_hours: when the lead is expected to be assigned, by the "
        "schedule (the team's next shift start, after the morning hold)",
    )

    reclaim_due_at: Moment | None = Field(
        default=None,
        description="an open lead an active reclaim rule watches: when its owner's working-time clock "
        "reaches the rule's reclaim_after_minutes since the lead's last care. The three reclaim fields "
        "are null for a lead that is not open or that no reclaim rule watches; this one alone is null "
        "when that much working time is not within the clock's horizon",
    )
    reclaim_minutes_left: float | None = Field(
        default=None, description="working minutes of the owner left before reclaim_due_at (0 when due)"
    )
    reclaim_clock_running: bool | None = Field(
        default=None, description="whether the owner's reclaim clock runs now (on shift, not away)"
    )

    @classmethod
    def of(
        cls,
        lead: Lead,
        unrouted: str | None = None,
        expected_at: datetime | None = None,
        clock: reading.ReclaimClock | None = None,
    ) -> LeadOut:
        reclaim: dict[str, Any] = (
            {
                "reclaim_due_at": clock.due_at,
                "reclaim_minutes_left": round(clock.left.total_seconds() / 60, 1),
                "reclaim_clock_running": clock.running,
            }
            if clock is not None
            else {}
        )
        return cls(
            lead=lead, status_label=lead.status_label, unrouted=unrouted, expected_at=expected_at, **reclaim
        )


class LeadDetail(LeadOut):
    history: list[dict[str, Any]]


class LeadPage(BaseModel):
    items: list[LeadOut]
    cursor: str | None = Field(description="pass back as ?cursor= for the next page; null at the end")


class Assignees(BaseModel):
    model_config = ConfigDict(extra="forbid")
    staff_ids: list[Ident] = Field(min_length=1, max_length=10)


class StepMove(BaseModel):
    model_config = ConfigDict(extra="forbid")
    step: Label


class Activity(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    kind: Literal["note", "call"]
    text: str = Field(min_length=1, max_length=2000)


@router.get(
    "/leads",
    summary="List leads (filters, newest first, paginated)",
    description=(
        "Filters combine (AND). utm_source and utm_campaign match the lead's FIRST touch exactly "
        "(attribution.first: the campaign that found the customer; case-sensitive, after trimming "
        "and NFC), so a lead that came back through another campaign stays under its first one; "
        "leads without attribution never match them. Like the other filters they are applied by "
        "DynamoDB after the key range, so a page may hold fewer than `limit` items with a cursor "
        "to continue."
    ),
    tags=["leads"],
)
def list_leads(
    pool: Annotated[Label | None, Query()] = None,
    step: Annotated[Label | None, Query()] = None,
    campaign: Annotated[Label | None, Query()] = None,
    source: Annotated[Ident | None, Query(description="the form source it came through (source_id)")] = None,
    status: Annotated[LeadStatus | None, Query()] = None,
    assignee: Annotated[Ident | None, Query(description="owner staff id")] = None,
    utm_source: Annotated[UtmValue | None, Query(description="the first touch's utm_source, exactly")] = None,
    utm_campaign: Annotated[
        UtmValue | None, Query(description="the first touch's utm_campaign, exactly")
    ] = None,
    received_from: Annotated[Instant | None, Query()] = None,
    received_to: Annotated[Instant | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=CURSOR_MAX_LENGTH, description=CURSOR_DOC)] = None,
    unrouted: Annotated[
        bool,
        Query(
            description="admins: only pending leads that no active rule will assign (no rule for their "
            "scope, or its window closed), then due leads waiting for their team's working hours (with "
            "expected_at), each with the reason; one page, oldest first per scope"
        ),
    ] = False,
) -> LeadPage:
    caller = caller_of(router)
    check_order(received_from, received_to)
    filters = {
        k: str(v)
        for k, v in {
            "pool": pool,
            "step": step,
            "campaign": campaign,
            "source": source,
            "status": status,
            "owner": assignee,
            "utm_source": utm_source,
            "utm_campaign": utm_campaign,
        }.items()
        if v is not None
    }
    repo, asked = repository(), request_id(router)
    if unrouted:
        found = list_unrouted(repo, caller, filters, now(), limit)
        found = [x for x in found if reading.first_touch_matches(x.lead, filters)]
        reading.shown(repo, caller, [x.lead for x in found], now(), request_id=asked)
        items = [LeadOut.of(x.lead, x.reason, x.expected_at) for x in found]
        return LeadPage(items=items, cursor=None)
    leads, next_page = reading.read_leads(
        repo, caller, filters, received_from, received_to, limit, cursor, now(), request_id=asked
    )
    clocks = reading.reclaim_clocks(repo, caller.tenant_id, leads, now())
    items = [LeadOut.of(x, clock=clocks.get(x.lead_id)) for x in leads]
    return LeadPage(items=items, cursor=next_page)


@router.get(
    "/leads/<lead_id>",
    summary="One lead with its full history",
    responses=answers("the lead, its Vietnamese status label and its history", not_found=_NO_LEAD),
    tags=["leads"],
)
def get_lead(lead_id: PathIdent) -> LeadDetail:
    repo = repository()
    lead = reading.read_lead(repo, caller_of(router), lead_id, now(), request_id=request_id(router))
    clock = reading.reclaim_clocks(repo, lead.tenant_id, [lead], now()).get(lead.lead_id)
    out = LeadOut.of(lead, clock=clock)
    return LeadDetail(**dict(out), history=reading.history(repo, lead))


@router.patch(
    "/leads/<lead_id>",
    summary="Edit contact fields",
    responses=answers(
        "the edited lead",
        not_found=_NO_LEAD,
        conflict=f"{_CHANGED}; or the new phone or email belongs to another live lead (named in `errors`), "
        "or a new submission with it is being stored right now",
    ),
    tags=["leads"],
)
def edit_lead(lead_id: PathIdent, body: edits.LeadEdit) -> LeadOut:
    caller, asked = caller_of(router), request_id(router)
    return LeadOut.of(edits.edit_lead(repository(), caller, lead_id, body, now(), request_id=asked))


@router.post(
    "/leads/<lead_id>/assignees",
    summary="Assign by hand to one or several staff",
    responses=answers("the lead, assigned", not_found=_NO_LEAD, conflict=_CHANGED),
    tags=["leads"],
)
def assign(lead_id: PathIdent, body: Assignees) -> LeadOut:
    caller, asked = caller_of(router), request_id(router)
    lead = assignment.assign_manually(repository(), caller, lead_id, body.staff_ids, now(), request_id=asked)
    return LeadOut.of(lead)


@router.post(
    "/leads/<lead_id>/step",
    summary="Move to another pipeline step",
    responses=answers("the lead in its new step", not_found=_NO_LEAD, conflict=_CHANGED),
    tags=["leads"],
)
def move_step(lead_id: PathIdent, body: StepMove) -> LeadOut:
    return LeadOut.of(care.move_step(repository(), caller_of(router), lead_id, body.step, now()))


@router.post(
    "/leads/<lead_id>/activities",
    summary="Log a note or a call (restarts the reclaim clock)",
    responses=answers("the lead, with its care recorded", not_found=_NO_LEAD, conflict=_CHANGED),
    tags=["leads"],
)
def add_activity(lead_id: PathIdent, body: Activity) -> LeadOut:
    lead = care.add_activity(repository(), caller_of(router), lead_id, body.kind, body.text, now())
    return LeadOut.of(lead)


@router.delete(
    "/leads/<lead_id>",
    summary="Delete (soft, admins and team leads: recorded, frees its phone/email, reversible)",
    responses=answers("the lead, deleted", not_found=_NO_LEAD, conflict=_CHANGED),
    tags=["leads"],
)
def delete_lead(lead_id: PathIdent) -> LeadOut:
    caller = caller_of(router, "admin", "team_lead")
    return LeadOut.of(edits.delete_lead(repository(), caller, lead_id, now(), request_id=request_id(router)))


@router.post(
    "/leads/<lead_id>/restore",
    summary="Undo a delete (admins and team leads): pending again, its phone/email claimed again",
    description="409 naming the phone or email if a newer lead took it meanwhile.",
    responses=answers(
        "the lead, pending again",
        not_found="no such lead in the caller's tenant, or not one the caller may see",
        conflict="the lead is not deleted, a newer lead holds its phone or email (named in `errors`), or "
        "it changed since it was read",
    ),
    tags=["leads"],
)
def restore_lead(lead_id: PathIdent) -> LeadOut:
    caller = caller_of(router, "admin", "team_lead")
    return LeadOut.of(edits.restore_lead(repository(), caller, lead_id, now(), request_id=request_id(router)))
