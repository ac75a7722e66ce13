"""Contact claims under concurrency on DynamoDB Local (real threads): edits racing for one phone."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from leadrouter.clock import utc_now
from leadrouter.data.repository import Repository
from leadrouter.domain.errors import Conflict
from leadrouter.domain.leads import LeadStatus
from leadrouter.domain.users import Caller
from leadrouter.logic.intake.new_leads import IntakeRequest, submit_lead
from leadrouter.logic.leads.edits import LeadEdit, delete_lead, edit_lead, restore_lead
from leadrouter.runtime import new_repository
from tests.support.api import add_form_source
from tests.support.builders import TENANT

ADMIN = Caller(tenant_id=TENANT, role="admin", subject="admin-1")
WANTED = "phone#+84900000001"


@pytest.fixture
def repo(ddb_tables: dict[str, str]) -> Repository:
    return new_repository()


@pytest.mark.parametrize("racers", [2, 8])
def test_leads_edited_to_one_phone_at_once_give_it_to_exactly_one(repo: Repository, racers: int) -> None:
    # Given several leads, each with its own phone
    source = add_form_source(repo)
    ids = [
        submit_lead(
            repo, source, IntakeRequest(name=f"Khách {i}", phone=f"09123456{i:02d}"), utc_now()
        ).lead_id
        for i in range(racers)
    ]
    barrier = threading.Barrier(racers)

    def edit(lead_id: str) -> str | None:
        own_client = new_repository()  # one client per thread, like separate Lambdas
        barrier.wait()
        try:
            edit_lead(own_client, ADMIN, lead_id, LeadEdit(phone="0900000001"), utc_now())
        except Conflict:
            return None
        return lead_id

    # When all are edited to the same new phone at the same instant
    with ThreadPoolExecutor(max_workers=racers) as pool:
        winners = [w for w in pool.map(edit, ids) if w]
    # Then exactly one edit succeeded, the claim points at it, and the losers kept their phones and claims
    assert len(winners) == 1
    assert repo.contact_holder(TENANT, WANTED) == winners[0]
    for i, lead_id in enumerate(ids):
        lead = repo.get_lead(TENANT, lead_id)
        assert lead is not None
        own = f"+849123456{i:02d}"
        if lead_id == winners[0]:
            assert lead.phone == "+84900000001" and repo.contact_holder(TENANT, f"phone#{own}") is None
        else:
            assert lead.phone == own and repo.contact_holder(TENANT, f"phone#{own}") == lead_id


def test_a_restore_racing_a_new_enquiry_leaves_one_holder(repo: Repository) -> None:
    # Given a deleted lead whose customer enquires again exactly while an admin restores it
    source = add_form_source(repo)
    old = submit_lead(repo, source, IntakeRequest(name="An", phone="0912345678"), utc_now()).lead_id
    delete_lead(repo, ADMIN, old, utc_now())
    barrier = threading.Barrier(2)

    def restore() -> str:
        own_client = new_repository()
        barrier.wait()
        try:
            restore_lead(own_client, ADMIN, old, utc_now())
        except Conflict:
            return "refused"
        return "restored"

    def enquire() -> str:
        own_client = new_repository()
        barrier.wait()
        request = IntakeRequest(name="An", phone="0912345678", fields={"n": "2"})
        return submit_lead(own_client, source, request, utc_now()).lead_id

    with ThreadPoolExecutor(max_workers=2) as pool:
        restored, enquiry = pool.submit(restore), pool.submit(enquire)
        outcome, new_id = restored.result(), enquiry.result()
    # Then the claim points at exactly one live lead: the restored one (the enquiry linked to it)
    # or the new one (the restore was refused and the old lead stays deleted)
    holder = repo.contact_holder(TENANT, "phone#+84912345678")
    old_lead = repo.get_lead(TENANT, old)
    assert old_lead is not None
    if outcome == "restored":
        assert holder == old == new_id and old_lead.status is LeadStatus.PENDING
    else:
        assert holder == new_id != old and old_lead.status is LeadStatus.DELETED
