"""End to end through the API: a campaign named "Tết 2027" (Vietnamese, with a space)
can be created, filled by a mass update, listed, split by its rule and reported, in its URL-encoded form
as a browser or curl sends it."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from urllib.parse import quote

import pytest

from leadrouter.data.repository import Repository
from leadrouter.domain.leads import LeadStatus
from leadrouter.logic.routing.assign import sweep_due_leads
from tests.support.api import call_as
from tests.support.builders import NOW, TENANT, add_leads, staff
from tests.support.ticks import run_sweeps

CAMPAIGN = "Tết 2027"
PATH = quote(CAMPAIGN)  # T%E1%BA%BFt%202027


def test_a_vietnamese_campaign_works_from_rule_to_report(
    moto_repo: Repository, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("leadrouter.api.context.clock", lambda: NOW + timedelta(minutes=5))
    # Given staff A and B, and a campaign rule whose scope is "Tết 2027"
    for sid in "AB":
        moto_repo.put_staff(staff(sid))
    rule_body = {
        "rule_id": "r-tet",
        "name": "Chiến dịch Tết",
        "kind": "round_robin",
        "scope": {"campaign": CAMPAIGN},
        "staff": [{"staff_id": "A"}, {"staff_id": "B"}],
    }
    assert call_as("POST", "/rules", rule_body).status == 201
    # …and four leads received in the data pool
    leads = add_leads(moto_repo, 4)
    # When an admin mass-updates them into the campaign, with the name percent-encoded in the path
    reply = call_as("POST", f"/campaigns/{PATH}/leads", {"lead_ids": [x.lead_id for x in leads]})
    assert reply.status == 200 and reply.body["updated"] == 4 and reply.body["campaign"] == CAMPAIGN
    # Then they list under the campaign, pending ("Lead gán tự động")
    listed = call_as("GET", f"/leads?campaign={PATH}").body["items"]
    assert {x["lead"]["campaign"] for x in listed} == {CAMPAIGN} and len(listed) == 4
    assert {x["status_label"] for x in listed} == {"Lead gán tự động"}
    # When the campaign's rule is swept, the leads are split 2:2
    run_sweeps(moto_repo, "assign", sweep_due_leads, NOW + timedelta(hours=1), timedelta(minutes=3))
    stored = [moto_repo.get_lead(TENANT, x.lead_id) for x in leads]
    assert {s.status for s in stored if s} == {LeadStatus.ASSIGNED}
    assert Counter(s.owner for s in stored if s) == {"A": 2, "B": 2}
    # And the report shows the campaign rule's split
    query = "received_from=2026-11-23T00:00:00Z&received_to=2026-11-25T00:00:00Z&rule_id=r-tet"
    (row,) = call_as("GET", f"/reports/distribution?{query}").body["rules"]
    assert row["assigned"] == 4 and {s["staff_id"]: s["assigned"] for s in row["staff"]} == {"A": 2, "B": 2}


def test_a_campaign_name_that_would_break_keys_is_a_422_naming_it(moto_repo: Repository) -> None:
    (one,) = add_leads(moto_repo, 1)
    for name in ("a%23b", "%00x", "%E2%80%AEabc", "%20%20"):
        reply = call_as("POST", f"/campaigns/{name}/leads", {"lead_ids": [one.lead_id]})
        assert reply.status == 422, name
        assert [e["field"] for e in reply.body["errors"]] == ["campaign"], name
    stored = moto_repo.get_lead(TENANT, one.lead_id)
    assert stored is not None and stored.campaign is None
