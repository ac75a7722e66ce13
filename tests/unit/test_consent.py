"""Consent per purpose: only a grant counts, the latest answer wins, a notice's digest is its words."""

from __future__ import annotations

import unicodedata
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from leadrouter.domain.consent import (
    CALL,
    ConsentMethod,
    ConsentRecord,
    ConsentStatus,
    Purpose,
    granted,
    merged,
    notice_digest,
    status_of,
)
from leadrouter.domain.leads import Lead
from tests.support.builders import NOW


def record(status: ConsentStatus, minutes: int = 0, purpose: str = CALL) -> ConsentRecord:
    return ConsentRecord(
        purpose=purpose,
        status=status,
        at=NOW + timedelta(minutes=minutes),
        method=ConsentMethod.CHECKBOX,
        source="web-form",
        notice_version="2026-01",
        notice_sha256=notice_digest("Tôi đồng ý được gọi điện tư vấn."),
    )


def test_no_record_is_unknown_and_unknown_or_refused_is_never_granted() -> None:
    assert status_of({}, CALL) is ConsentStatus.UNKNOWN and not granted({}, CALL)
    assert not granted({CALL: record(ConsentStatus.REFUSED)}, CALL)
    assert not granted({CALL: record(ConsentStatus.UNKNOWN)}, CALL)
    assert granted({CALL: record(ConsentStatus.GRANTED)}, CALL)


@given(
    st.lists(st.tuples(st.sampled_from(list(ConsentStatus)), st.integers(-600, 600)), min_size=1, max_size=8)
)
def test_merging_answers_in_any_order_keeps_the_latest(answers: list[tuple[ConsentStatus, int]]) -> None:
    # Given answers about one purpose arriving in any order (replays, late webhooks)
    held: dict[str, ConsentRecord] = {}
    for status, minutes in answers:
        held = merged(held, {CALL: record(status, minutes)})
    # Then the one kept is one given at the latest moment
    latest = max(minutes for _, minutes in answers)
    assert held[CALL].at == NOW + timedelta(minutes=latest)
    assert held[CALL].status in {s for s, m in answers if m == latest}


def test_a_replayed_grant_does_not_undo_a_later_withdrawal() -> None:
    withdrawn = record(ConsentStatus.REFUSED, minutes=30).model_copy(
        update={"method": ConsentMethod.WITHDRAWAL}
    )
    assert merged({CALL: withdrawn}, {CALL: record(ConsentStatus.GRANTED, minutes=0)})[CALL] == withdrawn


def test_a_notice_digest_is_its_words_whatever_their_unicode_composition() -> None:
    text = "Tôi đồng ý nhận cuộc gọi tư vấn từ Công ty ABC."
    assert notice_digest(unicodedata.normalize("NFD", text)) == notice_digest(text)
    assert notice_digest(text + " ") != notice_digest(text)
    assert len(notice_digest(text)) == 64


def test_a_record_refuses_a_digest_that_is_not_sha256_hex_and_a_purpose_that_is_not_a_key() -> None:
    with pytest.raises(ValidationError):
        ConsentRecord.model_validate(record(ConsentStatus.GRANTED).model_dump() | {"notice_sha256": "abc"})
    with pytest.raises(ValidationError):
        ConsentRecord.model_validate(record(ConsentStatus.GRANTED).model_dump() | {"purpose": "Gọi điện"})
    with pytest.raises(ValidationError):
        Purpose(key="call", label="Gọi điện", notice_version="v1", notice_text="")


def test_a_lead_without_consents_stores_no_consent_field() -> None:
    lead = Lead(tenant_id="t", lead_id="L1", name="An", pool="P", step="S", received_at=NOW, queued_at=NOW)
    assert "consents" not in lead.model_dump() and "restriction" not in lead.model_dump()
    with_consent = lead.model_copy(update={"consents": {CALL: record(ConsentStatus.GRANTED)}})
    assert Lead.model_validate(with_consent.model_dump()).consents[CALL].status is ConsentStatus.GRANTED


def test_a_contact_digest_depends_on_the_tenants_pepper_and_never_shows_the_number() -> None:
    from leadrouter.domain.privacy import contact_digest

    key = "phone#+84912345678"
    one, other = contact_digest(b"pepper-one", key), contact_digest(b"pepper-two", key)
    assert one != other and one == contact_digest(b"pepper-one", key)
    assert "912345678" not in one and len(one) == 64
