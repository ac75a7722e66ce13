"""The tenant's holiday calendar: Vietnam's public holidays by default (Tết included), adjusted per tenant."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from leadrouter.domain.holidays import Holiday, HolidayCalendar, check_country, day_off, holidays_in
from leadrouter.domain.tenants import Tenant
from tests.support.worktime_strategies import calendars

TET_2027 = [date(2027, 2, 5) + timedelta(days=n) for n in range(6)]  # 5..10 February 2027


def test_vietnams_default_calendar_has_tet_2027_and_cultural_day_named_in_vietnamese() -> None:
    # Given a tenant that never touched its calendar
    calendar = Tenant(tenant_id="acme", name="Acme").holidays
    # When the holidays of 2027 and 2026 are listed
    in_2027, in_2026 = holidays_in(calendar, 2027), holidays_in(calendar, 2026)
    # Then Tết (5-10 February 2027) and Vietnam Cultural Day (24 November 2026) are in, in Vietnamese
    assert calendar.country == "VN"
    assert all(day in in_2027 for day in TET_2027)
    assert in_2027[date(2027, 2, 6)] == "Tết Nguyên Đán"
    assert in_2026[date(2026, 11, 24)] == "Ngày Văn hóa Việt Nam"
    assert date(2026, 11, 25) not in in_2026
    # And day_off answers the same
    is_off = day_off(calendar)
    assert all(is_off(day) for day in TET_2027)
    assert is_off(date(2026, 11, 24)) and not is_off(date(2026, 11, 23))


def test_added_and_removed_adjust_the_official_days() -> None:
    # Given a company that works on Cultural Day and adds a day off of its own after Tết
    calendar = HolidayCalendar(
        removed=[date(2026, 11, 24)],
        added=[Holiday(day=date(2027, 2, 11), name="Nghỉ bù công ty")],
    )
    # Then 24 Nov 2026 is a working day and 11 Feb 2027 a holiday under the company's name
    assert date(2026, 11, 24) not in holidays_in(calendar, 2026)
    assert holidays_in(calendar, 2027)[date(2027, 2, 11)] == "Nghỉ bù công ty"
    assert date(2027, 2, 11) not in holidays_in(calendar, 2026)  # an added day belongs to its own year
    is_off = day_off(calendar)
    assert not is_off(date(2026, 11, 24)) and is_off(date(2027, 2, 11)) and is_off(date(2027, 2, 6))
    # And the days come out in date order
    days = list(holidays_in(calendar, 2027))
    assert days == sorted(days)


def test_no_country_means_only_the_added_days() -> None:
    calendar = HolidayCalendar(country=None, added=[Holiday(day=date(2026, 6, 1), name="Company day")])
    assert holidays_in(calendar, 2026) == {date(2026, 6, 1): "Company day"}
    assert not day_off(calendar)(date(2027, 2, 6))  # no Tết without a country


def test_an_unsupported_country_is_refused_with_a_clear_message() -> None:
    # When a calendar names a country the holidays library does not know
    with pytest.raises(ValidationError) as refused:
        HolidayCalendar(country="XX")
    # Then the model refuses it and says what to use instead
    assert "no holiday calendar for country 'XX' (use an ISO code like VN)" in str(refused.value)
    # And malformed codes never reach the library
    with pytest.raises(ValidationError):
        HolidayCalendar(country="vn")


def test_check_country_accepts_supported_codes_and_refuses_others() -> None:
    assert check_country("VN") == "VN"
    assert check_country("DE") == "DE"
    with pytest.raises(ValueError, match="no holiday calendar for country 'ZZ'"):
        check_country("ZZ")


@settings(max_examples=100, deadline=None)
@given(calendars, st.dates(date(2025, 1, 1), date(2028, 12, 31)))
def test_day_off_is_holidays_in_of_the_days_own_year(calendar: HolidayCalendar, day: date) -> None:
    # Given any calendar, a removed day is never off unless added back, an added day always is
    expected = day in holidays_in(calendar, day.year)
    assert day_off(calendar)(day) == expected
    if day in {h.day for h in calendar.added}:
        assert expected
    elif day in calendar.removed:
        assert not expected
