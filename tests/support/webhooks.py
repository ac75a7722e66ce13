"""Webhook test kit: a real local HTTP receiver, moto queues from the template, and a driver that runs
the fan-out and delivery handlers on what the queues hold (as Lambda's SQS event source would)."""

from __future__ import annotations

import json
import select
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3
import pytest

from leadrouter.data.webhook_queue import DeliveryQueue
from leadrouter.domain.events import EVENT_SOURCE, DomainEvent, LeadAssigned
from leadrouter.domain.webhooks import Webhook
from tests.support.builders import TENANT
from tests.support.lambda_context import FakeContext
from tests.support.template import template

Answer = int | Callable[[], int]


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float


@dataclass
class Receiver:
    """An HTTP endpoint on 127.0.0.1 that answers each POST with the next scripted status (the last
    one repeats). With ``hold``, it answers only once the test sets the event (or after 10 s): a slow
    endpoint whose slowness does not depend on the machine's speed."""

    answers: list[Answer] = field(default_factory=lambda: [200])
    hold: threading.Event | None = None
    received: list[Received] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def _answer(self) -> int:
        index = min(len(self.received) - 1, len(self.answers) - 1)
        answer = self.answers[index]
        return answer() if callable(answer) else answer

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                receiver.received.append(
                    Received(self.path, dict(self.headers.items()), body, time.monotonic())
                )
                if receiver.hold is not None:
                    receiver.hold.wait(10)
                status = receiver._answer()
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, format: str, *args: Any) -> None:  # quiet
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(r.body) for r in self.received]


class SlowLoris:
    """A receiver on 127.0.0.1 that takes the request, then answers one byte every ``interval`` seconds
    forever (it gives up after ``give_up`` s, so a test of code without a deadline fails, not hangs).
    It records when it accepted the connection and when the client hung up: how long it held the client.
    """

    def __init__(self, interval: float = 0.1, give_up: float = 20.0) -> None:
        self.interval, self.give_up = interval, give_up
        self.accepted_at: float | None = None
        self.closed_at: float | None = None
        self.hung_up = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        threading.Thread(target=self._serve, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._listener.getsockname()[1]}/hook"

    @property
    def held(self) -> float:
        """Seconds from accepting the connection to the client's hanging up."""
        assert self.accepted_at is not None and self.closed_at is not None, "no connection ended"
        return self.closed_at - self.accepted_at

    def _serve(self) -> None:
        connection, _ = self._listener.accept()
        self.accepted_at = time.monotonic()
        drip = iter(b"HTTP/1.1 200 OK\r\nX-Drip: " + b"a" * 1_000_000)
        with connection:
            while time.monotonic() - self.accepted_at < self.give_up:
                readable, _, _ = select.select([connection], [], [], self.interval)
                try:
                    if readable and not connection.recv(65536):  # the request, then EOF at hang-up
                        break
                    if not readable:
                        connection.sendall(bytes([next(drip)]))
                except OSError:
                    break
            self.closed_at = time.monotonic()
            self.hung_up.set()

    def stop(self) -> None:
        self._listener.close()


def receiver_factory() -> Iterator[Callable[..., Receiver]]:
    """The body of a test module's ``receivers`` fixture: make receivers, stop them all afterwards."""
    started: list[Receiver] = []

    def make(*answers: Answer, slow: bool = False) -> Receiver:
        receiver = Receiver(list(answers) or [200], threading.Event() if slow else None).start()
        started.append(receiver)
        return receiver

    yield make
    for receiver in started:
        if receiver.hold is not None:
            receiver.hold.set()
        receiver.stop()


