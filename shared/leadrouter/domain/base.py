"""What every domain model builds on: the strict base model, the date and time types, the shared names.

Every aggregate module builds on it, so none of them imports another just for a shared type.

Dates and times are ISO 8601 text on the wire and in storage. pydantic's lax mode would also read a
number (``0``, ``1.5``) or numeric text (``"86400"``) as a Unix time, and its strict mode does not help
here: the API validates JSON already decoded to Python objects, where strict mode refuses the text too,
and it still reads numeric text as a timestamp. So each type first checks that the value is text in
its ISO shape (or already a date or time, as code passes them); pydantic then parses it and checks the
calendar (``2026-13-01`` is refused).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, time
from typing import Annotated, Any, TypeVar

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    WithJsonSchema,
)

from leadrouter.clock import to_iso
from leadrouter.domain.text import LABEL_PATTERN, TEXT_PATTERN, accepted_text, check_label, check_text

D = TypeVar("D", bound=date)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:[Zz]|[+-]\d{2}:\d{2})?")
#: A wall-clock time of day, as the spec documents it (hours 00-23; no offset: it is local time).
LOCAL_TIME_PATTERN = r"^(?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:\.[0-9]{1,6})?)?$"


def _iso_text(shape: re.Pattern[str], native: type, expected: str) -> Callable[[object], object]:
    """A check that lets through ``native`` values and text of ``shape``, and refuses the rest."""

    def check(value: object) -> object:
        if type(value) is native or (native is datetime and isinstance(value, datetime)):
            return value
        if isinstance(value, str) and shape.fullmatch(value):
            return value
        raise ValueError(f"must be {expected}")

    return check


#: A calendar day: ``YYYY-MM-DD`` text only (leave days, holidays).
IsoDate = Annotated[
    date, BeforeValidator(_iso_text(_DATE, date, "a date as YYYY-MM-DD text, e.g. 2026-12-06"))
]

#: Every timestamp: aware ISO 8601 date-time text (``2026-12-06T09:00:00+07:00``, ``…Z``), written as
#: fixed-width UTC text so that string order is time order (they are index sort keys). pydantic's own
#: JSON form drops zero microseconds and would break that.
Moment = Annotated[
    AwareDatetime,
    BeforeValidator(
        _iso_text(
            _DATE_TIME, datetime, "an ISO 8601 date-time text with its offset, e.g. 2026-12-06T09:00:00+07:00"
        )
    ),
    PlainSerializer(to_iso, return_type=str, when_used="json"),
]

#: A time of day on someone's own clock (a shift's start and end): ``HH:MM`` or ``HH:MM:SS`` text.
LocalTime = Annotated[
    time,
    BeforeValidator(
        _iso_text(re.compile(LOCAL_TIME_PATTERN[1:-1]), time, "a local time as HH:MM text, e.g. 08:30")
    ),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": LOCAL_TIME_PATTERN,
            "maxLength": 15,
            "description": "local time of day, HH:MM or HH:MM:SS (no offset: the member's own time zone)",
            "example": "08:30",
        }
    ),
]


def _without_null(schema: dict[str, Any]) -> None:
    """Drop ``null`` from a field's JSON schema: the field may be left out, but null is refused."""
    schema.pop("default", None)
    branches = [branch for branch in schema.pop("anyOf", []) if branch != {"type": "null"}]
    if len(branches) == 1:
        schema.update(branches[0])
    elif branches:
        schema["anyOf"] = branches


def omissible() -> Any:
    """A request field that may be left out (``None`` in code) but not sent as null (422)."""
    return Field(default=None, json_schema_extra=_without_null)


#: The years of any lead this service will see. Periods, holidays and previews outside them are refused
#: (date arithmetic and time-ordered id ranges stop making sense); the year is read as written.
FIRST_YEAR = 2000
LAST_YEAR = 2199
#: The same bounds as the spec states them: a pattern alone (a format as well would leave a generator
#: filtering 98% of what it draws); days 29-31 are accepted too, the pattern stops at 28 for brevity.
_DAY_IN_YEARS = r"2[01][0-9]{2}-(?:0[1-9]|1[0-2])-(?:0[1-9]|1[0-9]|2[0-8])"
_CALENDAR_DAY_SCHEMA = WithJsonSchema(
    {
        "type": "string",
        "maxLength": 10,
        "pattern": f"^{_DAY_IN_YEARS}$",
        "description": "a date, YYYY-MM-DD, 2000-2199",
    },
    mode="validation",
)
_MOMENT_IN_YEARS_SCHEMA = WithJsonSchema(
    {
        "type": "string",
        "maxLength": 32,
        "pattern": rf"^{_DAY_IN_YEARS}T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\.[0-9]{{1,6}})?"
        r"(?:Z|[+-](?:0[0-9]|1[0-3]):[0-5][0-9])$",
        "description": "an ISO 8601 date-time with its offset (2026-12-06T09:00:00+07:00), 2000-2199",
    },
    mode="validation",
)


def _in_years(value: D) -> D:
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValueError(f"must be in the years {FIRST_YEAR} to {LAST_YEAR}")
    return value


#: A day of a holiday calendar: an ``IsoDate`` within the service's years.
CalendarDay = Annotated[IsoDate, AfterValidator(_in_years), _CALENDAR_DAY_SCHEMA]
#: An instant a caller asks about (a report's period, a preview's arrival): a ``Moment`` within them.
PlausibleMoment = Annotated[Moment, AfterValidator(_in_years), _MOMENT_IN_YEARS_SCHEMA]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


#: A person's or rule's name: any script, NFC, no control or bidi-override characters, something visible.
Name = Annotated[
    str,
    Field(min_length=1, max_length=200),
    AfterValidator(check_text),
    accepted_text(TEXT_PATTERN, 200),
]


#: What admins call data pools, pipeline steps and campaigns ("Kho dữ liệu", "Bước", "Chiến dịch"):
#: Vietnamese with spaces is fine ("Tết 2027"); '#', '/', '\\' and '%' are not (they delimit keys and
#: paths), nor are control, bidi or zero-width characters. Compared after NFC normalisation.
Label = Annotated[
    str,
    Field(min_length=1, max_length=64),
    AfterValidator(check_label),
    accepted_text(LABEL_PATTERN, 64),
]


Ident = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")]
