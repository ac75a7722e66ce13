"""Retention per tenant, the pure part: the TTL stamp of a write, when an item counts as gone, and which
touches of a lead's attribution a read may still show."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from leadrouter.domain.attribution import Attribution, Touch
from leadrouter.domain.retention import DAY_SECONDS, expired, expires_at, kept_attribution, touch_kept

moments = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2040, 1, 1), timezones=st.just(UTC))
periods = st.integers(min_value=1, max_value=3650)
seconds = st.integers(min_value=0, max_value=4000 * DAY_SECONDS)


def _touch(at: datetime, source: str = "fb") -> Touch:
    return Touch(utm_source=source, at=at)


@given(moments, periods)
def test_an_item_is_never_gone_when_written_and_is_gone_once_its_whole_period_has_passed(
    written: datetime, days: int
) -> None:
    stamp = expires_at(written, days)
    assert not expired(stamp, written)
    assert not expired(stamp, written + timedelta(days=days) - timedelta(seconds=1))
    assert expired(stamp, written + timedelta(days=days))


@given(moments, periods, seconds)
def test_expired_is_exactly_from_the_stamps_second_on(written: datetime, days: int, later: int) -> None:
    stamp = expires_at(written, days)
    now = written + timedelta(seconds=later)
    assert expired(stamp, now) == (now.timestamp() >= stamp)
    # …as DynamoDB's TTL compares: the stamp is whole epoch seconds, so once gone, gone for good
    assert not expired(stamp, now) or expired(stamp, now + timedelta(seconds=1))


@given(moments, periods, periods)
def test_a_longer_period_never_ends_sooner(written: datetime, days: int, more: int) -> None:
    assert expires_at(written, days) <= expires_at(written, max(days, more))
    assert expires_at(written, days) - int(written.timestamp()) == days * DAY_SECONDS


@given(moments)
def test_an_item_without_a_stamp_has_no_known_end(now: datetime) -> None:
    assert not expired(None, now)


@given(moments, periods, seconds, seconds)
def test_a_read_shows_each_touch_only_within_its_period_from_its_visit(
    first_at: datetime, days: int, gap: int, later: int
) -> None:
    first, latest = _touch(first_at), _touch(first_at + timedelta(seconds=gap), "zalo")
    now = first_at + timedelta(seconds=later)
    shown = kept_attribution(Attribution(first=first, latest=latest), days, now)
    kept = [t for t in (first, latest) if touch_kept(t, days, now)]
    if not kept:
        assert shown is None
    elif len(kept) == 1:
        # the one still kept reads as both, as on a lead with one touch
        assert shown == Attribution(first=kept[0], latest=kept[0])
    else:
        assert shown == Attribution(first=first, latest=latest)
    # whatever is shown is within its period, and nothing is made up
    if shown is not None:
        assert shown.first in kept and shown.latest in kept


@given(moments, periods)
def test_a_touch_goes_exactly_its_period_after_the_visit(at: datetime, days: int) -> None:
    touch = _touch(at)
    assert touch_kept(touch, days, at + timedelta(days=days) - timedelta(microseconds=1))
    assert not touch_kept(touch, days, at + timedelta(days=days))


@given(moments, moments)
def test_attribution_stored_before_retention_existed_is_shown_as_it_is(at: datetime, now: datetime) -> None:
    attribution = Attribution(first=_touch(at), latest=_touch(at))
    assert kept_attribution(attribution, None, now) is attribution
    assert kept_attribution(None, 1, now) is None
