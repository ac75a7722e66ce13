"""Attribution: touches from fields and the landing URL, first touch kept, storage."""

from __future__ import annotations

import unicodedata
from datetime import timedelta
from urllib.parse import urlencode

import boto3
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leadrouter.data.attribution import FIRST_ATTR, LATEST_ATTR
from leadrouter.data.repository import Repository
from leadrouter.domain.attribution import (
    _CHECKS,
    ATTRIBUTION_FIELDS,
    CLICK_ID_FIELDS,
    UTM_FIELDS,
    Attribution,
    Touch,
    merged,
    touch_from,
)
from leadrouter.domain.errors import Conflict
from leadrouter.domain.leads import Lead, LeadStatus
from tests.support.builders import NOW, TENANT, lead

LP = "https://lp.example.vn/can-ho"
LATER = NOW + timedelta(days=3)


def _touch(at=NOW, **fields: str) -> Touch:
    found = touch_from(fields, landing_url=None, referrer=None, at=at)
    assert found is not None
    return found


# ------------------------------------------------------------------ touch_from
def test_the_submissions_own_values_win_and_the_landing_query_fills_the_rest() -> None:
    # Given a form whose hidden fields carry utm_source, on a page whose URL carries more tags
    fields = {
        "utm_source": " Facebook ",
        "landing_url": f"{LP}?utm_source=zalo&utm_campaign=T%E1%BA%BFt+2027",
    }
    # When the touch is read
    touch = touch_from(fields, landing_url="https://other.example/", referrer=None, at=NOW)
    # Then the field wins (trimmed), the campaign comes from the field's landing URL (percent-decoded)
    assert touch is not None
    assert (touch.utm_source, touch.utm_campaign) == ("Facebook", "Tết 2027")
    assert touch.landing_url == fields["landing_url"] and touch.at == NOW


def test_without_a_landing_url_field_the_callers_one_is_read() -> None:
    # Given no landing_url field, and the Referer header's URL with Google and Meta click ids
    url = f"{LP}?gclid=Cj0KCQiA-AbC_xyz&fbclid=IwAR2xYz&wbraid=WbR&gbraid=GbR&utm_medium=cpc"
    touch = touch_from({}, landing_url=url, referrer="https://www.google.com/", at=NOW)
    # Then every click id keeps its exact case, and the referrer is kept
    assert touch is not None
    assert (touch.gclid, touch.fbclid, touch.wbraid, touch.gbraid) == (
        "Cj0KCQiA-AbC_xyz",
        "IwAR2xYz",
        "WbR",
        "GbR",
    )
    assert (touch.utm_medium, touch.landing_url, touch.referrer) == ("cpc", url, "https://www.google.com/")


def test_a_referrer_field_wins_over_the_callers_referrer() -> None:
    touch = touch_from(
        {"referrer": "https://zalo.me/x"}, landing_url=None, referrer="https://a.example/", at=NOW
    )
    assert touch is not None and touch.referrer == "https://zalo.me/x"


def test_platform_ids_and_meta_cookies_are_kept() -> None:
    fields = {
        "campaign_id": "120210000000001",
        "ad_group_id": "120210000000002",
        "ad_id": "120210000000003",
        "form_id": "987654321",
        "fbc": "fb.1.1554763741205.IwAR2xYz",
        "fbp": "fb.1.1596403881668.1116446470",
    }
    touch = _touch(**fields)
    assert touch.model_dump(include=set(fields)) == fields


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("utm_source", "x" * 257),
        ("utm_campaign", "Tết\x002027"),
        ("utm_campaign", "Tết\u202e2027"),
        ("utm_term", "two\nlines"),
        ("utm_content", "   "),
        ("gclid", "g" * 513),
        ("gclid", "has space"),
        ("fbclid", "IwAR\u00e9"),
        ("campaign_id", "1" * 129),
        ("referrer", "javascript:alert(1)"),
        ("landing_url", "ftp://lp.example.vn/"),
        ("landing_url", "https:///no-host"),
        ("landing_url", "https://lp.example.vn:99999/"),
        ("landing_url", "https://lp.example.vn/" + "a" * 2048),
        ("referrer", "https://[::1/"),
    ],
)
def test_a_value_that_does_not_fit_is_dropped_and_the_rest_kept(name: str, value: str) -> None:
    # Given one bad value next to a good one
    touch = touch_from({name: value, "utm_medium": "cpc"}, landing_url=None, referrer=None, at=NOW)
    # Then the lead still gets its touch, without the bad value
    assert touch is not None and touch.utm_medium == "cpc"
    assert getattr(touch, name) is None


