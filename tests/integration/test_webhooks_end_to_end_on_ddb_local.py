"""End to end on DynamoDB Local and the emulated EventBridge + SQS: the leads table's stream → publish →
bus → WebhookEventsQueue → fan-out → WebhookDeliveryQueue → delivery → real HTTP receivers.

A sweep is killed right after one lead's conditional write, and the stream batch is published twice
(a replay): every assigned lead still reaches every subscribed webhook, signed, and a receiver that
dedupes on the event id sees each event exactly once. A dead endpoint of the same tenant and another
tenant's endpoint are served meanwhile."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import boto3
import pytest

import functions.publish.app as publish_app
from leadrouter.data.repository import Repository
from leadrouter.domain.webhooks import DeliveryStatus
from leadrouter.logic.routing.assign import sweep_due_leads
from leadrouter.runtime import new_repository
from leadrouter.settings import Settings
from leadrouter.signing import HEADER, verify
from leadrouter_local.aws_endpoint import AwsEmulator
from leadrouter_local.lambda_runtime import Functions
from leadrouter_local.template import load_template
from tests.integration.test_events_on_ddb_local import KilledAfterWrite, SweepKilled
from tests.support.builders import NOW, TENANT, lead, rule, seed
from tests.support.event_records import stream_records
from tests.support.faults import Fault, appends_decision, lead_key
from tests.support.lambda_context import FakeContext
from tests.support.ticks import run_sweeps
from tests.support.webhooks import Receiver, receiver_factory, webhook

LEASE = timedelta(minutes=3)
DUE = NOW + timedelta(seconds=5)
OTHER = "globex"
SECRETS = {
    "W1": "whsec_" + "1" * 43,
    "W2": "whsec_" + "2" * 43,
    "W3": "whsec_" + "3" * 43,
    "W4": "whsec_" + "4" * 43,
}


@pytest.fixture
def receivers() -> Iterator[Callable[..., Receiver]]:
    yield from receiver_factory()


@pytest.fixture
def aws(ddb_tables: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[AwsEmulator]:
    """The template's bus, rules and queues, with their SQS-triggered functions polling; queue times
    100x faster and every retry delay 1 s before that, so the dead endpoint's ten attempts take seconds."""
    emulator = AwsEmulator(load_template(), log=lambda _: None, time_scale=0.01)
    emulator.start()
    for var, value in emulator.environment().items():
        monkeypatch.setenv(var, value)
    monkeypatch.setenv("EVENT_BUS_NAME", emulator.refs["EventBus"])
    monkeypatch.setenv("WEBHOOK_DELIVERY_QUEUE_URL", emulator.refs["WebhookDeliveryQueue"])
    monkeypatch.setenv("WEBHOOK_DEAD_LETTER_QUEUE_URL", emulator.refs["WebhookDeliveryDeadLetterQueue"])
    monkeypatch.setenv("WEBHOOKS_ALLOW_LOCAL", "1")
    monkeypatch.setenv("WEBHOOK_TIMEOUT_SECONDS", "2")
    monkeypatch.setenv("WEBHOOK_RETRY_SCALE", "0.0001")  # every retry delay 1 s, then scaled 0.01
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")
    functions = Functions(load_template())
    emulator.start(functions.invoke)
    yield emulator
    emulator.stop()


def _verified_ids(receiver: Receiver, secret: str) -> Counter[str]:
    """Event ids the receiver got with a valid signature (every delivery must verify)."""
    ids: Counter[str] = Counter()
    for got in list(receiver.received):
        headers = {k.lower(): v for k, v in got.headers.items()}
        verify(secret, headers[HEADER.lower()], got.body, time.time())
        ids[json.loads(got.body)["id"]] += 1
    return ids


