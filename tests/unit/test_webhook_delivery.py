"""Webhook fan-out and delivery through the real handlers: moto SQS (single-threaded) and DynamoDB tables
from the template, and a real HTTP receiver on 127.0.0.1 (the only other thread)."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from leadrouter.clock import to_iso
from leadrouter.data.items import expr_values, to_item
from leadrouter.data.repository import Repository
from leadrouter.data.webhooks import log_key
from leadrouter.domain.events import LeadEscalated
from leadrouter.domain.webhooks import SCHEDULE, DeliveryRequest, DeliveryStatus
from leadrouter.logic.events.delivery import MARGIN_SECONDS, TENANT_SLOTS, Message, deliver_batch
from leadrouter.logic.events.webhook_http import PostResult, no_answer
from leadrouter.settings import Settings
from leadrouter.signing import HEADER, verify
from tests.support.lambda_context import FakeContext
from tests.support.webhooks import (
    AT,
    Queues,
    Receiver,
    SlowLoris,
    assigned,
    create_queues,
    receiver_factory,
    run_delivery,
    run_fanout,
    sqs_event,
    webhook,
)

OTHER = "globex"
TIMEOUT = 0.5  # WEBHOOK_TIMEOUT_SECONDS in these tests (tests/support/webhooks.py)
SECRET = "whsec_" + "s" * 43
OTHER_SECRET = "whsec_" + "o" * 43


@pytest.fixture
def receivers() -> Iterator[Callable[..., Receiver]]:
    yield from receiver_factory()


@pytest.fixture
def queues(moto_tables: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Queues:
    return create_queues(monkeypatch)


class RecordingQueue:
    def __init__(self) -> None:
        self.retries: list[tuple[str, int]] = []

    def retry_in(self, receipt_handle: str, seconds: int) -> None:
        self.retries.append((receipt_handle, seconds))

    def dead_letter(self, request: DeliveryRequest) -> None:
        raise AssertionError("no delivery dies here")


def _log(repo: Repository, webhook_id: str, event_id: str, tenant: str = "acme"):
    items, _ = repo.list_deliveries(tenant, webhook_id, limit=100)
    return next(d for d in items if d.event_id == event_id)


def _enqueue(queues: Queues, *requests: DeliveryRequest) -> None:
    for request in requests:
        queues.client.send_message(QueueUrl=queues.delivery, MessageBody=request.model_dump_json())


# ------------------------------------------------------------------ fan-out
def test_fan_out_sends_one_delivery_per_subscribed_active_webhook_of_the_events_tenant(
    moto_repo: Repository, queues: Queues
):
    # Given four webhooks of the tenant (two want LeadAssigned, one only escalations, one is inactive)
    # and one of another tenant
    moto_repo.create_webhook(webhook("https://a.example.com/h", webhook_id="W1"), SECRET)
    moto_repo.create_webhook(
        webhook("https://b.example.com/h", webhook_id="W2", event_types=["LeadAssigned"]), SECRET
    )
    moto_repo.create_webhook(
        webhook("https://c.example.com/h", webhook_id="W3", event_types=["LeadEscalated"]), SECRET
    )
    moto_repo.create_webhook(webhook("https://d.example.com/h", webhook_id="W4", active=False), SECRET)
    moto_repo.create_webhook(webhook("https://e.example.com/h", webhook_id="W5", tenant=OTHER), SECRET)

    # When a LeadAssigned event arrives on WebhookEventsQueue and the fan-out runs
    queues.put_event(assigned())
    failed = run_fanout(queues)

    # Then WebhookDeliveryQueue holds exactly one delivery for each of W1 and W2, carrying the event
    assert failed == []
    messages = queues.receive(queues.delivery)
    requests = [DeliveryRequest.model_validate_json(m["Body"]) for m in messages]
    assert sorted(r.webhook_id for r in requests) == ["W1", "W2"]
    assert {r.event_id for r in requests} == {"L0001-1"}
    assert all(r.tenant_id == "acme" and not r.test for r in requests)
    # ... each in its tenant's message group (SQS fair queues deprioritise a tenant with a backlog)
    assert [m["Attributes"].get("MessageGroupId") for m in messages] == ["acme", "acme"]
    # ... and no message carries a URL or a secret
    assert not [m for m in messages if "whsec_" in m["Body"] or "example.com" in m["Body"]]


def test_fan_out_ignores_other_sources_and_fails_an_unreadable_leadrouter_event(
    moto_repo: Repository, queues: Queues
):
    # Given a foreign event and a leadrouter event whose detail does not read
    moto_repo.create_webhook(webhook("https://a.example.com/h"), SECRET)
    queues.client.send_message(
        QueueUrl=queues.events, MessageBody=json.dumps({"source": "aws.s3", "detail-type": "x", "detail": {}})
    )
    queues.client.send_message(
        QueueUrl=queues.events,
        MessageBody=json.dumps(
            {"source": "leadrouter", "detail-type": "LeadAssigned", "detail": {"type": "?"}}
        ),
    )

    # When the fan-out runs
    failed = run_fanout(queues)

    # Then the foreign one is consumed, the broken one fails (retried, then the events DLQ), nothing is sent
    assert len(failed) == 1
    assert queues.receive(queues.delivery) == []


# ------------------------------------------------------------------ signing and retries
def test_a_receiver_failing_three_times_gets_the_event_on_the_fourth_attempt_after_growing_delays(
    moto_repo: Repository, queues: Queues, receivers: Callable[..., Receiver]
):
    # Given a receiver that answers 500 three times, then 200
    receiver = receivers(500, 500, 500, 200)
    moto_repo.create_webhook(webhook(receiver.url), SECRET)
    queues.put_event(assigned())
    run_fanout(queues)

    # When the delivery function runs until the queue is empty
    rounds = 0
    while run_delivery(queues)[0]:
        rounds += 1
        assert rounds < 10

    # Then four POSTs arrived, each with the same body and event id and a valid signature ...
    assert len(receiver.received) == 4
    assert len({r.body for r in receiver.received}) == 1
    now = time.time()
    for number, request in enumerate(receiver.received, start=1):
        verify(SECRET, request.headers[HEADER], request.body, now)
        assert request.headers["Leadrouter-Event-Id"] == "L0001-1"
        assert request.headers["Leadrouter-Delivery-Attempt"] == str(number)
    body = receiver.bodies()[0]
    assert body["id"] == "L0001-1"
    assert body["type"] == "LeadAssigned"
    assert body["test"] is False
    assert body["data"]["staff_id"] == "B"
    # ... the retries were asked for after the schedule's first three delays, each longer than the last ...
    assert queues.spy.visibility == [30, 120, 600]
    # ... and the log says delivered on attempt 4
    log = _log(moto_repo, "W1", "L0001-1")
    assert log.status is DeliveryStatus.DELIVERED
    assert log.attempts == 4
    assert log.last_status_code == 200
    assert log.last_error is None
    assert log.delivered_at is not None
    assert log.next_attempt_at is None


def test_a_dead_endpoint_ends_dead_in_the_dlq_while_another_tenants_endpoint_keeps_receiving(
    moto_repo: Repository, queues: Queues, receivers: Callable[..., Receiver]
):
    # Given a tenant whose endpoint answers 503 (until it is fixed, after ten attempts), and another
    # tenant's healthy endpoint
    dead = receivers(*[503] * SCHEDULE.max_attempts, 200)
    healthy = receivers(200)
    moto_repo.create_webhook(webhook(dead.url), SECRET)
    moto_repo.create_webhook(webhook(healthy.url, tenant=OTHER, webhook_id="W9"), OTHER_SECRET)
    queues.put_event(assigned())
    run_fanout(queues)

    # When the delivery function runs again and again, the other tenant getting a new event each round
    for round_number in range(SCHEDULE.max_attempts + 2):
        queues.put_event(assigned(f"L{round_number:04d}x", tenant=OTHER))
        run_fanout(queues)
        run_delivery(queues)

    # Then the dead endpoint got exactly max_attempts POSTs, spaced by the whole schedule, then no more ...
    assert len(dead.received) == SCHEDULE.max_attempts == 10
    assert queues.spy.visibility == list(SCHEDULE.delays)
    # ... the function put the message on the dead-letter queue, marked with the attempts it died
    # after, and the log says dead, with the last error
    dlq = queues.receive(queues.dead)
    assert len(dlq) == 1
    buried = DeliveryRequest.model_validate_json(dlq[0]["Body"])
    assert (buried.event_id, buried.redriven_after) == ("L0001-1", SCHEDULE.max_attempts)
    assert queues.count(queues.delivery) == 0
    log = _log(moto_repo, "W1", "L0001-1")
    assert log.status is DeliveryStatus.DEAD
    assert log.attempts == 10
    assert log.last_status_code == 503
    assert log.last_error == "HTTP 503"
    # ... while every one of the other tenant's events was delivered, once each
    ids = [b["id"] for b in healthy.bodies()]
    assert ids == [f"L{n:04d}x-1" for n in range(SCHEDULE.max_attempts + 2)]
    for request in healthy.received:
        verify(OTHER_SECRET, request.headers[HEADER], request.body, time.time())

    # When an operator redrives the dead message once the endpoint is fixed
    queues.client.send_message(QueueUrl=queues.delivery, MessageBody=dlq[0]["Body"])
    run_delivery(queues)

    # Then it is posted once more and the log says delivered, on attempt 11
    assert len(dead.received) == SCHEDULE.max_attempts + 1
    log = _log(moto_repo, "W1", "L0001-1")
    assert (log.status, log.attempts, log.last_error) == (DeliveryStatus.DELIVERED, 11, None)


def _hand_over(queues: Queues, message: dict[str, Any]) -> list[str]:
    """One delivery invocation on this one received message; deleted unless reported failed."""
    from functions.webhook_delivery import app

    answer = app.handler(sqs_event([message]), FakeContext(function_name="leadrouter-webhook-delivery"))
    failed = [f["itemIdentifier"] for f in answer["batchItemFailures"]]
    if message["MessageId"] not in failed:
        queues.client.delete_message(QueueUrl=queues.delivery, ReceiptHandle=message["ReceiptHandle"])
    return failed


def _retry_falls_due(tables: dict[str, str], request: DeliveryRequest) -> None:
    """Time passes: the delivery's pending retry is due now (its next_attempt_at moved to the past)."""
    boto3.client("dynamodb", region_name="ap-southeast-1").update_item(
        TableName=tables["DeliveriesTable"],
        Key=to_item(log_key(request)),
        UpdateExpression="SET next_attempt_at = :past",
        ConditionExpression="attribute_exists(next_attempt_at)",
        ExpressionAttributeValues=expr_values(past=to_iso(AT)),
    )