def test_a_bad_landing_url_field_falls_back_to_the_callers_landing_url() -> None:
    touch = touch_from(
        {"landing_url": "javascript:void(0)"}, landing_url=f"{LP}?utm_source=google", referrer=None, at=NOW
    )
    assert (
        touch is not None and touch.utm_source == "google" and touch.landing_url == f"{LP}?utm_source=google"
    )


def test_nothing_at_all_is_no_touch() -> None:
    # Given a submission with only ordinary fields, a landing URL that is not http(s)
    fields = {"Sản phẩm quan tâm": "Căn hộ 2PN", "utm_source": " "}
    # Then there is no touch (rather than an empty one)
    assert touch_from(fields, landing_url="about:blank", referrer=None, at=NOW) is None


def test_utm_values_are_nfc_and_click_ids_untouched() -> None:
    decomposed = unicodedata.normalize("NFD", "Khuyến mãi Tết")
    touch = _touch(utm_campaign=decomposed, gclid="AbC")
    assert touch.utm_campaign == "Khuyến mãi Tết" and touch.gclid == "AbC"


def test_only_utm_tags_and_click_ids_are_read_from_the_query() -> None:
    # Given a landing URL whose query also names platform ids and a referrer
    url = f"{LP}?campaign_id=1&referrer=https%3A%2F%2Fevil.example%2F&utm_source=fb"
    touch = touch_from({}, landing_url=url, referrer=None, at=NOW)
    # Then only the UTM tag is taken from it (ids come from the body or the platform payload)
    assert touch is not None and touch.utm_source == "fb"
    assert (touch.campaign_id, touch.referrer) == (None, None)


def test_attribution_fields_name_every_touch_field_and_each_has_its_check() -> None:
    assert frozenset(Touch.model_fields) - {"at"} == ATTRIBUTION_FIELDS == frozenset(_CHECKS)
    assert {*UTM_FIELDS, *CLICK_ID_FIELDS, "fbc", "fbp", "referrer", "landing_url"} <= ATTRIBUTION_FIELDS


_any_text = st.text(st.characters(codec="utf-8"), max_size=600)


@settings(max_examples=300, deadline=None)
@given(
    fields=st.dictionaries(
        st.sampled_from(sorted(ATTRIBUTION_FIELDS)) | _any_text, _any_text, max_size=len(ATTRIBUTION_FIELDS)
    ),
    landing_url=st.none() | _any_text | _any_text.map(lambda q: f"{LP}?{q}"),
    referrer=st.none() | _any_text,
)
def test_touch_from_never_raises_and_what_it_keeps_reads_back(fields, landing_url, referrer) -> None:
    # Given any strings at all in any field, landing URL or referrer
    touch = touch_from(fields, landing_url=landing_url, referrer=referrer, at=NOW)
    # Then no exception, and a touch it builds validates again unchanged (it can be stored and read)
    if touch is not None:
        assert Touch.model_validate(touch.model_dump()) == touch
        assert Touch.model_validate_json(touch.model_dump_json()) == touch


_utm_value = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cc", "Cs", "Cn", "Co", "Zl", "Zp", "Cf")),
    min_size=1,
    max_size=100,
).filter(lambda v: v.strip() == v and any(unicodedata.category(c)[0] not in "ZC" for c in v))
_click_id = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=100)


