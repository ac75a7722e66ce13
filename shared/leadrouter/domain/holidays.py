"""Public holidays from the kept ``holidays`` library, adjusted per tenant (pure: no I/O)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import lru_cache
from typing import Annotated

from pydantic import Field, field_validator

from leadrouter.domain.base import IsoDate, Name, _Model


@lru_cache(maxsize=1)
def _supported() -> frozenset[str]:
    import holidays as holiday_library  # ~0.1 s to import: only where a calendar is read

    return frozenset(holiday_library.list_supported_countries())


def supported_countries() -> list[str]:
    """The ISO codes whose public holidays the kept library knows (the spec's enum)."""
    return sorted(_supported())


def check_country(code: str) -> str:
    if code not in _supported():
        raise ValueError(f"no holiday calendar for country {code!r} (use an ISO code like VN)")
    return code


@lru_cache(maxsize=128)
def official_holidays(country: str, year: int) -> dict[date, str]:
    """A country's public holidays of one year, by date (Vietnam's named in Vietnamese)."""
    import holidays as holiday_library

    language = "vi" if country == "VN" else None
    return dict(holiday_library.country_holidays(country, years=year, language=language).items())


def holidays_in(calendar: HolidayCalendar, year: int) -> dict[date, str]:
    """The tenant's holidays of one year: the country's, minus ``removed``, plus ``added``."""
    days = dict(official_holidays(calendar.country, year)) if calendar.country else {}
    for day in calendar.removed:
        days.pop(day, None)
    days.update({h.day: h.name for h in calendar.added if h.day.year == year})
    return dict(sorted(days.items()))


def day_off(calendar: HolidayCalendar) -> Callable[[date], bool]:
    """A test for "is this local date a holiday", computing each year once."""
    years: dict[int, frozenset[date]] = {}

    def is_holiday(day: date) -> bool:
        if day.year not in years:
            years[day.year] = frozenset(holidays_in(calendar, day.year))
        return day in years[day.year]

    return is_holiday


class Holiday(_Model):
    day: IsoDate
    name: Name


class HolidayCalendar(_Model):
    """Public holidays: days off for every member who has shifts (each on their own local date).

    ``country`` takes a country's official holidays from the ``holidays`` library (Vietnam's by default,
    Tết included); ``added`` and ``removed`` adjust it, for the days a decree moves or a company adds.
    """

    country: Annotated[str, Field(min_length=2, max_length=3, pattern=r"^[A-Z]{2,3}$")] | None = "VN"
    added: list[Holiday] = Field(default_factory=list, max_length=200)
    removed: list[IsoDate] = Field(default_factory=list, max_length=200)

    @field_validator("country")
    @classmethod
    def _supported(cls, value: str | None) -> str | None:
        return None if value is None else check_country(value)