def _dead_letters(queues: Queues) -> list[DeliveryRequest]:
    return [DeliveryRequest.model_validate_json(m["Body"]) for m in queues.receive(queues.dead)]


def test_two_copies_taking_turns_post_at_most_max_attempts_and_only_a_redrive_of_the_dead_one_starts_a_round(
    moto_tables: dict[str, str], moto_repo: Repository, queues: Queues, receivers: Callable[..., Receiver]
):
    # Given an endpoint that always answers 503, and two copies A and B of one delivery on the queue
    # (a replayed stream batch, or EventBridge's at-least-once)
    dead = receivers(503)
    moto_repo.create_webhook(webhook(dead.url), SECRET)
    request = DeliveryRequest(tenant_id="acme", webhook_id="W1", event=assigned())
    _enqueue(queues, request, request)

    # When both keep coming back and each takes the other's retry once it is due, turn by turn
    turns = 0
    while (copies := sorted(queues.receive(queues.delivery), key=lambda m: m["MessageId"])) and turns < 40:
        for message in copies:
            _hand_over(queues, message)
            turns += 1
            with contextlib.suppress(ClientError):  # no retry pending: the delivery is over
                _retry_falls_due(moto_tables, request)

    # Then the endpoint got exactly max_attempts POSTs in all, and the log says dead after them ...
    assert len(dead.received) == SCHEDULE.max_attempts == 10
    log = _log(moto_repo, "W1", "L0001-1")
    assert (log.status, log.attempts) == (DeliveryStatus.DEAD, SCHEDULE.max_attempts)
    # ... each copy's retry waited the delivery's place in the schedule, not its own receive count ...
    assert queues.spy.visibility == list(SCHEDULE.delays)
    # ... and exactly one message is on the DLQ, marked with the attempts it died after
    [buried] = _dead_letters(queues)
    assert buried.event_id == "L0001-1"
    assert buried.redriven_after == SCHEDULE.max_attempts

    # When a late copy (a replay, unmarked) arrives after the death
    _enqueue(queues, request)
    handled, failed = run_delivery(queues)

    # Then it posts nothing and is deleted
    assert (handled, failed) == (1, [])
    assert len(dead.received) == SCHEDULE.max_attempts
    assert queues.count(queues.delivery) == 0

    # When an operator redrives the dead message and the endpoint still fails
    queues.client.send_message(QueueUrl=queues.delivery, MessageBody=buried.model_dump_json())
    rounds = 0
    while run_delivery(queues)[0]:
        rounds += 1
        assert rounds < 20

    # Then a second round of max_attempts POSTs from the start of the schedule ends dead at 20 ...
    assert len(dead.received) == 2 * SCHEDULE.max_attempts
    assert queues.spy.visibility == 2 * list(SCHEDULE.delays)
    log = _log(moto_repo, "W1", "L0001-1")
    assert (log.status, log.attempts) == (DeliveryStatus.DEAD, 2 * SCHEDULE.max_attempts)
    # ... with a new DLQ message marked 20
    [again] = _dead_letters(queues)
    assert again.redriven_after == 2 * SCHEDULE.max_attempts


