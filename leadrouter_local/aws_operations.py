"""The operations boto3 calls on the local SQS and EventBridge: each request's JSON input mapped onto the
engine (:mod:`leadrouter_local.sqs`, :mod:`leadrouter_local.eventbridge`) and its answer shaped as the
service's JSON output, so the endpoint (:mod:`leadrouter_local.wire`) serves them unmodified.

SQS: CreateQueue, GetQueueUrl, GetQueueAttributes, SetQueueAttributes, ListQueues, SendMessage(Batch),
ReceiveMessage, DeleteMessage(Batch), ChangeMessageVisibility(Batch), PurgeQueue. EventBridge: PutEvents,
CreateEventBus, DescribeEventBus, PutRule, PutTargets, ListRules, ListTargetsByRule, RemoveTargets,
DeleteRule.
"""

from __future__ import annotations

import json
from typing import Any

from leadrouter_local.eventbridge import EventBridge, Rule, parse_target
from leadrouter_local.sqs import MAX_BATCH, Message, Sqs, system_attributes
from leadrouter_local.wire import AwsError, Operation, Service, nothing


def wire_message(message: Message, system: bool = True) -> dict[str, Any]:
    """A received message as ReceiveMessage answers it (``Attributes`` are SQS's system attributes)."""
    found: dict[str, Any] = {
        "MessageId": message.message_id,
        "ReceiptHandle": message.receipt_handle,
        "MD5OfBody": message.md5,
        "Body": message.body,
    }
    if system:
        found["Attributes"] = system_attributes(message)
    if message.attributes:
        found["MessageAttributes"] = message.attributes
    return found


def sqs_operations(sqs: Sqs) -> Service:
    """SQS's JSON API (``AmazonSQS.*``) on ``sqs``."""

    def receive(r: dict[str, Any]) -> dict[str, Any]:
        names = [*(r.get("AttributeNames") or []), *(r.get("MessageSystemAttributeNames") or [])]
        got = sqs.receive(
            r["QueueUrl"],
            int(r.get("MaxNumberOfMessages", 1)),
            r.get("VisibilityTimeout"),
            float(r.get("WaitTimeSeconds", 0)),
        )
        messages = [wire_message(m, system=bool(names)) for m in got]
        if names and "All" not in names:
            for message in messages:
                message["Attributes"] = {k: v for k, v in message["Attributes"].items() if k in names}
        return {"Messages": messages} if messages else {}

    def send(r: dict[str, Any]) -> dict[str, Any]:
        message = sqs.send(
            r["QueueUrl"], r.get("MessageBody", ""), r.get("DelaySeconds"), r.get("MessageAttributes")
        )
        return {"MessageId": message.message_id, "MD5OfMessageBody": message.md5}

    def batch(each: Operation) -> Operation:
        def run(r: dict[str, Any]) -> dict[str, Any]:
            entries = r.get("Entries") or []
            if not 1 <= len(entries) <= MAX_BATCH:
                raise AwsError(
                    "AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
                    "1 to 10 entries.",
                    "AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
                )
            if len({e["Id"] for e in entries}) != len(entries):
                raise AwsError(
                    "AWS.SimpleQueueService.BatchEntryIdsNotDistinct",
                    "Ids repeat.",
                    "AWS.SimpleQueueService.BatchEntryIdsNotDistinct",
                )
            ok, failed = [], []
            for entry in entries:
                try:
                    ok.append({"Id": entry["Id"], **each({**entry, "QueueUrl": r["QueueUrl"]})})
                except AwsError as error:
                    failed.append(
                        {"Id": entry["Id"], "SenderFault": True, "Code": error.code, "Message": error.message}
                    )
            return {"Successful": ok, "Failed": failed}

        return run

    def delete(r: dict[str, Any]) -> dict[str, Any]:
        sqs.delete(r["QueueUrl"], r["ReceiptHandle"])
        return {}

    def change(r: dict[str, Any]) -> dict[str, Any]:
        sqs.change_visibility(r["QueueUrl"], r["ReceiptHandle"], r["VisibilityTimeout"])
        return {}

    return Service(
        "AmazonSQS",
        "1.0",
        {
            "CreateQueue": lambda r: {"QueueUrl": sqs.create_queue(r["QueueName"], r.get("Attributes"))},
            "GetQueueUrl": lambda r: {"QueueUrl": sqs.queue_url(r["QueueName"])},
            "GetQueueAttributes": lambda r: {
                "Attributes": sqs.queue_attributes(r["QueueUrl"], r.get("AttributeNames"))
            },
            "ListQueues": lambda r: {"QueueUrls": sqs.queue_urls(r.get("QueueNamePrefix", ""))},
            "SetQueueAttributes": nothing(lambda r: sqs.set_queue_attributes(r["QueueUrl"], r["Attributes"])),
            "SendMessage": send,
            "SendMessageBatch": batch(send),
            "ReceiveMessage": receive,
            "DeleteMessage": delete,
            "DeleteMessageBatch": batch(delete),
            "ChangeMessageVisibility": change,
            "ChangeMessageVisibilityBatch": batch(change),
            "PurgeQueue": nothing(lambda r: sqs.purge(r["QueueUrl"])),
        },
    )


def event_operations(events: EventBridge) -> Service:
    """EventBridge's JSON API (``AWSEvents.*``) on ``events``."""

    def targets(r: dict[str, Any]) -> dict[str, Any]:
        events.put_targets(r["Rule"], r.get("EventBusName"), [parse_target(t) for t in r["Targets"]])
        return {"FailedEntryCount": 0, "FailedEntries": []}

    def describe_rule(rule: Rule) -> dict[str, Any]:
        return {
            "Name": rule.name,
            "Arn": rule.arn(events.region),
            "EventPattern": json.dumps(rule.pattern),
            "State": "ENABLED" if rule.enabled else "DISABLED",
            "EventBusName": rule.bus,
        }

    return Service(
        "AWSEvents",
        "1.1",
        {
            "PutEvents": lambda r: events.put_events(r["Entries"]),
            "CreateEventBus": lambda r: {"EventBusArn": events.create_bus(r["Name"])},
            "DescribeEventBus": lambda r: events.describe_bus(r.get("Name")),
            "PutRule": lambda r: {
                "RuleArn": events.put_rule(
                    r["Name"],
                    r.get("EventBusName"),
                    r["EventPattern"],
                    r.get("State", "ENABLED") == "ENABLED",
                )
            },
            "PutTargets": targets,
            "RemoveTargets": nothing(
                lambda r: events.remove_targets(r["Rule"], r.get("EventBusName"), r["Ids"]),
                {"FailedEntryCount": 0, "FailedEntries": []},
            ),
            "DeleteRule": nothing(lambda r: events.delete_rule(r["Name"], r.get("EventBusName"))),
            "ListRules": lambda r: {"Rules": [describe_rule(x) for x in events.rules(r.get("EventBusName"))]},
            "ListTargetsByRule": lambda r: {
                "Targets": [
                    {"Id": t.target_id, "Arn": t.arn}
                    for t in events.rule(r["Rule"], r.get("EventBusName")).targets.values()
                ]
            },
        },
    )