def _wait_until(done: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not done():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def test_every_assigned_lead_reaches_every_subscribed_webhook_despite_a_killed_sweep_and_a_replay(
    ddb_tables: dict[str, str],
    aws: AwsEmulator,
    receivers: Callable[..., Receiver],
) -> None:
    repo = new_repository()
    # Given two webhooks of the tenant (W1: assignments; W2: everything), a dead one (W3: always 500),
    # another tenant's (W4), and 12 due leads of each tenant
    crm, bot, dead, other = receivers(200), receivers(200), receivers(500), receivers(200)
    repo.create_webhook(webhook(crm.url, webhook_id="W1", event_types=["LeadAssigned"]), SECRETS["W1"])
    repo.create_webhook(webhook(bot.url, webhook_id="W2"), SECRETS["W2"])
    repo.create_webhook(webhook(dead.url, webhook_id="W3", event_types=["LeadAssigned"]), SECRETS["W3"])
    repo.create_webhook(webhook(other.url, webhook_id="W4", tenant=OTHER), SECRETS["W4"])
    seed(repo, rule())
    seed(repo, rule(tenant_id=OTHER))
    ours = [lead(received_at=NOW + timedelta(milliseconds=i), phone=f"+8491555{i:04d}") for i in range(12)]
    theirs = [
        lead(tenant_id=OTHER, received_at=NOW + timedelta(milliseconds=i), phone=f"+8491666{i:04d}")
        for i in range(12)
    ]
    repo.import_leads(ours + theirs)
    victim = ours[5].lead_id

    def plan(request: dict[str, Any]) -> Fault | None:
        return Fault.AFTER if appends_decision(request) and lead_key(request) == victim else None

    # …a sweep that dies right after writing the victim's assignment, and a later tick for the rest
    killer = KilledAfterWrite(boto3.client("dynamodb"), plan)
    with pytest.raises(SweepKilled):
        run_sweeps(Repository(Settings.from_env(), client=killer), "assign", sweep_due_leads, DUE, LEASE)
    run_sweeps(repo, "assign", sweep_due_leads, DUE + LEASE + timedelta(minutes=1), LEASE)

    # When the leads table's stream reaches the publish function twice (a replayed batch)
    records = stream_records(ddb_tables["LeadsTable"])
    context = FakeContext(function_name="leadrouter-publish")
    assert publish_app.handler({"Records": records}, context) == {"batchItemFailures": []}
    assert publish_app.handler({"Records": records}, context) == {"batchItemFailures": []}

    # Then each subscribed webhook got each of its events, signed; deduped by id, exactly once each
    assigned = {f"{x.lead_id}-1" for x in ours}
    received = {f"{x.lead_id}-0" for x in ours}
    _wait_until(lambda: set(_verified_ids(crm, SECRETS["W1"])) >= assigned, 60, "W1's deliveries")
    _wait_until(lambda: set(_verified_ids(bot, SECRETS["W2"])) >= assigned | received, 60, "W2's deliveries")
    _wait_until(
        lambda: set(_verified_ids(other, SECRETS["W4"])) >= {f"{x.lead_id}-1" for x in theirs}, 60, "W4's"
    )
    assert set(_verified_ids(crm, SECRETS["W1"])) == assigned  # the killed sweep's lead included
    assert set(_verified_ids(bot, SECRETS["W2"])) == assigned | received
    assert set(_verified_ids(other, SECRETS["W4"])) == {f"{x.lead_id}-{n}" for x in theirs for n in (0, 1)}
    # …the replay's copies were stopped by the delivery log: no event was posted twice
    assert max(_verified_ids(crm, SECRETS["W1"]).values()) == 1
    assert max(_verified_ids(bot, SECRETS["W2"]).values()) == 1
    # …and the dead endpoint used its attempts meanwhile, ending dead in the log
    victim_delivery = f"{victim}-1"
    _wait_until(
        lambda: any(
            d.event_id == victim_delivery and d.status is DeliveryStatus.DEAD
            for d in repo.list_deliveries(TENANT, "W3", limit=50)[0]
        ),
        90,
        "W3's delivery of the victim's event to be dead",
    )
    assert _verified_ids(dead, SECRETS["W3"])[victim_delivery] == 10
