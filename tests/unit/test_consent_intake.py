"""Consent per purpose at intake, provable and withdrawable: the privacy settings and their notice
archive, the snippet's boxes, every source's answers, staff answers and withdrawals — pure and on moto."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadrouter.api.forms.snippet import form_snippet
from leadrouter.data.repository import Repository
from leadrouter.domain.consent import (
    CONSENT_FIELD,
    NOTICE_FIELD,
    ConsentMethod,
    ConsentRecord,
    ConsentStatus,
    form_answers,
    notice_digest,
    withdrawn,
)
from leadrouter.domain.events import ConsentWithdrawn, events_of_change
from leadrouter.domain.privacy import DEFAULT_PURPOSES, NOTICE_VERSION
from leadrouter.domain.submissions import Channel, Submission
from leadrouter.logic.intake.adapters import ADAPTERS
from leadrouter.logic.intake.adapters.meta_lead_ads import disclaimer_answers
from leadrouter.logic.intake.adapters.platform import canonical
from tests.support.api import CRM, add_form_source, call, call_as, claims, config_items, event
from tests.support.builders import NOW, TENANT, lead
from tests.support.forms import post_form
from tests.support.platforms import fixture_json

STAFF_A = claims("staff", staff_id="A")
NEW_CALL = "Tôi đồng ý nhận cuộc gọi tư vấn về căn hộ, từ 8 giờ đến 17 giờ."
#: A version in Vietnamese: it must survive every encoding the door reads.
VI_VERSION = "bản-tháng-12"


def _settings_body(**changes: Any) -> dict[str, Any]:
    purposes = [p.model_dump() for p in DEFAULT_PURPOSES]
    for p in purposes:
        if p["key"] in changes:
            p.update(changes[p["key"]])
    return {"purposes": purposes}


# ------------------------------------------------------------------ pure
_KEYS = st.sampled_from(["enquiry", "call", "sms", "email_marketing", "share_integrators"])


@given(shown=st.sets(_KEYS), ticked=st.sets(_KEYS))
def test_a_box_shown_is_granted_only_if_ticked_and_one_not_shown_records_nothing(
    shown: set[str], ticked: set[str]
) -> None:
    # Given a form's pairs: a version for each box shown, a value for each box ticked (shown or not)
    pairs = [(f"{NOTICE_FIELD}{p}", "v1") for p in sorted(shown)]
    pairs += [(f"{CONSENT_FIELD}{p}", "granted") for p in sorted(ticked)]
    pairs += [("name", "Lan"), ("_gotcha", "")]
    # When read
    answers = {p: status for p, status, _ in form_answers(pairs)}
    # Then each box shown is answered, granted exactly when ticked; a box without its version is unknown
    assert set(answers) == shown
    assert all((answers[p] is ConsentStatus.GRANTED) == (p in ticked) for p in shown)


@pytest.mark.parametrize("value", ["", "0", "false", "off", "no"])
def test_a_json_sender_saying_false_left_the_box_unticked(value: str) -> None:
    assert form_answers([(f"{NOTICE_FIELD}call", "v1"), (f"{CONSENT_FIELD}call", value)]) == [
        ("call", ConsentStatus.REFUSED, "v1")
    ]


def _record(
    status: ConsentStatus, minutes: int, method: ConsentMethod = ConsentMethod.CHECKBOX
) -> ConsentRecord:
    return ConsentRecord(
        purpose="call", status=status, at=NOW + timedelta(minutes=minutes), method=method, source="web-form"
    )


def test_only_a_grant_taken_away_is_a_withdrawal_event_with_no_personal_data() -> None:
    # Given a lead granted a call, then the person withdrew it
    before = lead(phone="+84912345678", consents={"call": _record(ConsentStatus.GRANTED, 1)})
    after = before.model_copy(
        update={"consents": {"call": _record(ConsentStatus.REFUSED, 2, ConsentMethod.WITHDRAWAL)}}
    )
    # Then the change is one ConsentWithdrawn, the same on a replay, carrying ids and the purpose only
    (event_,) = events_of_change(before, after)
    assert isinstance(event_, ConsentWithdrawn)
    assert (event_.purpose, event_.method, event_.occurred_at) == (
        "call",
        "withdrawal",
        NOW + timedelta(minutes=2),
    )
    assert events_of_change(before, after)[0].event_id == event_.event_id
    assert "+84912345678" not in event_.model_dump_json()
    # …while a refusal kept, a first grant or a refusal where nothing was granted is no event
    assert events_of_change(after, after) == [] and events_of_change(after, before) == []
    assert withdrawn({}, after.consents) == []


def test_the_default_notices_never_change_under_their_version() -> None:
    # Records point at NOTICE_VERSION of the defaults before any tenant archived them: their words are
    # frozen (a new text needs a new version)
    assert NOTICE_VERSION == "2026-01"
    assert {p.key: notice_digest(p.notice_text)[:16] for p in DEFAULT_PURPOSES} == {
        "enquiry": "0073a66b0585d08f",
        "call": "ec166bb27109dbb3",
        "sms": "24bed9fd296f2733",
        "email_marketing": "a463e0ab45fa7458",
        "share_integrators": "f17d3140a4270c8d",
    }


# ------------------------------------------------------------------ settings API
def test_admins_read_the_default_settings_and_others_may_not(
    moto_repo: Repository, moto_tables: dict[str, str]
) -> None:
    before = config_items(moto_tables)
    reply = call_as("GET", "/privacy/settings")
    assert reply.status == 200 and reply.body["revision"] == 0
    assert [p["key"] for p in reply.body["settings"]["purposes"]][:2] == ["enquiry", "call"]
    assert 'name="_consent_call"' in reply.body["consent_fields"]
    assert config_items(moto_tables) == before  # reading wrote nothing
    assert call_as("GET", "/privacy/settings", who=STAFF_A).status == 403
    assert call_as("PUT", "/privacy/settings", _settings_body(), who=STAFF_A).status == 403
    assert call_as("GET", "/privacy/settings", who=None).status == 401


def test_a_new_notice_needs_a_new_version_and_every_version_shown_is_archived(
    moto_repo: Repository, moto_tables: dict[str, str]
) -> None:
    # Given the defaults; When the admin changes the call notice without a new version
    before = config_items(moto_tables)
    same_version = call_as("PUT", "/privacy/settings", _settings_body(call={"notice_text": NEW_CALL}))
    # Then 422 naming the purpose's version, nothing written
    assert same_version.status == 422, same_version.body
    assert any("notice_version" in e["field"] for e in same_version.body["errors"])
    assert config_items(moto_tables) == before
    # When it gives the text a new (Vietnamese) version
    body = _settings_body(call={"notice_text": NEW_CALL, "notice_version": VI_VERSION})
    saved = call_as("PUT", "/privacy/settings", {**body, "expected_revision": 0})
    assert saved.status == 200 and saved.body["revision"] == 1
    # Then the old default and the new version are both archived, word for word
    archived = moto_repo.archived_notices(TENANT, [("call", NOTICE_VERSION), ("call", VI_VERSION)])
    assert archived[("call", VI_VERSION)].text == NEW_CALL
    assert archived[("call", NOTICE_VERSION)].sha256 == notice_digest(DEFAULT_PURPOSES[1].notice_text)
    # And the archived version may not be reused for other words, nor an old revision be written over
    again = call_as(
        "PUT",
        "/privacy/settings",
        _settings_body(call={"notice_text": "Khác.", "notice_version": NOTICE_VERSION}),
    )
    assert again.status == 422
    stale = call_as("PUT", "/privacy/settings", {**body, "expected_revision": 0})
    assert stale.status == 409
    # And the tenant is the caller's: a body naming one is refused
    assert call_as("PUT", "/privacy/settings", {**body, "tenant_id": "globex"}).status == 422


# ------------------------------------------------------------------ the snippet
def test_the_snippet_shows_one_unticked_box_per_purpose_with_its_notice_as_the_label() -> None:
    html = form_snippet("https://api.example/f/k", purposes=DEFAULT_PURPOSES)
    for purpose in DEFAULT_PURPOSES:
        box = f'<input type="checkbox" name="_consent_{purpose.key}" value="granted">'
        assert f"{box} {purpose.notice_text}</label>" in html
        assert f'<input type="hidden" name="_notice_{purpose.key}" value="{purpose.notice_version}">' in html
    assert "checked" not in html
    assert "_consent_" not in form_snippet("https://api.example/f/k")  # no purposes: no boxes


# ------------------------------------------------------------------ the form door and the JSON API
@pytest.mark.parametrize("encoding", ["urlencoded", "multipart", "json"])
def test_a_form_records_ticked_boxes_as_granted_and_unticked_as_refused_with_its_evidence(
    moto_repo: Repository, encoding: str
) -> None:
    # Given a tenant whose call notice has a Vietnamese version, and its form
    body = _settings_body(call={"notice_text": NEW_CALL, "notice_version": VI_VERSION})
    assert call_as("PUT", "/privacy/settings", body).status == 200
    add_form_source(moto_repo)
    # When a person ticks the call box, leaves the SMS box unticked (the e-mail box was not shown)
    pairs = [
        ("name", "Nguyễn Thị Ánh"),
        ("phone", "0912 345 678"),
        ("_notice_call", VI_VERSION),
        ("_consent_call", "granted"),
        ("_notice_sms", NOTICE_VERSION),
        ("_consent_email_marketing", "granted"),
    ]
    reply = post_form(pairs, encoding=encoding, headers={"X-Source-Secret": CRM["X-Source-Secret"]})
    assert reply.status in (200, 201), reply.body
    stored = moto_repo.get_lead(TENANT, reply.body["lead_id"])
    assert stored is not None
    # Then call is granted against the very words shown, sms refused, e-mail unknown (no record)
    call_, sms = stored.consents["call"], stored.consents["sms"]
    assert (call_.status, sms.status) == (ConsentStatus.GRANTED, ConsentStatus.REFUSED)
    assert "email_marketing" not in stored.consents
    assert call_.notice_version == VI_VERSION and call_.notice_sha256 == notice_digest(NEW_CALL)
    assert call_.method is ConsentMethod.CHECKBOX and call_.source == "web-form" and call_.submission_id
    assert moto_repo.get_submission(TENANT, call_.submission_id) is not None
    # …and no consent field became a lead field
    assert not any(k.startswith("_") for k in stored.attributes)


def _api(body: dict[str, Any]) -> Any:
    return call(event("POST", "/intake/leads", body, headers={**CRM, "Content-Type": "application/json"}))


def test_the_json_api_records_answers_and_refuses_unknown_purposes_or_versions(moto_repo: Repository) -> None:
    add_form_source(moto_repo)
    person = {"name": "Lê Văn Bảo", "phone": "0987654321"}
    answers = [
        {"purpose": "call", "status": "granted", "notice_version": NOTICE_VERSION},
        {"purpose": "email_marketing", "status": "refused"},
    ]
    reply = _api({**person, "consents": answers})
    assert reply.status == 201, reply.body
    stored = moto_repo.get_lead(TENANT, reply.body["lead_id"])
    assert stored is not None and stored.consents["call"].method is ConsentMethod.API
    assert stored.consents["call"].notice_sha256 == notice_digest(DEFAULT_PURPOSES[1].notice_text)
    assert stored.consents["email_marketing"].status is ConsentStatus.REFUSED
    # An unknown purpose, an unknown version, a grant without its notice: 422, no lead written
    for bad in (
        {"purpose": "telepathy", "status": "granted", "notice_version": NOTICE_VERSION},
        {"purpose": "call", "status": "granted", "notice_version": "1999"},
        {"purpose": "sms", "status": "granted"},
    ):
        refused = _api({"name": "X", "phone": "0911111111", "consents": [bad]})
        assert refused.status == 422, (bad, refused.body)
    assert moto_repo.contact_claims(TENANT, ["phone#+84911111111"]) == {}


def test_a_repeat_submission_replaces_the_earlier_answer_per_purpose(moto_repo: Repository) -> None:
    add_form_source(moto_repo)
    first = _api({"name": "Bảo", "phone": "0987654321", "consents": [
        {"purpose": "call", "status": "granted", "notice_version": NOTICE_VERSION},
        {"purpose": "sms", "status": "granted", "notice_version": NOTICE_VERSION},
    ]})  # fmt: skip
    again = _api({"name": "Bảo", "phone": "0987654321", "submission_id": "second", "consents": [
        {"purpose": "call", "status": "refused", "notice_version": NOTICE_VERSION},
    ]})  # fmt: skip
    assert again.body["linked"] is True
    stored = moto_repo.get_lead(TENANT, first.body["lead_id"])
    assert stored is not None
    assert stored.consents["call"].status is ConsentStatus.REFUSED  # the later answer
    assert stored.consents["sms"].status is ConsentStatus.GRANTED  # untouched


# ------------------------------------------------------------------ staff answers and withdrawals
def test_staff_record_answers_and_withdrawals_on_leads_they_may_see(moto_repo: Repository) -> None:
    held = lead(owner="A", status="assigned", assigned_at=NOW, idle_since=NOW)
    other = lead(owner="B", status="assigned", assigned_at=NOW, idle_since=NOW, phone="+84911000002")
    moto_repo.import_leads([held, other])
    path = f"/leads/{held.lead_id}/consents"
    # When staff A records a grant by phone, then the person's withdrawal
    granted = call_as("POST", path, {"purpose": "call", "answer": "granted"}, who=STAFF_A)
    assert granted.status == 201, granted.body
    gone = call_as("POST", path, {"purpose": "call", "answer": "withdrawn"}, who=STAFF_A)
    assert gone.status == 201
    # Then the current answer is the withdrawal by A; the history keeps both; the notice is shown
    reply = call_as("GET", path, who=STAFF_A)
    (current,) = reply.body["consents"]
    assert (current["status"], current["method"], current["by"]) == ("refused", "withdrawal", "A")
    assert [h["method"] for h in reply.body["history"]] == ["staff", "withdrawal"]
    (notice,) = reply.body["notices"]
    assert notice["sha256"] == reply.body["history"][0]["notice_sha256"] == notice_digest(notice["text"])
    stored = moto_repo.get_lead(TENANT, held.lead_id)
    assert stored is not None and stored.consents["call"].status is ConsentStatus.REFUSED
    # And a lead A may not see is not found; bad answers are 422
    assert call_as("GET", f"/leads/{other.lead_id}/consents", who=STAFF_A).status == 404
    assert call_as("POST", path, {"purpose": "telepathy", "answer": "granted"}, who=STAFF_A).status == 422
    assert call_as("POST", path, {"purpose": "call", "answer": "maybe"}, who=STAFF_A).status == 422
    assert (
        call_as("POST", path, {"purpose": "call", "answer": "granted", "notice_version": "1999"}).status
        == 422
    )


def test_staff_record_the_evening_hours_a_person_agreed_to_be_called_at(moto_repo: Repository) -> None:
    held = lead(owner="A", status="assigned", assigned_at=NOW, idle_since=NOW)
    moto_repo.import_leads([held])
    path = f"/leads/{held.lead_id}/consents"
    evening = {"start": "18:00", "end": "20:00"}
    # When staff A records a call grant for the evening, as the person asked
    reply = call_as(
        "POST", path, {"purpose": "call", "answer": "granted", "agreed_hours": evening}, who=STAFF_A
    )
    # Then the lead's call consent carries those hours (routing offers calls in them, not 08:00-17:00)
    assert reply.status == 201, reply.body
    stored = moto_repo.get_lead(TENANT, held.lead_id)
    assert stored is not None and stored.consents["call"].agreed_hours is not None
    assert stored.consents["call"].agreed_hours.start.hour == 18
    # And hours go with a granted call only, in order: anything else is a 422 with nothing written
    for body in (
        {"purpose": "sms", "answer": "granted", "agreed_hours": evening},
        {"purpose": "call", "answer": "refused", "agreed_hours": evening},
        {"purpose": "call", "answer": "granted", "agreed_hours": {"start": "20:00", "end": "18:00"}},
    ):
        assert call_as("POST", path, body, who=STAFF_A).status == 422, body
    assert moto_repo.get_lead(TENANT, held.lead_id) == stored


# ------------------------------------------------------------------ the ad platforms' payloads
def _record_of(channel: Channel, fields: list[tuple[str, str]]) -> Submission:
    return Submission(
        tenant_id=TENANT,
        submission_id="s-1",
        source_id="src",
        received_at=NOW,
        lead_id="L-1",
        payload_hash="x",
        channel=channel,
        fields=fields,
        expires_at=0,
    )


def _source(kind: str, platform: dict[str, Any]) -> Any:
    from leadrouter.domain.forms import FormSource

    return FormSource(
        tenant_id=TENANT,
        source_id="src",
        name="Ads",
        pool="web",
        kind=kind,
        platform={"kind": kind, **platform},
    )


def test_metas_custom_disclaimer_checkboxes_map_to_the_purposes_the_admin_named() -> None:
    # Given Meta's documented lead with custom_disclaimer_responses ({checkbox_key, is_checked})
    lead_ = fixture_json("meta_lead_ads", "lead_987654321000001.json")
    lead_["custom_disclaimer_responses"] = [
        {"checkbox_key": "goi_dien", "is_checked": "1"},
        {"checkbox_key": "tiep_thi", "is_checked": ""},
        {"checkbox_key": "khong_map", "is_checked": "1"},
    ]
    mapping = {"goi_dien": "call", "tiep_thi": "email_marketing"}
    assert disclaimer_answers(lead_, mapping) == [
        {"purpose": "call", "status": "granted"},
        {"purpose": "email_marketing", "status": "refused"},
    ]
    announced = {"leadgen_id": "987654321000001", "page_id": "1", "form_id": "444444444444001"}
    record = _record_of("meta_lead_ads", [("body", canonical(announced)), ("lead", canonical(lead_))])
    request, _ = ADAPTERS.of_kind("meta_lead_ads").intake_request(
        record, _source("meta_lead_ads", {"consent_checkboxes": mapping}), None, NOW
    )
    assert [(a.purpose, a.status, a.notice_version) for a in request.consents] == [
        ("call", "granted", None),
        ("email_marketing", "refused", None),
    ]


def test_ladipage_reads_the_snippets_boxes_and_google_tiktok_zalo_send_none() -> None:
    data = fixture_json("ladipage", "lead.json")
    data |= {"_notice_call": NOTICE_VERSION, "_consent_call": "granted", "_notice_sms": NOTICE_VERSION}
    record = _record_of("ladipage", [("body", canonical(data))])
    request, _ = ADAPTERS.of_kind("ladipage").intake_request(record, _source("ladipage", {}), None, NOW)
    assert [(a.purpose, a.status) for a in request.consents] == [("call", "granted"), ("sms", "refused")]
    assert not any(k.startswith("_") for k in request.fields)
    # The documented payloads of the others carry no consent field: nothing is recorded (unknown)
    for kind, name in (("google_ads", "lead.json"), ("zalo_oa", "user_submit_info.json")):
        text = json.dumps(fixture_json(kind, name))
        assert "consent" not in text.lower() and "disclaimer" not in text.lower()