@settings(max_examples=200, deadline=None)
@given(
    utm=st.dictionaries(st.sampled_from(UTM_FIELDS), _utm_value),
    clicks=st.dictionaries(st.sampled_from(CLICK_ID_FIELDS), _click_id),
)
def test_tags_in_a_landing_url_query_round_trip(utm: dict[str, str], clicks: dict[str, str]) -> None:
    # Given tags and click ids written into a landing page's query string (as an ad platform does)
    url = f"{LP}?{urlencode({**utm, **clicks})}"
    # When the touch is read from the landing URL alone
    touch = touch_from({}, landing_url=url, referrer=None, at=NOW)
    # Then each comes back as written (UTM values NFC, click ids byte for byte)
    assert touch is not None
    assert {k: getattr(touch, k) for k in utm} == {k: unicodedata.normalize("NFC", v) for k, v in utm.items()}
    assert {k: getattr(touch, k) for k in clicks} == clicks


# ------------------------------------------------------------------ merged
def test_the_first_submission_is_both_first_and_latest() -> None:
    touch = _touch(utm_source="fb")
    assert merged(None, touch) == Attribution(first=touch, latest=touch)
    assert merged(None, None) is None


_touches = st.builds(
    lambda source, days: _touch(at=NOW + timedelta(days=days), utm_source=source),
    st.sampled_from(["fb", "google", "zalo", "tiktok"]),
    st.integers(0, 365),
)


@settings(max_examples=100, deadline=None)
@given(touches=st.lists(st.none() | _touches, max_size=8))
def test_merging_keeps_the_first_touch_forever_and_the_latest_touch(touches: list[Touch | None]) -> None:
    # Given any sequence of submissions, some without attribution
    attribution: Attribution | None = None
    for touch in touches:
        attribution = merged(attribution, touch)
    # Then the first real touch is kept, the latest real touch is the latest
    real = [t for t in touches if t is not None]
    if not real:
        assert attribution is None
    else:
        assert attribution == Attribution(first=real[0], latest=real[-1])


# ------------------------------------------------------------------ the lead, stored
def test_a_lead_stored_before_attribution_existed_still_reads(moto_repo: Repository) -> None:
    # Given a lead item written without any attribution attribute (older code)
    old = lead(lead_id="L-old")
    moto_repo.put_new_lead(old)
    # Then it reads, with no attribution
    stored = moto_repo.get_lead(TENANT, "L-old")
    assert stored is not None and stored.attribution is None and stored.damaged_fields == []


def test_attribution_is_stored_as_two_attributes_and_reads_back_whole(
    moto_repo: Repository, moto_tables: dict[str, str]
) -> None:
    # Given a lead with a first and a latest touch
    first, latest = _touch(utm_source="fb", utm_campaign="Tết 2027"), _touch(at=LATER, utm_source="zalo")
    moto_repo.put_new_lead(lead(lead_id="L-1", attribution=Attribution(first=first, latest=latest)))
    # Then the item holds them as attribution_first / attribution_latest, and the lead reads back equal
    item = boto3.client("dynamodb").get_item(
        TableName=moto_tables["LeadsTable"], Key={"tenant_id": {"S": TENANT}, "lead_id": {"S": "L-1"}}
    )["Item"]
    assert {FIRST_ATTR, LATEST_ATTR} <= set(item) and "attribution" not in item
    assert item[FIRST_ATTR]["M"]["utm_campaign"] == {"S": "Tết 2027"}
    stored = moto_repo.get_lead(TENANT, "L-1")
    assert stored is not None and stored.attribution == Attribution(first=first, latest=latest)


def test_a_new_leads_single_touch_is_stored_once(moto_repo: Repository, moto_tables: dict[str, str]) -> None:
    # Given a new lead whose first touch is also its latest
    touch = _touch(utm_source="fb", gclid="Cj0KCQiA", landing_url=f"{LP}?utm_source=fb&gclid=Cj0KCQiA")
    moto_repo.put_new_lead(lead(lead_id="L-1", attribution=merged(None, touch)))
    # Then the item carries it once (every write of the lead is charged by its size), and reads as both
    item = boto3.client("dynamodb").get_item(
        TableName=moto_tables["LeadsTable"], Key={"tenant_id": {"S": TENANT}, "lead_id": {"S": "L-1"}}
    )["Item"]
    assert FIRST_ATTR in item and LATEST_ATTR not in item
    stored = moto_repo.get_lead(TENANT, "L-1")
    assert stored is not None and stored.attribution == Attribution(first=touch, latest=touch)


