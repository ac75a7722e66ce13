"""Failures stay where they happen (moto, single-threaded; faults injected by a wrapping client).

A rule whose sweep raises does not stop the other rules and tenants; a lead whose write raises does not
stop its page and is quarantined after three attempts; a write that was applied and then answered 500
is ours, not lost; a sweep that raced a deactivation is undone by the next one.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

import boto3
import pytest

from leadrouter.data.repository import Repository
from leadrouter.domain.leads import Lead, LeadStatus
from leadrouter.domain.rules import RuleKind
from leadrouter.domain.users import Caller
from leadrouter.logic.admin import staff as admin
from leadrouter.logic.routing.assign import sweep_due_leads
from leadrouter.logic.routing.decisions import MAX_ATTEMPTS, QUARANTINED
from leadrouter.logic.routing.reclaim import sweep_idle_leads
from leadrouter.settings import Settings
from tests.support.builders import NOW, TENANT, add_leads, rule, seed
from tests.support.faults import Fault, FaultyClient, Plan, appends_decision, config_key, lead_key
from tests.support.ticks import RunReport, run_sweeps

OTHER = "globex"
LEASE = timedelta(minutes=3)
DUE = NOW + timedelta(seconds=1)
PHONE = "+84912345678"


def _faulty(plan: Plan) -> tuple[Repository, FaultyClient]:
    client = FaultyClient(boto3.client("dynamodb"), plan)
    return Repository(Settings.from_env(), client=client), client


def _tick(repo: Repository, at: datetime = DUE, action: str = "assign") -> RunReport:
    sweep = sweep_due_leads if action == "assign" else sweep_idle_leads
    return run_sweeps(repo, action, sweep, at, LEASE)


def _stored(repo: Repository, leads: list[Lead], tenant: str = TENANT) -> list[Lead]:
    found = [repo.get_lead(tenant, x.lead_id) for x in leads]
    assert all(x is not None for x in found)
    return [x for x in found if x is not None]


def _assigned_once(leads: list[Lead]) -> bool:
    return all(
        x.status is LeadStatus.ASSIGNED and [d.action for d in x.decisions] == ["assigned"] for x in leads
    )


# ------------------------------------------------------------------ one rule's failure
def test_a_rule_whose_sweep_raises_does_not_stop_another_tenants_rule(
    moto_repo: Repository, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given two tenants with a rule each (same rule id), and acme's slot claim raising an error whose
    # text quotes a phone number
    seed(moto_repo, rule(weights={"A": 1}))
    seed(moto_repo, rule(weights={"Z": 1}, tenant_id=OTHER))
    acme = add_leads(moto_repo, 5)
    globex = add_leads(moto_repo, 5, tenant_id=OTHER)

    def plan(request: dict[str, Any]) -> Fault | None:
        if config_key(request) == f"TENANT#{TENANT}/COUNTER#r-web#v1":
            raise ValueError(f"bad value {PHONE}")
        return None

    faulty, _ = _faulty(plan)
    caplog.set_level(logging.ERROR, logger="leadrouter")
    # When one tick runs
    report = _tick(faulty)
    # Then globex's rule was swept and its leads assigned; acme's failure is recorded, not raised
    assert [(s.tenant_id, s.rule_id) for s in report.swept] == [(OTHER, "r-web")]
    assert [(f.tenant_id, f.rule_id, f.error) for f in report.failed] == [(TENANT, "r-web", "ValueError")]
    assert _assigned_once(_stored(moto_repo, globex, OTHER))
    # …logged with where it happened, but never with the error's text
    (logged,) = [r for r in caplog.records if r.getMessage() == "rule sweep failed"]
    assert logged.tenant_id == TENANT and logged.error == "ValueError"  # type: ignore[attr-defined]
    assert logged.raised_at  # type: ignore[attr-defined]
    assert all(PHONE not in str(vars(r)) for r in caplog.records) and PHONE not in capsys.readouterr().out
    # …and acme's lease was released: the next tick, a minute later, sweeps it
    assert _tick(moto_repo, DUE + timedelta(minutes=1)).totals()["assigned"] == 5
    assert _assigned_once(_stored(moto_repo, acme))


def test_a_lease_whose_answer_was_lost_is_still_ours(moto_repo: Repository) -> None:
    # Given a rule whose lease write is applied and answered 500, and botocore's retry then fails the
    # lease's own condition ("taken")
    seed(moto_repo, rule(weights={"A": 1}))
    leads = add_leads(moto_repo, 3)
    faulty, client = _faulty(lambda r: Fault.RETRIED if "SET lease_owner" in r["UpdateExpression"] else None)
    # When a tick runs
    report = _tick(faulty)
    # Then it recognised the lease as its own and swept, instead of calling the rule busy for 3 minutes
    assert client.faults[Fault.RETRIED] == 1 and report.busy == []
    assert report.totals()["assigned"] == 3 and _assigned_once(_stored(moto_repo, leads))


# ------------------------------------------------------------------ one lead's failure
def test_a_lead_whose_write_raises_does_not_stop_the_others_in_its_page(moto_repo: Repository) -> None:
    # Given 10 due leads, and every assignment write of the fourth one failing with a 500 before it lands
    seed(moto_repo, rule(weights={"A": 1, "B": 1}))
    leads = add_leads(moto_repo, 10)
    poisoned = leads[3].lead_id
    faulty, _ = _faulty(lambda r: Fault.BEFORE if lead_key(r) == poisoned and appends_decision(r) else None)
    # When a tick runs
    report = _tick(faulty)
    # Then the other nine are assigned, and the failure is counted on the lead, not raised
    totals = report.totals()
    assert (totals["assigned"], totals["failed"], totals["lost"]) == (9, 1, 0)
    stored = {x.lead_id: x for x in _stored(moto_repo, leads)}
    assert _assigned_once([x for i, x in stored.items() if i != poisoned])
    failed = stored[poisoned]
    assert failed.status is LeadStatus.PENDING and failed.decisions == []
    assert (failed.failed_attempts, failed.last_failure) == (1, "InternalServerError")


def test_after_three_failing_ticks_a_poisoned_lead_is_quarantined_and_its_scope_flows(
    moto_repo: Repository,
) -> None:
    # Given the oldest lead of a scope is too large to take a decision (every append is refused)
    seed(moto_repo, rule(weights={"A": 1, "B": 1}))
    (poisoned, *behind) = add_leads(moto_repo, 4)
    faulty, _ = _faulty(
        lambda r: Fault.TOO_LARGE if lead_key(r) == poisoned.lead_id and appends_decision(r) else None
    )
    # When three ticks run, a minute apart, with new leads arriving behind it each time
    reports = []
    for minute in range(MAX_ATTEMPTS):
        behind += add_leads(moto_repo, 3, received_at=NOW + timedelta(minutes=minute, seconds=1))
        reports.append(_tick(faulty, DUE + timedelta(minutes=minute, seconds=2)))
        attempts = moto_repo.get_lead(TENANT, poisoned.lead_id).failed_attempts  # type: ignore[union-attr]
        assert attempts == minute + 1
    # Then every lead behind it was assigned on the tick it was due, once
    assert [r.totals()["assigned"] for r in reports] == [6, 3, 3]
    assert _assigned_once(_stored(moto_repo, behind))
    # …and on the third failure it was quarantined: escalated, out of the due index, with the reason
    # in its failure fields (the item cannot take the decision itself)
    assert [r.totals()["quarantined"] for r in reports] == [0, 0, 1]
    stored = moto_repo.get_lead(TENANT, poisoned.lead_id)
    assert stored is not None and stored.status is LeadStatus.ESCALATED and stored.escalated_at is not None
    assert (stored.failed_attempts, stored.last_failure, stored.decisions) == (3, "ValidationException", [])
    assert _tick(faulty, DUE + timedelta(minutes=5)).totals()["seen"] == 0


def test_a_quarantined_lead_that_can_take_a_decision_says_why(moto_repo: Repository) -> None:
    # Given a lead whose assignment write keeps failing (a 500 before it lands) while other writes work
    seed(moto_repo, rule(weights={"A": 1}))
    (the_lead,) = add_leads(moto_repo, 1)
    faulty, _ = _faulty(
        lambda r: Fault.BEFORE if lead_key(r) and ":assigned" in r["ExpressionAttributeValues"] else None
    )
    # When three ticks run
    for minute in range(MAX_ATTEMPTS):
        _tick(faulty, DUE + timedelta(minutes=minute))
    # Then it is escalated with a decision that says it was quarantined
    stored = moto_repo.get_lead(TENANT, the_lead.lead_id)
    assert stored is not None and stored.status is LeadStatus.ESCALATED
    (decision,) = stored.decisions
    assert (decision.action, decision.reason, decision.rule_id) == ("escalated", QUARANTINED, "r-web")
    assert (stored.failed_attempts, stored.last_failure) == (3, "InternalServerError")


def test_a_successful_write_resets_the_failure_count(moto_repo: Repository) -> None:
    # Given a lead that failed twice, then is assigned
    seed(moto_repo, rule(weights={"A": 1}))
    (the_lead,) = add_leads(moto_repo, 1)
    failures = iter([Fault.BEFORE, Fault.BEFORE])
    faulty, _ = _faulty(lambda r: next(failures, None) if lead_key(r) and appends_decision(r) else None)
    for minute in range(3):
        _tick(faulty, DUE + timedelta(minutes=minute))
    # Then its count starts over (a later failure, say in reclaim, does not quarantine it at once)
    stored = moto_repo.get_lead(TENANT, the_lead.lead_id)
    assert stored is not None and stored.status is LeadStatus.ASSIGNED and stored.failed_attempts == 0


@pytest.mark.parametrize("fault", [Fault.AFTER, Fault.RETRIED])
def test_a_write_applied_then_answered_500_counts_as_assigned_not_lost(
    moto_repo: Repository, fault: Fault
) -> None:
    # Given 20 due leads, and every other assignment write applied and then answered with a 500
    # (AFTER: the 500 reaches the sweep; RETRIED: botocore retries and the retry hits our own condition)
    seed(moto_repo, rule())
    leads = add_leads(moto_repo, 20)
    hit = {x.lead_id for x in leads[::2]}
    faulty, client = _faulty(lambda r: fault if lead_key(r) in hit and appends_decision(r) else None)
    # When a tick runs
    report = _tick(faulty)
    # Then every lead counts as assigned, none lost or failed, and each carries exactly one decision
    totals = report.totals()
    assert client.faults[fault] == 10
    assert (totals["assigned"], totals["lost"], totals["failed"]) == (20, 0, 0)
    stored = _stored(moto_repo, leads)
    assert _assigned_once(stored) and all(x.failed_attempts == 0 for x in stored)


def test_reclaim_contains_a_failing_lead_and_keeps_an_applied_one(moto_repo: Repository) -> None:
    # Given 6 idle leads of A, one whose reclaim write fails before landing, one applied then answered 500
    seed(moto_repo, rule("r-assign", weights={"A": 1}))
    leads = add_leads(moto_repo, 6)
    _tick(moto_repo)
    seed(moto_repo, rule("r-back", weights={"B": 1}, kind=RuleKind.RECLAIM, reclaim_after_minutes=30))
    failing, applied = leads[1].lead_id, leads[4].lead_id

    def plan(request: dict[str, Any]) -> Fault | None:
        if not appends_decision(request):
            return None
        return {failing: Fault.BEFORE, applied: Fault.AFTER}.get(lead_key(request) or "")

    faulty, _ = _faulty(plan)
    # When the reclaim tick runs
    report = _tick(faulty, DUE + timedelta(minutes=31), action="reclaim")
    # Then five are reclaimed (the answered-500 one included), the failing one stays with A, counted
    totals = report.totals()
    assert (totals["assigned"], totals["failed"], totals["lost"]) == (5, 1, 0)
    stored = {x.lead_id: x for x in _stored(moto_repo, leads)}
    assert {x.owner for i, x in stored.items() if i != failing} == {"B"}
    assert [d.action for d in stored[applied].decisions] == ["assigned", "reclaimed"]
    assert (stored[failing].owner, stored[failing].failed_attempts) == ("A", 1)


# ------------------------------------------------------------------ deactivation racing a sweep
def _deactivate(repo: Repository, staff_id: str, at: datetime) -> int:
    caller = Caller(tenant_id=TENANT, role="admin", subject="admin")
    _, released = admin.update_staff(repo, caller, staff_id, admin.StaffPatch(active=False), at)
    return released


def _racing_sweep(repo: Repository, monkeypatch: pytest.MonkeyPatch, after: int, at: datetime) -> list[int]:
    """Deactivate A once the sweep has written ``after`` leads (its staff snapshot still has A active)."""
    real = repo.assign_pending
    written, released = [0], []

    def assign_then_deactivate(*args: Any, **kwargs: Any) -> bool:
        if written[0] == after:
            released.append(_deactivate(repo, "A", at))
        written[0] += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(repo, "assign_pending", assign_then_deactivate)
    return released


def _held_by(repo: Repository, staff_id: str) -> list[Lead]:
    return [x for x in repo.tenant_leads(TENANT) if x.status is LeadStatus.ASSIGNED and x.owner == staff_id]


def _chain_ok(lead: Lead) -> bool:
    """assigned, then (released, assigned)* : never assigned twice without a release between."""
    actions = [d.action for d in lead.decisions]
    return (
        actions[0] == "assigned"
        and actions[1::2] == ["released"] * (len(actions) // 2)
        and len(actions) % 2 == 1
    )


def test_a_member_deactivated_during_a_sweep_holds_nothing_after_the_next_tick(
    moto_repo: Repository, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given 40 due leads split A:B, and A deactivated (through the admin use case) after 10 writes
    seed(moto_repo, rule(weights={"A": 1, "B": 1}))
    add_leads(moto_repo, 40)
    released_by_api = _racing_sweep(moto_repo, monkeypatch, after=10, at=DUE + timedelta(seconds=1))
    # When the racing sweep runs, A (inactive) is still given leads after the API released theirs
    _tick(moto_repo)
    racing_leftovers = len(_held_by(moto_repo, "A"))
    assert released_by_api == [5] and racing_leftovers == 15
    # …and the next tick releases them and reassigns them to B, in the same sweep
    report = _tick(moto_repo, DUE + timedelta(minutes=1))
    totals = report.totals()
    assert (totals["released"], totals["assigned"]) == (
        racing_leftovers,
        racing_leftovers + released_by_api[0],
    )
    # Then no open lead is held by the inactive member, and every lead is assigned, with a valid chain
    leads = list(moto_repo.tenant_leads(TENANT))
    assert _held_by(moto_repo, "A") == [] and {x.status for x in leads} == {LeadStatus.ASSIGNED}
    assert all(_chain_ok(x) for x in leads)
    # …and later ticks have nothing more to release
    assert _tick(moto_repo, DUE + timedelta(minutes=2)).totals()["released"] == 0


def test_a_rule_swept_hourly_still_releases_on_its_next_sweep(
    moto_repo: Repository, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a rule that runs every 60 minutes (far beyond the two-lease window) and a racing deactivation
    seed(moto_repo, rule(weights={"A": 1, "B": 1}, window={"interval_minutes": 60}))
    add_leads(moto_repo, 20)
    _racing_sweep(moto_repo, monkeypatch, after=4, at=DUE + timedelta(seconds=1))
    _tick(moto_repo)
    assert _held_by(moto_repo, "A") != []
    # When its next sweep runs an hour later
    report = _tick(moto_repo, DUE + timedelta(minutes=60))
    # Then it still releases them: it is the first sweep since the one that raced
    assert report.totals()["released"] > 0 and _held_by(moto_repo, "A") == []


def test_a_member_deactivated_long_ago_costs_no_query(moto_repo: Repository) -> None:
    # Given A was deactivated a day ago, before the rule's previous sweep
    seed(moto_repo, rule(weights={"A": 1, "B": 1}))
    _deactivate(moto_repo, "A", NOW - timedelta(days=1))
    _tick(moto_repo, NOW - timedelta(hours=1))
    queries: list[str] = []
    real = moto_repo._client.query

    def counted(**request: Any) -> Any:
        queries.append(request.get("IndexName", "table"))
        return real(**request)

    moto_repo._client.query = counted
    add_leads(moto_repo, 3)
    # When a sweep runs
    report = _tick(moto_repo)
    # Then nothing is released and A's leads are not even looked up: only the due index is queried
    assert report.totals()["released"] == 0 and report.totals()["assigned"] == 3
    assert "owner_idle" not in queries and "due_queue" in queries


def test_each_sweep_reads_its_staff_fresh_with_a_consistent_read(moto_repo: Repository) -> None:
    # Given a rule, and a client that records the staff reads
    seed(moto_repo, rule(weights={"A": 1, "B": 1}))
    reads: list[dict[str, Any]] = []
    real = moto_repo._client.batch_get_item

    def recorded(**request: Any) -> Any:
        reads.append(request)
        return real(**request)

    moto_repo._client.batch_get_item = recorded
    # When two ticks run, each with a lead due
    add_leads(moto_repo, 1)
    _tick(moto_repo)
    add_leads(moto_repo, 1)
    _tick(moto_repo, DUE + timedelta(minutes=1))
    # Then each sweep read the staff itself, strongly consistent (a deactivation is seen at once)
    staff_reads = [r for r in reads if "STAFF#" in str(r)]
    assert len(staff_reads) == 2
    assert all(table["ConsistentRead"] is True for r in staff_reads for table in r["RequestItems"].values())
