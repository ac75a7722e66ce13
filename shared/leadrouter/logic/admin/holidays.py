"""The tenant's holiday calendar as admins read and replace it (the tenant always from the token).

The calendar is stored on the tenant item (``Tenant.holidays``) and read by every sweep's clocks
(``logic.routing.clocks.rule_clocks``), so a change applies from the next tick: members with working hours are
off on each holiday, on their own local date. A replacement is checked whole before anything is
written, and written only if the tenant item is still at the revision it was read at.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal, Protocol
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictInt

from leadrouter.domain.base import CalendarDay, Name
from leadrouter.domain.dispatch import RECHECK_WINDOW
from leadrouter.domain.errors import Conflict, InvalidInput
from leadrouter.domain.holidays import HolidayCalendar, check_country, holidays_in, supported_countries
from leadrouter.domain.tenants import Tenant
from leadrouter.domain.users import Caller
from leadrouter.domain.zones import DEFAULT_TIME_ZONE
from leadrouter.logic.ports import ActiveRules, Tenants
from leadrouter.logic.validation import validated


class CalendarPorts(Tenants, ActiveRules, Protocol):
    """The tenant's calendar, and the re-check of its rules when it changes."""


#: The years a calendar can be asked for or changed in: those of any lead this service will see.
#: Per list, as ``HolidayCalendar`` stores them (a tenant item stays far below DynamoDB's 400 KB).
MAX_CHANGES = 200


Country = Annotated[
    str,
    Field(
        min_length=2, max_length=3, pattern=r"^[A-Z]{2,3}$", json_schema_extra={"enum": supported_countries()}
    ),
    AfterValidator(check_country),
]


class AddedHoliday(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    day: CalendarDay
    name: Name = Field(description="shown in the calendar, e.g. 'Nghỉ bù Tết' or 'Ngày thành lập công ty'")


class HolidaysIn(BaseModel):
    """The whole calendar: what is sent replaces what was there."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    country: Country | None = Field(
        description="ISO 3166 code whose public holidays apply (VN: Vietnam's, Tết included), "
        "or null for none (only the added days)"
    )
    added: list[AddedHoliday] = Field(
        default_factory=list,
        max_length=MAX_CHANGES,
        description="extra days off (a company holiday, a day a decree adds); one entry per day",
    )
    removed: list[CalendarDay] = Field(
        default_factory=list,
        max_length=MAX_CHANGES,
        json_schema_extra={"uniqueItems": True},
        description="official holidays the tenant works on (a decree moved it, the team works it)",
    )
    expected_revision: StrictInt | None = Field(
        default=None,
        ge=0,
        le=2**31,
        description="the revision you read (GET /holidays): if the tenant's settings moved on meanwhile "
        "the answer is 409 and nothing is written",
    )


class HolidayEntry(BaseModel):
    day: date
    name: str
    origin: Literal["country", "added"] = Field(description="from the country's calendar, or added")


class HolidayCalendarView(BaseModel):
    """The settings as stored, and the holidays they give in one year."""

    settings: HolidayCalendar = Field(description="what PUT /holidays replaces")
    revision: StrictInt = Field(description="the settings' revision; send it back as expected_revision")
    year: StrictInt
    time_zone: str = Field(description="the tenant's time zone (the default year is the current one there)")
    holidays: list[HolidayEntry] = Field(description="every holiday of the year, in date order")


def _view(tenant: Tenant | None, year: int | None, now: datetime) -> HolidayCalendarView:
    calendar = tenant.holidays if tenant is not None else HolidayCalendar()
    zone = tenant.time_zone if tenant is not None else DEFAULT_TIME_ZONE
    year = year if year is not None else now.astimezone(ZoneInfo(zone)).year
    added = {h.day for h in calendar.added}
    return HolidayCalendarView(
        settings=calendar,
        revision=tenant.rev if tenant is not None else 0,
        year=year,
        time_zone=zone,
        holidays=[
            HolidayEntry(day=day, name=name, origin="added" if day in added else "country")
            for day, name in holidays_in(calendar, year).items()
        ],
    )


def get_calendar(repo: Tenants, caller: Caller, year: int | None, now: datetime) -> HolidayCalendarView:
    """The tenant's calendar and its holidays of ``year`` (default: this year in the tenant's zone)."""
    return _view(repo.get_tenant(caller.tenant_id), year, now)


def _checked(body: HolidaysIn) -> HolidayCalendar:
    """The calendar to store, or InvalidInput naming each day listed twice or both added and removed.

    Repeated removed days are merged (removing a day twice means the same); repeated added days are not,
    since their names may differ and guessing which one was meant would hide a mistake.
    """
    problems: dict[str, str] = {}
    first: dict[date, int] = {}
    for index, holiday in enumerate(body.added):
        if holiday.day in first:
            problems[f"added.{index}.day"] = f"{holiday.day} is already added at added.{first[holiday.day]}"
        first.setdefault(holiday.day, index)
    for index, day in enumerate(body.removed):
        if day in first:
            problems[f"removed.{index}"] = (
                f"{day} is also in added.{first[day]}: a day is either added or removed"
            )
    if problems:
        raise InvalidInput("invalid holiday calendar", problems)
    data = {
        "country": body.country,
        "added": [h.model_dump() for h in sorted(body.added, key=lambda h: h.day)],
        "removed": sorted(set(body.removed)),
    }
    return validated(HolidayCalendar, data, "invalid holiday calendar")


def replace_calendar(
    repo: CalendarPorts, caller: Caller, body: HolidaysIn, now: datetime, year: int | None = None
) -> HolidayCalendarView:
    """Replace the tenant's calendar; returns it with the holidays of ``year`` (default: this year).

    Conflict (409) if ``expected_revision`` is not the stored one, or if the tenant item changed between
    this read and the write (the write is conditioned on the revision read, or on there being no item).
    """
    calendar = _checked(body)
    current = repo.get_tenant(caller.tenant_id)
    revision = current.rev if current is not None else 0
    if body.expected_revision is not None and body.expected_revision != revision:
        raise Conflict(
            f"the holiday settings are at revision {revision}, not {body.expected_revision}; reload them"
        )
    if current is None:
        fresh = Tenant(tenant_id=caller.tenant_id, name=caller.tenant_id, holidays=calendar)
        updated = repo.save_tenant(None, fresh)  # created only if still absent
    elif current.holidays != calendar:
        updated = repo.save_tenant(current, current.model_copy(update={"holidays": calendar}))
    else:
        updated = current
    if updated is not current:
        repo.ask_recheck(caller.tenant_id, now + RECHECK_WINDOW)  # reclaim clocks follow the calendar
    return _view(updated, year, now)