class SqsSpy:
    """A boto3 SQS client that records each visibility change asked for and makes the message visible at
    once instead, so a test walks through the whole retry schedule without waiting for it."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.visibility: list[int] = []

    def change_message_visibility(self, **kwargs: Any) -> Any:
        self.visibility.append(int(kwargs["VisibilityTimeout"]))
        return self._client.change_message_visibility(**{**kwargs, "VisibilityTimeout": 0})

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


@dataclass
class Queues:
    events: str
    delivery: str
    dead: str
    spy: SqsSpy
    client: Any

    def receive(self, url: str, limit: int = 10) -> list[dict[str, Any]]:
        response = self.client.receive_message(
            QueueUrl=url, MaxNumberOfMessages=limit, AttributeNames=["All"], VisibilityTimeout=30
        )
        messages: list[dict[str, Any]] = response.get("Messages", [])
        return messages

    def count(self, url: str) -> int:
        attributes = self.client.get_queue_attributes(
            QueueUrl=url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return int(attributes["ApproximateNumberOfMessages"]) + int(
            attributes["ApproximateNumberOfMessagesNotVisible"]
        )

    def put_event(self, event: DomainEvent) -> None:
        """An event as the EventBridge rule delivers it to WebhookEventsQueue."""
        envelope = {
            "version": "0",
            "id": f"eb-{event.event_id}",
            "detail-type": str(event.type),
            "source": EVENT_SOURCE,
            "account": "123456789012",
            "time": "2026-12-02T01:00:00Z",
            "region": "ap-southeast-1",
            "resources": [],
            "detail": json.loads(event.model_dump_json()),
        }
        self.client.send_message(QueueUrl=self.events, MessageBody=json.dumps(envelope))


def create_queues(monkeypatch: pytest.MonkeyPatch) -> Queues:
    """moto queues shaped like the template's (redrive, maxReceiveCount); env and queue client patched."""
    resources = template()["Resources"]
    delivery = resources["WebhookDeliveryQueue"]["Properties"]
    client = boto3.client("sqs", region_name="ap-southeast-1")
    dead = client.create_queue(QueueName="WebhookDeliveryDeadLetterQueue")["QueueUrl"]
    dead_arn = client.get_queue_attributes(QueueUrl=dead, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    redrive = {
        "deadLetterTargetArn": dead_arn,
        "maxReceiveCount": delivery["RedrivePolicy"]["maxReceiveCount"],
    }
    url = client.create_queue(
        QueueName="WebhookDeliveryQueue",
        Attributes={
            "VisibilityTimeout": str(delivery["VisibilityTimeout"]),
            "RedrivePolicy": json.dumps(redrive),
        },
    )["QueueUrl"]
    events = client.create_queue(QueueName="WebhookEventsQueue")["QueueUrl"]
    spy = SqsSpy(client)
    monkeypatch.setenv("WEBHOOK_DELIVERY_QUEUE_URL", url)
    monkeypatch.setenv("WEBHOOK_DEAD_LETTER_QUEUE_URL", dead)
    monkeypatch.setenv("WEBHOOKS_ALLOW_LOCAL", "1")
    monkeypatch.setenv("WEBHOOK_TIMEOUT_SECONDS", "0.5")
    monkeypatch.setattr(
        "leadrouter.runtime._delivery_queue",
        lambda url, dead_letter_url: DeliveryQueue(url, spy, dead_letter_url),
    )
    return Queues(events=events, delivery=url, dead=dead, spy=spy, client=client)


def sqs_event(messages: list[dict[str, Any]], queue: str = "WebhookDeliveryQueue") -> dict[str, Any]:
    """Received messages as Lambda's SQS event source hands them to a function."""
    return {
        "Records": [
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": m.get("Attributes", {}),
                "messageAttributes": {},
                "md5OfBody": m["MD5OfBody"],
                "eventSource": "aws:sqs",
                "eventSourceARN": f"arn:aws:sqs:ap-southeast-1:123456789012:{queue}",
                "awsRegion": "ap-southeast-1",
            }
            for m in messages
        ]
    }


def run_delivery(queues: Queues, limit: int = 4) -> tuple[int, list[str]]:
    """One delivery invocation on what the queue holds: (messages handled, ids reported failed).
    Handled messages that did not fail are deleted, as the event source mapping does."""
    from functions.webhook_delivery import app

    messages = queues.receive(queues.delivery, limit)
    if not messages:
        return 0, []
    answer = app.handler(sqs_event(messages), FakeContext(function_name="leadrouter-webhook-delivery"))
    failed = [f["itemIdentifier"] for f in answer["batchItemFailures"]]
    for message in messages:
        if message["MessageId"] not in failed:
            queues.client.delete_message(QueueUrl=queues.delivery, ReceiptHandle=message["ReceiptHandle"])
    return len(messages), failed


def run_fanout(queues: Queues) -> list[str]:
    from functions.webhook_fanout import app

    messages = queues.receive(queues.events)
    answer = app.handler(
        sqs_event(messages, "WebhookEventsQueue"), FakeContext(function_name="leadrouter-webhook-fanout")
    )
    failed = [f["itemIdentifier"] for f in answer["batchItemFailures"]]
    for message in messages:
        if message["MessageId"] not in failed:
            queues.client.delete_message(QueueUrl=queues.events, ReceiptHandle=message["ReceiptHandle"])
    return failed


AT = datetime(2026, 12, 2, 1, 0, tzinfo=UTC)


def assigned(lead_id: str = "L0001", tenant: str = TENANT, n: int = 1, staff: str = "B") -> LeadAssigned:
    return LeadAssigned(
        event_id=f"{lead_id}-{n}",
        tenant_id=tenant,
        lead_id=lead_id,
        occurred_at=AT,
        received_at=AT,
        seconds_since_received=0.4,
        pool="web",
        step="new",
        staff_id=staff,
        rule_id="R1",
        rule_version=1,
    )


def webhook(url: str, *, tenant: str = TENANT, webhook_id: str = "W1", **fields: Any) -> Webhook:
    return Webhook(webhook_id=webhook_id, tenant_id=tenant, url=url, created_at=AT, **fields)
