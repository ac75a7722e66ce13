"""Routing that obeys Decree 91/2020 on DynamoDB Local (issue #29): a restricted or Do-Not-Call lead is
never assigned as a call and no event tells an integrator to call it (a restricted one yields no event at
all), a withdrawal of call consent between two sweeps takes effect in the second, and a reclaim within
24 hours of a logged call hands the lead over with ``call_allowed: false``. Also what the checks cost."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from leadrouter.domain.calling import CALL_GAP, CallBar, DoNotCallOrigin
from leadrouter.domain.consent import (
    CALL,
    ConsentMethod,
    ConsentRecord,
    ConsentStatus,
    Restriction,
    RestrictionKind,
    merged,
)
from leadrouter.domain.events import LeadAssigned, LeadReclaimed
from leadrouter.domain.leads import Lead, LeadStatus
from leadrouter.domain.rules import RuleKind
from leadrouter.domain.users import Caller
from leadrouter.logic.events.publish import events_of_record
from leadrouter.logic.leads.care import add_activity
from leadrouter.logic.privacy import do_not_call
from leadrouter.logic.privacy.calling import record_call
from leadrouter.logic.routing.assign import sweep_due_leads
from leadrouter.logic.routing.reclaim import sweep_idle_leads
from leadrouter.settings import Settings
from tests.integration.test_lead_cost_on_ddb_local import Metered
from tests.support.builders import NOW, TENANT, add_leads, lead, rule, seed
from tests.support.calling import PepperedRepository, call_consent
from tests.support.event_records import stream_records
from tests.support.ticks import run_sweeps

LEASE = timedelta(minutes=3)
ASSIGNED_AT = NOW + timedelta(seconds=5)  # 09:00 in Ho Chi Minh City: inside the calling hours
ADMIN = Caller(tenant_id=TENANT, role="admin", subject="admin-1")


@pytest.fixture
def metered(ddb_tables: dict[str, str], ddb_local: Any) -> Metered:
    return Metered(ddb_local.client(), ddb_tables["LeadsTable"])


@pytest.fixture
def repo(metered: Metered) -> PepperedRepository:
    return PepperedRepository(Settings.from_env(), client=metered)


def _stored(repo: PepperedRepository, lead_id: str) -> Lead:
    found = repo.get_lead(TENANT, lead_id)
    assert found is not None
    return found


def _events(ddb_tables: dict[str, str]) -> dict[str, list[Any]]:
    """lead id → the events the publish step makes of the leads table's real stream."""
    found: dict[str, list[Any]] = {}
    for record in stream_records(ddb_tables["LeadsTable"]):
        for event in events_of_record(record):
            found.setdefault(event.lead_id, []).append(event)
    return found


