"""template.yaml's event path: stream → PublishFunction → EventBus → rule → WebhookEventsQueue (→ DLQ)."""

from __future__ import annotations

import json
from typing import Any

from leadrouter_local.template import load_template

RESOURCES: dict[str, Any] = load_template()["Resources"]
PUBLISH: dict[str, Any] = RESOURCES["PublishFunction"]["Properties"]


def test_the_publish_function_reads_inserts_and_modifies_of_the_leads_stream_and_retries_per_record():
    (event,) = PUBLISH["Events"].values()
    props = event["Properties"]
    assert event["Type"] == "DynamoDB"
    assert props["Stream"] == {"Fn::GetAtt": ["LeadsTable", "StreamArn"]}
    assert [json.loads(f["Pattern"]) for f in props["FilterCriteria"]["Filters"]] == [
        {"eventName": ["INSERT", "MODIFY"]}
    ]
    assert props["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert props["BisectBatchOnFunctionError"] is True and props["MaximumRetryAttempts"] > 0
    on_failure = props["DestinationConfig"]["OnFailure"]
    assert RESOURCES[on_failure["Destination"]["Fn::GetAtt"][0]]["Type"] == "AWS::SQS::Queue"
    assert PUBLISH["Environment"]["Variables"]["EVENT_BUS_NAME"] == {"Ref": "EventBus"}


def test_the_publish_function_may_only_put_events_on_its_bus():
    (policy,) = PUBLISH["Policies"]
    (statement,) = policy["Statement"]
    assert (statement["Effect"], statement["Action"]) == ("Allow", "events:PutEvents")
    assert statement["Resource"] == {"Fn::GetAtt": ["EventBus", "Arn"]}
    assert RESOURCES["EventBus"]["Type"] == "AWS::Events::EventBus"


def test_every_leadrouter_event_reaches_the_webhook_queue_which_dead_letters_after_five_receives():
    rule = RESOURCES["LeadEventsToWebhooksRule"]["Properties"]
    assert rule["EventBusName"] == {"Ref": "EventBus"}
    assert rule["EventPattern"] == {"source": ["leadrouter"]}
    (target,) = rule["Targets"]
    assert target["Arn"] == {"Fn::GetAtt": ["WebhookEventsQueue", "Arn"]}
    assert target["DeadLetterConfig"]["Arn"] == {"Fn::GetAtt": ["WebhookEventsDeadLetterQueue", "Arn"]}
    redrive = RESOURCES["WebhookEventsQueue"]["Properties"]["RedrivePolicy"]
    assert redrive == {
        "deadLetterTargetArn": {"Fn::GetAtt": ["WebhookEventsDeadLetterQueue", "Arn"]},
        "maxReceiveCount": 5,
    }


def test_only_the_rule_may_send_to_the_webhook_queues():
    policy = RESOURCES["WebhookEventsQueuePolicy"]["Properties"]
    assert policy["Queues"] == [{"Ref": "WebhookEventsQueue"}, {"Ref": "WebhookEventsDeadLetterQueue"}]
    (statement,) = policy["PolicyDocument"]["Statement"]
    assert statement["Principal"] == {"Service": "events.amazonaws.com"}
    assert statement["Action"] == "sqs:SendMessage"
    assert statement["Condition"] == {
        "ArnEquals": {"aws:SourceArn": {"Fn::GetAtt": ["LeadEventsToWebhooksRule", "Arn"]}}
    }
