"""Data-subject requests (access, export, correct, erase, restrict, object) and their deadlines (pure).

Vietnam's personal data law (Law 91/2025/QH15, Decree 356/2025/ND-CP) asks that a request be answered
within 2 working days, and that processing stop within 15 days after a restriction or an objection
(20 when a processor must stop too), with one extension of 15. The issue asks for "due dates in
Vietnamese working days", so **every** one of these periods is counted here in working days on the
tenant's calendar: Monday to Friday, minus the tenant's holidays (``Tenant.holidays``: Vietnam's by
default, Tết included). Day 1 is the first working day *after* the day the request was received (in
the tenant's time zone), so a due date is always a working day. That reading gives the person at
least as long as calendar days would; tenants should confirm it with counsel.

The deadlines are fixed when the request is received: a calendar edited later does not move them.
While open, a request holds the person's contact (it must, to act on their leads); once completed it
keeps only the contact's digests (``domain.privacy.contact_digest``), so the proof of what was asked,
when and what was done stays without the person.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import Field, StrictBool, StrictInt, model_validator

from leadrouter.domain.base import Ident, IsoDate, Moment, Name, _Model
from leadrouter.domain.consent import RestrictionKind
from leadrouter.domain.errors import Conflict
from leadrouter.domain.holidays import HolidayCalendar, day_off

#: Working days to answer a request.
ANSWER_DAYS = 2
#: Working days to stop processing after a restriction or an objection, and when a processor (an
#: integration the tenant hands leads to) must stop too.
STOP_DAYS = 15
STOP_DAYS_WITH_PROCESSOR = 20
#: The one extension, in working days.
EXTENSION_DAYS = 15
#: Alerts go out for open requests due within this many working days (overdue ones included).
ALERT_WITHIN_DAYS = 1


class RequestKind(StrEnum):
    ACCESS = "access"  # what leadrouter holds about the person
    EXPORT = "export"  # the same, machine-readable
    CORRECT = "correct"  # their name, phone or e-mail corrected
    ERASE = "erase"
    RESTRICT = "restrict"  # processing restricted
    OBJECT = "object"  # the person objects to processing


#: The kinds that stop processing (``Lead.restriction``) and so have a stop deadline.
STOPPING: dict[RequestKind, RestrictionKind] = {
    RequestKind.RESTRICT: RestrictionKind.RESTRICT,
    RequestKind.OBJECT: RestrictionKind.OBJECT,
}


class RequestStatus(StrEnum):
    OPEN = "open"
    COMPLETED = "completed"


class Subject(_Model):
    """Who the request is about, by the contacts leads are matched on (normalised: E.164, lower-case)."""

    phone: Annotated[str, Field(max_length=32)] | None = None
    email: Annotated[str, Field(max_length=254)] | None = None

    @model_validator(mode="after")
    def _some_contact(self) -> Subject:
        if not (self.phone or self.email):
            raise ValueError("a subject needs a phone number or an e-mail")
        return self


class Corrections(_Model):
    """What a ``correct`` request changes on the person's leads (personal data: dropped on completion)."""

    name: Name | None = None
    phone: Annotated[str, Field(max_length=32)] | None = None
    email: Annotated[str, Field(max_length=254)] | None = None

    @model_validator(mode="after")
    def _something(self) -> Corrections:
        if not (self.name or self.phone or self.email):
            raise ValueError("a correction changes the name, the phone or the e-mail")
        return self


class Extension(_Model):
    """The one extension: who granted it, why, and the due date it gave."""

    at: Moment
    by: Annotated[str, Field(min_length=1, max_length=200)]
    reason: Annotated[str, Field(min_length=1, max_length=500)]
    due: IsoDate


class Refusal(StrEnum):
    """Why a request was answered without acting on it (no free text: it could hold personal data)."""

    IDENTITY_NOT_VERIFIED = "identity_not_verified"
    NO_DATA = "no_data"
    MANIFESTLY_UNFOUNDED = "manifestly_unfounded"
    LEGAL_OBLIGATION = "legal_obligation"


class Outcome(_Model):
    """What was done, without personal data: counts and lead ids only."""

    result: Literal["fulfilled", "refused", "lifted"]
    refusal: Refusal | None = None
    #: The person's leads the request was carried out on (ids only).
    lead_ids: list[Ident] = Field(default_factory=list, max_length=1000)
    #: What was done, counted (``leads_restricted``, ``leads_corrected``, ``submissions`` ...).
    counts: dict[Annotated[str, Field(max_length=40)], StrictInt] = Field(default_factory=dict, max_length=20)

    @model_validator(mode="after")
    def _refusal_with_its_reason(self) -> Outcome:
        if (self.result == "refused") != (self.refusal is not None):
            raise ValueError("a refused request names its refusal, and only a refused one")
        return self


