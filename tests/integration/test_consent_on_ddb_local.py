"""Consent is provable and withdrawable, on DynamoDB Local and its real stream: a form's boxes become
records naming who (the stored submission), when and which words (the archived notice's digest), and a
withdrawal is read at once and reaches integrators as ConsentWithdrawn."""

from __future__ import annotations

from leadrouter.domain.consent import ConsentMethod, ConsentStatus, notice_digest
from leadrouter.domain.events import ConsentWithdrawn
from leadrouter.domain.privacy import DEFAULT_PURPOSES, NOTICE_VERSION
from leadrouter.logic.events.publish import events_of_record
from leadrouter.runtime import new_repository
from tests.support.api import CRM, add_form_source, call_as
from tests.support.builders import TENANT
from tests.support.event_records import stream_records
from tests.support.forms import post_form

CALL_TEXT = "Tôi đồng ý nhận cuộc gọi tư vấn về căn hộ mẫu, từ 8 giờ đến 17 giờ các ngày làm việc."
CALL_VERSION = "bản-2026-12"


def test_a_form_answer_proves_who_when_and_which_words_and_a_withdrawal_reaches_routing_and_integrators(
    ddb_tables: dict[str, str],
) -> None:
    repo = new_repository()
    # Given a tenant that rewrote its call notice under a new (Vietnamese) version, and its web form
    purposes = [p.model_dump() for p in DEFAULT_PURPOSES]
    purposes[1] |= {"notice_text": CALL_TEXT, "notice_version": CALL_VERSION}
    saved = call_as("PUT", "/privacy/settings", {"purposes": purposes, "expected_revision": 0})
    assert saved.status == 200, saved.body
    add_form_source(repo)

    # When a person ticks the call box and leaves the SMS box unticked (both shown: their versions came)
    pairs = [
        ("name", "Phạm Thị Hoa"),
        ("phone", "0903 123 456"),
        ("_notice_call", CALL_VERSION),
        ("_consent_call", "granted"),
        ("_notice_sms", NOTICE_VERSION),
    ]
    reply = post_form(pairs, headers={"X-Source-Secret": CRM["X-Source-Secret"]})
    assert reply.status in (200, 201), reply.body
    lead_id = reply.body["lead_id"]

    # Then the stored lead's records prove who: the stored submission that carried the ticked box...
    stored = repo.get_lead(TENANT, lead_id)
    assert stored is not None
    call, sms = stored.consents["call"], stored.consents["sms"]
    assert (call.status, sms.status) == (ConsentStatus.GRANTED, ConsentStatus.REFUSED)
    assert call.method is ConsentMethod.CHECKBOX and call.submission_id is not None
    submission = repo.get_submission(TENANT, call.submission_id)
    assert submission is not None and ("_consent_call", "granted") in submission.fields
    assert submission.lead_id == lead_id
    # ...when: the moment that submission was received...
    assert call.at == submission.received_at
    # ...and which words: the digest of the archived text of the version shown, word for word
    archived = repo.archived_notices(TENANT, [("call", CALL_VERSION), ("sms", NOTICE_VERSION)])
    assert archived[("call", CALL_VERSION)].text == CALL_TEXT
    assert call.notice_sha256 == archived[("call", CALL_VERSION)].sha256 == notice_digest(CALL_TEXT)
    assert sms.notice_sha256 == archived[("sms", NOTICE_VERSION)].sha256
    shown = call_as("GET", f"/leads/{lead_id}/consents")
    assert {n["version"]: n["text"] for n in shown.body["notices"]}[CALL_VERSION] == CALL_TEXT

    # When the person withdraws the call consent (recorded by an admin)
    gone = call_as("POST", f"/leads/{lead_id}/consents", {"purpose": "call", "answer": "withdrawn"})
    assert gone.status == 201, gone.body

    # Then the next read (what routing's next sweep reads) no longer grants it
    after = repo.get_lead(TENANT, lead_id)
    assert after is not None and after.consents["call"].status is ConsentStatus.REFUSED
    assert after.consents["call"].method is ConsentMethod.WITHDRAWAL
    assert after.consents["sms"] == sms
    # And the table's stream yields one ConsentWithdrawn for it, with ids and the purpose only
    events = [e for r in stream_records(ddb_tables["LeadsTable"]) for e in events_of_record(r)]
    withdrawals = [e for e in events if isinstance(e, ConsentWithdrawn)]
    assert [(e.lead_id, e.purpose, e.occurred_at) for e in withdrawals] == [
        (lead_id, "call", after.consents["call"].at)
    ]
    event = withdrawals[0].model_dump_json()  # the phone's digits, not "0903" (an id may hold those)
    assert "903123456" not in event and "903 123 456" not in event and "Hoa" not in event
