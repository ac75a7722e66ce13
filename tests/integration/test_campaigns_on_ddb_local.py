"""Mass update into a campaign on DynamoDB Local: a held lead's release is written with the move, or not."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from leadrouter.data.repository import Repository
from leadrouter.domain.leads import Lead, LeadEvent, LeadStatus
from leadrouter.domain.users import Caller
from leadrouter.logic.leads.assignment import assign_manually
from leadrouter.logic.leads.campaigns import put_in_campaign
from leadrouter.logic.routing.assign import sweep_due_leads
from leadrouter.runtime import new_repository
from tests.support.builders import NOW, TENANT, add_leads, rule, seed, staff
from tests.support.ticks import run_sweeps

ADMIN = Caller(tenant_id=TENANT, role="admin", subject="admin-1")
MOVED_AT = NOW + timedelta(minutes=5)


@pytest.fixture
def repo(ddb_tables: dict[str, str]) -> Repository:
    return new_repository()


def test_a_move_racing_a_reassignment_never_records_a_release_the_lead_did_not_have(
    repo: Repository, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given two leads A holds (B is on the team too)
    seed(repo, rule("r-web", weights={"A": 1}), [staff("B")])
    leads = add_leads(repo, 2)
    run_sweeps(repo, "assign", sweep_due_leads, NOW + timedelta(seconds=1), timedelta(minutes=3))
    raced, moved = (x.lead_id for x in leads)
    real_save = repo.save_lead

    def reassigned_meanwhile(before: Lead, after: Lead, event: LeadEvent | None = None, **kw: Any) -> Lead:
        if before.lead_id == raced:  # a team lead gives it to B after the mass update read it
            assign_manually(new_repository(), ADMIN, raced, ["B"], MOVED_AT)
        return real_save(before, after, event, **kw)

    monkeypatch.setattr(repo, "save_lead", reassigned_meanwhile)
    # When an admin moves both into a campaign
    result = put_in_campaign(repo, ADMIN, "tet", [raced, moved], MOVED_AT)
    # Then the moved lead is pending in the campaign, and its release from A is on the same item
    assert result["lead_ids"] == [moved] and [s["lead_id"] for s in result["skipped"]] == [raced]
    after = repo.get_lead(TENANT, moved)
    assert after is not None
    assert (after.status, after.owner, after.campaign) == (LeadStatus.PENDING, None, "tet")
    release = after.decisions[-1]
    assert (release.action, release.previous_owner, release.reason, release.at) == (
        "released",
        "A",
        "moved_to_campaign",
        MOVED_AT,
    )
    # ...and the raced one stays with B: no release from A was written over the reassignment
    kept = repo.get_lead(TENANT, raced)
    assert kept is not None and (kept.status, kept.owner, kept.campaign) == (LeadStatus.ASSIGNED, "B", None)
    assert [(d.action, d.previous_owner) for d in kept.decisions] == [("assigned", None), ("manual", "A")]