def test_a_dead_delivery_the_dlq_refused_comes_back_posts_nothing_and_lands_on_the_dlq(
    moto_repo: Repository, queues: Queues, receivers: Callable[..., Receiver]
):
    # Given an endpoint that always answers 503, and a DLQ that refuses the first message sent to it
    dead = receivers(503)
    moto_repo.create_webhook(webhook(dead.url), SECRET)
    _enqueue(queues, DeliveryRequest(tenant_id="acme", webhook_id="W1", event=assigned()))
    refused: list[str] = []
    send = queues.client.send_message

    def flaky_send(**kwargs: Any) -> Any:
        if kwargs["QueueUrl"] == queues.dead and not refused:
            refused.append(kwargs["MessageBody"])
            raise ClientError({"Error": {"Code": "ServiceUnavailable", "Message": "x"}}, "SendMessage")
        return send(**kwargs)

    queues.spy.send_message = flaky_send  # type: ignore[attr-defined]

    # When the delivery function runs until its last attempt has failed
    for _ in range(SCHEDULE.max_attempts):
        run_delivery(queues)

    # Then the DLQ refused it, and the message was reported failed to come back at once
    assert len(refused) == 1
    assert len(dead.received) == SCHEDULE.max_attempts
    assert queues.spy.visibility == [*SCHEDULE.delays, 0]
    assert queues.count(queues.dead) == 0

    # When it comes back
    handled, failed = run_delivery(queues)

    # Then it posts nothing, lands on the DLQ marked with the delivery's attempts, and is deleted
    assert (handled, failed) == (1, [])
    assert len(dead.received) == SCHEDULE.max_attempts
    [buried] = _dead_letters(queues)
    assert buried.redriven_after == SCHEDULE.max_attempts
    assert queues.count(queues.delivery) == 0
    log = _log(moto_repo, "W1", "L0001-1")
    assert (log.status, log.attempts) == (DeliveryStatus.DEAD, SCHEDULE.max_attempts)


