"""Contact claims follow their lead: deletes free them, restores take them back, edits move them.

Every claim change rides in the lead's own revision-checked transaction (moto, single-threaded here;
the races are on DynamoDB Local in tests/integration/test_contacts_on_ddb_local.py).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from leadrouter.data.repository import Repository
from leadrouter.domain.errors import Conflict, ContactTaken
from leadrouter.domain.leads import Lead, LeadStatus
from leadrouter.domain.pools import PoolSettings
from leadrouter.logic.routing.assign import sweep_due_leads
from tests.support.api import CRM, Reply, add_form_source, call, call_as, event, frozen_api_clock
from tests.support.builders import NOW, TENANT, rule, seed
from tests.support.ticks import run_sweeps

PHONE = "phone#+84912345678"
OTHER_PHONE = "phone#+84987654321"
LEASE = timedelta(minutes=3)


@pytest.fixture
def api_clock(monkeypatch: pytest.MonkeyPatch) -> dict[str, datetime]:
    return frozen_api_clock(monkeypatch, NOW + timedelta(minutes=5))


def _post(body: dict[str, object]) -> Reply:
    return call(event("POST", "/intake/leads", body, headers=CRM))


def _lead(repo: Repository, lead_id: str) -> Lead:
    lead = repo.get_lead(TENANT, lead_id)
    assert lead is not None
    return lead


def _sweep(repo: Repository) -> None:
    run_sweeps(repo, "assign", sweep_due_leads, NOW + timedelta(minutes=10), LEASE)


def test_a_deleted_leads_phone_brings_a_new_lead_that_is_assigned(moto_repo: Repository, api_clock) -> None:
    # Given a lead that came in, was assigned, and was deleted (a wrong number, say)
    seed(moto_repo, rule(weights={"A": 1}))
    add_form_source(moto_repo)
    first = _post({"name": "An", "phone": "0912345678"}).body["lead_id"]
    _sweep(moto_repo)
    assert call_as("DELETE", f"/leads/{first}").status == 200
    # When the customer enquires again with the same phone
    again = _post({"name": "Anh An", "phone": "0912 345 678"})
    # Then a fresh lead is created (not "linked: true, status: deleted") and rotation assigns it
    assert again.status == 201 and again.body["linked"] is False and again.body["status"] == "pending"
    assert again.body["lead_id"] != first
    assert moto_repo.contact_holder(TENANT, PHONE) == again.body["lead_id"]
    _sweep(moto_repo)
    assert _lead(moto_repo, again.body["lead_id"]).owner == "A"
    # and the delete recorded which claims it freed (field names only)
    (deleted,) = moto_repo.lead_events(TENANT, first)
    assert deleted.kind == "deleted" and deleted.data == {"released": "phone"}


def test_restore_queues_the_lead_again_and_takes_its_contacts_back(moto_repo: Repository, api_clock) -> None:
    # Given a lead with a phone and an email, assigned, then deleted
    seed(moto_repo, rule(weights={"A": 1}))
    add_form_source(moto_repo)
    lead_id = _post({"name": "An", "phone": "0912345678", "email": "an@example.vn"}).body["lead_id"]
    _sweep(moto_repo)
    call_as("DELETE", f"/leads/{lead_id}")
    assert moto_repo.contact_holders(TENANT, [PHONE, "email#an@example.vn"]) == {}
    # When an admin restores it
    api_clock["now"] = NOW + timedelta(minutes=7)
    reply = call_as("POST", f"/leads/{lead_id}/restore")
    # Then it is pending, queued now, holds both contacts again, and its rule assigns it
    assert reply.status == 200 and reply.body["lead"]["status"] == "pending"
    restored = _lead(moto_repo, lead_id)
    assert (restored.owner, restored.deleted_at, restored.queued_at) == (
        None,
        None,
        NOW + timedelta(minutes=7),
    )
    assert moto_repo.contact_holders(TENANT, [PHONE, "email#an@example.vn"]) == {
        PHONE: lead_id,
        "email#an@example.vn": lead_id,
    }
    assert [(d.action, d.previous_owner) for d in restored.decisions] == [
        ("assigned", None),
        ("released", "A"),
    ]
    _sweep(moto_repo)
    assert _lead(moto_repo, lead_id).status is LeadStatus.ASSIGNED
    assert [e.kind for e in moto_repo.lead_events(TENANT, lead_id)] == ["deleted", "restored"]
    # and the customer's next enquiry links to it again
    assert _post({"name": "An", "phone": "0912345678", "fields": {"n": "2"}}).body["lead_id"] == lead_id


def test_restore_is_refused_naming_the_contact_a_newer_lead_took(moto_repo: Repository, api_clock) -> None:
    # Given a deleted lead whose customer has since come back as a new lead
    add_form_source(moto_repo)
    old = _post({"name": "An", "phone": "0912345678"}).body["lead_id"]
    call_as("DELETE", f"/leads/{old}")
    newer = _post({"name": "An", "phone": "0912345678", "fields": {"n": "2"}}).body["lead_id"]
    # When an admin restores the old one
    reply = call_as("POST", f"/leads/{old}/restore")
    # Then 409 naming the phone and the lead that holds it; nothing changed
    assert reply.status == 409
    assert reply.body["errors"] == [{"field": "phone", "message": reply.body["message"]}]
    assert newer in reply.body["message"] and "+84" not in reply.body["message"]
    assert _lead(moto_repo, old).status is LeadStatus.DELETED
    assert moto_repo.contact_holder(TENANT, PHONE) == newer


def test_a_restored_rotate_duplicate_stays_a_duplicate_of_the_holder(
    moto_repo: Repository, api_clock
) -> None:
    add_form_source(moto_repo)
    moto_repo.put_pool_settings(PoolSettings(tenant_id=TENANT, pool="web", on_duplicate="rotate"))
    original = _post({"name": "An", "phone": "0912345678"}).body["lead_id"]
    duplicate = _post({"name": "An", "phone": "0912345678", "fields": {"n": "2"}}).body["lead_id"]
    assert call_as("DELETE", f"/leads/{duplicate}").status == 200
    assert moto_repo.contact_holder(TENANT, PHONE) == original  # it never held the claim
    assert call_as("POST", f"/leads/{duplicate}/restore").status == 200
    assert _lead(moto_repo, duplicate).duplicate_of == original
    assert moto_repo.contact_holder(TENANT, PHONE) == original


def test_editing_a_phone_moves_its_claim(moto_repo: Repository, api_clock) -> None:
    # Given An's lead with one phone
    add_form_source(moto_repo)
    an = _post({"name": "An", "phone": "0912345678"}).body["lead_id"]
    # When the phone is corrected
    assert call_as("PATCH", f"/leads/{an}", {"phone": "0987 654 321"}).status == 200
    # Then the new number is An's and the old one is free
    assert moto_repo.contact_holders(TENANT, [PHONE, OTHER_PHONE]) == {OTHER_PHONE: an}
    assert _post({"name": "An", "phone": "0987654321"}).body["lead_id"] == an
    stranger = _post({"name": "Người khác", "phone": "0912345678"})
    assert stranger.body["linked"] is False and stranger.body["lead_id"] != an


def test_removing_an_email_frees_it(moto_repo: Repository, api_clock) -> None:
    add_form_source(moto_repo)
    an = _post({"name": "An", "phone": "0912345678", "email": "an@example.vn"}).body["lead_id"]
    assert call_as("PATCH", f"/leads/{an}", {"email": None}).status == 200
    assert moto_repo.contact_holders(TENANT, [PHONE, "email#an@example.vn"]) == {PHONE: an}


def test_editing_to_a_taken_phone_is_409_naming_the_field_and_changes_nothing(
    moto_repo: Repository, api_clock
) -> None:
    add_form_source(moto_repo)
    an = _post({"name": "An", "phone": "0912345678"}).body["lead_id"]
    binh = _post({"name": "Bình", "phone": "0987654321"}).body["lead_id"]
    reply = call_as("PATCH", f"/leads/{binh}", {"name": "Bình 2", "phone": "+84912345678"})
    assert reply.status == 409 and [e["field"] for e in reply.body["errors"]] == ["phone"]
    assert an in reply.body["message"]
    assert (_lead(moto_repo, binh).name, _lead(moto_repo, binh).rev) == ("Bình", 0)
    assert moto_repo.contact_holders(TENANT, [PHONE, OTHER_PHONE]) == {PHONE: an, OTHER_PHONE: binh}


def test_editing_to_a_phone_only_a_deleted_lead_held_takes_it_over(moto_repo: Repository, api_clock) -> None:
    # Given a claim left behind by a lead deleted before deletes released claims
    add_form_source(moto_repo)
    gone = _post({"name": "An", "phone": "0912345678"}).body["lead_id"]
    lead = _lead(moto_repo, gone)
    moto_repo.save_lead(lead, Lead.model_validate({**lead.model_dump(), "status": LeadStatus.DELETED}))
    binh = _post({"name": "Bình", "phone": "0987654321"}).body["lead_id"]
    # When another lead is edited to that phone; Then it takes the claim
    assert call_as("PATCH", f"/leads/{binh}", {"phone": "0912345678"}).status == 200
    assert moto_repo.contact_holders(TENANT, [PHONE, OTHER_PHONE]) == {PHONE: binh}


def test_a_lost_revision_is_told_apart_from_a_taken_contact(moto_repo: Repository) -> None:
    # Given An holding a phone, and Bình read at revision 0
    add_form_source(moto_repo)
    an = _post({"name": "An", "phone": "0912345678"}).body["lead_id"]
    binh = _lead(moto_repo, _post({"name": "Bình", "phone": "0987654321"}).body["lead_id"])
    moved = Lead.model_validate({**binh.model_dump(), "phone": "+84912345678"})
    # When Bình is saved with An's phone: the contact is taken (and the holder is named)
    with pytest.raises(ContactTaken) as taken:
        moto_repo.save_lead(binh, moved, claim=[PHONE], release=[OTHER_PHONE])
    assert (taken.value.field, taken.value.holder) == ("phone", an)
    # When Bình changed meanwhile too: the lost revision wins (reload first), not "taken"
    moto_repo.save_lead(binh, Lead.model_validate({**binh.model_dump(), "name": "Bình 2"}))
    with pytest.raises(Conflict) as lost:
        moto_repo.save_lead(binh, moved, claim=[PHONE], release=[OTHER_PHONE])
    assert not isinstance(lost.value, ContactTaken) and "changed meanwhile" in str(lost.value)
    assert moto_repo.contact_holders(TENANT, [PHONE, OTHER_PHONE]) == {PHONE: an, OTHER_PHONE: binh.lead_id}
