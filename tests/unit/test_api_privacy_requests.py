"""/privacy/requests: data-subject requests recorded, tracked to their deadlines and completed per kind
— on moto, through the API handler."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import pytest

from leadrouter.data.repository import Repository
from leadrouter.domain.alerts import EscalationAlerts
from leadrouter.domain.consent import CALL, ConsentMethod, ConsentRecord, ConsentStatus, RestrictionKind
from leadrouter.domain.contacts import contact_keys
from leadrouter.domain.ids import new_id
from leadrouter.domain.leads import Lead
from leadrouter.domain.privacy import contact_digest
from leadrouter.domain.submissions import Submission
from leadrouter.domain.tenants import Tenant
from leadrouter.logic.privacy.deadlines import alert_due_requests
from leadrouter.runtime import new_repository
from tests.support.api import call_as, claims, config_items, frozen_api_clock
from tests.support.builders import NOW, TENANT, lead
from tests.support.files import MemoryFiles
from tests.support.lambda_context import FakeContext

PHONE, EMAIL = "+84912345678", "an.nguyen@example.com"
#: NOW is Tuesday 24 November 2026, 09:00 in Hồ Chí Minh City, itself a public holiday (Ngày Văn hóa
#: Việt Nam): 2 working days later is Thursday 26.
ANSWER_DUE = "2026-11-26"


class FakeMailer:
    def __init__(self) -> None:
        self.sent: list[tuple[list[str], str, str]] = []

    def send(self, to: Sequence[str], subject: str, text: str) -> None:
        self.sent.append((list(to), subject, text))


@pytest.fixture
def files(monkeypatch: pytest.MonkeyPatch) -> MemoryFiles:
    """The files bucket an erasure searches (imports and exports that may hold the person)."""
    store = MemoryFiles()
    monkeypatch.setattr("leadrouter.api.routes.privacy_requests.files", lambda: store)
    return store


@pytest.fixture
def api_clock(monkeypatch: pytest.MonkeyPatch, files: MemoryFiles) -> dict[str, datetime]:
    return frozen_api_clock(monkeypatch, NOW)


@pytest.fixture
def acme(moto_repo: Repository, api_clock: dict[str, datetime]) -> Repository:
    moto_repo.put_tenant(Tenant(tenant_id=TENANT, name="Acme"))
    return moto_repo


def _person(repo: Repository, phone: str | None = PHONE, email: str | None = EMAIL, **fields: Any) -> Lead:
    """A lead holding its phone and e-mail claims, with a call consent proven by a stored submission."""
    submission_id = f"web-form.K.{new_id()}"
    the_lead = lead(
        phone=phone,
        email=email,
        consents={
            CALL: ConsentRecord(
                purpose=CALL,
                status=ConsentStatus.GRANTED,
                at=NOW - timedelta(days=3),
                method=ConsentMethod.CHECKBOX,
                source="web-form",
                submission_id=submission_id,
            )
        },
        **fields,
    )
    assert repo.claim_contacts(the_lead, contact_keys(phone, email), NOW - timedelta(hours=1)) is None
    repo.put_new_lead(the_lead)
    repo.store_submission(
        Submission(
            tenant_id=TENANT,
            submission_id=submission_id,
            source_id="web-form",
            received_at=NOW - timedelta(days=3),
            lead_id=the_lead.lead_id,
            payload_hash="0" * 64,
            channel="form",
            fields=[("name", the_lead.name), ("phone", phone or ""), ("email", email or "")],
            expires_at=int((NOW + timedelta(days=90)).timestamp()),
        )
    )
    return the_lead


def _create(kind: str, **body: Any) -> dict[str, Any]:
    reply = call_as("POST", "/privacy/requests", {"kind": kind, **body})
    assert reply.status == 201, reply.body
    return dict(reply.body)


def _complete(request_id: str, **body: Any) -> Any:
    return call_as("POST", f"/privacy/requests/{request_id}/complete", body)


def _assert_forgotten(reply_body: dict[str, Any], tables: dict[str, str], request_id: str) -> None:
    """The completed request keeps only the contacts' digests: no phone, no e-mail, anywhere in it."""
    assert reply_body["status"] == "completed" and reply_body["subject"] is None
    pepper = new_repository().contact_pepper(TENANT)
    expected = [contact_digest(pepper, k) for k in contact_keys(PHONE, EMAIL)]
    assert reply_body["subject_digests"] == expected
    stored = [i for i in config_items(tables) if i["sk"]["S"] == f"PRIVACYREQ#{request_id}"]
    text = json.dumps(stored)
    assert "912345678" not in text and "an.nguyen" not in text and "active_kind" not in text


# ------------------------------------------------------------------ create, read, list


