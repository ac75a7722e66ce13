"""Dates and times in the API are ISO 8601 text, never numbers or other shapes.

pydantic's lax mode reads ``0`` as 1970-01-01 and numeric text as a Unix time; a leave day of ``[0]``
was stored as 1970-01-01. Every date, date-time and time of day a request carries is checked here
through the API, on moto.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest

from leadrouter.data.repository import Repository
from tests.support.api import call_as, config_items
from tests.support.builders import rule, seed, staff

NOT_DATES = [0, 1.5, "20261206", "2026-13-01", "86400", "2026-12-06T00:00:00Z", None]
NOT_DATE_TIMES = [0, 1.5, "1700000000", "2026-12-06", "20261206T000000Z", "2026-12-06 09:00:00+07:00"]
NOT_TIMES = [0, 3600, "3600", "0830", "8:30", "08:30:00+07:00", "24:00"]


def _fields(reply: Any) -> list[str]:
    return [e["field"] for e in reply.body["errors"]]


@pytest.fixture
def acme(moto_repo: Repository) -> Repository:
    seed(moto_repo, rule(weights={"A": 1}), [staff("A")])
    return moto_repo


@pytest.mark.parametrize("day", NOT_DATES)
def test_a_leave_day_that_is_not_yyyy_mm_dd_text_is_a_422_naming_it(
    acme: Repository, moto_tables: dict[str, str], day: Any
) -> None:
    before = config_items(moto_tables)
    # When an admin creates or edits a member with a number, a basic-format or impossible date
    created = call_as("POST", "/staff", {"name": "Lê Văn Cường", "leave_dates": [day]})
    edited = call_as("PATCH", "/staff/A", {"leave_dates": ["2026-12-05", day]})
    # Then both are a 422 naming the day, and nothing was written
    assert created.status == 422 and _fields(created) == ["leave_dates.0"], created.body
    assert edited.status == 422 and _fields(edited) == ["leave_dates.1"], edited.body
    assert config_items(moto_tables) == before


def test_iso_dates_and_local_times_are_taken(acme: Repository) -> None:
    shift = {"days": [1, 2, 3, 4, 5], "start": "08:30", "end": "17:00:00"}
    created = call_as(
        "POST", "/staff", {"name": "Lê Văn Cường", "leave_dates": ["2026-12-06"], "working_hours": [shift]}
    )
    assert created.status == 201, created.body
    assert created.body["leave_dates"] == ["2026-12-06"]
    assert created.body["working_hours"][0] | {"days": []} == {
        "days": [],
        "start": "08:30:00",
        "end": "17:00:00",
    }
    edited = call_as("PATCH", "/staff/A", {"leave_dates": ["2026-12-06", "2027-02-16"]})
    assert edited.status == 200 and edited.body["staff"]["leave_dates"] == ["2026-12-06", "2027-02-16"]


@pytest.mark.parametrize("at", NOT_TIMES)
def test_a_shift_time_that_is_not_hh_mm_text_is_a_422(acme: Repository, at: Any) -> None:
    reply = call_as("PATCH", "/staff/A", {"working_hours": [{"start": at, "end": "23:00"}]})
    assert reply.status == 422 and _fields(reply) == ["working_hours.0.start"], reply.body


@pytest.mark.parametrize("day", NOT_DATES)
def test_a_holiday_day_that_is_not_yyyy_mm_dd_text_is_a_422(
    acme: Repository, moto_tables: dict[str, str], day: Any
) -> None:
    before = config_items(moto_tables)
    added = call_as("PUT", "/holidays", {"country": "VN", "added": [{"day": day, "name": "Nghỉ bù"}]})
    removed = call_as("PUT", "/holidays", {"country": "VN", "removed": [day]})
    assert added.status == 422 and _fields(added) == ["added.0.day"], added.body
    assert removed.status == 422 and _fields(removed) == ["removed.0"], removed.body
    assert config_items(moto_tables) == before
    taken = call_as(
        "PUT", "/holidays?year=2026", {"country": "VN", "added": [{"day": "2026-12-06", "name": "X"}]}
    )
    assert taken.status == 200 and "2026-12-06" in {h["day"] for h in taken.body["holidays"]}


@pytest.mark.parametrize("at", NOT_DATE_TIMES)
def test_a_period_bound_that_is_not_iso_date_time_text_is_a_422(acme: Repository, at: Any) -> None:
    good = "2026-12-01T00:00:00+07:00"
    reply = call_as("GET", f"/reports/distribution?received_from={quote(str(at))}&received_to={quote(good)}")
    assert reply.status == 422 and _fields(reply) == ["received_from"], reply.body
    listing = call_as("GET", f"/leads?received_to={quote(str(at))}")
    assert listing.status == 422 and _fields(listing) == ["received_to"], listing.body
    end = "2026-12-08T00:00:00+07:00"
    fine = call_as("GET", f"/reports/distribution?received_from={quote(good)}&received_to={quote(end)}")
    assert fine.status == 200, fine.body


@pytest.mark.parametrize("at", NOT_DATE_TIMES)
def test_a_rule_window_or_preview_arrival_that_is_not_iso_date_time_text_is_a_422(
    acme: Repository, at: Any
) -> None:
    draft = {
        "name": "Web",
        "kind": "round_robin",
        "scope": {"pool": "web", "step": "new"},
        "staff": [{"staff_id": "A"}],
    }
    windowed = call_as("POST", "/rules", {**draft, "window": {"start": at}})
    assert windowed.status == 422 and _fields(windowed) == ["window.start"], windowed.body
    previewed = call_as("POST", "/rules/preview", {**draft, "arrival": at})
    assert previewed.status == 422 and _fields(previewed) == ["arrival"], previewed.body
    fine = call_as("POST", "/rules/preview", {**draft, "arrival": "2026-12-07T09:00:00+07:00"})
    assert fine.status == 200, fine.body