def test_restricted_and_do_not_call_leads_are_never_assigned_as_calls(
    repo: PepperedRepository, ddb_tables: dict[str, str]
) -> None:
    # Given four leads that all granted calls: one restricted, one on the tenant's Do-Not-Call list, one
    # on the national register the tenant uploaded, one free
    seed(repo, rule("r-assign", weights={"A": 1}))
    phones = {"restricted": "+84912000001", "tenant": "+84912000002", "national": "+84912000003"}
    phones["free"] = "+84912000004"
    do_not_call.add_numbers(repo, ADMIN, do_not_call.DoNotCallUpload(phones=["0912000002"]), NOW)
    national = do_not_call.DoNotCallUpload(origin=DoNotCallOrigin.NATIONAL, phones=["0912 000 003"])
    do_not_call.add_numbers(repo, ADMIN, national, NOW)
    restriction = Restriction(kind=RestrictionKind.RESTRICT, since=NOW)
    leads = {
        name: lead(
            lead_id=f"L-{name}",
            phone=phone,
            consents=call_consent(),
            restriction=restriction if name == "restricted" else None,
        )
        for name, phone in phones.items()
    }
    repo.import_leads(list(leads.values()))
    # When the assign sweep runs inside the calling hours
    report = run_sweeps(repo, "assign", sweep_due_leads, ASSIGNED_AT, LEASE)
    # Then every lead is handed out (for follow-up), only the free one as a call
    assert report.totals()["assigned"] == 4
    decisions = {name: _stored(repo, x.lead_id).decisions[-1] for name, x in leads.items()}
    assert {name: (d.call_allowed, d.call_reason) for name, d in decisions.items()} == {
        "restricted": (False, CallBar.RESTRICTED.value),
        "tenant": (False, CallBar.DO_NOT_CALL.value),
        "national": (False, CallBar.NATIONAL_DO_NOT_CALL.value),
        "free": (True, None),
    }
    # …and of the real stream, the restricted lead yields no event at all (no marketing event), the
    # listed ones an assignment that tells a dialer not to call, the free one an assignment to call
    events = _events(ddb_tables)
    assert "L-restricted" not in events
    assigned = {lead_id: e for lead_id, found in events.items() for e in found if isinstance(e, LeadAssigned)}
    assert {k: (e.call_allowed, e.call_reason) for k, e in assigned.items()} == {
        "L-tenant": (False, "do_not_call"),
        "L-national": (False, "national_do_not_call"),
        "L-free": (True, None),
    }


def test_a_withdrawal_between_two_sweeps_takes_effect_in_the_second(repo: PepperedRepository) -> None:
    # Given a lead assigned to A as a call
    seed(repo, rule("r-assign", weights={"A": 1}))
    (added,) = add_leads(repo, 1, phone="+84912000009", consents=call_consent())
    run_sweeps(repo, "assign", sweep_due_leads, ASSIGNED_AT, LEASE)
    assert _stored(repo, added.lead_id).decisions[-1].call_allowed is True
    # When the person withdraws call consent (stored on the lead through the repository), then the
    # reclaim sweep moves the idle lead to B
    before = _stored(repo, added.lead_id)
    withdrawal = ConsentRecord(
        purpose=CALL,
        status=ConsentStatus.REFUSED,
        at=ASSIGNED_AT + timedelta(minutes=10),
        method=ConsentMethod.WITHDRAWAL,
        source="api",
    )
    after = before.model_copy(update={"consents": merged(before.consents, {CALL: withdrawal})})
    repo.save_lead(before, after)
    seed(repo, rule("r-reclaim", weights={"B": 1}, kind=RuleKind.RECLAIM, reclaim_after_minutes=30))
    run_sweeps(repo, "reclaim", sweep_idle_leads, ASSIGNED_AT + timedelta(minutes=31), LEASE)
    # Then the second sweep's decision bars the call
    moved = _stored(repo, added.lead_id)
    assert moved.owner == "B" and moved.status is LeadStatus.ASSIGNED
    assert moved.decisions[-1].call_allowed is False
    assert moved.decisions[-1].call_reason == CallBar.NO_CONSENT.value


