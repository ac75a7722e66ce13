"""One tenant's burst: a screened submission whose write is throttled waits on the overflow queue, its
sender is answered as usual, and the drain makes it exactly once (moto, single-threaded; the burst's
rate is measured on DynamoDB Local by bench/tenant_burst.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import boto3
import pytest

from functions.intake_overflow import app as drain_app
from leadrouter import runtime
from leadrouter.data.repository import Repository
from leadrouter.domain.submissions import OverflowedSubmission, SubmissionStatus
from leadrouter.logic.intake.drain import retry_delay
from leadrouter.settings import Settings
from tests.support.api import SOURCE_SECRET, add_form_source
from tests.support.builders import TENANT
from tests.support.faults import FailingCalls, throttled
from tests.support.forms import FETCH, NAVIGATION, post_form
from tests.support.lambda_context import FakeContext

FORM = [("name", "Nguyễn Văn An"), ("phone", "0912345678")]
Fails = Callable[[str, dict[str, Any]], Exception | None]


@pytest.fixture
def queue_url(moto_tables: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> str:
    sqs = boto3.client("sqs", region_name="ap-southeast-1")
    url: str = sqs.create_queue(QueueName="overflow")["QueueUrl"]
    monkeypatch.setenv("INTAKE_OVERFLOW_QUEUE_URL", url)
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")
    return url


def _stores() -> list[Repository]:
    """The door's store and the drain's (their own clients, as in their own functions)."""
    return [runtime.door_repository(), runtime.drain_repository()]


def _throttle(monkeypatch: pytest.MonkeyPatch, fails: Fails) -> FailingCalls:
    """``fails`` on the door's and the drain's calls: what the door's client refused."""
    door, drain = _stores()
    faulty = FailingCalls(_real(door), fails)
    monkeypatch.setattr(door, "_client", faulty)
    monkeypatch.setattr(drain, "_client", FailingCalls(_real(drain), fails))
    return faulty


def _calm(monkeypatch: pytest.MonkeyPatch) -> None:
    """The burst is over: every call goes through."""
    for store in _stores():
        monkeypatch.setattr(store, "_client", _real(store))


def _real(store: Repository) -> Any:
    client = store._client
    return client._real if isinstance(client, FailingCalls) else client


def _writes_to(table: str) -> Fails:
    def fails(operation: str, request: dict[str, Any]) -> Exception | None:
        write = operation in ("put_item", "update_item", "transact_write_items")
        return throttled(operation) if write and request.get("TableName") == table else None

    return fails


def _queued(url: str) -> list[dict[str, Any]]:
    sqs = boto3.client("sqs", region_name="ap-southeast-1")
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"])
    return list(got.get("Messages", []))


def _drain(messages: list[dict[str, Any]]) -> dict[str, Any]:
    """The messages as Lambda's SQS event source hands them to the drain."""
    records = [
        {
            "messageId": f"m{n}",
            "receiptHandle": m["ReceiptHandle"],
            "body": m["Body"],
            "attributes": {"ApproximateReceiveCount": "1"},
            "messageAttributes": {},
            "md5OfBody": m["MD5OfBody"],
            "eventSource": "aws:sqs",
            "eventSourceARN": "arn:aws:sqs:ap-southeast-1:123456789012:overflow",
            "awsRegion": "ap-southeast-1",
        }
        for n, m in enumerate(messages)
    ]
    answer: dict[str, Any] = drain_app.handler({"Records": records}, FakeContext())
    return answer


def _leads(repo: Repository) -> list[Any]:
    return list(repo.tenant_leads(TENANT))


@pytest.mark.parametrize(
    ("headers", "status"),
    [(FETCH, 201), (NAVIGATION, 303), ({**FETCH, "X-Source-Secret": SOURCE_SECRET}, 202)],
    ids=["public-json", "browser", "source-server"],
)
def test_a_throttled_stored_first_write_is_queued_and_the_sender_answered_as_accepted(
    moto_repo: Repository,
    queue_url: str,
    monkeypatch: pytest.MonkeyPatch,
    headers: dict[str, str],
    status: int,
) -> None:
    # Given a form source and its tenant's submissions table refusing writes (throttled)
    add_form_source(moto_repo)
    faulty = _throttle(monkeypatch, _writes_to(Settings.from_env().submissions_table))

    # When a visitor posts the form
    reply = post_form(FORM, headers=headers)

    # Then the sender is answered as accepted: the receipt (the public key's usual 201; 202 to the
    # source's own server, whose lead is not made yet) or the thank-you redirect
    assert faulty.failed == ["put_item"]
    assert reply.status == status, reply.body
    if status != 303:
        assert reply.body["status"] == "received" and reply.body["submission_id"]
        assert "lead_id" not in reply.body
    # And the screened record waits on the queue, whole, with the lead id it may become; nothing stored
    (message,) = _queued(queue_url)
    item = OverflowedSubmission.model_validate_json(message["Body"])
    assert item.record.tenant_id == TENANT and not item.stored
    assert ("phone", "0912345678") in item.record.fields
    assert _leads(moto_repo) == []


