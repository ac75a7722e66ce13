"""`make run`'s stack end to end: leads posted over HTTP, assigned by the stack, reach the event bus as
exactly one LeadAssigned each (read through the stack's own emulated EventBridge and SQS)."""

from __future__ import annotations

import json
import statistics
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

import boto3

from leadrouter_local.demo_data import FORM_KEY, SOURCE_SECRET
from leadrouter_local.template import load_template
from tests.support import stack as local_stack

LEADS = 20
STATS = Path(".pytest_cache") / "event_latency.json"


def _clients(endpoint: str) -> tuple[Any, Any]:
    options = {
        "endpoint_url": endpoint,
        "region_name": "ap-southeast-1",
        "aws_access_key_id": "local",
        "aws_secret_access_key": "local",
    }
    return boto3.client("events", **options), boto3.client("sqs", **options)


def test_every_lead_posted_to_the_stack_gives_exactly_one_lead_assigned_on_the_bus() -> None:
    # Given the local stack (schedules every second) with its EventBridge + SQS on a known port
    port, aws_port = local_stack.free_port(), local_stack.free_port()
    process = local_stack.start(port, "--schedule-seconds", "1", "--aws-port", str(aws_port))
    url = f"http://127.0.0.1:{port}"
    output = ""
    try:
        local_stack.wait_ready(process, url)
        events, sqs = _clients(f"http://127.0.0.1:{aws_port}")
        # …and a queue subscribed to the bus with the webhook rule's own pattern (the webhook queue
        # itself has a consumer once the fan-out function exists, so the test reads a twin of it)
        rule = load_template()["Resources"]["LeadEventsToWebhooksRule"]["Properties"]
        tap = sqs.create_queue(QueueName="test-tap")["QueueUrl"]
        tap_arn = sqs.get_queue_attributes(QueueUrl=tap, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        events.put_rule(
            Name="test-tap", EventBusName="EventBus", EventPattern=json.dumps(rule["EventPattern"])
        )
        events.put_targets(Rule="test-tap", EventBusName="EventBus", Targets=[{"Id": "tap", "Arn": tap_arn}])

        # When 20 leads with names, phones and emails are posted to the form endpoint
        posted: dict[str, dict[str, str]] = {}
        for i in range(LEADS):
            person = {"name": f"Lê Văn Khoa {i}", "phone": f"0913{i:06d}", "email": f"khoa{i}@example.vn"}
            status, body = local_stack.request(
                f"{url}/intake/leads",
                "POST",
                person,
                {"X-Form-Key": FORM_KEY, "X-Source-Secret": SOURCE_SECRET},
            )
            assert status == 201, body
            posted[body["lead_id"]] = person

        # Then every one of them is announced as assigned, once, and as received, once
        seen: list[tuple[dict[str, Any], dict[str, str]]] = []

        def receive(wait: int) -> int:
            got = sqs.receive_message(
                QueueUrl=tap,
                MaxNumberOfMessages=10,
                WaitTimeSeconds=wait,
                MessageSystemAttributeNames=["All"],
            ).get("Messages", [])
            for message in got:
                seen.append((json.loads(message["Body"]), message["Attributes"]))
                sqs.delete_message(QueueUrl=tap, ReceiptHandle=message["ReceiptHandle"])
            return len(got)

        def every_lead_assigned() -> bool:
            receive(1)
            assigned = {e["detail"]["lead_id"] for e, _ in seen if e["detail-type"] == "LeadAssigned"}
            return set(posted) <= assigned

        local_stack.until(every_lead_assigned, 60, "a LeadAssigned event for every posted lead")
        while receive(1):  # and whatever else is still on its way
            pass
        ours = [(e, a) for e, a in seen if e["detail"]["lead_id"] in posted]
        kinds = Counter((e["detail"]["lead_id"], e["detail-type"]) for e, _ in ours)
        expected = {(lead_id, kind): 1 for lead_id in posted for kind in ("LeadReceived", "LeadAssigned")}
        assert kinds == expected
        assert {e["source"] for e, _ in ours} == {"leadrouter"}
        # …and no event carries the person's name, phone or email
        bodies = json.dumps([e for e, _ in ours], ensure_ascii=False)
        for person in posted.values():
            for value in person.values():
                assert value not in bodies
        # …(how long from the decision's write to the event on the queue, for the report)
        lags = sorted(
            int(a["SentTimestamp"]) / 1000 - _epoch(e["detail"]["occurred_at"])
            for e, a in ours
            if e["detail-type"] == "LeadAssigned"
        )
        STATS.parent.mkdir(exist_ok=True)
        STATS.write_text(
            json.dumps({"leads": len(lags), "p50_s": statistics.median(lags), "max_s": lags[-1]}, indent=2)
        )
    finally:
        output = local_stack.stop(process)
    # …nor does anything the stack logged
    for person in posted.values():
        assert all(value not in output for value in person.values()), output


def _epoch(moment: str) -> float:
    return datetime.fromisoformat(moment.replace("Z", "+00:00")).timestamp()
