"""The reclaim sweep on moto: idle leads move to someone who never held them; care always wins."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from leadrouter.data.repository import Repository
from leadrouter.domain.leads import LeadStatus
from leadrouter.domain.rules import RuleKind
from leadrouter.logic.routing.assign import sweep_due_leads
from leadrouter.logic.routing.reclaim import sweep_idle_leads
from tests.support.builders import NOW, TENANT, add_leads, rule, seed
from tests.support.ticks import run_sweeps

LEASE = timedelta(minutes=3)
ASSIGNED_AT = NOW + timedelta(seconds=1)


def _assign(repo: Repository, weights: dict[str, int], count: int):
    seed(repo, rule("r-assign", weights=weights))
    leads = add_leads(repo, count)
    run_sweeps(repo, "assign", sweep_due_leads, ASSIGNED_AT, LEASE)
    return leads


def _reclaim_rule(repo: Repository, weights: dict[str, int], **fields):
    return seed(
        repo,
        rule("r-reclaim", weights=weights, kind=RuleKind.RECLAIM, reclaim_after_minutes=30, **fields),
    )


def _reclaim_tick(repo: Repository, at):
    return run_sweeps(repo, "reclaim", sweep_idle_leads, at, LEASE)


def test_idle_leads_go_to_someone_who_never_held_them(moto_repo: Repository) -> None:
    leads = _assign(moto_repo, {"A": 1}, 4)
    _reclaim_rule(moto_repo, {"A": 1, "B": 1, "C": 1})
    # Not idle long enough yet
    assert _reclaim_tick(moto_repo, ASSIGNED_AT + timedelta(minutes=29)).totals()["assigned"] == 0
    report = _reclaim_tick(moto_repo, ASSIGNED_AT + timedelta(minutes=30))
    assert report.totals()["assigned"] == 4
    stored = [moto_repo.get_lead(TENANT, x.lead_id) for x in leads]
    # A held them all, so the four slots go round the rotation of the others (B, C): 2 each
    assert Counter(s.owner for s in stored) == {"B": 2, "C": 2}  # type: ignore[union-attr]
    first = stored[0]
    assert first is not None and first.reclaim_count == 1 and first.held_by[0] == "A"
    last = first.decisions[-1]
    assert last.action == "reclaimed" and last.previous_owner == "A"
    assert report.swept[0].skipped["held_before"] >= 1


def test_care_activity_restarts_the_idle_clock(moto_repo: Repository) -> None:
    leads = _assign(moto_repo, {"A": 1}, 2)
    _reclaim_rule(moto_repo, {"B": 1})
    assert moto_repo.record_care(TENANT, leads[0].lead_id, ASSIGNED_AT + timedelta(minutes=20))
    report = _reclaim_tick(moto_repo, ASSIGNED_AT + timedelta(minutes=31))
    assert report.totals()["assigned"] == 1
    assert moto_repo.get_lead(TENANT, leads[0].lead_id).owner == "A"  # type: ignore[union-attr]
    assert moto_repo.get_lead(TENANT, leads[1].lead_id).owner == "B"  # type: ignore[union-attr]


def test_care_landing_between_read_and_write_wins(moto_repo: Repository, monkeypatch) -> None:
    # Given an idle lead, and a salesperson who calls it while the reclaim sweep is deciding
    (the_lead,) = _assign(moto_repo, {"A": 1}, 1)
    _reclaim_rule(moto_repo, {"B": 1})
    real_reclaim = moto_repo.reclaim_assigned
    call_at = ASSIGNED_AT + timedelta(minutes=31)

    def care_then_reclaim(lead, new_owner, decision):
        assert moto_repo.record_care(TENANT, lead.lead_id, call_at)
        return real_reclaim(lead, new_owner, decision)

    monkeypatch.setattr(moto_repo, "reclaim_assigned", care_then_reclaim)
    # When the sweep writes
    report = _reclaim_tick(moto_repo, call_at)
    # Then the write loses, the lead stays with its owner, and the loss is counted
    assert report.totals()["lost"] == 1 and report.totals()["assigned"] == 0
    stored = moto_repo.get_lead(TENANT, the_lead.lead_id)
    assert stored is not None and stored.owner == "A" and stored.reclaim_count == 0
    assert stored.idle_since == call_at


def test_reclaim_limit_escalates(moto_repo: Repository) -> None:
    (the_lead,) = _assign(moto_repo, {"A": 1}, 1)
    _reclaim_rule(moto_repo, {"A": 1, "B": 1, "C": 1, "D": 1}, max_reclaims=2)
    at = ASSIGNED_AT
    owners = []
    for _ in range(3):
        at += timedelta(minutes=30)
        _reclaim_tick(moto_repo, at)
        owners.append(moto_repo.get_lead(TENANT, the_lead.lead_id).owner)  # type: ignore[union-attr]
    stored = moto_repo.get_lead(TENANT, the_lead.lead_id)
    assert stored is not None and stored.status is LeadStatus.ESCALATED
    assert stored.reclaim_count == 2 and len(set(stored.held_by)) == 3
    assert stored.decisions[-1].reason == "reclaim_limit"
    # Escalated leads leave the idle index: nothing more happens to them
    assert _reclaim_tick(moto_repo, at + timedelta(hours=1)).totals()["seen"] == 0


def test_everyone_already_held_it_escalates(moto_repo: Repository) -> None:
    (the_lead,) = _assign(moto_repo, {"A": 1}, 1)
    _reclaim_rule(moto_repo, {"A": 1})
    report = _reclaim_tick(moto_repo, ASSIGNED_AT + timedelta(minutes=30))
    assert report.totals()["escalated"] == 1
    stored = moto_repo.get_lead(TENANT, the_lead.lead_id)
    assert stored is not None and stored.status is LeadStatus.ESCALATED
    assert stored.decisions[-1].reason == "no_eligible_staff"
    assert [(s.staff_id, s.reason) for s in stored.decisions[-1].skipped] == [("A", "held_before")]