def test_a_slow_loris_receiver_is_cut_at_the_deadline_while_another_tenants_delivery_in_the_batch_is_made(
    moto_repo: Repository, queues: Queues, receivers: Callable[..., Receiver]
):
    # Given one tenant's endpoint that takes the request and then answers one byte every 0.1 s forever
    # (deployed: a byte a second against a 10 s deadline; here 0.1 s against the tests' 0.5 s, so each
    # byte arrives well within any per-read timeout), and another tenant's healthy endpoint
    slow = SlowLoris(interval=0.1)
    healthy = receivers(200)
    try:
        moto_repo.create_webhook(webhook(slow.url), SECRET)
        moto_repo.create_webhook(webhook(healthy.url, tenant=OTHER, webhook_id="W9"), OTHER_SECRET)
        slow_request = DeliveryRequest(tenant_id="acme", webhook_id="W1", event=assigned())
        other_request = DeliveryRequest(
            tenant_id=OTHER, webhook_id="W9", event=assigned("L0002", tenant=OTHER)
        )
        _enqueue(queues, slow_request, other_request)

        # When one invocation handles both, the slow one first in the batch
        handled, failed = run_delivery(queues)
        assert slow.hung_up.wait(5)
    finally:
        slow.stop()

    # Then the slow receiver was cut at the deadline (0.5 s here, all of DNS, connect, send and the
    # answer): it held the connection for a bounded time, not for as long as it dripped ...
    assert TIMEOUT / 2 <= slow.held <= TIMEOUT + 1.0
    # ... the other tenant's delivery was made while the slow one was still being held ...
    assert [b["id"] for b in healthy.bodies()] == ["L0002-1"]
    assert slow.closed_at is not None and healthy.received[0].at < slow.closed_at
    assert _log(moto_repo, "W9", "L0002-1", tenant=OTHER).status is DeliveryStatus.DELIVERED
    assert _log(moto_repo, "W9", "L0002-1", tenant=OTHER).attempts == 1
    # ... and only the slow one is a batch failure, set to retry after the schedule's first delay,
    # with the one text every transport failure gets
    assert (handled, len(failed)) == (2, 1)
    log = _log(moto_repo, "W1", "L0001-1")
    assert (log.status, log.attempts) == (DeliveryStatus.RETRYING, 1)
    assert log.last_error == no_answer(TIMEOUT)
    assert queues.spy.visibility == [SCHEDULE.delays[0]]
    [left] = queues.receive(queues.delivery)
    assert left["MessageId"] == failed[0]
    assert DeliveryRequest.model_validate_json(left["Body"]).webhook_id == "W1"


