"""A lead TTL deleted at the end of its retention takes its contact claims and history along (moto)."""

from __future__ import annotations

from typing import Any

from functions.lead_expiry import app
from leadrouter.data.items import lead_item, to_item
from leadrouter.data.repository import Repository
from leadrouter.domain.contacts import contact_keys
from leadrouter.domain.leads import Lead, LeadEvent
from tests.support.builders import NOW, TENANT, lead
from tests.support.lambda_context import FakeContext

TTL = {"type": "Service", "principalId": "dynamodb.amazonaws.com"}


def _removed(gone: Lead, user_identity: dict[str, str] | None, sequence: str = "1") -> dict[str, Any]:
    record: dict[str, Any] = {
        "eventID": sequence,
        "eventName": "REMOVE",
        "eventSource": "aws:dynamodb",
        "dynamodb": {
            "Keys": to_item({"tenant_id": gone.tenant_id, "lead_id": gone.lead_id}),
            "OldImage": to_item(lead_item(gone)),
            "SequenceNumber": sequence,
            "StreamViewType": "NEW_AND_OLD_IMAGES",
        },
        "eventSourceARN": "arn:aws:dynamodb:ap-southeast-1:123456789012:table/LeadsTable/stream/x",
    }
    if user_identity is not None:
        record["userIdentity"] = user_identity
    return record


def _held(repo: Repository, holder: Lead, phone: str | None, email: str | None) -> None:
    assert repo.claim_contacts(holder, contact_keys(phone, email), NOW) is None


def test_a_ttl_deletion_releases_the_leads_claims_and_deletes_its_history(moto_repo: Repository) -> None:
    # Given an expired lead's phone claim and history, and its e-mail claimed by a newer lead since
    expired = lead(phone="+84912345678", email="an@example.vn")
    newer = lead(email="an@example.vn")
    _held(moto_repo, expired, expired.phone, None)
    _held(moto_repo, newer, None, newer.email)
    for text in ("Gọi lần 1", "Hẹn gọi lại"):
        assert moto_repo.add_event(expired, LeadEvent(at=NOW, kind="note", by="A", text=text))
    # When the stream reports DynamoDB's own deletion of the lead, twice (a retry)
    event = {"Records": [_removed(expired, TTL)]}
    assert app.handler(event, FakeContext()) == {"batchItemFailures": []}
    assert app.handler(event, FakeContext()) == {"batchItemFailures": []}
    # Then its phone is claimed by nobody and its history is gone; the newer lead keeps its claim
    assert moto_repo.contact_claims(TENANT, contact_keys(expired.phone, None)) == {}
    assert moto_repo.lead_events(TENANT, expired.lead_id) == []
    assert moto_repo.contact_holder(TENANT, contact_keys(None, newer.email)[0]) == newer.lead_id


def test_a_lead_a_person_deleted_is_not_forgotten_by_the_expiry(moto_repo: Repository) -> None:
    # Given a lead's claim and history, and the stream's REMOVE of it by someone, not by TTL
    gone = lead(phone="+84912345678")
    _held(moto_repo, gone, gone.phone, None)
    assert moto_repo.add_event(gone, LeadEvent(at=NOW, kind="note", by="A", text="Đã gọi"))
    for identity in (None, {"type": "Service", "principalId": "someone.amazonaws.com"}):
        # When the expiry function sees it (the template's filter would not even let it through)
        assert app.handler({"Records": [_removed(gone, identity)]}, FakeContext()) == {
            "batchItemFailures": []
        }
    # Then nothing is removed
    assert moto_repo.contact_holder(TENANT, contact_keys(gone.phone, None)[0]) == gone.lead_id
    assert len(moto_repo.lead_events(TENANT, gone.lead_id)) == 1
