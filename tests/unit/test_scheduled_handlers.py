"""The scheduled path's Lambda handlers as AWS calls them (moto): EventBridge Scheduler invokes the
dispatch handler, which sends orders to the sweep queues; the SQS event source hands them to the
assign and reclaim handlers in batches, and deletes what did not fail."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import boto3
import pytest

from functions.assign import app as assign_app
from functions.dispatch import app as dispatch_app
from functions.reclaim import app as reclaim_app
from leadrouter.data.repository import Repository
from leadrouter.domain.dispatch import DISPATCH_SHARDS
from leadrouter.domain.leads import LeadStatus
from leadrouter.domain.rules import RuleKind
from leadrouter.logic.routing import scheduled
from leadrouter.settings import Settings
from tests.support.builders import NOW, TENANT, add_leads, rule, seed
from tests.support.faults import Fault, FaultyClient, config_key
from tests.support.lambda_context import FakeContext
from tests.support.sweep_queues import SweepQueues, run_sweepers, sweep_queues
from tests.support.webhooks import sqs_event

TICK = NOW + timedelta(minutes=1)


def _tick(queues: SweepQueues, action: str = "assign") -> list[dict[str, Any]]:
    """A scheduled tick, then its shard orders as the dispatch queue's event source hands them over;
    returns each shard's summary as logged."""
    event = {
        "action": action,
        "scheduled_time": "2026-11-24T02:01:00Z",
        "execution_id": "c0ffee00-1111-2222-3333-444455556666",
    }
    started: dict[str, Any] = dispatch_app.handler(event, FakeContext())
    assert started == {"action": action, "shard_orders": DISPATCH_SHARDS}
    summaries: list[dict[str, Any]] = []
    real = scheduled.summarise_plan

    def keep(plan: Any, elapsed_ms: float) -> dict[str, Any]:
        summaries.append(real(plan, elapsed_ms))
        return summaries[-1]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(scheduled, "summarise_plan", keep)
        assert run_sweepers(queues, queues.dispatch, dispatch_app.handler) == []
    assert len(summaries) == DISPATCH_SHARDS
    return summaries


def _total(summaries: list[dict[str, Any]], key: str) -> int:
    return sum(int(s[key]) for s in summaries)


@pytest.fixture
def queues(moto_repo: Repository, monkeypatch: pytest.MonkeyPatch) -> SweepQueues:
    monkeypatch.setattr(scheduled, "utc_now", lambda: TICK)
    return sweep_queues(monkeypatch)


def _emf(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines() if '"_aws"' in line]