def test_a_damaged_stored_touch_costs_only_the_attribution(
    moto_repo: Repository, moto_tables: dict[str, str]
) -> None:
    # Given a stored lead whose first touch was hand-edited into something invalid
    moto_repo.put_new_lead(lead(lead_id="L-1", attribution=merged(None, _touch(utm_source="fb"))))
    boto3.client("dynamodb").update_item(
        TableName=moto_tables["LeadsTable"],
        Key={"tenant_id": {"S": TENANT}, "lead_id": {"S": "L-1"}},
        UpdateExpression="SET attribution_first.utm_source = :bad",
        ExpressionAttributeValues={":bad": {"S": "x\x00"}},
    )
    # Then the lead reads, with attribution marked damaged (PATCH can save it again)
    stored = moto_repo.get_lead(TENANT, "L-1")
    assert stored is not None and stored.name == "Nguyễn Văn An"
    assert stored.attribution is None and stored.damaged_fields == ["attribution"]


def test_record_touch_on_a_lead_without_attribution_sets_first_and_latest(moto_repo: Repository) -> None:
    # Given an assigned lead without attribution
    moto_repo.put_new_lead(lead(lead_id="L-1", status=LeadStatus.ASSIGNED, owner="A", rev=3))
    before = moto_repo.get_lead(TENANT, "L-1")
    touch = _touch(at=LATER, utm_source="fb", gclid="AbC")
    # When a later submission's touch is recorded
    moto_repo.record_touch(TENANT, "L-1", touch)
    # Then the touch is both first and latest; nothing else changed but the revision
    after = moto_repo.get_lead(TENANT, "L-1")
    assert after is not None and before is not None
    assert after.attribution == Attribution(first=touch, latest=touch)
    assert _rest(after) == _rest(before) and after.rev == before.rev + 1


def test_record_touch_keeps_the_first_touch_and_replaces_the_latest(moto_repo: Repository) -> None:
    # Given a lead that arrived through a Facebook campaign and came back once through Zalo
    first = _touch(utm_source="fb", utm_campaign="Tết 2027")
    moto_repo.put_new_lead(lead(lead_id="L-1", attribution=merged(None, first)))
    moto_repo.record_touch(TENANT, "L-1", _touch(at=LATER, utm_source="zalo"))
    # When it comes back once more through Google
    third = _touch(at=LATER + timedelta(days=1), utm_source="google", gclid="Cj0")
    moto_repo.record_touch(TENANT, "L-1", third)
    # Then the first touch is the Facebook one, the latest the Google one (nothing of Zalo's left)
    after = moto_repo.get_lead(TENANT, "L-1")
    assert after is not None and after.attribution == Attribution(first=first, latest=third)
    assert after.status is LeadStatus.PENDING


def test_record_touch_on_a_missing_lead_writes_nothing(moto_repo: Repository) -> None:
    moto_repo.record_touch(TENANT, "L-gone", _touch(utm_source="fb"))
    assert moto_repo.get_lead(TENANT, "L-gone") is None


def _rest(found: Lead) -> dict[str, object]:
    return found.model_dump(exclude={"attribution", "rev"})


def test_an_edit_that_read_the_lead_before_a_touch_cannot_write_the_old_attribution_back(
    moto_repo: Repository,
) -> None:
    # Given an admin's edit that read the lead, and a submission's touch recorded after that read
    first = _touch(utm_source="fb")
    moto_repo.put_new_lead(lead(lead_id="L-1", attribution=merged(None, first)))
    read = moto_repo.get_lead(TENANT, "L-1")
    assert read is not None
    latest = _touch(at=LATER, utm_source="zalo")
    moto_repo.record_touch(TENANT, "L-1", latest)
    # When the edit is saved
    with pytest.raises(Conflict):
        moto_repo.save_lead(read, read.model_copy(update={"name": "Trần Thị Bình"}))
    # Then it is refused (409: reload), and the touch is kept
    stored = moto_repo.get_lead(TENANT, "L-1")
    assert stored is not None and stored.attribution == Attribution(first=first, latest=latest)
