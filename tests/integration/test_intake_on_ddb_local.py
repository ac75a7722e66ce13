"""Intake under concurrency on DynamoDB Local: one phone number, one lead, however many forms race."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from leadrouter.clock import utc_now
from leadrouter.data.repository import Repository
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
