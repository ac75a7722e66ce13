"""Intake under concurrency on DynamoDB Local: one phone number, one claim, however many forms race."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from leadrouter.clock import utc_now
from leadrouter.data.repository import Repository
from leadrouter.domain.models import PoolSettings
from leadrouter.logic.intake import IntakeRequest, IntakeResult, submit_lead
from leadrouter.settings import Settings
from tests.support.api import add_form_source
from tests.support.builders import TENANT


@pytest.fixture
def repo(ddb_tables: dict[str, str]) -> Repository:
    return Repository(Settings.from_env())


def test_simultaneous_submissions_of_one_phone_create_exactly_one_lead(repo: Repository) -> None:
    # Given 8 different submissions (different names, so no idempotency hit) of the same person's phone
    source = add_form_source(repo)
    spellings = ["0912 345 678", "+84 912345678", "84912345678", "0912.345.678"] * 2
    barrier = threading.Barrier(len(spellings))

    def submit(i: int) -> IntakeResult:
        request = IntakeRequest(name=f"Khách {i}", phone=spellings[i])
        own_client = Repository(Settings.from_env())  # one client per thread, like separate Lambdas
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
    assert len(repo.lead_events(TENANT, leads[0].lead_id)) == 7


def test_a_rotate_pool_stores_every_lead_it_answers_for_under_a_race(repo: Repository) -> None:
    # Given a pool set to rotate duplicates, and 8 submissions of one new phone at the same instant
    source = add_form_source(repo)
    repo.put_pool_settings(PoolSettings(tenant_id=TENANT, pool="web", on_duplicate="rotate"))
    barrier = threading.Barrier(8)

    def submit(i: int) -> IntakeResult:
        own_client = Repository(Settings.from_env())
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
