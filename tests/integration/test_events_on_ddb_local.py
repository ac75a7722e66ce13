"""Events from the real stream of DynamoDB Local, through the publish handler, onto the emulated bus and
WebhookEventsQueue: a sweep killed right after its conditional write still yields its event, a replayed
batch republishes the same ids, and no phone, email or name is in any event or log line."""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import boto3
import pytest

import functions.publish.app as publish_app
from leadrouter.data.repository import Repository
from leadrouter.logic.routing.assign import sweep_due_leads
from leadrouter.runtime import new_repository
from leadrouter.settings import Settings
from leadrouter_local.aws_endpoint import AwsEmulator
from leadrouter_local.template import load_template
from tests.support.builders import NOW, TENANT, lead, rule, seed
from tests.support.event_records import stream_records
from tests.support.faults import Fault, FaultyClient, appends_decision, lead_key
from tests.support.lambda_context import FakeContext
from tests.support.ticks import run_sweeps

LEASE = timedelta(minutes=3)
DUE = NOW + timedelta(seconds=5)


class SweepKilled(BaseException):
    """The Lambda dying mid-sweep (timeout, OOM): nothing after this point of the sweep runs."""


class KilledAfterWrite(FaultyClient):
    """Applies the chosen lead's decision write, then kills the sweep before it learns the answer."""

    def update_item(self, **request: Any) -> Any:
        if self._plan(request) is Fault.AFTER:
            self.faults[Fault.AFTER] += 1
            self._real.update_item(**request)
            raise SweepKilled
        return self._real.update_item(**request)


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[AwsEmulator]:
    """The stack's EventBridge + SQS from template.yaml, no consumers (the queue is read by the test)."""
    emulator = AwsEmulator(load_template(), log=lambda _: None)
    emulator.start()
    for var, value in emulator.environment().items():
        monkeypatch.setenv(var, value)
    monkeypatch.setenv("EVENT_BUS_NAME", emulator.refs["EventBus"])
    yield emulator
    emulator.stop()


@pytest.fixture
def repo(ddb_tables: dict[str, str]) -> Repository:
    return new_repository()


def _publish(records: list[dict[str, Any]]) -> dict[str, Any]:
    response: dict[str, Any] = publish_app.handler(
        {"Records": records}, FakeContext(function_name="leadrouter-publish")
    )
    return response


def _drain(url: str) -> list[dict[str, Any]]:
    """Every message on the queue (received and deleted), as the EventBridge events they are."""
    sqs, found = boto3.client("sqs"), list[dict[str, Any]]()
    while True:
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        if not messages:
            return found
        for message in messages:
            found.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


def test_a_sweep_killed_after_its_write_still_yields_the_event_and_a_replay_the_same_ids(
    repo: Repository,
    ddb_tables: dict[str, str],
    aws: AwsEmulator,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Given 30 due leads with names, phones and emails, and a sweep that dies right after writing lead 7
    seed(repo, rule())
    leads = [
        lead(
            received_at=NOW + timedelta(milliseconds=i),
            name=f"Phạm Thị Hoa {i}",
            phone=f"+8491555{i:04d}",
            email=f"hoa{i}@example.vn",
        )
        for i in range(30)
    ]
    repo.import_leads(leads)
    victim = leads[7].lead_id

    def plan(request: dict[str, Any]) -> Fault | None:
        return Fault.AFTER if appends_decision(request) and lead_key(request) == victim else None

    killer = KilledAfterWrite(boto3.client("dynamodb"), plan)
    with pytest.raises(SweepKilled):
        run_sweeps(Repository(Settings.from_env(), client=killer), "assign", sweep_due_leads, DUE, LEASE)
    assert killer.faults[Fault.AFTER] == 1
    # …and a later tick, once the dead sweep's lease has expired, that assigns the rest
    run_sweeps(repo, "assign", sweep_due_leads, DUE + LEASE + timedelta(minutes=1), LEASE)
    stored = [repo.get_lead(TENANT, x.lead_id) for x in leads]
    assert all(x is not None and [d.action for d in x.decisions] == ["assigned"] for x in stored)

    # When the leads table's stream is handed to the publish function (twice: a replayed batch)
    caplog.set_level(logging.DEBUG, logger="leadrouter")
    records = stream_records(ddb_tables["LeadsTable"])
    assert _publish(records) == {"batchItemFailures": []}
    first = _drain(aws.refs["WebhookEventsQueue"])
    assert _publish(records) == {"batchItemFailures": []}
    replayed = _drain(aws.refs["WebhookEventsQueue"])

    # Then WebhookEventsQueue got exactly one LeadAssigned per lead, the killed sweep's lead included
    assigned = Counter(e["detail"]["lead_id"] for e in first if e["detail-type"] == "LeadAssigned")
    assert assigned == dict.fromkeys((x.lead_id for x in leads), 1)
    received = Counter(e["detail"]["lead_id"] for e in first if e["detail-type"] == "LeadReceived")
    assert received == assigned
    (killed,) = [e for e in first if e["detail"]["event_id"] == f"{victim}-1"]
    owner = stored[7].owner if stored[7] else None
    assert (killed["source"], killed["detail"]["staff_id"]) == ("leadrouter", owner)
    # …the replay brought the very same event ids again, none missing, none new
    assert sorted(e["detail"]["event_id"] for e in replayed) == sorted(e["detail"]["event_id"] for e in first)
    # …and no phone, email or name is in any event or anything the publish function logged or printed
    out = capsys.readouterr()
    logged = caplog.text + out.out + out.err + json.dumps([r.__dict__ for r in caplog.records], default=str)
    bodies = json.dumps(first + replayed, ensure_ascii=False)
    for x in leads:
        for secret in (x.phone, x.email, x.name):
            if secret:
                assert secret not in bodies
                assert secret not in logged
