"""The publish Lambda: stream records → domain events on the bus, partial failures retried by Lambda."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws

import functions.publish.app as publish_app
from leadrouter.data.bus import MAX_ENTRIES, EventBus
from leadrouter.domain.events import DOMAIN_EVENT, EVENT_SOURCE, LeadAssigned
from leadrouter.domain.leads import Decision, Lead
from leadrouter.logic.events.publish import events_of_record, publish_changes
from tests.support.builders import lead
from tests.support.event_records import change_record
from tests.support.lambda_context import FakeContext

BUS = "leadrouter-test-events"


class FakeEvents:
    """PutEvents that records every entry and refuses event id ``k`` the first ``failing[k]`` times."""

    def __init__(self, failing: dict[str, int] | None = None) -> None:
        self.calls: list[list[dict[str, Any]]] = []
        self.failing = failing or {}
        self.sends: dict[str, int] = {}

    def put_events(self, Entries: list[dict[str, Any]]) -> dict[str, Any]:
        assert len(Entries) <= MAX_ENTRIES
        self.calls.append(Entries)
        answers = []
        for entry in Entries:
            event_id = json.loads(entry["Detail"])["event_id"]
            self.sends[event_id] = self.sends.get(event_id, 0) + 1
            if self.sends[event_id] <= self.failing.get(event_id, 0):
                answers.append({"ErrorCode": "ThrottlingException", "ErrorMessage": "slow down"})
            else:
                answers.append({"EventId": f"eb-{event_id}"})
        return {"FailedEntryCount": sum("ErrorCode" in a for a in answers), "Entries": answers}

    def delivered(self) -> list[dict[str, Any]]:
        return [json.loads(e["Detail"]) for call in self.calls for e in call]


def _assigned(arrived: Lead, staff_id: str = "A", seconds: float = 0.4) -> Lead:
    decision = Decision(
        at=arrived.received_at + timedelta(seconds=seconds), action="assigned", staff_id=staff_id, rule_id="r"
    )
    return arrived.model_copy(update={"decisions": [*arrived.decisions, decision]})


def _batch(count: int) -> tuple[list[dict[str, Any]], list[Lead]]:
    """``count`` leads, each arriving (INSERT) then assigned (MODIFY): 2 records and 2 events per lead."""
    records, leads = [], []
    for i in range(count):
        arrived = lead(lead_id=f"L-{i:03d}", phone=f"+8491234{i:04d}", email=f"k{i}@example.vn")
        assigned = _assigned(arrived)
        records += [change_record(None, arrived, 2 * i), change_record(arrived, assigned, 2 * i + 1)]
        leads.append(assigned)
    return records, leads


@pytest.fixture
def no_sleep() -> Any:
    return lambda attempt: None


def test_a_batch_is_published_in_chunks_of_ten_with_the_agreed_envelope(no_sleep: Any) -> None:
    # Given 12 leads that arrived and were assigned (24 stream records)
    records, _ = _batch(12)
    client = FakeEvents()
    # When the batch is published
    on_record = publish_changes(records, EventBus(BUS, client, pause=no_sleep))
    # Then 24 events went out in calls of at most ten entries
    assert [len(c) for c in client.calls] == [10, 10, 4]
    ids = [e["event_id"] for e in client.delivered()]
    assert sorted(ids) == sorted(f"L-{i:03d}-{n}" for i in range(12) for n in (0, 1))
    # …each entry in the shared contract's envelope
    first = client.calls[0][1]
    assert (first["Source"], first["DetailType"], first["EventBusName"]) == (
        EVENT_SOURCE,
        "LeadAssigned",
        BUS,
    )
    event = DOMAIN_EVENT.validate_json(first["Detail"])
    assert isinstance(event, LeadAssigned) and first["Time"] == event.occurred_at
    # …and every record counts as done
    from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

    assert [on_record(DynamoDBRecord(r)) for r in records[:2]] == [1, 1]


def test_entries_the_bus_refuses_are_sent_again_and_only_their_records_fail(no_sleep: Any) -> None:
    # Given a bus that throttles lead 1's assignment twice and lead 2's assignment for good
    records, _ = _batch(3)
    client = FakeEvents(failing={"L-001-1": 2, "L-002-1": 10**6})
    # When the handler runs on the batch
    response = _handle(records, EventBus(BUS, client, pause=no_sleep))
    # Then lead 1's event got through on its third send, and only lead 2's MODIFY record is reported
    assert client.sends["L-001-1"] == 3
    assert client.sends["L-002-1"] == 3  # a few sends, then the record is Lambda's to retry
    assert response == {"batchItemFailures": [{"itemIdentifier": records[5]["dynamodb"]["SequenceNumber"]}]}


def _handle(records: list[dict[str, Any]], bus: EventBus) -> dict[str, Any]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("functions.publish.app.event_bus", lambda: bus)
        response: dict[str, Any] = publish_app.handler(
            {"Records": records}, FakeContext(function_name="leadrouter-publish")
        )
    return response


def test_a_whole_call_failing_fails_its_records_and_a_replay_republishes_the_same_ids(no_sleep: Any) -> None:
    # Given a bus whose PutEvents call itself fails (EventBridge unreachable)
    records, _ = _batch(2)

    class Down:
        def put_events(self, **_: Any) -> dict[str, Any]:
            from botocore.exceptions import EndpointConnectionError

            raise EndpointConnectionError(endpoint_url="https://events.local")

    # When the handler runs: every record that has events fails (Lambda retries the batch)
    with pytest.raises(Exception, match="All records failed"):
        _handle(records, EventBus(BUS, Down(), pause=no_sleep))
    # Then the retry, once the bus is back, publishes exactly the ids the first try would have
    client = FakeEvents()
    assert _handle(records, EventBus(BUS, client, pause=no_sleep)) == {"batchItemFailures": []}
    assert _handle(records, EventBus(BUS, client, pause=no_sleep)) == {"batchItemFailures": []}
    ids = [e["event_id"] for e in client.delivered()]
    assert sorted(ids) == sorted(["L-000-0", "L-000-1", "L-001-0", "L-001-1"] * 2)


def test_an_unreadable_image_is_skipped_with_its_key_logged_not_retried_forever(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Given a MODIFY record whose new image has lost its required fields
    arrived = lead(lead_id="L-9")
    record = change_record(arrived, _assigned(arrived), 1)
    for name in ("received_at", "tenant_id", "pool", "step", "name"):
        del record["dynamodb"]["NewImage"][name]
    caplog.set_level(logging.ERROR, logger="leadrouter")
    # Then it means no event, and the log names the key (never a value of the lead)
    assert events_of_record(record) == []
    assert "stream record unreadable" in caplog.text


@pytest.fixture
def moto_bus(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.delenv("AWS_ENDPOINT_URL_EVENTBRIDGE", raising=False)
    with mock_aws():
        boto3.client("events").create_event_bus(Name=BUS)
        yield BUS


def test_the_handler_publishes_to_eventbridge_and_logs_no_pii(
    moto_bus: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Given the env the template sets and a batch of leads with names, phones and emails
    monkeypatch.setenv("EVENT_BUS_NAME", moto_bus)
    records, leads = _batch(3)
    caplog.set_level(logging.DEBUG, logger="leadrouter")
    # When the handler runs against (moto's) EventBridge
    response = publish_app.handler({"Records": records}, FakeContext(function_name="leadrouter-publish"))
    # Then nothing failed, and the log says what was published
    assert response == {"batchItemFailures": []}
    (logged,) = [r for r in caplog.records if r.getMessage() == "events published"]
    assert (logged.published, logged.types) == (6, {"LeadReceived": 3, "LeadAssigned": 3})  # type: ignore[attr-defined]
    # …and no phone, email or name is anywhere in what was logged or printed
    out = capsys.readouterr()
    written = caplog.text + out.out + out.err + json.dumps([r.__dict__ for r in caplog.records], default=str)
    for one in leads:
        assert one.phone and one.email
        for secret in (one.phone, one.phone[-9:], one.email, one.name):
            assert secret not in written