def test_one_tenant_runs_at_most_its_slots_at_once_and_another_tenant_is_not_kept_waiting(
    moto_repo: Repository, queues: Queues
):
    # Given a batch of seven deliveries of one tenant (seven webhooks whose receivers hang) and one of
    # another tenant
    for n in range(7):
        moto_repo.create_webhook(webhook(f"https://hang{n}.example.com/h", webhook_id=f"W{n}"), SECRET)
    moto_repo.create_webhook(webhook("https://ok.example.com/h", tenant=OTHER, webhook_id="W9"), OTHER_SECRET)
    requests = [DeliveryRequest(tenant_id="acme", webhook_id=f"W{n}", event=assigned()) for n in range(7)]
    requests.append(DeliveryRequest(tenant_id=OTHER, webhook_id="W9", event=assigned(tenant=OTHER)))
    lock = threading.Lock()
    in_flight = {"acme": 0}
    most = {"acme": 0}
    other_done = threading.Event()
    full = threading.Event()

    def poster(url: str, body: bytes, headers: Mapping[str, str], **_: Any) -> PostResult:
        if "ok.example.com" in url:  # the other tenant's: made while the first tenant's hang
            posted = full.wait(5)
            other_done.set()
            return PostResult(200 if posted else None, None if posted else "not in time", 0.0)
        with lock:
            in_flight["acme"] += 1
            most["acme"] = max(most["acme"], in_flight["acme"])
            if in_flight["acme"] == TENANT_SLOTS:
                full.set()
        other_done.wait(5)  # "hangs" until the other tenant's delivery is through
        with lock:
            in_flight["acme"] -= 1
        return PostResult(None, no_answer(0.5), 0.5)

    messages = [Message(f"m{n}", f"r{n}", request.model_dump_json()) for n, request in enumerate(requests)]

    # When the batch is delivered
    failed = deliver_batch(
        moto_repo,
        RecordingQueue(),
        messages,
        settings=Settings.from_env(),
        time_left=lambda: 60.0,
        poster=poster,
    )

    # Then the first tenant never had more than its slots in flight, and the other tenant's delivery was
    # made while they were full; every one of the first tenant's seven was attempted, and failed alone
    assert most["acme"] == TENANT_SLOTS
    assert _log(moto_repo, "W9", "L0001-1", tenant=OTHER).status is DeliveryStatus.DELIVERED
    assert sorted(failed) == [f"m{n}" for n in range(7)]


def test_a_delivery_that_cannot_finish_before_the_invocation_ends_goes_back_unattempted(
    moto_repo: Repository, queues: Queues
):
    # Given a delivery handed to an invocation with less time left than a deadline and its margin
    moto_repo.create_webhook(webhook("https://a.example.com/h"), SECRET)
    message = Message(
        "m1", "r1", DeliveryRequest(tenant_id="acme", webhook_id="W1", event=assigned()).model_dump_json()
    )
    queue = RecordingQueue()
    posted: list[str] = []

    def poster(url: str, *_: Any, **__: Any) -> PostResult:
        posted.append(url)
        return PostResult(200, None, 0.0)

    # When the batch is delivered
    failed = deliver_batch(
        moto_repo,
        queue,
        [message],
        settings=Settings.from_env(),
        time_left=lambda: TIMEOUT + MARGIN_SECONDS - 0.1,
        poster=poster,
    )

    # Then nothing is posted or counted: the message comes back at once
    assert (failed, posted, queue.retries) == (["m1"], [], [("r1", 0)])
    assert moto_repo.list_deliveries("acme", "W1", limit=10)[0] == []


