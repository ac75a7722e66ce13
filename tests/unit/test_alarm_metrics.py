"""The metrics template.yaml's alarms read are the ones the code emits, where it emits them: a tick that
ran says so per action, a rule whose sweep raised is counted before its record fails, and a form
submission the store could not take is counted as a failure of the door."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from functions.assign import app as assign_app
from functions.dispatch import app as dispatch_app
from leadrouter.data.bus import EventBus
from leadrouter.data.repository import Repository
from leadrouter.domain.leads import Decision, Lead
from leadrouter.logic.events.publish import publish_changes
from leadrouter.logic.routing import dispatch, scheduled
from leadrouter.observability import metrics
from leadrouter.settings import Settings
from tests.support.api import add_form_source
from tests.support.builders import NOW, add_leads, lead, rule, seed
from tests.support.event_records import change_record
from tests.support.faults import Fault, FaultyClient, config_key
from tests.support.forms import post_form
from tests.support.lambda_context import FakeContext
from tests.support.sweep_queues import SweepQueues, run_sweepers, sweep_queues
from tests.support.webhooks import sqs_event

TICK = NOW + timedelta(minutes=1)


def _emf(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines() if '"_aws"' in line]


def _values(out: str, name: str) -> list[float]:
    return [value for m in _emf(out) if name in m for value in m[name]]


@pytest.fixture
def queues(moto_repo: Repository, monkeypatch: pytest.MonkeyPatch) -> SweepQueues:
    monkeypatch.setattr(scheduled, "utc_now", lambda: TICK)
    return sweep_queues(monkeypatch)


@pytest.mark.parametrize("action", ["assign", "reclaim"])
def test_a_started_tick_emits_one_ticks_started_with_its_action_as_a_dimension(
    queues: SweepQueues, action: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given the schedule's event of one action; When the dispatch handler runs it
    dispatch_app.handler({"action": action}, FakeContext())
    # Then one TicksStarted value, dimensioned by service and action (what the alarms name)
    (metric,) = [m for m in _emf(capsys.readouterr().out) if "TicksStarted" in m]
    assert metric["TicksStarted"] == [1.0] and metric["action"] == action
    assert metric["service"] == "leadrouter"
    (directive,) = metric["_aws"]["CloudWatchMetrics"]
    assert sorted(directive["Dimensions"][0]) == ["action", "service"]


def test_a_tick_that_fails_to_send_its_orders_emits_no_ticks_started(
    queues: SweepQueues, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a dispatch queue that refuses every order
    def refuse(*args: Any, **kwargs: Any) -> int:
        raise ClientError(
            {"Error": {"Code": "ServiceUnavailable", "Message": "injected"}}, "SendMessageBatch"
        )

    monkeypatch.setattr(dispatch, "start_tick", refuse)
    # When the tick runs, it fails, and the alarm's metric has no datapoint from it
    with pytest.raises(ClientError):
        dispatch_app.handler({"action": "assign"}, FakeContext())
    assert _values(capsys.readouterr().out, "TicksStarted") == []


def test_a_rule_whose_sweep_raises_is_counted_once_in_rules_failed(
    moto_repo: Repository,
    queues: SweepQueues,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Given two tenants' rules with due leads, ordered by a tick, and globex's slot counter failing
    seed(moto_repo, rule())
    seed(moto_repo, rule(weights={"Z": 1}, tenant_id="globex"))
    add_leads(moto_repo, 4)
    add_leads(moto_repo, 2, tenant_id="globex")
    dispatch_app.handler({"action": "assign"}, FakeContext())
    assert run_sweepers(queues, queues.dispatch, dispatch_app.handler) == []
    client = FaultyClient(
        boto3.client("dynamodb"),
        lambda r: Fault.BEFORE if config_key(r) == "TENANT#globex/COUNTER#r-web#v1" else None,
    )
    monkeypatch.setattr(scheduled, "repository", lambda: Repository(Settings.from_env(), client=client))
    capsys.readouterr()
    # When the sweeper takes both orders in one batch
    answer = assign_app.handler(sqs_event(queues.receive(queues.assign), "AssignQueue"), FakeContext())
    # Then one record failed and one RulesFailed was counted; the healthy rule was swept
    assert len(answer["batchItemFailures"]) == 1
    out = capsys.readouterr().out
    assert _values(out, "RulesFailed") == [1.0]
    assert _values(out, "RulesSwept") == [1.0]


def test_a_healthy_sweep_counts_no_failed_rule(
    moto_repo: Repository, queues: SweepQueues, capsys: pytest.CaptureFixture[str]
) -> None:
    seed(moto_repo, rule())
    add_leads(moto_repo, 3)
    dispatch_app.handler({"action": "assign"}, FakeContext())
    assert run_sweepers(queues, queues.dispatch, dispatch_app.handler) == []
    assert run_sweepers(queues, queues.assign, assign_app.handler) == []
    out = capsys.readouterr().out
    assert _values(out, "RulesFailed") == [] and _values(out, "LeadsAssigned") == [3.0]


def test_a_submission_the_store_could_not_take_counts_as_a_failure_of_the_form_door(
    moto_repo: Repository, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a form source, and the leads table failing every new lead
    add_form_source(moto_repo)

    def down(self: Repository, *args: Any, **kwargs: Any) -> Any:
        raise ClientError({"Error": {"Code": "InternalServerError", "Message": "injected"}}, "PutItem")

    monkeypatch.setattr(Repository, "put_new_lead", down)
    capsys.readouterr()
    # When a visitor posts the form
    reply = post_form([("name", "An"), ("phone", "0912345678")])
    # Then the visitor is told to retry, and SubmissionsFailed counts it (not a rejection)
    assert reply.status == 503
    out = capsys.readouterr().out
    assert _values(out, "SubmissionsFailed") == [1.0]
    assert _values(out, "SubmissionsRejected") == []


def test_a_refused_submission_counts_as_a_rejection_not_a_failure(
    moto_repo: Repository, capsys: pytest.CaptureFixture[str]
) -> None:
    add_form_source(moto_repo)
    capsys.readouterr()
    # When a form arrives with neither a phone nor an email
    reply = post_form([("name", "An")])
    assert reply.status == 422, reply.body
    out = capsys.readouterr().out
    assert _values(out, "SubmissionsRejected") == [1.0] and _values(out, "SubmissionsFailed") == []


class _AcceptingBus:
    """PutEvents that takes every entry."""

    def put_events(self, Entries: list[dict[str, Any]]) -> dict[str, Any]:
        return {"FailedEntryCount": 0, "Entries": [{"EventId": f"eb-{i}"} for i, _ in enumerate(Entries)]}


def _decided(before: Lead, action: str, staff_id: str, seconds: float, **fields: Any) -> Lead:
    decision = Decision(
        at=before.received_at + timedelta(seconds=seconds), action=action, staff_id=staff_id, **fields
    )
    return before.model_copy(update={"decisions": [*before.decisions, decision]})


def test_speed_to_lead_is_measured_on_a_leads_first_owner_chosen_by_a_rule_only(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Given a lead a rule gave to A after 2.5 s and reclaimed to B after an hour, and a lead an admin
    # gave by hand (an import keeping another CRM's owner is one) after a day
    arrived = lead(lead_id="L-1")
    first = _decided(arrived, "assigned", "A", 2.5, rule_id="r")
    moved = _decided(first, "assigned", "B", 3600, rule_id="r", previous_owner="A")
    by_hand = lead(lead_id="L-2")
    manual = _decided(by_hand, "manual", "C", 86400, by="admin")
    records = [
        change_record(None, arrived, 0),
        change_record(arrived, first, 1),
        change_record(first, moved, 2),
        change_record(by_hand, manual, 3),
    ]
    capsys.readouterr()
    # When the batch is published
    publish_changes(records, EventBus("bus", _AcceptingBus(), pause=lambda attempt: None))
    metrics.flush_metrics()
    # Then one speed-to-lead value: the rule's first assignment, in seconds
    assert _values(capsys.readouterr().out, "SpeedToLead") == [2.5]