def test_a_request_is_recorded_with_its_deadlines_in_working_days(acme: Repository) -> None:
    # When an admin records an access request for a phone written the Vietnamese way
    created = _create("access", phone="0912 345 678")
    # Then it is open, names the person by the normalised phone, and is due in 2 working days
    assert created["status"] == "open" and created["subject"] == {"phone": PHONE, "email": None}
    assert created["received_on"] == "2026-11-24" and created["answer_due"] == ANSWER_DUE
    assert created["next_due"] == ANSWER_DUE and not created["overdue"] and created["stop_due"] is None
    # And it reads back by id
    got = call_as("GET", f"/privacy/requests/{created['request_id']}")
    assert got.status == 200 and got.body["request_id"] == created["request_id"]


def test_due_dates_across_tet_2027(acme: Repository, api_clock: dict[str, datetime]) -> None:
    # Given it is Wednesday 10 February 2027 (Tết) and a restriction was asked on Wednesday 3, before Tết
    api_clock["now"] = datetime(2027, 2, 10, 3, 0, tzinfo=NOW.tzinfo)
    created = _create("restrict", email=EMAIL, received_at="2027-02-03T03:00:00Z", processor_must_stop=True)
    # Then the answer is due Friday 12 February, the stop (with a processor) Wednesday 10 March
    assert created["received_on"] == "2027-02-03"
    assert created["answer_due"] == "2027-02-12" and created["stop_due"] == "2027-03-10"
    # And, a working day before the answer is due, it is not yet "due soon" on a Tết day
    assert not created["due_soon"]
    # When it is extended once, Then 15 working days more run from the stop deadline
    extended = call_as(
        "POST", f"/privacy/requests/{created['request_id']}/extend", {"reason": "Chờ đối tác xác nhận"}
    )
    assert extended.status == 200 and extended.body["next_due"] == "2027-03-31"
    # And a second extension is refused
    again = call_as("POST", f"/privacy/requests/{created['request_id']}/extend", {"reason": "Nữa"})
    assert again.status == 409


def test_the_list_shows_open_requests_first_soonest_due_first(
    acme: Repository, api_clock: dict[str, datetime]
) -> None:
    # Given three requests received on different days, one of them completed
    first = _create("access", phone=PHONE, received_at="2026-11-20T03:00:00Z")
    second = _create("restrict", phone=PHONE, received_at="2026-11-23T03:00:00Z")
    done = _create("access", email=EMAIL, received_at="2026-11-10T03:00:00Z")
    assert _complete(done["request_id"], result="refused", refusal="identity_not_verified").status == 200
    # When the admin lists them
    listed = call_as("GET", "/privacy/requests")
    # Then the open ones come first, soonest due first, then the completed one; counts say what is due
    assert [r["request_id"] for r in listed.body["requests"]] == [
        first["request_id"],
        second["request_id"],
        done["request_id"],
    ]
    assert listed.body["open"] == 2
    # (received Friday 20: Monday 23 and, past the holiday of Tuesday 24, Wednesday 25)
    assert listed.body["due_soon"] == 1 and listed.body["requests"][0]["next_due"] == "2026-11-25"
    assert not listed.body["requests"][0]["overdue"]
    # And a status filter shows only those
    completed = call_as("GET", "/privacy/requests?status=completed")
    assert [r["request_id"] for r in completed.body["requests"]] == [done["request_id"]]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "access"}, "phone"),
        ({"kind": "access", "phone": "12345"}, "phone"),
        ({"kind": "access", "email": "not-an-email"}, "email"),
        ({"kind": "access", "phone": PHONE, "corrections": {"name": "An"}}, "corrections"),
        ({"kind": "correct", "phone": PHONE}, "corrections"),
        ({"kind": "correct", "phone": PHONE, "corrections": {"phone": "999"}}, "corrections.phone"),
        ({"kind": "access", "phone": PHONE, "processor_must_stop": True}, "processor_must_stop"),
        ({"kind": "access", "phone": PHONE, "received_at": "2026-12-24T00:00:00Z"}, "received_at"),
        ({"kind": "forget", "phone": PHONE}, "kind"),
        ({"kind": "access", "phone": PHONE, "tenant_id": "globex"}, "tenant_id"),
    ],
)
def test_bad_input_is_a_422_naming_the_field_and_nothing_is_written(
    acme: Repository, moto_tables: dict[str, str], body: dict[str, Any], field: str
) -> None:
    before = config_items(moto_tables)
    reply = call_as("POST", "/privacy/requests", body)
    assert reply.status == 422, reply.body
    assert any(field in str(e.get("field", "")) for e in reply.body["errors"]), reply.body
    assert config_items(moto_tables) == before


@pytest.mark.parametrize("role", ["team_lead", "staff"])
def test_only_admins_handle_privacy_requests(acme: Repository, role: str) -> None:
    who = claims(role, staff_id="A", team="t1")
    assert call_as("POST", "/privacy/requests", {"kind": "access", "phone": PHONE}, who=who).status == 403
    assert call_as("GET", "/privacy/requests", who=who).status == 403


