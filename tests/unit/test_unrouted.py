"""Leads no rule will assign are shown and escalated with a reason, never left silent.

A lead in a step no rule covers, in a scope whose rule is disabled, or after its rule's window closed
stays pending; it is counted in the report and, after the tenant's escalation time, escalated with
``no_rule`` / ``window_closed``.
"""

from __future__ import annotations

from datetime import timedelta

from leadrouter.data.repository import Repository
from leadrouter.domain.leads import LeadStatus
from leadrouter.domain.tenants import Tenant
from leadrouter.logic.routing.unrouted import sweep_unrouted, unrouted_leads
from tests.support.api import call_as, claims
from tests.support.builders import NOW, TENANT, add_leads, rule, seed


def _status(repo: Repository, leads) -> set[LeadStatus]:
    return {repo.get_lead(TENANT, x.lead_id).status for x in leads}  # type: ignore[union-attr]


def test_a_lead_in_a_step_no_rule_covers_is_listed_then_escalated_no_rule(moto_repo: Repository) -> None:
    # Given a rule for web/new, and leads that arrived in web/"Gọi lại" (no rule covers that step)
    seed(moto_repo, rule())
    stranded = add_leads(moto_repo, 3, step="Gọi lại")
    routed = add_leads(moto_repo, 2)
    # When the unrouted sweep runs before the tenant's escalation time (120 minutes)
    early = sweep_unrouted(moto_repo, NOW + timedelta(minutes=119))
    # Then nothing is escalated yet, but the admin sees them as unrouted with the reason
    assert sum(early.escalated.values()) == 0
    assert early.unrouted == {f"{TENANT}#pool#web#step#Gọi lại": "no_rule"}
    shown = unrouted_leads(moto_repo, TENANT, NOW + timedelta(minutes=119), limit=50)
    assert sorted(x.lead_id for x, _ in shown) == sorted(x.lead_id for x in stranded)
    assert {why for _, why in shown} == {"no_rule"}
    # When it runs after 120 minutes
    late = sweep_unrouted(moto_repo, NOW + timedelta(minutes=121))
    # Then exactly the stranded leads are escalated, each with a no_rule decision; routed leads untouched
    assert late.escalated == {"no_rule": 3}
    assert _status(moto_repo, stranded) == {LeadStatus.ESCALATED}
    assert _status(moto_repo, routed) == {LeadStatus.PENDING}
    stored = moto_repo.get_lead(TENANT, stranded[0].lead_id)
    assert stored is not None and stored.decisions[-1].action == "escalated"
    assert stored.decisions[-1].reason == "no_rule"


def test_a_disabled_rule_leaves_its_scope_unrouted(moto_repo: Repository) -> None:
    seed(moto_repo, rule(active=False))
    leads = add_leads(moto_repo, 2)
    report = sweep_unrouted(moto_repo, NOW + timedelta(hours=3))
    assert report.escalated == {"no_rule": 2} and _status(moto_repo, leads) == {LeadStatus.ESCALATED}


def test_a_closed_window_escalates_with_window_closed(moto_repo: Repository) -> None:
    window = {"start": NOW - timedelta(days=2), "end": NOW - timedelta(days=1)}
    seed(moto_repo, rule(window=window))
    leads = add_leads(moto_repo, 2)
    report = sweep_unrouted(moto_repo, NOW + timedelta(hours=3))
    assert report.escalated == {"window_closed": 2}
    assert _status(moto_repo, leads) == {LeadStatus.ESCALATED}


def test_the_tenants_escalation_time_is_used(moto_repo: Repository) -> None:
    moto_repo.put_tenant(Tenant(tenant_id=TENANT, name="Acme", escalate_after_minutes=15))
    leads = add_leads(moto_repo, 1, step="nowhere")
    assert sum(sweep_unrouted(moto_repo, NOW + timedelta(minutes=14)).escalated.values()) == 0
    assert sweep_unrouted(moto_repo, NOW + timedelta(minutes=16)).escalated == {"no_rule": 1}
    assert _status(moto_repo, leads) == {LeadStatus.ESCALATED}


def test_the_report_counts_unrouted_leads_and_their_escalations(moto_repo: Repository) -> None:
    seed(moto_repo, rule())
    add_leads(moto_repo, 2, step="nowhere")
    add_leads(moto_repo, 1, step="elsewhere", received_at=NOW - timedelta(hours=3))
    sweep_unrouted(moto_repo, NOW)  # escalates the 3-hour-old one only
    query = "received_from=2026-11-23T00:00:00Z&received_to=2026-11-25T00:00:00Z"
    body = call_as("GET", f"/reports/distribution?{query}").body
    assert body["unrouted"] == {"no_rule": 2}
    assert body["escalated_unrouted"] == {"no_rule": 1}


def test_a_campaign_whose_rule_is_disabled_is_unrouted(moto_repo: Repository) -> None:
    # Given a campaign rule and a lead in its campaign (found by the stateful test: an inactive rule
    # listed for the admin was taken as in charge)
    seed(moto_repo, rule("r-tet", scope={"campaign": "Tết 2027"}))
    (one,) = add_leads(moto_repo, 1, campaign="Tết 2027")
    # When the admin disables the rule / Then the campaign's scope is shown unrouted, with no_rule
    moto_repo.save_rule(
        moto_repo.get_rule(TENANT, "r-tet"),  # type: ignore[arg-type]
        rule("r-tet", scope={"campaign": "Tết 2027"}, active=False),
    )
    shown = unrouted_leads(moto_repo, TENANT, NOW, limit=10)
    assert [(x.lead_id, why) for x, why in shown] == [(one.lead_id, "no_rule")]


def test_admins_list_unrouted_leads_with_the_reason(moto_repo: Repository) -> None:
    # Given a rule for web/new, two leads in a step no rule covers and one routed lead
    seed(moto_repo, rule())
    stranded = add_leads(moto_repo, 2, step="Gọi lại")
    add_leads(moto_repo, 1)
    # When an admin lists ?unrouted=true (also filtered by the step, percent-encoded)
    everything = call_as("GET", "/leads?unrouted=true").body["items"]
    by_step = call_as("GET", "/leads?unrouted=true&step=G%E1%BB%8Di%20l%E1%BA%A1i").body["items"]
    other_step = call_as("GET", "/leads?unrouted=true&step=new").body["items"]
    # Then exactly the stranded leads are listed, each with its reason; staff may not list them
    assert sorted(x["lead"]["lead_id"] for x in everything) == sorted(x.lead_id for x in stranded)
    assert {x["unrouted"] for x in everything} == {"no_rule"} and len(by_step) == 2 and other_step == []
    assert call_as("GET", "/leads?unrouted=true", who=claims("staff", staff_id="A")).status == 403
    # …and the ordinary listing does not mark routed leads
    assert {x["unrouted"] for x in call_as("GET", "/leads").body["items"]} == {None}
