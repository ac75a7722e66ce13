"""The tenant's holiday calendar (admin only): read it for a year, replace it."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query

from leadrouter.api.context import caller_of, now
from leadrouter.api.contract import answers
from leadrouter.domain.base import FIRST_YEAR, LAST_YEAR
from leadrouter.logic.admin import holidays as logic
from leadrouter.runtime import repository

router = Router()

#: Which year's holidays to list (default: the current year in the tenant's time zone).
Year = Annotated[
    int | None,
    Query(ge=FIRST_YEAR, le=LAST_YEAR, description="default: this year, in the tenant's zone"),
]

_WHAT_THEY_DO = (
    "Members with working hours are off on each holiday (on their own local date), so the escalation and "
    "reclaim clocks do not run then; members without working hours work around the clock and ignore it. "
    "A change applies from the next sweep."
)


@router.get(
    "/holidays",
    summary="The tenant's holiday calendar and its holidays of one year",
    description=(
        "The settings (country whose public holidays apply, days added, days removed) and the holidays "
        "they give in `year` (default: the current year in the tenant's time zone). A tenant that never "
        f"set a calendar has Vietnam's, Tết included, named in Vietnamese. {_WHAT_THEY_DO}"
    ),
    tags=["holidays"],
)
def get_holidays(year: Year = None) -> logic.HolidayCalendarView:
    caller = caller_of(router, "admin")
    return logic.get_calendar(repository(), caller, year, now())


@router.put(
    "/holidays",
    summary="Replace the tenant's holiday calendar (country, added days, removed days)",
    description=(
        "The body replaces the settings whole; a bad field is a 422 naming it and nothing is written. "
        "409 if the settings changed meanwhile (or are not at `expected_revision`). Returns the calendar "
        f"with the holidays of `year` (default: the current year). {_WHAT_THEY_DO}"
    ),
    responses=answers(
        "the calendar as saved, with the holidays of `year`",
        conflict="the settings changed since they were read (or are not at expected_revision)",
    ),
    tags=["holidays"],
)
def put_holidays(body: logic.HolidaysIn, year: Year = None) -> logic.HolidayCalendarView:
    caller = caller_of(router, "admin")
    return logic.replace_calendar(repository(), caller, body, now(), year)
