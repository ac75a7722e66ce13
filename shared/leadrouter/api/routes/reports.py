"""Reports (admins and team leads): distribution per rule and staff member over a period; the day's
overview with why pending leads wait."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query

from leadrouter.api.context import Instant, caller_of, now
from leadrouter.domain.base import CalendarDay, Ident
from leadrouter.logic.reports import distribution as logic
from leadrouter.logic.reports import overview as overview_logic
from leadrouter.runtime import repository

router = Router()


@router.get(
    "/reports/distribution",
    summary="Distribution per rule and staff: actual vs ideal share, reclaims, escalations, speed-to-lead",
    description=(
        "Over the leads received in [received_from, received_to) (both required, with a time zone; at most "
        "92 days). Counts come from the decision records: 'assigned' per rule/version/staff, ideal = the "
        "rule's current weight / W × its total, 'reclaimed' and 'escalated' per rule. Speed-to-lead is "
        "received → first assigned or manual decision, in seconds: median (mean of the middle two for an "
        "even count) and p95 by nearest rank. working_hours_wait, per assign rule (its current team, "
        "delay and the tenant's holidays): for each lead whose first assignment since it was queued was "
        "the rule's, due_at = queued_at + delay (wall clock), wall wait = assigned at − due_at, working "
        "wait = the team's working time (someone on shift; leave and holidays excluded) over the same "
        "span; the lead waited for working hours if due_at fell outside working time or the wall wait "
        "exceeds the working wait by ≥ 1 minute; p50/p95 of both, in seconds, over those leads. "
        "by_source and by_campaign count the period's leads per form source and per utm_campaign of "
        "their first touch (null: none), most leads first, with speed-to-lead as above over the "
        "assigned ones."
    ),
    tags=["reports"],
)
def distribution(
    received_from: Annotated[Instant, Query(description="the period's start (inclusive), with its offset")],
    received_to: Annotated[
        Instant, Query(description="the period's end (exclusive): after received_from, at most 92 days later")
    ],
    rule_id: Annotated[Ident | None, Query()] = None,
) -> logic.DistributionReport:
    caller = caller_of(router, "admin", "team_lead")
    return logic.distribution_report(repository(), caller, received_from, received_to, rule_id, now())


@router.get(
    "/reports/overview",
    summary="The day's leads (tenant's time zone) by status now, speed-to-lead, and why pending leads wait",
    description=(
        "The day (default: today in the tenant's time zone) is [00:00, 24:00) there. received, assigned, "
        "pending, escalated and deleted count that day's leads by their status now; speed-to-lead is as "
        "in /reports/distribution over them. waiting counts every pending lead of the tenant now, "
        "whatever day it came (at most 2000 read: waiting_complete), grouped per scope and reason: "
        "no_rule, window_closed (no open rule in charge), delay (the rule's delay has not ended), "
        "waiting_for_working_hours (the rule's team is off or the morning hold keeps it; expected_at), "
        "no_eligible_staff (every member of the rule is paused, inactive, on leave, off shift or on "
        "holiday now; staff_out says who and why; caps are not read), queued (the next sweep assigns it)."
    ),
    tags=["reports"],
)
def overview(
    date: Annotated[
        CalendarDay | None, Query(description="the day, YYYY-MM-DD in the tenant's time zone (2000-2199)")
    ] = None,
) -> overview_logic.Overview:
    caller = caller_of(router, "admin", "team_lead")
    return overview_logic.overview(repository(), caller, date, now())
