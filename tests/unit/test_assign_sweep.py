"""The assign sweep on moto (single-threaded): who gets what, why, and what is written."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from leadrouter.data.repository import Repository
from leadrouter.domain import eligibility as el
from leadrouter.domain.leads import LeadStatus
from leadrouter.domain.rules import RuleKind
from leadrouter.logic.routing.assign import sweep_due_leads
from tests.support.builders import NOW, TENANT, add_leads, rule, seed, staff
from tests.support.ticks import run_sweeps

LEASE = timedelta(minutes=3)


def _tick(repo: Repository, at=NOW):
    return run_sweeps(repo, "assign", sweep_due_leads, at, LEASE)


def _owners(repo: Repository, leads) -> list[str | None]:
    return [repo.get_lead(TENANT, x.lead_id).owner for x in leads]  # type: ignore[union-attr]


def test_due_leads_are_split_3_4_5_with_a_decision_on_each(moto_repo: Repository) -> None:
    # Given the seed's rule (A:B:C = 3:4:5) and 120 due leads
    the_rule = seed(moto_repo, rule())
    leads = add_leads(moto_repo, 120)
    # When one tick runs after they are due
    report = _tick(moto_repo, NOW + timedelta(seconds=1))
    # Then every lead is assigned, in exactly the rule's proportions
    assert report.totals()["assigned"] == 120
    stored = [moto_repo.get_lead(TENANT, x.lead_id) for x in leads]
    assert Counter(s.owner for s in stored) == {"A": 30, "B": 40, "C": 50}  # type: ignore[union-attr]
    first = stored[0]
    assert first is not None and first.status is LeadStatus.ASSIGNED
    assert first.assignees == [first.owner] and first.held_by == [first.owner]
    assert first.rule_id == the_rule.rule_id and first.rule_version == 1
    # …and the decision record says which slot and rule chose whom
    (decision,) = first.decisions
    assert decision.action == "assigned" and decision.staff_id == first.owner
    assert decision.slot is not None and the_rule.cycle[decision.slot % 12] == first.owner
    # …and one slot block was claimed for the page, not one per lead
    assert report.swept[0].slots_claimed == 120


def test_delay_counts_from_arrival(moto_repo: Repository) -> None:
    seed(moto_repo, rule(delay_minutes=10))
    add_leads(moto_repo, 5)
    assert _tick(moto_repo, NOW + timedelta(minutes=9)).totals()["assigned"] == 0
    assert _tick(moto_repo, NOW + timedelta(minutes=10, seconds=1)).totals()["assigned"] == 5


def test_paused_staff_are_skipped_and_the_skip_is_recorded(moto_repo: Repository) -> None:
    seed(moto_repo, rule(weights={"A": 1, "B": 1, "C": 1}), [staff("B", paused=True)])
    leads = add_leads(moto_repo, 30)
    report = _tick(moto_repo, NOW + timedelta(seconds=1))
    owners = Counter(_owners(moto_repo, leads))
    # B's turns go to whoever follows B in the cycle; nobody is given to B
    assert "B" not in owners and sum(owners.values()) == 30
    assert report.swept[0].skipped[el.PAUSED] == 10
    skipped_records = [
        d.skipped
        for x in leads
        for d in moto_repo.get_lead(TENANT, x.lead_id).decisions  # type: ignore[union-attr]
    ]
    assert sum(1 for s in skipped_records if s and s[0].staff_id == "B" and s[0].reason == "paused") == 10


def test_nobody_who_could_ever_take_it_means_escalation(moto_repo: Repository) -> None:
    seed(moto_repo, rule(weights={"A": 1, "B": 1}), [staff("A", active=False)], absent=["B"])
    leads = add_leads(moto_repo, 3)
    report = _tick(moto_repo, NOW + timedelta(seconds=1))
    assert report.totals()["escalated"] == 3 and report.swept[0].slots_claimed == 0
    stored = moto_repo.get_lead(TENANT, leads[0].lead_id)
    assert stored is not None and stored.status is LeadStatus.ESCALATED
    (decision,) = stored.decisions
    assert decision.action == "escalated" and decision.reason == "no_eligible_staff"
    assert {(s.staff_id, s.reason) for s in decision.skipped} == {("A", el.INACTIVE), ("B", el.UNKNOWN)}


def test_off_shift_leads_wait_for_the_shift_instead_of_escalating(moto_repo: Repository) -> None:
    night_only = [{"start": "22:00", "end": "23:00"}]
    seed(moto_repo, rule(weights={"A": 1}, escalate_after_minutes=60), [staff("A", working_hours=night_only)])
    leads = add_leads(moto_repo, 2)
    # At 09:00 local nobody is on shift: the leads wait, visibly, with no slot claimed
    report = _tick(moto_repo, NOW + timedelta(minutes=1))
    assert report.totals()["waiting"] == 2 and report.swept[0].slots_claimed == 0
    assert moto_repo.get_lead(TENANT, leads[0].lead_id).status is LeadStatus.PENDING  # type: ignore[union-attr]
    # Twelve wall-clock hours later they still wait: no working time has passed, so no escalation
    report = _tick(moto_repo, NOW + timedelta(hours=12, minutes=59))
    assert report.totals()["waiting"] == 2 and report.totals()["escalated"] == 0
    # NOW is 24 November, Vietnam Cultural Day (a public holiday in the default calendar): A's shift
    # that evening does not happen, so the leads still wait, unescalated
    report = _tick(moto_repo, NOW + timedelta(hours=13))
    assert report.totals()["waiting"] == 2 and report.totals()["escalated"] == 0
    # When A's shift starts on Wednesday at 22:00 local, A gets them
    report = _tick(moto_repo, NOW + timedelta(hours=37))
    assert report.totals()["assigned"] == 2
    assert _owners(moto_repo, leads) == ["A", "A"]


def test_open_lead_cap_is_respected(moto_repo: Repository) -> None:
    seed(moto_repo, rule(weights={"A": 1, "B": 1}), [staff("A", max_open_leads=2)])
    leads = add_leads(moto_repo, 10)
    _tick(moto_repo, NOW + timedelta(seconds=1))
    assert Counter(_owners(moto_repo, leads)) == {"A": 2, "B": 8}
    # Next tick A is still full: the open-lead count comes from the index
    more = add_leads(moto_repo, 4, received_at=NOW + timedelta(minutes=1))
    report = _tick(moto_repo, NOW + timedelta(minutes=2))
    assert Counter(_owners(moto_repo, more)) == {"B": 4}
    assert report.swept[0].skipped[el.OPEN_CAP] == 2


def test_closed_window_and_interval_are_respected(moto_repo: Repository) -> None:
    seed(
        moto_repo,
        rule(window={"start": NOW + timedelta(hours=1), "interval_minutes": 5}, weights={"A": 1}),
    )
    add_leads(moto_repo, 1)
    assert _tick(moto_repo, NOW + timedelta(minutes=1)).closed == ["r-web"]
    first = _tick(moto_repo, NOW + timedelta(hours=1))
    assert [s.rule_id for s in first.swept] == ["r-web"]
    # With nothing due a minute later, the rule is idle: not swept
    assert _tick(moto_repo, NOW + timedelta(hours=1, minutes=1)).idle == ["r-web"]
    # A lead arrives: a minute later the 5-minute interval has not elapsed, so no sweep at all
    add_leads(moto_repo, 1)
    assert _tick(moto_repo, NOW + timedelta(hours=1, minutes=1)).busy == ["r-web"]
    assert [s.rule_id for s in _tick(moto_repo, NOW + timedelta(hours=1, minutes=5)).swept] == ["r-web"]


def test_campaign_rule_splits_campaign_leads_and_the_pool_rule_leaves_them(moto_repo: Repository) -> None:
    seed(moto_repo, rule("r-pool", weights={"P": 1}))
    seed(moto_repo, rule("r-tet", weights={"X": 1, "Y": 1}, scope={"campaign": "tet"}))
    pool_leads = add_leads(moto_repo, 4)
    campaign_leads = add_leads(moto_repo, 6, campaign="tet")  # same pool and step, but in a campaign
    _tick(moto_repo, NOW + timedelta(seconds=1))
    assert Counter(_owners(moto_repo, pool_leads)) == {"P": 4}
    assert Counter(_owners(moto_repo, campaign_leads)) == {"X": 3, "Y": 3}


def test_higher_priority_rule_owns_the_scope(moto_repo: Repository) -> None:
    seed(moto_repo, rule("r-low", weights={"A": 1}, priority=1))
    seed(moto_repo, rule("r-high", weights={"B": 1}, priority=9))
    leads = add_leads(moto_repo, 3)
    report = _tick(moto_repo, NOW + timedelta(seconds=1))
    assert report.shadowed == ["r-low"]
    assert Counter(_owners(moto_repo, leads)) == {"B": 3}


def test_editing_a_rule_restarts_its_cycle_and_keeps_old_versions_on_old_leads(moto_repo: Repository) -> None:
    seed(moto_repo, rule(weights={"A": 1, "B": 1}))
    old = add_leads(moto_repo, 3)
    _tick(moto_repo, NOW + timedelta(seconds=1))
    v2 = rule(weights={"A": 1, "C": 2}, version=2)
    moto_repo.put_staff(staff("C"))
    v1 = moto_repo.get_rule(TENANT, v2.rule_id)
    assert v1 is not None
    moto_repo.save_rule(v1, v2)
    new = add_leads(moto_repo, 6, received_at=NOW + timedelta(minutes=1))
    _tick(moto_repo, NOW + timedelta(minutes=2))
    assert {moto_repo.get_lead(TENANT, x.lead_id).rule_version for x in old} == {1}  # type: ignore[union-attr]
    stored_new = [moto_repo.get_lead(TENANT, x.lead_id) for x in new]
    assert {s.rule_version for s in stored_new} == {2}  # type: ignore[union-attr]
    # The new version's counter starts at slot 0 of the new cycle
    assert min(s.decisions[0].slot or 0 for s in stored_new if s) == 0
    assert Counter(s.owner for s in stored_new) == {"A": 2, "C": 4}  # type: ignore[union-attr]
    assert v2.kind is RuleKind.WEIGHTED


def test_a_sweep_short_of_time_stops_between_pages_and_says_so(moto_repo: Repository) -> None:
    # Given 250 due leads (3 pages of 100) and an invocation whose time runs low after the first page
    the_rule = seed(moto_repo, rule())
    add_leads(moto_repo, 250)
    budget = iter([60.0, 5.0])  # seconds left before page 1, then before page 2
    # When the sweep runs
    report = sweep_due_leads(moto_repo, the_rule, NOW + timedelta(seconds=1), time_left=lambda: next(budget))
    # Then it did one page, marked itself incomplete, and the next tick finishes the rest
    assert (report.seen, report.assigned, report.complete) == (100, 100, False)
    assert _tick(moto_repo, NOW + timedelta(minutes=1)).totals()["assigned"] == 150
