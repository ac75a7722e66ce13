"""Data-subject requests' deadlines in Vietnamese working days on the tenant's calendar (pure)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadrouter.domain.errors import Conflict
from leadrouter.domain.holidays import Holiday, HolidayCalendar
from leadrouter.domain.privacy_requests import (
    Corrections,
    Extension,
    Outcome,
    PrivacyRequest,
    RequestKind,
    RequestStatus,
    Subject,
    add_working_days,
    days_off,
    deadlines,
    due_soon,
    extension_due,
    listing_order,
)

VIETNAM = days_off(HolidayCalendar())
#: Tết 2027: the days off run from Thursday 4 to Wednesday 10 February (29 Tết to mùng 5).
TET_2027 = [date(2027, 2, d) for d in range(4, 11)]
AT = datetime(2027, 2, 3, 3, 0, tzinfo=UTC)  # Wednesday 3 February 2027, 10:00 in Hà Nội

days = st.dates(min_value=date(2025, 1, 1), max_value=date(2030, 12, 31))
counts = st.integers(min_value=0, max_value=40)


def _request(kind: RequestKind = RequestKind.ACCESS, received_on: date = date(2027, 2, 3)) -> PrivacyRequest:
    due = deadlines(kind, received_on, VIETNAM, processor_must_stop=False)
    return PrivacyRequest(
        tenant_id="acme",
        request_id="PR1",
        kind=kind,
        subject=Subject(phone="+84912345678"),
        corrections=Corrections(name="Nguyễn Văn Bình") if kind is RequestKind.CORRECT else None,
        received_at=AT,
        received_on=received_on,
        answer_due=due.answer_due,
        stop_due=due.stop_due,
        created_by="admin",
    )


# ------------------------------------------------------------------ properties


@given(days, st.integers(min_value=1, max_value=40))
def test_a_due_date_is_never_a_day_off(start: date, n: int) -> None:
    due = add_working_days(start, n, VIETNAM)
    assert not VIETNAM(due)
    assert due.weekday() < 5 and due not in TET_2027


@given(days, counts, counts)
def test_adding_more_working_days_never_gives_an_earlier_day(start: date, n: int, m: int) -> None:
    low, high = sorted((n, m))
    assert add_working_days(start, low, VIETNAM) <= add_working_days(start, high, VIETNAM)
    if low < high:
        assert add_working_days(start, low, VIETNAM) < add_working_days(start, high, VIETNAM)


@given(days, days, counts)
def test_a_later_receipt_never_gives_an_earlier_due_date(a: date, b: date, n: int) -> None:
    first, second = sorted((a, b))
    assert add_working_days(first, n, VIETNAM) <= add_working_days(second, n, VIETNAM)


@given(days, st.integers(min_value=1, max_value=40))
def test_exactly_n_working_days_lie_between_receipt_and_due_date(start: date, n: int) -> None:
    due = add_working_days(start, n, VIETNAM)
    between = [start + timedelta(days=i) for i in range(1, (due - start).days + 1)]
    assert sum(1 for d in between if not VIETNAM(d)) == n


@given(st.sampled_from(list(RequestKind)), days, st.booleans())
def test_every_deadline_of_a_new_request_is_a_working_day(
    kind: RequestKind, received: date, processor: bool
) -> None:
    due = deadlines(kind, received, VIETNAM, processor_must_stop=processor)
    assert not VIETNAM(due.answer_due)
    assert (due.stop_due is not None) == (kind in (RequestKind.RESTRICT, RequestKind.OBJECT))
    if due.stop_due is not None:
        assert not VIETNAM(due.stop_due) and due.stop_due > due.answer_due


@given(st.sampled_from(list(RequestKind)), days)
def test_an_extension_happens_at_most_once(kind: RequestKind, received: date) -> None:
    # Given a request extended once
    request = _request(kind, received)
    due = extension_due(request, VIETNAM)
    assert not VIETNAM(due) and due > request.due
    extended = request.model_copy(update={"extension": Extension(at=AT, by="admin", reason="r", due=due)})
    assert extended.due == due
    # When it is extended again, Then it is refused
    with pytest.raises(Conflict, match="already extended once"):
        extension_due(extended, VIETNAM)


# ------------------------------------------------------------------ examples across Tết and a weekend


def test_a_request_received_before_tet_2027_is_due_after_it() -> None:
    # Given a request received on Wednesday 3 February 2027, the day before Tết's days off
    due = deadlines(RequestKind.RESTRICT, date(2027, 2, 3), VIETNAM, processor_must_stop=False)
    # Then its 2 working days are Thursday 11 and Friday 12 February (4-10 February are Tết, 6-7 a weekend)
    assert due.answer_due == date(2027, 2, 12)
    # ...and the 15 working days to stop run to Wednesday 3 March
    assert due.stop_due == date(2027, 3, 3)
    # ...20 when a processor must stop too: Wednesday 10 March
    with_processor = deadlines(RequestKind.RESTRICT, date(2027, 2, 3), VIETNAM, processor_must_stop=True)
    assert with_processor.stop_due == date(2027, 3, 10)


def test_an_extension_across_tet_counts_working_days_only() -> None:
    # Given an access request received on Monday 1 February 2027 (due Wednesday 3)
    request = _request(RequestKind.ACCESS, date(2027, 2, 1))
    assert request.answer_due == date(2027, 2, 3)
    # When it is extended: 15 working days after 3 February skip Tết (4-10) and three weekends
    assert extension_due(request, VIETNAM) == date(2027, 3, 3)


def test_a_request_received_on_a_friday_is_due_on_tuesday() -> None:
    # Given a request received on Friday 27 November 2026
    due = deadlines(RequestKind.ACCESS, date(2026, 11, 27), VIETNAM, processor_must_stop=False)
    # Then the weekend does not count: Monday 30 November and Tuesday 1 December
    assert due.answer_due == date(2026, 12, 1)
    # And one received on the Saturday is due on the same Tuesday (Monday is day 1)
    assert deadlines(
        RequestKind.ACCESS, date(2026, 11, 28), VIETNAM, processor_must_stop=False
    ).answer_due == date(2026, 12, 1)


def test_the_tenants_own_days_off_count_too() -> None:
    # Given a tenant that adds Monday 30 November 2026 as a company holiday
    calendar = HolidayCalendar(added=[Holiday(day=date(2026, 11, 30), name="Ngày thành lập công ty")])
    due = deadlines(RequestKind.ACCESS, date(2026, 11, 27), days_off(calendar), processor_must_stop=False)
    # Then the request received on Friday 27 is due on Wednesday 2 December
    assert due.answer_due == date(2026, 12, 2)


def test_due_soon_is_within_one_working_day_or_overdue() -> None:
    request = _request(RequestKind.ACCESS, date(2027, 2, 3))  # due Friday 12 February
    assert not due_soon(request, date(2027, 2, 3), VIETNAM)  # the next working day is the 11th
    assert not due_soon(request, date(2027, 2, 10), VIETNAM)  # a Tết day: the next working day is the 11th
    assert due_soon(request, date(2027, 2, 11), VIETNAM)
    assert due_soon(request, date(2027, 2, 15), VIETNAM)  # overdue


def test_open_requests_list_first_soonest_due_first() -> None:
    late = _request(RequestKind.ACCESS, date(2027, 2, 3)).model_copy(update={"request_id": "PR2"})
    soon = _request(RequestKind.ACCESS, date(2027, 1, 4)).model_copy(update={"request_id": "PR3"})
    done = PrivacyRequest.model_validate(
        {
            **_request(RequestKind.ACCESS, date(2026, 1, 5)).model_dump(),
            "request_id": "PR1",
            "status": RequestStatus.COMPLETED,
            "subject": None,
            "subject_digests": ["0" * 64],
            "completed_at": AT,
            "outcome": Outcome(result="fulfilled"),
        }
    )
    assert [r.request_id for r in sorted([late, done, soon], key=listing_order)] == ["PR3", "PR2", "PR1"]


def test_a_completed_request_keeps_no_contact() -> None:
    open_request = _request()
    with pytest.raises(ValueError, match="keeps no contact"):
        PrivacyRequest.model_validate(
            {
                **open_request.model_dump(),
                "status": "completed",
                "subject_digests": ["0" * 64],
                "completed_at": AT,
                "outcome": {"result": "fulfilled"},
            }
        )
