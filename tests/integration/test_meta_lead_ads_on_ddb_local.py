"""Meta Lead Ads end to end on DynamoDB Local and the emulated SQS: POST /hooks/{key} → LeadFetchQueue →
LeadFetchFunction (the template's event source, batch failures, visibility delays, redrive to the DLQ)
→ the Graph API (a local fake that fails on demand) → the lead.

Queue times run 100x faster and every retry delay is 1 s before that, so the schedule's ten attempts
(26.7 hours on AWS) take about a second here; the delays themselves are asserted by the unit tests.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from leadrouter.data.repository import Repository
from leadrouter.runtime import new_repository
from leadrouter_local.aws_endpoint import AwsEmulator
from leadrouter_local.fake_graph import FakeGraph
from leadrouter_local.lambda_runtime import Functions
from leadrouter_local.template import load_template
from tests.integration.test_submissions_on_ddb_local import at_once
from tests.support.api import call_as
from tests.support.builders import TENANT
from tests.support.platforms import create_platform_source, fixture, fixture_json, post_hook, submissions
from tests.support.stack import until

APP_SECRET = "meta-app-secret-0001"
PAGE_TOKEN = "EAAB-page-token-0001"
LEAD_1 = "987654321000001"


@pytest.fixture
def graph() -> Iterator[FakeGraph]:
    fake = FakeGraph().start()
    fake.add_lead(fixture_json("meta_lead_ads", f"lead_{LEAD_1}.json"))
    yield fake
    fake.stop()


@pytest.fixture
def aws(
    ddb_tables: dict[str, str], graph: FakeGraph, monkeypatch: pytest.MonkeyPatch
) -> Iterator[AwsEmulator]:
    """The template's queues with their SQS-triggered functions polling, queue times 100x faster."""
    emulator = AwsEmulator(load_template(), log=lambda _: None, time_scale=0.01)
    for var, value in emulator.environment().items():
        monkeypatch.setenv(var, value)
    monkeypatch.setenv("LEAD_FETCH_QUEUE_URL", emulator.refs["LeadFetchQueue"])
    monkeypatch.setenv("META_GRAPH_URL", graph.url)
    monkeypatch.setenv("FETCH_RETRY_SCALE", "0.0001")  # every retry delay 1 s, then scaled 0.01
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")
    emulator.start(Functions(load_template()).invoke)
    yield emulator
    emulator.stop()


def _source() -> dict[str, Any]:
    secrets = {"app_secret": APP_SECRET, "verify_token": "v", "page_access_token": PAGE_TOKEN}
    return create_platform_source("meta_lead_ads", secrets, rate_per_minute=6000)


def _one_lead_delivery() -> bytes:
    body = fixture_json("meta_lead_ads", "webhook.json")
    body["entry"][0]["changes"] = body["entry"][0]["changes"][:1]
    return json.dumps(body).encode()


def _post(key: str, raw: bytes) -> int:
    signature = "sha256=" + hmac.new(APP_SECRET.encode(), raw, hashlib.sha256).hexdigest()
    return post_hook(key, raw, {"X-Hub-Signature-256": signature}).status


def _leads(repo: Repository) -> list[Any]:
    return list(repo.tenant_leads(TENANT))


def test_a_graph_failing_three_times_then_answering_makes_the_lead_once(
    aws: AwsEmulator, graph: FakeGraph
) -> None:
    repo = new_repository()
    created = _source()
    # Given the Graph API failing three times (down, then rate-limited twice)
    graph.fail_next(1)
    graph.throttle_next(2)
    # When Meta posts the lead's delivery: answered 200 at once, before any read of the Graph API
    assert _post(created["form_key"], _one_lead_delivery()) == 200
    # Then the worker's fourth attempt, on the schedule, makes the lead: once
    until(lambda: len(_leads(repo)) == 1, 60, "the lead after three failed reads")
    assert [lead_id for lead_id, _ in graph.state.reads] == [LEAD_1] * 4
    (lead,) = _leads(repo)
    assert lead.phone == "+84987654321" and lead.name == "Trần Thị Bình"
    assert [r["status"] for r in submissions()] == ["accepted"]


def test_a_graph_failing_for_good_ends_in_the_dead_letter_queue_and_a_replay_makes_the_lead(
    aws: AwsEmulator, graph: FakeGraph
) -> None:
    repo = new_repository()
    created = _source()
    graph.fail_next(10_000)
    assert _post(created["form_key"], _one_lead_delivery()) == 200
    # When every attempt of the schedule fails: its message reaches LeadFetchDeadLetterQueue
    sqs = boto3.client("sqs", endpoint_url=aws.endpoint, region_name="ap-southeast-1")
    dlq = aws.refs["LeadFetchDeadLetterQueue"]

    def in_dlq() -> bool:
        attributes = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["ApproximateNumberOfMessages"])
        return int(attributes["Attributes"]["ApproximateNumberOfMessages"]) == 1

    until(in_dlq, 120, "the fetch's message in the dead-letter queue")
    # Then it took the schedule's ten attempts, and the delivery is listed as failed, not a lead
    assert len(graph.state.reads) == 10
    (failed,) = submissions("failed")
    assert "after 10 attempts" in failed["reason"] and _leads(repo) == []
    # When Graph is back and the admin replays the delivery: the lead is made, once
    graph.fail_next(0)
    assert call_as("POST", f"/intake/submissions/{failed['submission_id']}/replay", {}).status == 200
    until(lambda: len(_leads(repo)) == 1, 30, "the replayed delivery's lead")
    assert call_as("POST", f"/intake/submissions/{failed['submission_id']}/replay", {}).status == 409


def test_eight_copies_of_one_delivery_at_once_make_one_record_and_one_lead(
    aws: AwsEmulator, graph: FakeGraph
) -> None:
    repo = new_repository()
    created = _source()
    raw = fixture("meta_lead_ads", "webhook.json")
    graph.add_lead(
        {
            **fixture_json("meta_lead_ads", f"lead_{LEAD_1}.json"),
            "id": "987654321000002",
            "field_data": [
                {"name": "full_name", "values": ["Lê Văn Cường"]},
                {"name": "phone_number", "values": ["+84905123456"]},
            ],
        }
    )
    # When Meta's copies of one delivery (two leads) arrive at the same instant, each at its own container
    replies = at_once(8, lambda _: _post_reply(created["form_key"], raw))
    # Then every copy is answered 200, two records are stored, and the worker makes two leads
    assert [reply.status for reply in replies] == [200] * 8
    until(lambda: len(_leads(repo)) == 2, 60, "the two leads")
    assert len(submissions()) == 2
    assert sorted(lead.phone for lead in _leads(repo)) == ["+84905123456", "+84987654321"]


def _post_reply(key: str, raw: bytes) -> Any:
    signature = "sha256=" + hmac.new(APP_SECRET.encode(), raw, hashlib.sha256).hexdigest()
    return post_hook(key, raw, {"X-Hub-Signature-256": signature})