Digest = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]


class PrivacyRequest(_Model):
    tenant_id: Ident
    request_id: Ident
    kind: RequestKind
    status: RequestStatus = RequestStatus.OPEN
    #: The person's contacts while open; None once completed (``subject_digests`` stay).
    subject: Subject | None = None
    subject_digests: list[Digest] = Field(default_factory=list, max_length=2)
    corrections: Corrections | None = None
    #: A processor (an integration receiving the leads) must stop too: 20 working days, not 15.
    processor_must_stop: StrictBool = False
    received_at: Moment
    #: The day it was received on the tenant's clock: the deadlines count from here.
    received_on: IsoDate
    answer_due: IsoDate
    #: Restrict and object only: the day processing must have stopped by.
    stop_due: IsoDate | None = None
    extension: Extension | None = None
    created_by: Annotated[str, Field(min_length=1, max_length=200)]
    completed_at: Moment | None = None
    completed_by: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    outcome: Outcome | None = None
    rev: int = 0

    @model_validator(mode="after")
    def _consistent(self) -> PrivacyRequest:
        if (self.stop_due is not None) != (self.kind in STOPPING):
            raise ValueError("a stop deadline belongs to restrict and object requests, and only to them")
        if self.corrections is not None and self.kind is not RequestKind.CORRECT:
            raise ValueError("only a correct request carries corrections")
        if self.status is RequestStatus.OPEN:
            if self.subject is None:
                raise ValueError("an open request names its subject")
            if self.kind is RequestKind.CORRECT and self.corrections is None:
                raise ValueError("an open correct request carries its corrections")
            if self.completed_at is not None or self.outcome is not None:
                raise ValueError("an open request has no completion")
        else:
            if self.subject is not None or self.corrections is not None:
                raise ValueError("a completed request keeps no contact, only its digests")
            if not self.subject_digests or self.completed_at is None or self.outcome is None:
                raise ValueError("a completed request keeps its digests, completion time and outcome")
        return self

    @property
    def due(self) -> date:
        """The deadline that counts now: the answer's, or, once extended (the extension is the answer
        that tells the person when it will be done), the extended one."""
        return self.extension.due if self.extension is not None else self.answer_due

    @property
    def is_open(self) -> bool:
        return self.status is RequestStatus.OPEN


# ------------------------------------------------------------------ working days

DayOff = Callable[[date], bool]


def days_off(calendar: HolidayCalendar) -> DayOff:
    """Saturdays, Sundays and the calendar's holidays (Vietnam's by default, Tết included)."""
    holiday = day_off(calendar)
    return lambda day: day.weekday() >= 5 or holiday(day)


def add_working_days(start: date, days: int, off: DayOff) -> date:
    """The ``days``-th working day after ``start`` (``start`` itself never counts); ``start`` for 0."""
    if days < 0:
        raise ValueError("days must not be negative")
    day, counted = start, 0
    while counted < days:
        day += timedelta(days=1)
        if not off(day):
            counted += 1
    return day


class Deadlines(_Model):
    answer_due: IsoDate
    stop_due: IsoDate | None = None


def deadlines(kind: RequestKind, received_on: date, off: DayOff, *, processor_must_stop: bool) -> Deadlines:
    """A new request's deadlines, in working days after the day it was received."""
    stop_days = STOP_DAYS_WITH_PROCESSOR if processor_must_stop else STOP_DAYS
    return Deadlines(
        answer_due=add_working_days(received_on, ANSWER_DAYS, off),
        stop_due=add_working_days(received_on, stop_days, off) if kind in STOPPING else None,
    )


def extension_due(request: PrivacyRequest, off: DayOff) -> date:
    """Where the one extension takes the deadline: 15 working days past the stop deadline (restrict,
    object) or past the answer deadline (the other kinds). Refused if already extended or closed."""
    if not request.is_open:
        raise Conflict(f"privacy request {request.request_id} is completed")
    if request.extension is not None:
        raise Conflict(f"privacy request {request.request_id} was already extended once")
    base = request.stop_due if request.stop_due is not None else request.answer_due
    return add_working_days(base, EXTENSION_DAYS, off)


def due_soon(request: PrivacyRequest, today: date, off: DayOff) -> bool:
    """Open and due within ``ALERT_WITHIN_DAYS`` working days of ``today`` (or overdue)."""
    return request.is_open and request.due <= add_working_days(today, ALERT_WITHIN_DAYS, off)


def listing_order(request: PrivacyRequest) -> tuple[int, date, str]:
    """Open first, soonest due first, then oldest first (ids sort by receipt)."""
    return (0 if request.is_open else 1, request.due, request.request_id)
