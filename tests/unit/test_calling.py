"""May a lead be called for advertising now (Decree 91/2020): pure properties of ``domain.calling``."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import example, given
from hypothesis import strategies as st

from leadrouter.domain.calling import (
    CALL_GAP,
    CallBar,
    CallingSchedule,
    CallPermission,
    DoNotCallOrigin,
    call_permission,
    customer_zone,
)
from leadrouter.domain.consent import (
    CALL,
    AgreedHours,
    ConsentMethod,
    ConsentRecord,
    ConsentStatus,
    Restriction,
    RestrictionKind,
)
from leadrouter.domain.privacy import CallingHours
from tests.support.builders import NOW
from tests.support.worktime_strategies import ZONES, instants

PHONE = "+84912345678"


def consent(status: ConsentStatus, purpose: str = CALL) -> dict[str, ConsentRecord]:
    return {
        purpose: ConsentRecord(
            purpose=purpose, status=status, at=NOW, method=ConsentMethod.CHECKBOX, source="web-form"
        )
    }


GRANTED = consent(ConsentStatus.GRANTED)

statuses = st.sampled_from(list(ConsentStatus))
consents: st.SearchStrategy[dict[str, ConsentRecord]] = st.one_of(
    st.just({}),
    statuses.map(consent),
    statuses.map(lambda s: consent(s, purpose="sms")),  # a grant for another purpose is no grant to call
)
restrictions = st.one_of(
    st.none(),
    st.sampled_from(list(RestrictionKind)).map(lambda k: Restriction(kind=k, since=NOW)),
)
phones = st.sampled_from([None, PHONE, "+12125550123", "+4915112345678"])
listed = st.sets(st.sampled_from(list(DoNotCallOrigin)))
hour_pairs = st.tuples(st.integers(0, 22), st.integers(1, 23)).filter(lambda p: p[0] < p[1])
hours = st.one_of(
    st.just(CallingHours()),
    hour_pairs.map(lambda p: CallingHours(start=time(p[0]), end=time(p[1]))),
    st.builds(lambda m: CallingHours(start=time(1, m), end=time(3, 30)), st.integers(0, 59)),  # DST hours
)
zones = st.sampled_from(ZONES)
last_calls = st.one_of(st.none(), st.integers(0, 3 * 24 * 60).map(lambda m: timedelta(minutes=m)))


def _ask(**overrides: object) -> CallPermission:
    fields: dict[str, object] = {
        "consents": GRANTED,
        "restriction": None,
        "phone": PHONE,
        "do_not_call": (),
        "last_call_at": None,
        "hours": CallingHours(),
        "zone": "Asia/Ho_Chi_Minh",
        "now": NOW,  # 09:00 in Ho Chi Minh City
    }
    fields.update(overrides)
    return call_permission(**fields)  # type: ignore[arg-type]


def _inside(hours: CallingHours, zone: str, at: datetime) -> bool:
    wall = at.astimezone(ZoneInfo(zone)).time()
    return hours.start <= wall < hours.end


@given(consents, restrictions, phones, listed, last_calls, hours, zones, instants)
def test_a_call_is_allowed_only_with_a_grant_no_restriction_no_list_24h_after_the_last_and_in_hours(
    given_consents, restriction, phone, on_lists, since_last, calling, zone, now
) -> None:
    # Given any lead, lists, call log, hours and clock
    last = now - since_last if since_last is not None else None
    # When the call is asked for
    answer = _ask(
        consents=given_consents,
        restriction=restriction,
        phone=phone,
        do_not_call=on_lists,
        last_call_at=last,
        hours=calling,
        zone=zone,
        now=now,
    )
    granted = given_consents.get(CALL) is not None and given_consents[CALL].status is ConsentStatus.GRANTED
    if answer.allowed:
        # Then an allowed call had a grant (unknown is never one), no restriction, a phone on no list,
        # no advertising call in the last 24 hours, and it is inside the hours on the customer's clock
        assert granted and restriction is None and phone and not on_lists
        assert last is None or now - last >= CALL_GAP
        assert _inside(calling, zone, now)
        assert answer.reason is None and answer.allowed_from is None
    else:
        assert answer.reason is not None
    if restriction is not None:
        assert answer.reason is CallBar.RESTRICTED and answer.allowed_from is None
    elif not granted:
        assert answer.reason is CallBar.NO_CONSENT and answer.allowed_from is None
    if answer.allowed_from is not None:
        # …and "not before" is never within 24 hours of the last call, always inside the hours
        assert answer.allowed_from > now
        assert last is None or answer.allowed_from - last >= CALL_GAP
        assert _inside(calling, zone, answer.allowed_from)
        # …and it is the moment the same question is answered yes
        later = _ask(last_call_at=last, hours=calling, zone=zone, now=answer.allowed_from)
        assert later.allowed


@given(st.integers(0, 24 * 60 - 1), hours, zones, instants)
def test_never_within_24_hours_of_the_last_call(minutes_ago, calling, zone, now) -> None:
    answer = _ask(last_call_at=now - timedelta(minutes=minutes_ago), hours=calling, zone=zone, now=now)
    assert not answer.allowed and answer.reason is CallBar.CALLED_WITHIN_24H
    assert (
        answer.allowed_from is not None
        and answer.allowed_from >= now - timedelta(minutes=minutes_ago) + CALL_GAP
    )


@given(hours, zones, instants)
@example(
    CallingHours(start=time(1, 1), end=time(3, 30)), "America/New_York", datetime(2026, 11, 1, 6, tzinfo=UTC)
)
@example(
    CallingHours(start=time(1, 1), end=time(3, 30)), "Europe/Berlin", datetime(2026, 3, 29, 1, tzinfo=UTC)
)
def test_the_calling_schedule_is_exactly_the_hours_on_the_wall_clock(calling, zone, now) -> None:
    # The schedule's open instants read inside the hours on the zone's clock (DST days included)
    schedule = CallingSchedule(zone=zone, hours=calling)
    if schedule.is_working(now):
        assert _inside(calling, zone, now)
    opens = schedule.next_start(now)
    assert opens is not None and opens >= now and _inside(calling, zone, opens)


def test_defaults_are_08_to_17_on_the_customers_clock() -> None:
    # 09:00 in Ho Chi Minh City: allowed; 17:00 and 07:59 are not
    assert _ask().allowed
    at_five = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
    answer = _ask(now=at_five)
    assert answer.reason is CallBar.OUTSIDE_CALLING_HOURS
    assert answer.allowed_from == datetime(2026, 11, 25, 1, 0, tzinfo=UTC)  # 08:00 next morning
    assert not _ask(now=datetime(2026, 11, 24, 0, 59, tzinfo=UTC)).allowed


@given(hour_pairs, zones, instants)
def test_hours_the_person_agreed_to_replace_the_tenants(
    pair: tuple[int, int], zone: str, now: datetime
) -> None:
    # Given a call consent naming the hours the person agreed to be called at
    agreed = AgreedHours(start=time(pair[0]), end=time(pair[1]))
    record = GRANTED[CALL].model_copy(update={"agreed_hours": agreed})
    answer = _ask(consents={CALL: record}, zone=zone, now=now)
    # Then a call is allowed exactly inside those hours on the customer's clock, the tenant's ignored
    theirs = CallingHours(start=agreed.start, end=agreed.end)
    assert answer.allowed == (CallingSchedule(zone=zone, hours=theirs).next_start(now) == now)
    if not answer.allowed:
        assert answer.allowed_from is not None and _inside(theirs, zone, answer.allowed_from)


def test_an_evening_agreed_to_allows_the_evening_call_the_law_otherwise_bars() -> None:
    evening = GRANTED[CALL].model_copy(update={"agreed_hours": AgreedHours(start=time(18), end=time(20))})
    at_seven_pm = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)  # 19:00 in Ho Chi Minh City
    assert not _ask(now=at_seven_pm).allowed
    assert _ask(consents={CALL: evening}, now=at_seven_pm).allowed
    assert _ask(consents={CALL: evening}).reason is CallBar.OUTSIDE_CALLING_HOURS  # 09:00 is not theirs


def test_the_customers_zone_is_their_phones_country_when_it_has_one_zone() -> None:
    assert customer_zone(PHONE, "Europe/Berlin") == "Asia/Ho_Chi_Minh"
    assert customer_zone("+66812345678", "Asia/Ho_Chi_Minh") == "Asia/Bangkok"
    # a US number: many zones, so the tenant's clock decides
    assert customer_zone("+12125550123", "Asia/Ho_Chi_Minh") == "Asia/Ho_Chi_Minh"
    assert customer_zone(None, "Asia/Ho_Chi_Minh") == "Asia/Ho_Chi_Minh"


def test_lists_bar_for_good_and_say_which() -> None:
    tenant = _ask(do_not_call={DoNotCallOrigin.TENANT, DoNotCallOrigin.NATIONAL})
    assert tenant.reason is CallBar.DO_NOT_CALL and tenant.allowed_from is None
    national = _ask(do_not_call={DoNotCallOrigin.NATIONAL})
    assert national.reason is CallBar.NATIONAL_DO_NOT_CALL
    assert _ask(phone=None).reason is CallBar.NO_PHONE
    assert _ask(consents=consent(ConsentStatus.UNKNOWN)).reason is CallBar.NO_CONSENT