def test_reclaim_within_24_hours_of_a_logged_call_is_no_second_call(
    repo: PepperedRepository, metered: Metered, ddb_tables: dict[str, str]
) -> None:
    # Given 20 leads that granted calls, assigned to A, and A called each of them at 09:10
    seed(repo, rule("r-assign", weights={"A": 1}))
    leads = _with_phones(20, "+8491", NOW, call_consent())
    repo.import_leads(leads)
    run_sweeps(repo, "assign", sweep_due_leads, ASSIGNED_AT, LEASE)
    called_at = NOW + timedelta(minutes=10)
    a = Caller(tenant_id=TENANT, role="staff", staff_id="A")
    with metered.counting() as logged:
        for x in leads:
            add_activity(repo, a, x.lead_id, "call", "Gọi tư vấn", called_at)
    # (a logged call costs its care write on the leads table, its history line (1 WRU) and 1 WRU more
    # for its phone's call-log item)
    assert logged["other wru"] == 2 * 20 and logged["leads wru"] <= 3 * 20
    # When the reclaim rule moves them to B after 30 idle minutes
    seed(repo, rule("r-reclaim", weights={"B": 1}, kind=RuleKind.RECLAIM, reclaim_after_minutes=30))
    with metered.counting() as units:
        report = run_sweeps(repo, "reclaim", sweep_idle_leads, called_at + timedelta(minutes=31), LEASE)
    # Then B holds them, and may not call any before 24 hours after A's call
    assert report.totals()["assigned"] == 20
    for x in leads:
        moved = _stored(repo, x.lead_id)
        decision = moved.decisions[-1]
        assert moved.owner == "B" and decision.action == "reclaimed"
        assert (decision.call_allowed, decision.call_reason) == (False, CallBar.CALLED_WITHIN_24H.value)
        assert decision.call_allowed_from == called_at + CALL_GAP
    reclaimed = [e for found in _events(ddb_tables).values() for e in found if isinstance(e, LeadReclaimed)]
    assert len(reclaimed) == 20 and not any(e.call_allowed for e in reclaimed)
    # …and the lists cost the config table one consistent BatchGetItem per page: two items per lead
    # (1 RRU each, found or not), on top of the sweep's own config reads (rule, staff, tenant, lease)
    assert units["other rru"] <= 2 * 20 + 12


def test_what_the_call_checks_cost_per_lead(repo: PepperedRepository, metered: Metered) -> None:
    seed(repo, rule("r-assign", weights={"A": 1, "B": 1}))
    at = ASSIGNED_AT
    costs: dict[str, dict[str, float]] = {}
    for n, name in enumerate(("silent", "granted", "listed")):
        # Given 100 due leads with phones: silent about calls, granting them, granting them but listed
        # and called yesterday-and-a-bit (so both of their list items exist)
        leads = _with_phones(100, f"+849{n + 1}", at, {} if name == "silent" else call_consent())
        if name == "listed":
            phones = [x.phone or "" for x in leads]
            do_not_call.add_numbers(repo, ADMIN, do_not_call.DoNotCallUpload(phones=phones), at)
            for x in leads:
                add_activity_free(repo, x, at - CALL_GAP)
        repo.import_leads(leads)
        # When the sweep assigns them
        at += timedelta(minutes=1)
        with metered.counting() as units:
            report = run_sweeps(repo, "assign", sweep_due_leads, at, LEASE)
        assert report.totals()["assigned"] == 100
        costs[name] = dict(units)
    per_lead = {k: (v["other rru"] - costs["silent"]["other rru"]) / 100 for k, v in costs.items()}
    print(f"call checks, config-table RRU per lead beyond a silent lead: {per_lead}")
    # Then a lead without a grant costs nothing more (its lists are not read); a lead whose call needs
    # the lists at most 2 RRU on the config table (its DNC# and CALLED# items, consistent: 1 RRU each up
    # to 4 KB; DynamoDB Local charges nothing for a key that is absent, AWS documents the minimum, 1 RRU,
    # for a consistent read of a missing item, so 2 is the bound either way)
    assert per_lead["silent"] == 0 and per_lead["granted"] <= 2 and per_lead["listed"] == 2
    # …and the leads table pays the assignment's 3 WRU per lead either way
    assert all(c["leads wru"] == 3 * 100 for c in costs.values())


def add_activity_free(repo: PepperedRepository, x: Lead, at: Any) -> None:
    """An advertising call logged for the lead's phone (as care's "call" does)."""
    record_call(repo, x, at)


def _with_phones(count: int, prefix: str, at: Any, consents: dict[str, ConsentRecord]) -> list[Lead]:
    """``count`` pending leads with distinct phones (``prefix`` + 7 digits), a millisecond apart."""
    return [
        lead(received_at=at + timedelta(milliseconds=i), phone=f"{prefix}{i:07d}", consents=consents)
        for i in range(count)
    ]
