"""The Lambda handlers, called as EventBridge Scheduler would call them (moto)."""

from __future__ import annotations

import json
from datetime import timedelta

import boto3
import pytest

from functions.assign import app as assign_app
from functions.reclaim import app as reclaim_app
from leadrouter.data.repository import Repository
from leadrouter.domain.models import LeadStatus, RuleKind
from leadrouter.logic import scheduled
from leadrouter.settings import Settings
from tests.support.builders import NOW, TENANT, add_leads, rule, seed
from tests.support.faults import Fault, FaultyClient, config_key
from tests.support.lambda_context import FakeContext

SCHEDULED_EVENT = {
    "trigger": "schedule",
    "scheduled_time": "2026-11-24T02:01:00Z",
    "execution_id": "c0ffee00-1111-2222-3333-444455556666",
}


def test_assign_handler_assigns_emits_metrics_and_logs_no_pii(
    moto_repo: Repository, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO", logger="leadrouter")
    seed(moto_repo, rule())
    leads = add_leads(moto_repo, 12, received_at=NOW - timedelta(minutes=5), phone="+84912345678")
    summary = assign_app.handler(SCHEDULED_EVENT, FakeContext())
    assert summary["totals"]["assigned"] == 12 and summary["rules_swept"] == ["r-web"]
    assert moto_repo.get_lead(TENANT, leads[0].lead_id).status is LeadStatus.ASSIGNED  # type: ignore[union-attr]
    out = capsys.readouterr().out
    (emf,) = [json.loads(line) for line in out.splitlines() if '"_aws"' in line]
    assert emf["LeadsAssigned"] == [12.0] and emf["RulesSwept"] == [1.0]
    (tick,) = [r for r in caplog.records if r.getMessage() == "assign tick done"]
    assert tick.execution_id == SCHEDULED_EVENT["execution_id"]  # type: ignore[attr-defined]
    assert tick.totals["assigned"] == 12  # type: ignore[attr-defined]
    assert "912345678" not in caplog.text + out


def test_replayed_schedule_event_assigns_nothing_more(moto_repo: Repository) -> None:
    seed(moto_repo, rule(weights={"A": 1, "B": 1}))
    add_leads(moto_repo, 10, received_at=NOW - timedelta(minutes=5))
    first = assign_app.handler(SCHEDULED_EVENT, FakeContext())
    again = assign_app.handler(SCHEDULED_EVENT, FakeContext())
    assert first["totals"]["assigned"] == 10
    assert again["totals"].get("assigned", 0) == 0


def test_reclaim_handler_runs_reclaim_rules_only(moto_repo: Repository) -> None:
    seed(moto_repo, rule(weights={"A": 1}))
    seed(moto_repo, rule("r-back", weights={"B": 1}, kind=RuleKind.RECLAIM, reclaim_after_minutes=1))
    summary = reclaim_app.handler(SCHEDULED_EVENT, FakeContext())
    assert summary["action"] == "reclaim" and summary["rules_active"] == 1


def test_a_failing_rule_is_reported_and_counted_while_the_others_are_swept(
    moto_repo: Repository, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given two tenants' rules, and globex's slot counter failing with a 500
    seed(moto_repo, rule())
    seed(moto_repo, rule(weights={"Z": 1}, tenant_id="globex"))
    add_leads(moto_repo, 12, received_at=NOW - timedelta(minutes=5))
    add_leads(moto_repo, 3, received_at=NOW - timedelta(minutes=5), tenant_id="globex")
    client = FaultyClient(
        boto3.client("dynamodb"),
        lambda r: Fault.BEFORE if config_key(r) == "TENANT#globex/COUNTER#r-web#v1" else None,
    )
    monkeypatch.setattr(scheduled, "repository", lambda: Repository(Settings.from_env(), client=client))
    # When the scheduled tick runs
    summary = assign_app.handler(SCHEDULED_EVENT, FakeContext())
    # Then acme's rule was swept, globex's failure is in the summary and in the metrics
    assert summary["totals"]["assigned"] == 12
    assert summary["rules_failed"] == [
        {"tenant_id": "globex", "rule_id": "r-web", "error": "InternalServerError"}
    ]
    (emf,) = [json.loads(line) for line in capsys.readouterr().out.splitlines() if '"_aws"' in line]
    assert emf["RulesFailed"] == [1.0] and emf["RulesSwept"] == [1.0] and emf["LeadWritesFailed"] == [0.0]


def test_the_assign_tick_escalates_leads_no_rule_will_assign(moto_repo: Repository) -> None:
    # Given a rule for web/new and leads that waited 3 hours in a step no rule covers
    seed(moto_repo, rule())
    stranded = add_leads(moto_repo, 2, received_at=NOW - timedelta(hours=3), step="Gọi lại")
    # When the scheduled assign handler runs
    summary = assign_app.handler(SCHEDULED_EVENT, FakeContext())
    # Then they are escalated with the reason, and the summary says so
    assert summary["unrouted"]["escalated"] == {"no_rule": 2}
    assert summary["unrouted"]["scopes"] == {f"{TENANT}#pool#web#step#Gọi lại": "no_rule"}
    stored = moto_repo.get_lead(TENANT, stranded[0].lead_id)
    assert stored is not None and stored.status is LeadStatus.ESCALATED
    assert stored.decisions[-1].reason == "no_rule"