def test_another_tenants_request_is_not_found(acme: Repository) -> None:
    created = _create("access", phone=PHONE)
    other = claims("admin", tenant="globex")
    assert call_as("GET", f"/privacy/requests/{created['request_id']}", who=other).status == 404


# ------------------------------------------------------------------ each kind completed


@pytest.mark.parametrize("kind", ["access", "export"])
def test_access_and_export_give_what_leadrouter_holds_about_the_person(
    acme: Repository, moto_tables: dict[str, str], kind: str
) -> None:
    # Given the person's lead (with a consent and its evidence), and someone else's
    mine = _person(acme)
    _person(acme, phone="+84987654321", email="binh@example.com", name="Trần Bình")
    created = _create(kind, phone=PHONE, email=EMAIL)
    # When the request is completed
    reply = _complete(created["request_id"])
    # Then the answer holds their lead, its history, consents and the submission, and nobody else's
    assert reply.status == 200, reply.body
    data = reply.body["data"]
    assert data["format"] == "leadrouter.subject-data" and data["kind"] == kind
    (entry,) = data["leads"]
    assert entry["lead"]["lead_id"] == mine.lead_id and entry["lead"]["phone"] == PHONE
    assert entry["consents"]["call"]["status"] == "granted"
    assert [s["lead_id"] for s in entry["submissions"]] == [mine.lead_id]
    assert ["phone", PHONE] in entry["submissions"][0]["fields"]
    assert isinstance(entry["history"], list)
    assert "Trần Bình" not in json.dumps(data)
    # And the request keeps the outcome, without the person
    assert reply.body["request"]["outcome"] == {
        "result": "fulfilled",
        "refusal": None,
        "lead_ids": [mine.lead_id],
        "counts": {"leads": 1, "submissions": 1},
    }
    _assert_forgotten(reply.body["request"], moto_tables, created["request_id"])
    # And the access audit names who answered it, for which lead, under the request
    (audited,), _ = acme.audit_entries(TENANT, now=NOW, lead_id=mine.lead_id, limit=10)
    assert audited.action == "privacy_request" and audited.ref == created["request_id"]
    # And a completed request is not completed again
    assert _complete(created["request_id"]).status == 409


def test_a_correction_moves_the_persons_contact_claims(acme: Repository, moto_tables: dict[str, str]) -> None:
    # Given the person's lead
    mine = _person(acme)
    created = _create(
        "correct", phone=PHONE, email=EMAIL, corrections={"name": "Nguyễn Văn Ân", "phone": "0987 000 111"}
    )
    assert created["corrections"] == {"name": "Nguyễn Văn Ân", "phone": "+84987000111", "email": None}
    # When it is completed
    reply = _complete(created["request_id"])
    assert reply.status == 200, reply.body
    # Then the lead has the corrected name and phone, and holds the new phone's claim, not the old one
    after = acme.get_lead(TENANT, mine.lead_id)
    assert after is not None and after.name == "Nguyễn Văn Ân" and after.phone == "+84987000111"
    assert acme.contact_holder(TENANT, "phone#+84987000111") == mine.lead_id
    assert acme.contact_holder(TENANT, f"phone#{PHONE}") is None
    assert acme.contact_holder(TENANT, f"email#{EMAIL}") == mine.lead_id
    assert reply.body["request"]["outcome"]["counts"] == {"leads": 1, "leads_corrected": 1}
    # And the request keeps neither the old contact nor the corrections
    _assert_forgotten(reply.body["request"], moto_tables, created["request_id"])
    assert reply.body["request"]["corrections"] is None


@pytest.mark.parametrize("kind", ["restrict", "object"])
def test_a_restriction_is_set_on_every_lead_of_the_person_and_lifted_by_a_later_request(
    acme: Repository, moto_tables: dict[str, str], kind: str
) -> None:
    # Given the person's two leads (one found by phone, one by e-mail), a duplicate rotated as a lead
    # of its own (it holds no claim), and someone else's
    by_phone = _person(acme, phone=PHONE, email=None)
    by_email = _person(acme, phone=None, email=EMAIL)
    rotated = lead(phone=PHONE, duplicate_of=by_phone.lead_id)
    acme.put_new_lead(rotated)
    other = _person(acme, phone="+84987654321", email=None)
    created = _create(kind, phone=PHONE, email=EMAIL)
    assert created["stop_due"] == "2026-12-15"  # 15 working days after Tuesday 24 November
    # When it is completed
    reply = _complete(created["request_id"])
    assert reply.status == 200, reply.body
    # Then every lead of theirs carries the restriction naming the request, the other lead none
    for mine in (by_phone, by_email, rotated):
        after = acme.get_lead(TENANT, mine.lead_id)
        assert after is not None and after.restriction is not None
        assert after.restriction.kind is RestrictionKind(kind)
        assert after.restriction.request_id == created["request_id"]
    assert (acme.get_lead(TENANT, other.lead_id) or other).restriction is None
    assert reply.body["request"]["outcome"]["counts"] == {"leads": 3, "leads_restricted": 3}
    _assert_forgotten(reply.body["request"], moto_tables, created["request_id"])
    # When a later request of the person is completed with lift
    later = _create(kind, phone=PHONE, email=EMAIL)
    lifted = _complete(later["request_id"], lift=True)
    # Then no lead of theirs is restricted any more
    assert lifted.status == 200 and lifted.body["request"]["outcome"]["result"] == "lifted"
    assert all((acme.get_lead(TENANT, m.lead_id) or m).restriction is None for m in (by_phone, by_email))