# ------------------------------------------------------------------ dedupe
def test_the_same_delivery_message_twice_posts_once(
    moto_repo: Repository, queues: Queues, receivers: Callable[..., Receiver]
):
    # Given two copies of one delivery on the queue (SQS and EventBridge are at least once)
    receiver = receivers(200)
    moto_repo.create_webhook(webhook(receiver.url), SECRET)
    request = DeliveryRequest(tenant_id="acme", webhook_id="W1", event=assigned())
    _enqueue(queues, request, request)

    # When the delivery function handles both (one batch), and a third copy arrives later
    handled, failed = run_delivery(queues)
    _enqueue(queues, request)
    run_delivery(queues)

    # Then exactly one POST was made, and the log counts one attempt
    assert (handled, failed) == (2, [])
    assert len(receiver.received) == 1
    log = _log(moto_repo, "W1", "L0001-1")
    assert (log.status, log.attempts) == (DeliveryStatus.DELIVERED, 1)
    assert queues.count(queues.delivery) == 0


def test_a_copy_arriving_while_a_retry_is_pending_stands_aside(
    moto_repo: Repository, queues: Queues, receivers: Callable[..., Receiver]
):
    # Given a delivery whose first attempt failed (its retry is due in 30 s)
    receiver = receivers(500, 200)
    moto_repo.create_webhook(webhook(receiver.url), SECRET)
    request = DeliveryRequest(tenant_id="acme", webhook_id="W1", event=assigned())
    _enqueue(queues, request)
    run_delivery(queues)
    first = queues.receive(queues.delivery)  # the retry's message, held aside by this test
    assert len(first) == 1

    # When a duplicate copy arrives before the retry is due
    _enqueue(queues, request)
    handled, failed = run_delivery(queues)

    # Then the duplicate is consumed without a POST; the retry's own message still delivers later
    assert (handled, failed) == (1, [])
    assert len(receiver.received) == 1
    queues.client.change_message_visibility(
        QueueUrl=queues.delivery, ReceiptHandle=first[0]["ReceiptHandle"], VisibilityTimeout=0
    )
    run_delivery(queues)
    assert len(receiver.received) == 2
    assert _log(moto_repo, "W1", "L0001-1").status is DeliveryStatus.DELIVERED


def test_a_deleted_or_unsubscribed_webhook_gets_nothing_more(
    moto_repo: Repository, queues: Queues, receivers: Callable[..., Receiver]
):
    # Given a queued delivery for a webhook that was deleted, and an escalation for a webhook that
    # receives only assignments
    receiver = receivers(200)
    moto_repo.create_webhook(webhook(receiver.url, webhook_id="W2", event_types=["LeadAssigned"]), SECRET)
    escalated = LeadEscalated(
        **{
            **assigned().model_dump(
                exclude={
                    "type",
                    "staff_id",
                    "manual",
                    "by",
                    "call_allowed",
                    "call_reason",
                    "call_allowed_from",
                }
            ),
            "reason": "x",
        }
    )
    _enqueue(
        queues,
        DeliveryRequest(tenant_id="acme", webhook_id="W-gone", event=assigned()),
        DeliveryRequest(tenant_id="acme", webhook_id="W2", event=escalated),
    )

    # When the delivery function runs
    handled, failed = run_delivery(queues)

    # Then both messages are consumed and nothing is posted
    assert (handled, failed) == (2, [])
    assert receiver.received == []


def test_a_private_address_is_never_posted_to_even_when_a_stored_url_points_there(
    moto_repo: Repository, queues: Queues, monkeypatch: pytest.MonkeyPatch
):
    # Given a stored webhook whose host is a link-local address (the metadata service), off the local stack
    monkeypatch.setenv("WEBHOOKS_ALLOW_LOCAL", "0")
    moto_repo.create_webhook(webhook("https://169.254.169.254/latest"), SECRET)
    _enqueue(queues, DeliveryRequest(tenant_id="acme", webhook_id="W1", event=assigned()))

    # When the delivery function runs
    _, failed = run_delivery(queues)

    # Then no connection is made: the attempt fails with a reason
    assert len(failed) == 1
    log = _log(moto_repo, "W1", "L0001-1")
    assert log.last_error == "the host resolves only to private or reserved addresses"
    assert log.occurred_at == AT
