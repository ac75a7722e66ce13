"""The local EventBridge + SQS (leadrouter_local.aws_endpoint): the AWS behaviour the functions rely on."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from leadrouter_local.aws_endpoint import AwsEmulator
from leadrouter_local.event_patterns import InvalidEventPatternError, check_pattern, matches
from leadrouter_local.eventbridge import EventBridge, Target
from leadrouter_local.sqs import Sqs
from leadrouter_local.wire import AwsError

EVENT = {
    "source": "leadrouter",
    "detail-type": "LeadAssigned",
    "detail": {"tenant_id": "acme", "staff_id": "nv-01", "seconds_since_received": 0.4, "tags": ["a", "b"]},
}


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ({"source": ["leadrouter"]}, True),
        ({"source": ["other", "leadrouter"], "detail-type": ["LeadAssigned"]}, True),
        ({"source": ["leadrouter"], "detail-type": ["LeadReclaimed"]}, False),
        ({"detail": {"tenant_id": ["acme"]}}, True),
        ({"detail": {"tenant_id": ["globex"]}}, False),
        ({"detail": {"staff_id": [{"prefix": "nv-"}]}}, True),
        ({"detail": {"staff_id": [{"prefix": "ql-"}]}}, False),
        ({"detail-type": [{"suffix": "Assigned"}]}, True),
        ({"detail-type": [{"prefix": {"equals-ignore-case": "lead"}}]}, True),
        ({"detail-type": [{"equals-ignore-case": "leadassigned"}]}, True),
        ({"detail-type": [{"anything-but": ["LeadReceived", "LeadReleased"]}]}, True),
        ({"detail-type": [{"anything-but": {"prefix": "Lead"}}]}, False),
        ({"detail": {"seconds_since_received": [{"numeric": [">=", 0, "<", 1]}]}}, True),
        ({"detail": {"seconds_since_received": [{"numeric": [">", 1]}]}}, False),
        ({"detail": {"seconds_since_received": ["0.4"]}}, False),  # a number is not a string
        ({"detail": {"tags": ["b"]}}, True),  # an array matches when any element does
        ({"detail": {"rule_id": [{"exists": False}]}}, True),
        ({"detail": {"rule_id": [{"exists": True}]}}, False),
        ({"detail": {"staff_id": [{"wildcard": "nv-*"}]}}, True),
        ({"detail": {"missing": {"deeper": ["x"]}}}, False),
    ],
)
def test_event_patterns_match_as_eventbridge_does(pattern: dict[str, Any], expected: bool) -> None:
    check_pattern(pattern)
    assert matches(pattern, EVENT) is expected


@pytest.mark.parametrize(
    "pattern",
    [
        {},
        {"source": "leadrouter"},
        {"source": []},
        {"source": [{"cidr": "10.0.0.0/8"}]},
        {"n": [{"numeric": [">"]}]},
    ],
)
def test_patterns_we_cannot_match_exactly_are_refused(pattern: dict[str, Any]) -> None:
    with pytest.raises(InvalidEventPatternError):
        check_pattern(pattern)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def sqs(clock: Clock) -> Sqs:
    return Sqs("http://sqs.local", "ap-southeast-1", clock=clock, wall=clock)


def test_a_received_message_reappears_after_its_visibility_timeout_with_its_receive_count(
    sqs: Sqs, clock: Clock
) -> None:
    url = sqs.create_queue("q", {"VisibilityTimeout": 30})
    sqs.send(url, "hello")
    (first,) = sqs.receive(url)
    assert sqs.receive(url) == []  # in flight
    clock.now += 30
    (again,) = sqs.receive(url, 10)
    assert (again.message_id, again.receive_count) == (first.message_id, 2)
    # a stale receipt handle deletes nothing (SQS answers success); the current one deletes
    assert first.receipt_handle and again.receipt_handle
    sqs.delete(url, first.receipt_handle)
    clock.now += 30
    (third,) = sqs.receive(url)
    assert third.receipt_handle
    sqs.delete(url, third.receipt_handle)
    clock.now += 30
    assert sqs.receive(url) == []


def test_after_max_receive_count_receives_the_message_moves_to_the_dead_letter_queue(
    sqs: Sqs, clock: Clock
) -> None:
    dlq = sqs.create_queue("dlq")
    arn = sqs.queue(dlq).arn
    url = sqs.create_queue(
        "q", {"VisibilityTimeout": 10, "RedrivePolicy": {"deadLetterTargetArn": arn, "maxReceiveCount": 3}}
    )
    sqs.send(url, "poison")
    counts = []
    for _ in range(5):
        counts += [m.receive_count for m in sqs.receive(url)]
        clock.now += 10
    assert counts == [1, 2, 3]
    (dead,) = sqs.receive(dlq)
    assert (dead.body, dead.receive_count) == ("poison", 4)


def test_delays_and_visibility_changes_are_honoured_and_scaled(clock: Clock) -> None:
    sqs = Sqs("http://sqs.local", "ap-southeast-1", clock=clock, wall=clock, time_scale=0.1)
    url = sqs.create_queue("q", {"VisibilityTimeout": 100, "DelaySeconds": 50})
    sqs.send(url, "later")
    sqs.send(url, "now", delay=0)
    assert [m.body for m in sqs.receive(url, 10)] == ["now"]
    clock.now += 5  # 50 s at a tenth
    (later,) = sqs.receive(url)
    assert later.receipt_handle
    sqs.change_visibility(url, later.receipt_handle, 20)  # back in 2 s at a tenth
    clock.now += 2
    assert [m.body for m in sqs.receive(url, 10)] == ["later"]
    clock.now += 3  # "now" was received 10 s (100 s at a tenth) ago
    assert [m.body for m in sqs.receive(url, 10)] == ["now"]
    assert sqs.queue_attributes(url)["VisibilityTimeout"] == "100"  # attributes stay as declared


def test_messages_older_than_the_retention_period_are_gone(sqs: Sqs, clock: Clock) -> None:
    url = sqs.create_queue("q", {"MessageRetentionPeriod": 60})
    sqs.send(url, "old")
    clock.now += 60
    assert sqs.receive(url) == []


def test_put_events_sends_matching_events_to_sqs_as_eventbridge_delivers_them(sqs: Sqs) -> None:
    bus = EventBridge(sqs, "ap-southeast-1")
    bus.create_bus("b")
    url = sqs.create_queue("q")
    bus.put_rule("assigned", "b", {"detail-type": ["LeadAssigned"]})
    bus.put_targets("assigned", "b", [Target("q", sqs.queue(url).arn)])
    answer = bus.put_events(
        [
            {
                "Source": "leadrouter",
                "DetailType": "LeadAssigned",
                "Detail": json.dumps(EVENT["detail"]),
                "EventBusName": "b",
            },
            {"Source": "leadrouter", "DetailType": "LeadReceived", "Detail": "{}", "EventBusName": "b"},
            {"Source": "leadrouter", "DetailType": "LeadAssigned", "Detail": "not json", "EventBusName": "b"},
            {"Source": "leadrouter", "DetailType": "LeadAssigned", "Detail": "{}", "EventBusName": "nope"},
        ]
    )
    assert answer["FailedEntryCount"] == 2
    assert [("EventId" in e, e.get("ErrorCode")) for e in answer["Entries"]] == [
        (True, None),
        (True, None),
        (False, "MalformedDetail"),
        (False, "NotAuthorizedForSourceException"),
    ]
    (message,) = sqs.receive(url, 10)
    body = json.loads(message.body)
    assert body["id"] == answer["Entries"][0]["EventId"]
    assert (body["source"], body["detail-type"], body["detail"]) == (
        "leadrouter",
        "LeadAssigned",
        EVENT["detail"],
    )
    assert set(body) == {
        "version",
        "id",
        "detail-type",
        "source",
        "account",
        "time",
        "region",
        "resources",
        "detail",
    }


def test_an_unknown_queue_is_queue_does_not_exist(sqs: Sqs) -> None:
    with pytest.raises(AwsError) as raised:
        sqs.queue_url("nope")
    assert raised.value.query_code == "AWS.SimpleQueueService.NonExistentQueue"


# ------------------------------------------------------------ over HTTP, from a template, with pollers
TEMPLATE: dict[str, Any] = {
    "Resources": {
        "Dead": {"Type": "AWS::SQS::Queue", "Properties": {}},
        "Work": {
            "Type": "AWS::SQS::Queue",
            "Properties": {
                "VisibilityTimeout": 60,
                "RedrivePolicy": {
                    "deadLetterTargetArn": {"Fn::GetAtt": ["Dead", "Arn"]},
                    "maxReceiveCount": 2,
                },
            },
        },
        "Bus": {"Type": "AWS::Events::EventBus", "Properties": {"Name": {"Fn::Sub": "${AWS::StackName}-x"}}},
        "ToWork": {
            "Type": "AWS::Events::Rule",
            "Properties": {
                "EventBusName": {"Ref": "Bus"},
                "EventPattern": {"source": ["leadrouter"]},
                "Targets": [{"Id": "w", "Arn": {"Fn::GetAtt": ["Work", "Arn"]}}],
            },
        },
        "Worker": {
            "Type": "AWS::Serverless::Function",
            "Properties": {
                "CodeUri": "functions/x/",
                "Handler": "app.handler",
                "Events": {
                    "Jobs": {
                        "Type": "SQS",
                        "Properties": {
                            "Queue": {"Fn::GetAtt": ["Work", "Arn"]},
                            "BatchSize": 5,
                            "FunctionResponseTypes": ["ReportBatchItemFailures"],
                        },
                    }
                },
            },
        },
    }
}


@pytest.fixture
def emulator() -> Iterator[AwsEmulator]:
    # 60 s visibility at a thousandth: a failed message is back in 60 ms
    emulator = AwsEmulator(TEMPLATE, time_scale=0.001, log=lambda _: None)
    yield emulator
    emulator.stop()


def test_boto3_calls_work_against_the_endpoint_and_resources_come_from_the_template(
    emulator: AwsEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    emulator.start()
    for var, value in emulator.environment().items():
        monkeypatch.setenv(var, value)
    events, sqs = boto3.client("events"), boto3.client("sqs")  # no endpoint argument: the env points here
    url = sqs.get_queue_url(QueueName="Work")["QueueUrl"]
    assert url == emulator.refs["Work"]
    redrive = json.loads(
        sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]["RedrivePolicy"]
    )
    assert redrive == {"deadLetterTargetArn": emulator.attributes[("Dead", "Arn")], "maxReceiveCount": 2}
    answer = events.put_events(
        Entries=[{"Source": "leadrouter", "DetailType": "T", "Detail": '{"n": 1}', "EventBusName": "Bus"}]
    )
    assert answer["FailedEntryCount"] == 0
    (message,) = sqs.receive_message(QueueUrl=url, MessageSystemAttributeNames=["All"], WaitTimeSeconds=1)[
        "Messages"
    ]
    assert json.loads(message["Body"])["detail"] == {"n": 1}
    assert message["Attributes"]["ApproximateReceiveCount"] == "1"
    sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    sent = sqs.send_message_batch(
        QueueUrl=url, Entries=[{"Id": "a", "MessageBody": "1"}, {"Id": "b", "MessageBody": "2"}]
    )
    assert [s["Id"] for s in sent["Successful"]] == ["a", "b"]
    with pytest.raises(sqs.exceptions.QueueDoesNotExist):
        sqs.get_queue_url(QueueName="missing")


def test_an_sqs_event_source_deletes_what_succeeded_and_redelivers_what_the_function_reported_failed(
    emulator: AwsEmulator,
) -> None:
    # Given a function that fails "retry-me" on its first delivery and succeeds on every other
    deliveries: list[tuple[str, str]] = []
    done = threading.Event()

    def invoke(function: str, event: dict[str, Any]) -> dict[str, Any]:
        assert function == "Worker"
        failed = []
        for record in event["Records"]:
            count = record["attributes"]["ApproximateReceiveCount"]
            deliveries.append((record["body"], count))
            if record["body"] == "retry-me" and count == "1":
                failed.append({"itemIdentifier": record["messageId"]})
            if record["body"] == "retry-me" and count == "2":
                done.set()
        return {"batchItemFailures": failed}

    url = emulator.refs["Work"]
    for body in ("ok-1", "retry-me", "ok-2"):
        emulator.sqs.send(url, body)
    # When the event source mapping runs
    emulator.start(invoke)
    assert done.wait(10), deliveries
    # Then the succeeded messages came once, the failed one came back a second time, and all are gone
    assert sorted(deliveries) == [("ok-1", "1"), ("ok-2", "1"), ("retry-me", "1"), ("retry-me", "2")]
    assert emulator.sqs.queue_attributes(url)["ApproximateNumberOfMessages"] == "0"


def test_the_stack_resolves_the_functions_refs_to_the_emulated_bus_and_queues() -> None:
    # Given the real template's resources in the emulator (not started: nothing is served)
    from leadrouter_local.environment import resolve_environment
    from leadrouter_local.template import load_template

    template = load_template()
    emulator = AwsEmulator(template, log=lambda _: None)
    try:
        tables = {t: t for t in ("LeadsTable", "ConfigTable", "EventsTable", "SubmissionsTable")}
        env = resolve_environment(template, tables, emulator.refs, emulator.attributes)
        # Then the publish function's EVENT_BUS_NAME names the emulated bus, which has the webhook rule
        assert env["EVENT_BUS_NAME"] == "EventBus"
        rules = {r.name: r for r in emulator.events.rules("EventBus")}
        assert set(rules) == {"LeadEventsToWebhooksRule", "EscalationAlertsRule"}
        rule = rules["LeadEventsToWebhooksRule"]
        assert rule.pattern == {"source": ["leadrouter"]}
        assert rules["EscalationAlertsRule"].pattern == {
            "source": ["leadrouter"],
            "detail-type": ["LeadEscalated"],
        }
        (target,) = rule.targets.values()
        assert target.arn == emulator.attributes[("WebhookEventsQueue", "Arn")]
        assert target.dead_letter_arn == emulator.attributes[("WebhookEventsDeadLetterQueue", "Arn")]
    finally:
        emulator.stop()


def test_an_idle_sqs_event_source_long_polls_instead_of_spinning(
    emulator: AwsEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given an event source on an empty queue, counting its receive calls
    calls: list[float] = []
    real = emulator.sqs.receive

    def counted(*args: Any, **kwargs: Any) -> Any:
        calls.append(kwargs.get("wait", 0.0))
        return real(*args, **kwargs)

    monkeypatch.setattr(emulator.sqs, "receive", counted)
    stopped = threading.Event()
    # When it runs for a moment with nothing to deliver
    emulator.start(lambda function, event: {"batchItemFailures": []})
    stopped.wait(1.5)
    # Then it asked in long polls of whole seconds (a wait under 1 s is 0 to SQS, and spun a core)
    assert calls and all(wait >= 1 for wait in calls), calls[:5]
    assert len(calls) <= 4, len(calls)