def test_lift_belongs_to_restrict_and_object_only(acme: Repository) -> None:
    created = _create("access", phone=PHONE)
    reply = _complete(created["request_id"], lift=True)
    assert reply.status == 422 and "lift" in json.dumps(reply.body)
    refused = _complete(created["request_id"], result="refused")
    assert refused.status == 422 and "refusal" in json.dumps(refused.body)


def test_an_erase_request_is_tracked_then_erases_the_person_and_keeps_only_digests(
    acme: Repository, moto_tables: dict[str, str]
) -> None:
    # Given an erase request: it is recorded, listed and extended like any other
    mine = _person(acme)
    created = _create("erase", phone=PHONE, email=EMAIL)
    assert call_as("GET", "/privacy/requests").body["open"] == 1
    assert (
        call_as("POST", f"/privacy/requests/{created['request_id']}/extend", {"reason": "Kiểm tra"}).status
        == 200
    )
    # When it is completed as fulfilled
    reply = _complete(created["request_id"])
    # Then the person is erased from their lead (its history kept) and the request keeps only digests
    assert reply.status == 200, reply.body
    assert reply.body["request"]["outcome"]["lead_ids"] == [mine.lead_id]
    erased = acme.get_lead(TENANT, mine.lead_id)
    assert erased is not None and erased.phone is None and erased.email is None
    assert erased.decisions == mine.decisions
    _assert_forgotten(reply.body["request"], moto_tables, created["request_id"])
    # And the access audit records the erasure of that lead under the request
    (audited,), _ = acme.audit_entries(TENANT, now=NOW, lead_id=mine.lead_id, limit=10)
    assert audited.action == "erase" and audited.ref == created["request_id"]


# ------------------------------------------------------------------ the daily alert


def test_open_requests_due_within_a_working_day_are_e_mailed_without_the_person(
    acme: Repository, api_clock: dict[str, datetime]
) -> None:
    # Given a tenant with alert addresses, a request due tomorrow (Wednesday 25), one due later, one done
    acme.put_tenant(Tenant(tenant_id=TENANT, name="Acme", alerts=EscalationAlerts(emails=["dpo@acme.vn"])))
    soon = _create("access", phone=PHONE, received_at="2026-11-20T03:00:00Z")  # due Wednesday 25
    later = _create("restrict", email=EMAIL)  # answer due Thursday 26
    done = _create("access", email=EMAIL, received_at="2026-11-20T03:00:00Z")
    assert _complete(done["request_id"], result="refused", refusal="no_data").status == 200
    mailer = FakeMailer()
    # When the daily run goes on Tuesday 24 November
    alerted = alert_due_requests(acme, mailer, NOW)
    # Then the one due within a working day is e-mailed, by id, kind and due date only
    assert alerted == 1
    ((to, subject, text),) = mailer.sent
    assert to == ["dpo@acme.vn"] and "1 yêu cầu" in subject
    assert soon["request_id"] in text and "2026-11-25" in text
    assert later["request_id"] not in text and done["request_id"] not in text
    assert "912345678" not in text and "an.nguyen" not in text
    # And on Wednesday both open ones are
    assert alert_due_requests(acme, FakeMailer(), NOW + timedelta(days=1)) == 2


def test_the_alert_function_runs_the_daily_privacy_deadline_job(
    acme: Repository, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given an open request due within a working day, and a stack without an SES sender
    _create("access", phone=PHONE, received_at="2026-11-20T03:00:00Z")
    monkeypatch.delenv("ALERT_SENDER", raising=False)
    monkeypatch.setattr("functions.alerts.app.utc_now", lambda: NOW)
    from functions.alerts import app as alerts_app

    # When the schedule's input reaches the alert function
    tick = {"kind": "privacy_requests_due", "scheduled_time": "x", "execution_id": "y"}
    answer = alerts_app.handler(tick, FakeContext(function_name="leadrouter-alerts"))
    # Then it counts the request due (nothing is mailed without a sender)
    assert answer == {"alerted": 1}
