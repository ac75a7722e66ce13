"""Intake under concurrency on DynamoDB Local: one phone number, one claim, however many forms race."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from unittest.mock import patch

import pytest

from leadrouter.clock import utc_now
from leadrouter.data.repository import Repository
from leadrouter.domain.contacts import contact_keys
from leadrouter.domain.leads import Lead
from leadrouter.domain.pools import PoolSettings
from leadrouter.logic.intake.new_leads import IntakeRequest, IntakeResult, submit_lead
from leadrouter.runtime import new_repository
from tests.support.api import add_form_source, call_as
from tests.support.builders import TENANT


@pytest.fixture
def repo(ddb_tables: dict[str, str]) -> Repository:
    return new_repository()


def test_simultaneous_submissions_of_one_phone_create_exactly_one_lead(repo: Repository) -> None:
    # Given 8 different submissions (different names, so no idempotency hit) of the same person's phone
    source = add_form_source(repo)
    spellings = ["0912 345 678", "+84 912345678", "84912345678", "0912.345.678"] * 2
    barrier = threading.Barrier(len(spellings))

    def submit(i: int) -> IntakeResult:
        request = IntakeRequest(name=f"Khách {i}", phone=spellings[i])
        own_client = new_repository()  # one client per thread, like separate Lambdas
        barrier.wait()
        return submit_lead(own_client, source, request, utc_now())

    # When they arrive at the same instant
    with ThreadPoolExecutor(max_workers=len(spellings)) as pool:
        replies = list(pool.map(submit, range(len(spellings))))
    # Then one lead exists, the other seven were linked to it, and all eight were told its id
    leads = list(repo.tenant_leads(TENANT))
    assert len(leads) == 1
    assert {r.lead_id for r in replies} == {leads[0].lead_id}
    assert sorted(r.linked for r in replies) == [False] + [True] * 7
    # …and the seven links wrote one resubmission event: a known lead takes one per hour, whoever posts
    assert [e.kind for e in repo.lead_events(TENANT, leads[0].lead_id)] == ["resubmitted"]


def test_a_rotate_pool_stores_every_lead_it_answers_for_under_a_race(repo: Repository) -> None:
    # Given a pool set to rotate duplicates, and 8 submissions of one new phone at the same instant
    source = add_form_source(repo)
    repo.put_pool_settings(PoolSettings(tenant_id=TENANT, pool="web", on_duplicate="rotate"))
    barrier = threading.Barrier(8)

    def submit(i: int) -> IntakeResult:
        own_client = new_repository()
        request = IntakeRequest(name=f"Khách {i}", phone="0912 345 678")
        barrier.wait()
        return submit_lead(own_client, source, request, utc_now())

    # When they race for the phone's claim
    with ThreadPoolExecutor(max_workers=8) as pool:
        replies = list(pool.map(submit, range(8)))
    # Then 8 leads exist, every returned id is one of them, one holds the claim, 7 are its duplicates
    leads = {x.lead_id: x for x in repo.tenant_leads(TENANT)}
    assert len(leads) == 8 and {r.lead_id for r in replies} == set(leads)
    holder = repo.contact_holder(TENANT, "phone#+84912345678")
    assert holder in leads and leads[holder].duplicate_of is None
    assert sorted(x.duplicate_of or "" for x in leads.values()) == [""] + [holder] * 7
    assert all(r.duplicate_of == (None if r.lead_id == holder else holder) for r in replies)


def test_submissions_sharing_phones_and_emails_crosswise_never_split_a_contact(repo: Repository) -> None:
    # Given 8 submissions at once, each with one of two phones and one of two emails, crosswise (the
    # case where claiming one contact at a time could leave each holding one and waiting on the other)
    source = add_form_source(repo)
    phones = ["0912 345 678", "0987 654 321"]
    emails = ["an@example.vn", "binh@example.vn"]
    barrier = threading.Barrier(8)

    def submit(i: int) -> IntakeResult:
        own_client = new_repository()
        request = IntakeRequest(name=f"Khách {i}", phone=phones[i % 2], email=emails[(i // 2) % 2])
        barrier.wait()
        return submit_lead(own_client, source, request, utc_now())

    # When they race for the claims
    with ThreadPoolExecutor(max_workers=8) as pool:
        replies = list(pool.map(submit, range(8)))
    # Then every answer names a stored lead, and every contact is claimed by the one lead that has it
    leads = {x.lead_id: x for x in repo.tenant_leads(TENANT)}
    assert {r.lead_id for r in replies} <= set(leads)
    for contact in [
        "phone#+84912345678",
        "phone#+84987654321",
        "email#an@example.vn",
        "email#binh@example.vn",
    ]:
        having = [x.lead_id for x in leads.values() if contact in contact_keys(x.phone, x.email)]
        holder = repo.contact_holder(TENANT, contact)
        assert having == ([holder] if holder else []), (contact, having, holder)
    # …nobody was asked to retry, and the leads not created were linked
    assert sum(not r.linked for r in replies) == len(leads) >= 1


def test_an_edit_waits_out_a_phone_that_a_new_submission_is_claiming(repo: Repository) -> None:
    # Given lead An, and a new submission for phone P paused between its claim and its lead's insert
    source = add_form_source(repo)
    an = submit_lead(repo, source, IntakeRequest(name="An", phone="0909 000 111"), utc_now())
    claimed, go_on = threading.Event(), threading.Event()
    real_put = Repository.put_new_lead

    def paused_put(self: Repository, lead: Lead) -> None:
        if lead.name == "Bình":
            claimed.set()
            assert go_on.wait(timeout=30)
        real_put(self, lead)

    with patch.object(Repository, "put_new_lead", paused_put), ThreadPoolExecutor(max_workers=1) as pool:
        own_client = new_repository()
        binh = pool.submit(
            submit_lead, own_client, source, IntakeRequest(name="Bình", phone="0912 345 678"), utc_now()
        )
        assert claimed.wait(timeout=30)
        # When an admin moves An to phone P while Bình's lead is on its way
        during = call_as("PATCH", f"/leads/{an.lead_id}", {"phone": "0912 345 678"})
        go_on.set()
        binh_result = binh.result(timeout=30)
    after = call_as("PATCH", f"/leads/{an.lead_id}", {"phone": "0912 345 678"})
    # Then the edit was told to retry (not allowed to take the claim over), and after Bình's lead is
    # stored it is refused as taken: P belongs to Bình alone, An keeps its own phone
    assert during.status == 409 and "retry" in during.body["message"], during.body
    assert after.status == 409 and binh_result.lead_id in after.body["message"], after.body
    assert repo.contact_holder(TENANT, "phone#+84912345678") == binh_result.lead_id
    stored_an = repo.get_lead(TENANT, an.lead_id)
    assert stored_an is not None and stored_an.phone == "+84909000111"