def test_a_tick_orders_the_due_rule_and_the_sweeper_assigns_its_leads_without_pii_in_logs(
    moto_repo: Repository,
    queues: SweepQueues,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level("INFO", logger="leadrouter")
    # Given a rule with 12 due leads, and one of another tenant with nothing due
    seed(moto_repo, rule())
    seed(moto_repo, rule(weights={"Z": 1}, tenant_id="globex"))
    leads = add_leads(moto_repo, 12, phone="+84912345678")
    # When the assign tick runs (16 shard orders, each listed and asked on its own)
    summaries = _tick(queues)
    # Then one order was sent, for the rule with work; the idle one cost no order
    assert _total(summaries, "rules_active") == 2 and _total(summaries, "rules_due") == 1
    assert _total(summaries, "rules_idle") == 1
    (order,) = queues.bodies(queues.assign)
    assert order["kind"] == "sweep" and (order["tenant_id"], order["rule_id"]) == (TENANT, "r-web")
    (tick,) = [r for r in caplog.records if r.getMessage() == "assign tick started"]
    assert tick.execution_id == "c0ffee00-1111-2222-3333-444455556666"  # type: ignore[attr-defined]
    # …and when the sweeper takes it, the leads are assigned 3:4:5 and the metrics say so
    assert run_sweepers(queues, queues.assign, assign_app.handler) == []
    assert {moto_repo.get_lead(TENANT, x.lead_id).status for x in leads} == {LeadStatus.ASSIGNED}  # type: ignore[union-attr]
    out = capsys.readouterr().out
    *shards, swept = [m for m in _emf(out) if "RulesDue" in m or "LeadsAssigned" in m]
    assert sum(len(m["RulesDue"]) for m in shards) == DISPATCH_SHARDS  # one value per shard
    assert sum(sum(m["RulesDue"]) for m in shards) == 1
    assert swept["LeadsAssigned"] == [12.0] and swept["RulesSwept"] == [1.0]
    assert "912345678" not in caplog.text + out


def test_an_order_delivered_twice_assigns_nothing_more(moto_repo: Repository, queues: SweepQueues) -> None:
    seed(moto_repo, rule(weights={"A": 1, "B": 1}))
    leads = add_leads(moto_repo, 10)
    _tick(queues)
    (message,) = queues.receive(queues.assign)
    # The same message handed to two invocations (SQS is at least once)
    first = assign_app.handler(sqs_event([message], "AssignQueue"), FakeContext())
    again = assign_app.handler(sqs_event([message], "AssignQueue"), FakeContext())
    assert first == again == {"batchItemFailures": []}
    stored = [moto_repo.get_lead(TENANT, x.lead_id) for x in leads]
    assert all(s is not None and len(s.decisions) == 1 for s in stored)
    counter = moto_repo._client.get_item(
        TableName=moto_repo._config,
        Key={"pk": {"S": f"TENANT#{TENANT}"}, "sk": {"S": "COUNTER#r-web#v1"}},
    )["Item"]
    assert counter["seq"]["N"] == "10"  # the second copy claimed no slot


def test_the_reclaim_tick_orders_reclaim_rules_only(moto_repo: Repository, queues: SweepQueues) -> None:
    seed(moto_repo, rule(weights={"A": 1}))
    seed(moto_repo, rule("r-back", weights={"B": 1}, kind=RuleKind.RECLAIM, reclaim_after_minutes=1))
    summaries = _tick(queues, "reclaim")
    # never swept: no "nothing due before" stamp yet, so it is due
    assert {s["action"] for s in summaries} == {"reclaim"}
    assert _total(summaries, "rules_active") == 1 and _total(summaries, "rules_due") == 1
    assert [o["rule_id"] for o in queues.bodies(queues.reclaim)] == ["r-back"]
    assert queues.bodies(queues.assign) == []
    assert run_sweepers(queues, queues.reclaim, reclaim_app.handler) == []


def test_a_failing_rule_fails_only_its_own_message(
    moto_repo: Repository,
    queues: SweepQueues,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Given two tenants' rules with due leads, and globex's slot counter failing with a 500
    seed(moto_repo, rule())
    seed(moto_repo, rule(weights={"Z": 1}, tenant_id="globex"))
    acme = add_leads(moto_repo, 12)
    add_leads(moto_repo, 3, tenant_id="globex")
    _tick(queues)
    client = FaultyClient(
        boto3.client("dynamodb"),
        lambda r: Fault.BEFORE if config_key(r) == "TENANT#globex/COUNTER#r-web#v1" else None,
    )
    monkeypatch.setattr(scheduled, "repository", lambda: Repository(Settings.from_env(), client=client))
    # When the sweeper takes the batch of both orders
    messages = queues.receive(queues.assign)
    answer = assign_app.handler(sqs_event(messages, "AssignQueue"), FakeContext())
    # Then only globex's message is reported failed; acme's leads are assigned
    bodies = {m["MessageId"]: json.loads(m["Body"]) for m in messages}
    (failed,) = answer["batchItemFailures"]
    assert bodies[failed["itemIdentifier"]]["tenant_id"] == "globex"
    assert {moto_repo.get_lead(TENANT, x.lead_id).status for x in acme} == {LeadStatus.ASSIGNED}  # type: ignore[union-attr]
    assert _emf(capsys.readouterr().out)[-1]["LeadsAssigned"] == [12.0]


def test_after_three_failed_receives_an_order_is_dead_lettered(
    moto_repo: Repository, queues: SweepQueues, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(moto_repo, rule(weights={"Z": 1}, tenant_id="globex"))
    add_leads(moto_repo, 3, tenant_id="globex")
    _tick(queues)
    client = FaultyClient(
        boto3.client("dynamodb"), lambda r: Fault.BEFORE if "COUNTER#" in (config_key(r) or "") else None
    )
    monkeypatch.setattr(scheduled, "repository", lambda: Repository(Settings.from_env(), client=client))
    for _ in range(3):  # each receive fails it; the message comes back once its visibility is over
        (message,) = queues.receive(queues.assign, visibility=0, limit=1)
        answer = assign_app.handler(sqs_event([message], "AssignQueue"), FakeContext())
        assert len(answer["batchItemFailures"]) == 1
    assert queues.receive(queues.assign, visibility=0, limit=1) == []
    assert [o["rule_id"] for o in queues.bodies(queues.assign_dead)] == ["r-web"]


def test_the_assign_tick_orders_the_escalation_of_leads_no_rule_will_assign(
    moto_repo: Repository, queues: SweepQueues
) -> None:
    # Given a rule for web/new and leads that waited 3 hours in a step no rule covers
    seed(moto_repo, rule())
    stranded = add_leads(moto_repo, 2, received_at=NOW - timedelta(hours=3), step="Gọi lại")
    # When the assign tick runs and its orders are swept
    assert _total(_tick(queues), "unrouted_scopes") == 1
    (order,) = queues.bodies(queues.assign)
    assert order["kind"] == "unrouted"
    assert order["scopes"] == [
        {"tenant_id": TENANT, "scope_key": "pool#web#step#Gọi lại", "reason": "no_rule"}
    ]
    assert run_sweepers(queues, queues.assign, assign_app.handler) == []
    # Then they are escalated with the reason
    stored = moto_repo.get_lead(TENANT, stranded[0].lead_id)
    assert stored is not None and stored.status is LeadStatus.ESCALATED
    assert stored.decisions[-1].reason == "no_rule"


def test_a_schedule_without_an_action_fails_loudly(moto_repo: Repository, queues: SweepQueues) -> None:
    with pytest.raises(ValueError, match="must name the action"):
        dispatch_app.handler({"trigger": "schedule"}, FakeContext())
