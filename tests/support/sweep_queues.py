"""The dispatch and sweep queues of template.yaml in moto, and the sweepers run on them the way Lambda's SQS
event source does (receive ≤ 10, invoke, delete what did not fail)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import boto3
import pytest

from leadrouter import runtime
from tests.support.lambda_context import FakeContext
from tests.support.template import template
from tests.support.webhooks import sqs_event


@dataclass
class SweepQueues:
    client: Any
    assign: str
    reclaim: str
    assign_dead: str
    reclaim_dead: str
    dispatch: str

    def bodies(self, url: str) -> list[dict[str, Any]]:
        """Every message waiting on ``url`` (made visible again), as parsed JSON."""
        messages = self.receive(url, visibility=30, limit=1000)
        for message in messages:
            self.client.change_message_visibility(
                QueueUrl=url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
            )
        return [json.loads(message["Body"]) for message in messages]

    def receive(self, url: str, visibility: int | None = None, limit: int = 10) -> list[dict[str, Any]]:
        messages: list[dict[str, Any]] = []
        while len(messages) < limit:
            kwargs: dict[str, Any] = {
                "QueueUrl": url,
                "MaxNumberOfMessages": min(10, limit - len(messages)),
                "AttributeNames": ["All"],
            }
            if visibility is not None:
                kwargs["VisibilityTimeout"] = visibility
            got = self.client.receive_message(**kwargs).get("Messages", [])
            if not got:
                break
            messages += got
        return messages


def sweep_queues(monkeypatch: pytest.MonkeyPatch) -> SweepQueues:
    """AssignQueue and ReclaimQueue (with their template redrive to a DLQ) in moto; env set."""
    resources = template()["Resources"]
    client = boto3.client("sqs", region_name="ap-southeast-1")
    urls: dict[str, str] = {}
    pairs = [(f"{kind}Queue", f"{kind}DeadLetterQueue") for kind in ("Dispatch", "Assign", "Reclaim")]
    for _, dead in pairs:
        urls[dead] = client.create_queue(QueueName=dead)["QueueUrl"]
    for name, dead in pairs:
        props = resources[name]["Properties"]
        arn = client.get_queue_attributes(QueueUrl=urls[dead], AttributeNames=["QueueArn"])["Attributes"]
        redrive = {
            "deadLetterTargetArn": arn["QueueArn"],
            "maxReceiveCount": props["RedrivePolicy"]["maxReceiveCount"],
        }
        urls[name] = client.create_queue(
            QueueName=name,
            Attributes={
                "VisibilityTimeout": str(props["VisibilityTimeout"]),
                "RedrivePolicy": json.dumps(redrive),
            },
        )["QueueUrl"]
    monkeypatch.setenv("DISPATCH_QUEUE_URL", urls["DispatchQueue"])
    monkeypatch.setenv("ASSIGN_QUEUE_URL", urls["AssignQueue"])
    monkeypatch.setenv("RECLAIM_QUEUE_URL", urls["ReclaimQueue"])
    runtime.sweep_queue.cache_clear()
    return SweepQueues(
        client,
        urls["AssignQueue"],
        urls["ReclaimQueue"],
        urls["AssignDeadLetterQueue"],
        urls["ReclaimDeadLetterQueue"],
        urls["DispatchQueue"],
    )


def run_sweepers(
    queues: SweepQueues, url: str, handler: Callable[[dict[str, Any], Any], dict[str, Any]]
) -> list[str]:
    """Invoke ``handler`` on batches of up to 10 until the queue is empty; returns the ids reported
    failed (those messages stay on the queue until their visibility timeout, as on AWS)."""
    failed: list[str] = []
    while messages := queues.receive(url):
        answer = handler(sqs_event(messages, url.rsplit("/", 1)[-1]), FakeContext())
        ids = [f["itemIdentifier"] for f in answer["batchItemFailures"]]
        failed += ids
        for message in messages:
            if message["MessageId"] not in ids:
                queues.client.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return failed