def test_the_drain_makes_the_lead_exactly_once_when_the_message_is_delivered_twice(
    moto_repo: Repository, queue_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a submission queued while its record could not be stored
    add_form_source(moto_repo)
    _throttle(monkeypatch, _writes_to(Settings.from_env().submissions_table))
    assert post_form(FORM, headers=FETCH).status == 201
    (message,) = _queued(queue_url)
    _calm(monkeypatch)
    item = OverflowedSubmission.model_validate_json(message["Body"])

    # When the drain gets it twice (SQS delivers at least once): in one batch, and again later
    first = _drain([message, message])
    again = _drain([message])

    # Then one lead, the one the record chose, and the record stored and resolved as accepted
    assert first == again == {"batchItemFailures": []}
    (lead,) = _leads(moto_repo)
    assert lead.lead_id == item.record.lead_id and lead.phone == "+84912345678"
    stored = moto_repo.get_submission(TENANT, item.record.submission_id)
    assert stored is not None and stored.lead_id == lead.lead_id


def test_a_throttled_lead_write_after_the_record_is_stored_is_queued_and_made_once(
    moto_repo: Repository, queue_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the record stored, then the lead's write throttled
    add_form_source(moto_repo)
    faulty = _throttle(monkeypatch, _writes_to(Settings.from_env().leads_table))
    reply = post_form(FORM, headers={**FETCH, "Idempotency-Key": "crm-7"})
    assert reply.status == 201 and "put_item" in faulty.failed
    (message,) = _queued(queue_url)
    item = OverflowedSubmission.model_validate_json(message["Body"])
    assert item.stored
    assert set(item.record.checks.values()) <= {"passed", "off"}  # as the door's screen said

    # When the sender retries while the message waits, then the drain runs
    _calm(monkeypatch)
    retry = post_form(FORM, headers={**FETCH, "Idempotency-Key": "crm-7"})
    assert retry.status == 201
    assert _drain([message]) == {"batchItemFailures": []}

    # Then one lead, the stored record's, and the record reads as accepted
    (lead,) = _leads(moto_repo)
    stored = moto_repo.get_submission(TENANT, item.record.submission_id)
    assert stored is not None and lead.lead_id == stored.lead_id == item.record.lead_id


def test_a_drain_still_throttled_reports_the_item_as_a_batch_failure_and_loses_nothing(
    moto_repo: Repository, queue_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a queued submission, and the leads table still throttled when the drain runs
    add_form_source(moto_repo)
    settings = Settings.from_env()
    _throttle(monkeypatch, _writes_to(settings.submissions_table))
    assert post_form(FORM, headers=FETCH).status == 201
    (message,) = _queued(queue_url)
    _calm(monkeypatch)
    _throttle(monkeypatch, _writes_to(settings.leads_table))

    # When the drain gets it
    answer = _drain([message])

    # Then that item is a batch failure (SQS brings it back), and no lead is made
    assert answer == {"batchItemFailures": [{"itemIdentifier": "m0"}]}
    assert _leads(moto_repo) == []
    # And once the table takes writes again, the redelivery makes the lead the record chose
    _calm(monkeypatch)
    assert _drain([message]) == {"batchItemFailures": []}
    (lead,) = _leads(moto_repo)
    item = OverflowedSubmission.model_validate_json(message["Body"])
    stored = moto_repo.get_submission(TENANT, item.record.submission_id)
    assert stored is not None and lead.lead_id == stored.lead_id
    assert stored.status is SubmissionStatus.ACCEPTED  # the failed attempt was written, then finished


def test_a_submission_its_screen_refuses_is_not_queued_while_throttled(
    moto_repo: Repository, queue_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the submissions table throttled, and a bot filling the honeypot
    add_form_source(moto_repo)
    _throttle(monkeypatch, _writes_to(Settings.from_env().submissions_table))

    # When it posts
    reply = post_form([*FORM, ("_gotcha", "http://spam.example")], headers=FETCH)

    # Then nothing is queued: only what the door let in waits; the sender is told to retry, as before
    assert reply.status == 503
    assert _queued(queue_url) == []


def test_an_unreadable_message_is_a_batch_failure_that_quotes_nothing(
    moto_repo: Repository, queue_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    message = {"ReceiptHandle": "r", "Body": '{"record": {"phone": "0912345678"}}', "MD5OfBody": "x"}
    assert _drain([message]) == {"batchItemFailures": [{"itemIdentifier": "m0"}]}
    assert "0912345678" not in caplog.text


def test_a_message_still_throttled_comes_back_sooner_than_the_visibility_timeout_then_a_minute_apart() -> (
    None
):
    # 30 deliveries (the queue's maxReceiveCount) span about 25 minutes before the dead-letter queue
    assert [retry_delay(n) for n in (1, 2, 3, 5, 6, 30)] == [2, 4, 8, 32, 60, 60]
    assert sum(retry_delay(n) for n in range(1, 30)) // 60 == 25
