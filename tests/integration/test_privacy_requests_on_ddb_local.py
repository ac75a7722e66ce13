"""Data-subject requests on DynamoDB Local: due dates across Tết, an access request answering with the
person's leads, a restriction reaching every one of their leads, and the open-request listing."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from leadrouter.clock import utc_now
from leadrouter.data.repository import Repository
from leadrouter.domain.consent import RestrictionKind
from leadrouter.domain.users import Caller
from leadrouter.logic.intake.new_leads import IntakeRequest, submit_lead
from leadrouter.logic.privacy.requests import CompleteIn, PrivacyRequestIn, complete_request, create_request
from leadrouter.runtime import new_repository
from tests.support.api import add_form_source
from tests.support.builders import TENANT
from tests.support.files import MemoryFiles

ADMIN = Caller(tenant_id=TENANT, role="admin", subject="admin-1")
#: Wednesday 10 February 2027, a Tết day; the requests were made on Wednesday 3, the day before Tết.
DURING_TET = datetime(2027, 2, 10, 3, 0, tzinfo=UTC)
BEFORE_TET = datetime(2027, 2, 3, 3, 0, tzinfo=UTC)


@pytest.fixture
def repo(ddb_tables: dict[str, str]) -> Repository:
    return new_repository()


def test_requests_across_tet_reach_every_lead_of_the_person(repo: Repository) -> None:
    # Given the person's two leads (one by phone, one by e-mail: intake gave each its claims) and another's
    source = add_form_source(repo)
    by_phone = submit_lead(repo, source, IntakeRequest(name="Nguyễn Văn An", phone="0912345678"), utc_now())
    by_email = submit_lead(repo, source, IntakeRequest(name="An Nguyễn", email="an@example.com"), utc_now())
    other = submit_lead(repo, source, IntakeRequest(name="Trần Bình", phone="0987654321"), utc_now())
    person = {"phone": "0912 345 678", "email": "An@Example.com", "received_at": BEFORE_TET}

    # When an access and a restrict request made before Tết are recorded during it
    access = create_request(
        repo, ADMIN, PrivacyRequestIn.model_validate({"kind": "access", **person}), DURING_TET
    )
    restrict = create_request(
        repo, ADMIN, PrivacyRequestIn.model_validate({"kind": "restrict", **person}), DURING_TET
    )
    # Then their due dates skip Tết (4-10 February) and the weekend: answer Friday 12 February, stop 3 March
    assert access.answer_due == restrict.answer_due == date(2027, 2, 12)
    assert restrict.stop_due == date(2027, 3, 3)
    # And both are listed across tenants while open (the sparse index)
    assert {r.request_id for r in repo.open_privacy_requests()} == {access.request_id, restrict.request_id}

    # When the access request is completed
    answered = complete_request(repo, repo, ADMIN, access.request_id, CompleteIn(), DURING_TET, MemoryFiles())
    # Then it answers with the person's two leads and nobody else's
    assert answered.data is not None
    assert {e["lead"]["lead_id"] for e in answered.data["leads"]} == {by_phone.lead_id, by_email.lead_id}

    # When the restrict request is completed
    done = complete_request(repo, repo, ADMIN, restrict.request_id, CompleteIn(), DURING_TET, MemoryFiles())
    # Then both of the person's leads carry the restriction naming it, the other lead none
    for lead_id in (by_phone.lead_id, by_email.lead_id):
        stored = repo.get_lead(TENANT, lead_id)
        assert stored is not None and stored.restriction is not None
        assert stored.restriction.kind is RestrictionKind.RESTRICT
        assert stored.restriction.request_id == restrict.request_id
    stored_other = repo.get_lead(TENANT, other.lead_id)
    assert stored_other is not None and stored_other.restriction is None
    # And the completed requests keep no contact and have left the open listing
    assert done.request.subject is None and len(done.request.subject_digests) == 2
    assert repo.open_privacy_requests() == []
    kept = repo.get_privacy_request(TENANT, restrict.request_id)
    assert kept is not None and kept.subject is None and kept.outcome is not None
    assert kept.outcome.counts == {"leads": 2, "leads_restricted": 2}
