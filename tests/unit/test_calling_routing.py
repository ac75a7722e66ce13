"""Routing that obeys Decree 91/2020, on moto: leads are handed out either way, never as a call when
the law says no; the decision and the event say why and from when. Do-Not-Call lists as admins keep them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from functions.assign import app as assign_app
from leadrouter.data.repository import Repository
from leadrouter.domain.calling import CALL_GAP, CallBar, DoNotCallOrigin
from leadrouter.domain.consent import ConsentStatus, Restriction, RestrictionKind
from leadrouter.domain.errors import InvalidInput, NotFound
from leadrouter.domain.events import LeadAssigned, LeadReclaimed, events_of_change
from leadrouter.domain.leads import Decision, Lead, LeadStatus
from leadrouter.domain.rules import RuleKind
from leadrouter.domain.users import Caller
from leadrouter.logic.events.publish import events_of_record
from leadrouter.logic.leads.care import add_activity
from leadrouter.logic.privacy import do_not_call
from leadrouter.logic.routing.assign import sweep_due_leads
from leadrouter.logic.routing.reclaim import sweep_idle_leads
from leadrouter.runtime import new_repository
from tests.support.api import call_as, claims, config_items
from tests.support.builders import NOW, TENANT, add_leads, lead, rule, seed
from tests.support.calling import PepperedRepository, call_consent, peppered_repository
from tests.support.event_records import change_record
from tests.support.lambda_context import FakeContext
from tests.support.streams import stream_event
from tests.support.ticks import run_sweeps

LEASE = timedelta(minutes=3)
ADMIN = Caller(tenant_id=TENANT, role="admin", subject="admin-1")
PHONE = "+84912345678"


@pytest.fixture
def repo(moto_tables: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> PepperedRepository:
    monkeypatch.setattr("leadrouter.data.calling.UPLOAD_CONCURRENCY", 1)  # moto is single-threaded
    return peppered_repository()


def _assign(repo: PepperedRepository, at: datetime = NOW + timedelta(seconds=1), **fields: Any) -> Lead:
    seed(repo, rule("r-assign", weights={"A": 1}))
    (added,) = add_leads(repo, 1, phone=PHONE, **fields)
    run_sweeps(repo, "assign", sweep_due_leads, at, LEASE)
    stored = repo.get_lead(TENANT, added.lead_id)
    assert stored is not None and stored.status is LeadStatus.ASSIGNED
    return stored


def test_a_lead_with_a_grant_is_assigned_as_a_call_in_the_hours(repo: PepperedRepository) -> None:
    # Given a lead that granted calls, arriving at 09:00 in Ho Chi Minh City
    stored = _assign(repo, consents=call_consent())
    # Then its decision says the new owner may call
    decision = stored.decisions[-1]
    assert (
        decision.call_allowed is True and decision.call_reason is None and decision.call_allowed_from is None
    )


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({}, CallBar.NO_CONSENT),  # unknown is never granted
        ({"consents": call_consent(ConsentStatus.REFUSED)}, CallBar.NO_CONSENT),
        (
            {"consents": call_consent(), "restriction": Restriction(kind=RestrictionKind.OBJECT, since=NOW)},
            CallBar.RESTRICTED,
        ),
    ],
)
def test_a_lead_barred_from_calls_is_still_assigned_but_not_as_a_call(
    repo: PepperedRepository, fields: dict[str, Any], reason: CallBar
) -> None:
    stored = _assign(repo, **fields)
    decision = stored.decisions[-1]
    assert stored.owner == "A"
    assert decision.call_allowed is False and decision.call_reason == reason.value
    assert decision.call_allowed_from is None


@pytest.mark.parametrize(
    ("origin", "reason"),
    [(DoNotCallOrigin.TENANT, CallBar.DO_NOT_CALL), (DoNotCallOrigin.NATIONAL, CallBar.NATIONAL_DO_NOT_CALL)],
)
def test_a_number_on_a_do_not_call_list_is_never_assigned_as_a_call(
    repo: PepperedRepository, origin: DoNotCallOrigin, reason: CallBar
) -> None:
    # Given the number, written another way, on a list
    do_not_call.add_numbers(
        repo, ADMIN, do_not_call.DoNotCallUpload(origin=origin, phones=["0912 345 678"]), NOW
    )
    stored = _assign(repo, consents=call_consent())
    decision = stored.decisions[-1]
    assert decision.call_allowed is False and decision.call_reason == reason.value


def test_outside_the_calling_hours_the_decision_says_from_when(repo: PepperedRepository) -> None:
    # 18:00 in Ho Chi Minh City: the next call may be at 08:00 the next morning
    evening = datetime(2026, 11, 24, 11, 0, tzinfo=UTC)
    stored = _assign(repo, at=evening, consents=call_consent())
    decision = stored.decisions[-1]
    assert decision.call_reason == CallBar.OUTSIDE_CALLING_HOURS.value
    assert decision.call_allowed_from == datetime(2026, 11, 25, 1, 0, tzinfo=UTC)


def test_reclaim_within_24_hours_of_a_logged_call_hands_over_without_a_call(repo: PepperedRepository) -> None:
    # Given A got the lead and called it (logged as a care activity) at 09:05
    stored = _assign(repo, consents=call_consent())
    called_at = NOW + timedelta(minutes=5)
    a = Caller(tenant_id=TENANT, role="staff", staff_id="A")
    add_activity(repo, a, stored.lead_id, "call", "Gọi tư vấn", called_at)
    # When the reclaim rule gives it to B after 30 idle minutes
    seed(repo, rule("r-reclaim", weights={"B": 1}, kind=RuleKind.RECLAIM, reclaim_after_minutes=30))
    run_sweeps(repo, "reclaim", sweep_idle_leads, called_at + timedelta(minutes=31), LEASE)
    moved = repo.get_lead(TENANT, stored.lead_id)
    assert moved is not None and moved.owner == "B"
    # Then B may not call it before 24 hours after A's call, inside the hours
    decision = moved.decisions[-1]
    assert decision.action == "reclaimed" and decision.call_allowed is False
    assert decision.call_reason == CallBar.CALLED_WITHIN_24H.value
    assert decision.call_allowed_from == called_at + CALL_GAP
    # …and the event a dialer reads says so too
    (event,) = events_of_change(stored, moved)[-1:]
    assert isinstance(event, LeadReclaimed) and event.call_allowed is False
    assert event.call_reason == "called_within_24h" and event.call_allowed_from == called_at + CALL_GAP


def test_a_failed_list_read_hands_leads_out_with_calls_barred(
    repo: PepperedRepository, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: Any) -> dict[str, Any]:
        raise RuntimeError("throttled")

    monkeypatch.setattr(repo, "calling_records", broken)
    stored = _assign(repo, consents=call_consent())
    assert stored.decisions[-1].call_allowed is False
    assert stored.decisions[-1].call_reason == CallBar.CHECK_FAILED.value


def test_assigned_events_carry_the_call_advice() -> None:
    arrived = lead()
    decision = Decision(
        at=NOW, action="assigned", staff_id="A", call_allowed=False, call_reason="no_call_consent"
    )
    assigned = arrived.model_copy(
        update={"status": LeadStatus.ASSIGNED, "owner": "A", "decisions": [decision]}
    )
    (event,) = events_of_change(arrived, assigned)
    assert isinstance(event, LeadAssigned)
    assert event.call_allowed is False and event.call_reason == "no_call_consent"


def test_a_restricted_lead_publishes_no_marketing_event() -> None:
    # Given a restricted lead's arrival and assignment on the stream
    restricted = lead(restriction=Restriction(kind=RestrictionKind.RESTRICT, since=NOW))
    decision = Decision(at=NOW, action="assigned", staff_id="A", call_allowed=False, call_reason="restricted")
    assigned = restricted.model_copy(
        update={"status": LeadStatus.ASSIGNED, "owner": "A", "decisions": [decision]}
    )
    # Then neither record yields an event for integrators; the same lead unrestricted does
    assert events_of_record(change_record(None, restricted, 1)) == []
    assert events_of_record(change_record(restricted, assigned, 2)) == []
    free = assigned.model_copy(update={"restriction": None})
    assert (
        len(events_of_record(change_record(restricted.model_copy(update={"restriction": None}), free, 3)))
        == 1
    )


# ------------------------------------------------------------------ the lists as admins keep them
def test_an_upload_with_an_invalid_line_names_it_and_writes_nothing(repo: PepperedRepository) -> None:
    body = do_not_call.DoNotCallUpload(phones=["0912345678", "12", "0987654321", "not a phone"])
    with pytest.raises(InvalidInput) as refused:
        do_not_call.add_numbers(repo, ADMIN, body, NOW)
    assert set(refused.value.fields) == {"phones[1]", "phones[3]"}
    assert "line 2" in refused.value.fields["phones[1]"]
    assert "12" not in str(refused.value)  # the number itself is never echoed
    assert do_not_call.count_numbers(repo, ADMIN) == do_not_call.DoNotCallCounts(tenant=0, national=0)


def test_lists_count_merge_and_remove_one_number(
    repo: PepperedRepository, moto_tables: dict[str, str]
) -> None:
    tenant_list = do_not_call.DoNotCallUpload(phones=["0912345678", "+84912345678", "0987654321"])
    assert do_not_call.add_numbers(repo, ADMIN, tenant_list, NOW).numbers == 2  # one number, two spellings
    national = do_not_call.DoNotCallUpload(origin=DoNotCallOrigin.NATIONAL, phones=["0912345678"])
    do_not_call.add_numbers(repo, ADMIN, national, NOW)
    assert do_not_call.count_numbers(repo, ADMIN) == do_not_call.DoNotCallCounts(tenant=2, national=1)
    # Taking it off the tenant's list keeps it on the national one
    do_not_call.remove_number(repo, ADMIN, do_not_call.DoNotCallRemoval(phone="0912345678"))
    assert do_not_call.count_numbers(repo, ADMIN) == do_not_call.DoNotCallCounts(tenant=1, national=1)
    with pytest.raises(NotFound):
        do_not_call.remove_number(repo, ADMIN, do_not_call.DoNotCallRemoval(phone="0912345678"))
    # …and nothing in the table holds the number in clear, only digests
    items = str(config_items(moto_tables))
    assert "912345678" not in items and "987654321" not in items and "DNC#" in items


def test_the_routes_are_for_admins_and_refuse_more_than_a_thousand(moto_tables: dict[str, str]) -> None:
    assert call_as("POST", "/privacy/do-not-call", {"phones": ["0912345678"]}).body == {
        "origin": "tenant",
        "numbers": 1,
    }
    assert call_as("GET", "/privacy/do-not-call").body == {"tenant": 1, "national": 0}
    staff = claims("staff", staff_id="A")
    assert call_as("GET", "/privacy/do-not-call", who=staff).status == 403
    assert call_as("POST", "/privacy/do-not-call", {"phones": ["0912345678"]}, who=staff).status == 403
    too_many = {"phones": [f"09{n:08d}" for n in range(1001)]}
    assert call_as("POST", "/privacy/do-not-call", too_many).status == 422
    bad = call_as("POST", "/privacy/do-not-call", {"phones": ["0912345678", "x"]})
    assert bad.status == 422 and [e["field"] for e in bad.body["errors"]] == ["phones[1]"]
    assert call_as("POST", "/privacy/do-not-call/remove", {"phone": "0912345678"}).status == 204
    assert call_as("POST", "/privacy/do-not-call/remove", {"phone": "0912345678"}).status == 404


def test_on_arrival_assignment_says_whether_to_call(
    moto_tables: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a continuous rule, and two leads arriving at 09:00: one granted calls, one said nothing
    monkeypatch.setattr("leadrouter.logic.routing.scheduled.utc_now", lambda: NOW + timedelta(seconds=1))
    repo = new_repository()
    seed(repo, rule(weights={"A": 1}))
    granted = lead(lead_id="L-granted", phone=PHONE, consents=call_consent())
    silent = lead(lead_id="L-silent", phone="+84987654321")
    repo.import_leads([granted, silent])
    # When their stream records reach the assign function (the lambda's own repository and pepper)
    assert assign_app.handler(stream_event([granted, silent]), FakeContext()) == {"batchItemFailures": []}
    # Then both are assigned at once, only the granted one as a call
    calls = {x: _stored_decision(repo, x) for x in ("L-granted", "L-silent")}
    assert calls == {"L-granted": (True, None), "L-silent": (False, "no_call_consent")}


def _stored_decision(repo: Repository, lead_id: str) -> tuple[bool | None, str | None]:
    stored = repo.get_lead(TENANT, lead_id)
    assert stored is not None and stored.status is LeadStatus.ASSIGNED
    return stored.decisions[-1].call_allowed, stored.decisions[-1].call_reason
