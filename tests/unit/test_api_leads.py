"""Leads API: visibility by role and tenant, edits, manual assignment, steps, care, deletes, campaigns."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest

from leadrouter.data.repository import Repository
from leadrouter.domain.leads import LeadStatus
from leadrouter.domain.rules import RuleKind
from leadrouter.logic.routing.assign import sweep_due_leads
from leadrouter.logic.routing.reclaim import sweep_idle_leads
from tests.support.api import ADMIN, CRM, add_form_source, call, claims, event, frozen_api_clock
from tests.support.builders import NOW, TENANT, add_leads, rule, seed, staff
from tests.support.ticks import run_sweeps

LEASE = timedelta(minutes=3)
ASSIGNED_AT = NOW + timedelta(seconds=1)
STAFF_A = claims("staff", staff_id="A")
STAFF_B = claims("staff", staff_id="B")
LEAD_OF_TEAM_RED = claims("team_lead", staff_id="lead-red", team="red")
OTHER_TENANT_ADMIN = claims("admin", tenant="globex")
FORM = CRM  # the key and the source secret: answers name the lead


@pytest.fixture
def api_clock(monkeypatch: pytest.MonkeyPatch):
    """Put API actions on the same timeline as the sweeps (which take ``now`` explicitly)."""
    return frozen_api_clock(monkeypatch, NOW + timedelta(minutes=5))


def _assigned(repo: Repository, weights: dict[str, int], count: int, members=None):
    seed(repo, rule(weights=weights), members)
    leads = add_leads(repo, count)
    run_sweeps(repo, "assign", sweep_due_leads, ASSIGNED_AT, LEASE)
    return [repo.get_lead(TENANT, x.lead_id) for x in leads]


def test_each_role_sees_exactly_its_leads(moto_repo: Repository) -> None:
    leads = _assigned(moto_repo, {"A": 1, "B": 1}, 2, [staff("A", team="red"), staff("B", team="blue")])
    of_a = next(x for x in leads if x.owner == "A")
    of_b = next(x for x in leads if x.owner == "B")
    assert call(event("GET", f"/leads/{of_a.lead_id}", claims=ADMIN)).status == 200
    assert call(event("GET", f"/leads/{of_a.lead_id}", claims=STAFF_A)).status == 200
    assert call(event("GET", f"/leads/{of_b.lead_id}", claims=STAFF_A)).status == 404
    assert call(event("GET", f"/leads/{of_a.lead_id}", claims=LEAD_OF_TEAM_RED)).status == 200
    assert call(event("GET", f"/leads/{of_b.lead_id}", claims=LEAD_OF_TEAM_RED)).status == 404
    assert call(event("GET", f"/leads/{of_a.lead_id}", claims=OTHER_TENANT_ADMIN)).status == 404
    assert call(event("GET", f"/leads/{of_a.lead_id}")).status == 401
    listed = call(event("GET", "/leads", claims=STAFF_A)).body["items"]
    assert [x["lead"]["lead_id"] for x in listed] == [of_a.lead_id]
    assert call(event("GET", "/leads?assignee=B", claims=STAFF_A)).body["items"] == []
    # an owner filter is served by the owner_idle index (the owner's open leads only)
    by_owner = call(event("GET", "/leads?assignee=B&pool=web", claims=ADMIN)).body["items"]
    assert [x["lead"]["lead_id"] for x in by_owner] == [of_b.lead_id]


def test_a_lead_with_its_full_history(moto_repo: Repository, api_clock) -> None:
    (lead, _) = _assigned(moto_repo, {"A": 1}, 2)
    call(
        event(
            "POST",
            f"/leads/{lead.lead_id}/activities",
            {"kind": "note", "text": "gọi lại sau"},
            claims=STAFF_A,
        )
    )
    reply = call(event("GET", f"/leads/{lead.lead_id}", claims=ADMIN))
    assert reply.status == 200 and reply.body["status_label"] == "Lead đã được gán"
    kinds = [(h["type"], h.get("action") or h.get("kind")) for h in reply.body["history"]]
    assert kinds == [("decision", "assigned"), ("event", "note")]


def test_listing_filters_and_pages(moto_repo: Repository) -> None:
    seed(moto_repo, rule(weights={"A": 1}))
    add_leads(moto_repo, 5, pool="web")
    add_leads(moto_repo, 3, pool="zalo", received_at=NOW + timedelta(seconds=1))
    page = call(event("GET", "/leads?pool=web&status=pending&limit=2", claims=ADMIN))
    assert page.status == 200 and len(page.body["items"]) == 2
    seen = [x["lead"]["lead_id"] for x in page.body["items"]]
    cursor = page.body["cursor"]
    while cursor:
        page = call(event("GET", f"/leads?pool=web&status=pending&limit=2&cursor={cursor}", claims=ADMIN))
        seen += [x["lead"]["lead_id"] for x in page.body["items"]]
        cursor = page.body["cursor"]
    assert len(seen) == len(set(seen)) == 5
    assert seen == sorted(seen, reverse=True)  # newest first


def test_listing_filters_by_the_source_a_lead_came_through(moto_repo: Repository) -> None:
    seed(moto_repo, rule(weights={"A": 1}))
    from_facebook = add_leads(moto_repo, 2, pool="zalo", source="facebook-form")
    add_leads(moto_repo, 3, pool="zalo", source="web-form", received_at=NOW + timedelta(seconds=1))
    page = call(event("GET", "/leads?source=facebook-form", claims=ADMIN))
    assert page.status == 200
    assert sorted(x["lead"]["lead_id"] for x in page.body["items"]) == sorted(
        x.lead_id for x in from_facebook
    )
    # the admin's unrouted view (no rule for pool zalo) narrows by source the same way
    stranded = call(event("GET", "/leads?unrouted=true&source=facebook-form", claims=ADMIN)).body["items"]
    assert sorted(x["lead"]["lead_id"] for x in stranded) == sorted(x.lead_id for x in from_facebook)
    assert {x["unrouted"] for x in stranded} == {"no_rule"}
    assert call(event("GET", "/leads?source=no%20spaces", claims=ADMIN)).status == 422


def test_a_cursor_from_another_tenant_is_refused(moto_repo: Repository) -> None:
    import base64
    import json

    forged = base64.urlsafe_b64encode(
        json.dumps({"tenant_id": {"S": "globex"}, "lead_id": {"S": "L0"}}).encode()
    ).decode()
    reply = call(event("GET", f"/leads?cursor={forged}", claims=ADMIN))
    assert reply.status == 422 and reply.body["errors"][0]["field"] == "cursor"
    assert call(event("GET", "/leads?limit=0&status=lost", claims=ADMIN)).status == 422


def test_edit_normalises_and_refuses_bad_contacts(moto_repo: Repository, api_clock) -> None:
    (lead,) = _assigned(moto_repo, {"A": 1}, 1)
    ok = call(event("PATCH", f"/leads/{lead.lead_id}", {"phone": "0987 654 321"}, claims=ADMIN))
    assert ok.status == 200 and ok.body["lead"]["phone"] == "+84987654321"
    bad = call(event("PATCH", f"/leads/{lead.lead_id}", {"phone": "123", "email": "x"}, claims=ADMIN))
    assert bad.status == 422 and {e["field"] for e in bad.body["errors"]} == {"phone", "email"}
    unknown = call(event("PATCH", f"/leads/{lead.lead_id}", {"owner": "B"}, claims=ADMIN))
    assert unknown.status == 422 and unknown.body["errors"][0]["field"] == "owner"
    assert moto_repo.get_lead(TENANT, lead.lead_id).phone == "+84987654321"  # type: ignore[union-attr]


def test_edit_to_a_phone_another_lead_holds_is_a_conflict(moto_repo: Repository) -> None:
    add_form_source(moto_repo)
    first = call(event("POST", "/intake/leads", {"name": "An", "phone": "0912345678"}, headers=FORM))
    second = call(event("POST", "/intake/leads", {"name": "Bình", "phone": "0987654321"}, headers=FORM))
    taken = call(event("PATCH", f"/leads/{second.body['lead_id']}", {"phone": "+84912345678"}, claims=ADMIN))
    assert taken.status == 409 and first.body["lead_id"] in taken.body["message"]
    assert moto_repo.get_lead(TENANT, second.body["lead_id"]).phone == "+84987654321"  # type: ignore[union-attr]


def test_manual_assignment_to_several_staff(moto_repo: Repository, api_clock) -> None:
    (lead,) = _assigned(moto_repo, {"A": 1}, 1, [staff("B"), staff("C"), staff("Z", active=False)])
    reply = call(event("POST", f"/leads/{lead.lead_id}/assignees", {"staff_ids": ["B", "C"]}, claims=ADMIN))
    assert reply.status == 200
    stored = moto_repo.get_lead(TENANT, lead.lead_id)
    assert stored is not None and stored.owner == "B" and stored.assignees == ["B", "C"]
    assert stored.decisions[-1].action == "manual" and stored.decisions[-1].previous_owner == "A"
    # B and C now see it; A no longer does
    assert call(event("GET", f"/leads/{lead.lead_id}", claims=claims("staff", staff_id="C"))).status == 200
    assert call(event("GET", f"/leads/{lead.lead_id}", claims=STAFF_A)).status == 404
    # unknown or inactive staff: 422 naming each, nothing written
    bad = call(
        event("POST", f"/leads/{lead.lead_id}/assignees", {"staff_ids": ["B", "nope", "Z"]}, claims=ADMIN)
    )
    assert bad.status == 422
    assert {e["field"] for e in bad.body["errors"]} == {"staff_ids.1", "staff_ids.2"}
    # staff cannot reassign
    denied = call(event("POST", f"/leads/{lead.lead_id}/assignees", {"staff_ids": ["A"]}, claims=STAFF_B))
    assert denied.status == 403
    assert moto_repo.get_lead(TENANT, lead.lead_id).assignees == ["B", "C"]  # type: ignore[union-attr]


def test_moving_a_pending_lead_moves_it_to_the_new_steps_queue(moto_repo: Repository, api_clock) -> None:
    seed(moto_repo, rule("r-new", weights={"A": 1}, window={"start": NOW + timedelta(days=1)}))
    seed(moto_repo, rule("r-hot", weights={"B": 1}, scope={"pool": "web", "step": "hot"}))
    (lead,) = add_leads(moto_repo, 1)
    reply = call(event("POST", f"/leads/{lead.lead_id}/step", {"step": "hot"}, claims=ADMIN))
    assert reply.status == 200 and reply.body["lead"]["step"] == "hot"
    run_sweeps(moto_repo, "assign", sweep_due_leads, api_clock["now"] + timedelta(seconds=1), LEASE)
    assert moto_repo.get_lead(TENANT, lead.lead_id).owner == "B"  # type: ignore[union-attr]


def test_care_activity_resets_the_reclaim_clock(moto_repo: Repository, api_clock) -> None:
    cared, ignored = _assigned(moto_repo, {"A": 1}, 2)
    seed(moto_repo, rule("r-back", weights={"B": 1}, kind=RuleKind.RECLAIM, reclaim_after_minutes=30))
    api_clock["now"] = ASSIGNED_AT + timedelta(minutes=25)
    reply = call(
        event(
            "POST", f"/leads/{cared.lead_id}/activities", {"kind": "call", "text": "đã gọi"}, claims=STAFF_A
        )
    )
    assert reply.status == 200
    run_sweeps(moto_repo, "reclaim", sweep_idle_leads, ASSIGNED_AT + timedelta(minutes=31), LEASE)
    assert moto_repo.get_lead(TENANT, cared.lead_id).owner == "A"  # type: ignore[union-attr]
    assert moto_repo.get_lead(TENANT, ignored.lead_id).owner == "B"  # type: ignore[union-attr]
    # a staff member cannot log care on a lead that is not theirs
    assert (
        call(
            event(
                "POST", f"/leads/{ignored.lead_id}/activities", {"kind": "note", "text": "x"}, claims=STAFF_A
            )
        ).status
        == 404
    )
    assert (
        call(
            event("POST", f"/leads/{cared.lead_id}/activities", {"kind": "sms", "text": ""}, claims=STAFF_A)
        ).status
        == 422
    )


def test_soft_delete_is_recorded_and_hides_the_lead(moto_repo: Repository, api_clock) -> None:
    (lead,) = _assigned(moto_repo, {"A": 1}, 1)
    assert call(event("DELETE", f"/leads/{lead.lead_id}", claims=ADMIN)).status == 200
    assert call(event("GET", f"/leads/{lead.lead_id}", claims=ADMIN)).status == 404
    assert call(event("GET", "/leads", claims=ADMIN)).body["items"] == []
    stored = moto_repo.get_lead(TENANT, lead.lead_id)
    assert stored is not None and stored.status is LeadStatus.DELETED
    assert [e.kind for e in moto_repo.lead_events(TENANT, lead.lead_id)] == ["deleted"]
    assert moto_repo.lead_events(TENANT, lead.lead_id)[0].by == ADMIN["sub"]
    # it left the reclaim queue too
    seed(moto_repo, rule("r-back", weights={"B": 1}, kind=RuleKind.RECLAIM, reclaim_after_minutes=1))
    report = run_sweeps(moto_repo, "reclaim", sweep_idle_leads, NOW + timedelta(hours=1), LEASE)
    assert report.totals()["seen"] == 0


def test_mass_update_into_a_campaign_then_the_campaign_rule_splits_them(
    moto_repo: Repository, api_clock
) -> None:
    leads = _assigned(moto_repo, {"A": 1}, 6)
    seed(moto_repo, rule("r-tet", weights={"X": 1, "Y": 2}, scope={"campaign": "tet"}))
    ids = [x.lead_id for x in leads]
    reply = call(event("POST", "/campaigns/tet/leads", {"lead_ids": [*ids, "L-missing"]}, claims=ADMIN))
    assert reply.status == 200 and reply.body["updated"] == 6
    assert reply.body["skipped"] == [{"lead_id": "L-missing", "reason": "lead L-missing not found"}]
    stored = [moto_repo.get_lead(TENANT, i) for i in ids]
    assert {(s.status, s.campaign) for s in stored} == {(LeadStatus.PENDING, "tet")}  # type: ignore[union-attr]
    run_sweeps(moto_repo, "assign", sweep_due_leads, api_clock["now"] + timedelta(seconds=1), LEASE)
    assert Counter(moto_repo.get_lead(TENANT, i).owner for i in ids) == {"X": 2, "Y": 4}  # type: ignore[union-attr]
    # by filter, and staff may not
    assert (
        call(event("POST", "/campaigns/tet/leads", {"filter": {"pool": "web"}}, claims=STAFF_A)).status == 403
    )
    assert (
        call(event("POST", "/campaigns/tet/leads", {"lead_ids": ids, "filter": {}}, claims=ADMIN)).status
        == 422
    )


def test_moving_a_held_lead_into_a_campaign_records_its_release_from_the_owner(
    moto_repo: Repository, api_clock
) -> None:
    # Given a lead A holds, and one still pending
    (held,) = _assigned(moto_repo, {"A": 1}, 1)
    (waiting,) = add_leads(moto_repo, 1)
    # When an admin moves both into a campaign
    reply = call(
        event("POST", "/campaigns/tet/leads", {"lead_ids": [held.lead_id, waiting.lead_id]}, claims=ADMIN)
    )
    assert reply.status == 200 and reply.body["updated"] == 2
    # Then the held lead's history says A lost it, and why, and who did it
    history = call(event("GET", f"/leads/{held.lead_id}", claims=ADMIN)).body["history"]
    releases = [h for h in history if h["type"] == "decision" and h["action"] == "released"]
    assert [(r["previous_owner"], r["reason"], r["by"]) for r in releases] == [
        ("A", "moved_to_campaign", ADMIN["sub"])
    ]
    after = moto_repo.get_lead(TENANT, held.lead_id)
    assert after is not None and after.status is LeadStatus.PENDING and after.owner is None
    assert after.decisions[-1].at == api_clock["now"]
    # ...while a lead nobody held is only moved
    stored = moto_repo.get_lead(TENANT, waiting.lead_id)
    assert stored is not None and [d.action for d in stored.decisions] == []


def test_deleting_is_for_admins_and_team_leads_not_staff(moto_repo: Repository, api_clock) -> None:
    # Given a lead held by A, of team red
    (lead,) = _assigned(moto_repo, {"A": 1}, 1, [staff("A", team="red")])
    # When its own salesperson tries to delete it; Then 403 and the lead is untouched
    denied = call(event("DELETE", f"/leads/{lead.lead_id}", claims=STAFF_A))
    assert denied.status == 403
    assert moto_repo.get_lead(TENANT, lead.lead_id).status is LeadStatus.ASSIGNED  # type: ignore[union-attr]
    # a team lead of another team does not see it; the team's lead may delete it, and restore it
    other_team = claims("team_lead", staff_id="lead-blue", team="blue")
    assert call(event("DELETE", f"/leads/{lead.lead_id}", claims=other_team)).status == 404
    assert call(event("DELETE", f"/leads/{lead.lead_id}", claims=LEAD_OF_TEAM_RED)).status == 200
    assert call(event("POST", f"/leads/{lead.lead_id}/restore", claims=STAFF_A)).status == 403
    assert call(event("POST", f"/leads/{lead.lead_id}/restore", claims=OTHER_TENANT_ADMIN)).status == 404
    restored = call(event("POST", f"/leads/{lead.lead_id}/restore", claims=LEAD_OF_TEAM_RED))
    assert restored.status == 200 and restored.body["lead"]["status"] == "pending"
    # restoring a lead that is not deleted is a conflict, not a silent re-queue
    assert call(event("POST", f"/leads/{lead.lead_id}/restore", claims=ADMIN)).status == 409


def _held_by_a_with_reclaim_on(repo: Repository, *reclaimed_steps: str):
    (lead,) = _assigned(repo, {"A": 1}, 1)
    for step in reclaimed_steps:
        seed(
            repo,
            rule(
                f"r-back-{step}",
                weights={"B": 1},
                kind=RuleKind.RECLAIM,
                reclaim_after_minutes=30,
                scope={"pool": "web", "step": step},
            ),
        )
    return lead


def test_staff_cannot_move_a_lead_out_of_reclaim_coverage(moto_repo: Repository, api_clock) -> None:
    # Given A's lead in web/new, which a reclaim rule watches; web/lost has no reclaim rule
    lead = _held_by_a_with_reclaim_on(moto_repo, "new")
    # When A moves it to "lost" (where nobody would ever take it back)
    denied = call(event("POST", f"/leads/{lead.lead_id}/step", {"step": "lost"}, claims=STAFF_A))
    # Then 403 naming the step, and the lead stays where it was
    assert denied.status == 403
    assert "'lost'" in denied.body["message"] and "ask an admin" in denied.body["message"]
    assert moto_repo.get_lead(TENANT, lead.lead_id).step == "new"  # type: ignore[union-attr]
    # an admin may move it there (a deliberate decision)
    assert call(event("POST", f"/leads/{lead.lead_id}/step", {"step": "lost"}, claims=ADMIN)).status == 200


def test_staff_may_move_a_lead_between_reclaimed_steps(moto_repo: Repository, api_clock) -> None:
    covered = _held_by_a_with_reclaim_on(moto_repo, "new", "hot")
    moved = call(event("POST", f"/leads/{covered.lead_id}/step", {"step": "hot"}, claims=STAFF_A))
    assert moved.status == 200 and moved.body["lead"]["step"] == "hot"


def test_staff_may_move_a_lead_that_no_reclaim_rule_watches(moto_repo: Repository, api_clock) -> None:
    lead = _held_by_a_with_reclaim_on(moto_repo)
    assert call(event("POST", f"/leads/{lead.lead_id}/step", {"step": "lost"}, claims=STAFF_A)).status == 200


def test_a_campaign_lead_keeps_its_campaign_scope_when_its_step_changes(
    moto_repo: Repository, api_clock
) -> None:
    # Given A's lead in the "tet" campaign, which a reclaim rule watches
    seed(moto_repo, rule("r-tet", weights={"A": 1}, scope={"campaign": "tet"}))
    seed(
        moto_repo,
        rule(
            "r-tet-back",
            weights={"B": 1},
            kind=RuleKind.RECLAIM,
            reclaim_after_minutes=30,
            scope={"campaign": "tet"},
        ),
    )
    (lead,) = add_leads(moto_repo, 1, campaign="tet")
    run_sweeps(moto_repo, "assign", sweep_due_leads, ASSIGNED_AT, LEASE)
    # When A moves it to a step no rule covers; Then it is allowed: it stays in the campaign's scope
    reply = call(event("POST", f"/leads/{lead.lead_id}/step", {"step": "lost"}, claims=STAFF_A))
    assert reply.status == 200
    stored = moto_repo.get_lead(TENANT, lead.lead_id)
    assert stored is not None and (stored.step, stored.scope_key) == ("lost", "campaign#tet")


def test_an_edit_the_lead_model_would_refuse_is_a_422_and_writes_nothing(moto_repo: Repository) -> None:
    (lead,) = _assigned(moto_repo, {"A": 1}, 1)
    reply = call(event("PATCH", f"/leads/{lead.lead_id}", {"attributes": {"": "x"}}, claims=ADMIN))
    assert reply.status == 422
    assert moto_repo.get_lead(TENANT, lead.lead_id).attributes == {}  # type: ignore[union-attr]
