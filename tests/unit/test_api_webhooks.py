"""/webhooks: admins register endpoints (secret shown once), list and delete them, read the delivery
log and send a test event; other tenants and other roles see nothing."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from leadrouter.data.repository import Repository
from leadrouter.domain.webhooks import DeliveryRequest
from leadrouter.logic.events.subscriptions import TEST_EVENTS_PER_MINUTE
from leadrouter.observability import logger
from leadrouter.signing import HEADER, verify
from tests.support.api import call_as, claims, config_items
from tests.support.webhooks import (
    Queues,
    Receiver,
    assigned,
    create_queues,
    receiver_factory,
    run_delivery,
)

OTHER_ADMIN = claims("admin", tenant="globex")
STAFF = claims("staff", staff_id="A")
URL = "https://crm.example.com/hooks/leadrouter"


@pytest.fixture
def receivers() -> Iterator[Callable[..., Receiver]]:
    yield from receiver_factory()


@pytest.fixture
def queues(moto_tables: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Queues:
    return create_queues(monkeypatch)


def _create(url: str = URL, **fields: object) -> dict[str, Any]:
    reply = call_as("POST", "/webhooks", {"url": url, **fields})
    assert reply.status == 201, reply.body
    created: dict[str, Any] = reply.body
    return created


def test_the_secret_is_shown_once_and_never_again(moto_repo: Repository, queues: Queues):
    # Given an admin registers a webhook for assignments and escalations
    created = _create(event_types=["LeadEscalated", "LeadAssigned"], description="CRM sync")
    secret = created["secret"]
    webhook = created["webhook"]

    # Then the answer has the secret once, and the webhook as asked
    assert secret.startswith("whsec_") and len(secret) == 49
    assert created["signature_header"] == HEADER
    assert webhook["url"] == URL
    assert webhook["event_types"] == ["LeadAssigned", "LeadEscalated"]
    assert (webhook["tenant_id"], webhook["active"], webhook["description"]) == ("acme", True, "CRM sync")
    # ... and neither the list nor the item shows it again
    listed = call_as("GET", "/webhooks")
    one = call_as("GET", f"/webhooks/{webhook['webhook_id']}")
    assert listed.status == one.status == 200
    assert [w["webhook_id"] for w in listed.body["items"]] == [webhook["webhook_id"]]
    assert one.body == webhook
    assert secret not in json.dumps(listed.body) + json.dumps(one.body)
    assert "secret" not in json.dumps(listed.body) + json.dumps(one.body)


def test_event_types_default_to_all(moto_repo: Repository, queues: Queues):
    created = _create()
    assert created["webhook"]["event_types"] == [
        "ConsentWithdrawn",
        "LeadAssigned",
        "LeadEscalated",
        "LeadReceived",
        "LeadReclaimed",
        "LeadReleased",
    ]


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"url": "http://crm.example.com/h"}, "url", "https"),
        ({"url": "https://10.0.0.8/h"}, "url", "private"),
        ({"url": "https://169.254.169.254/latest"}, "url", "private"),
        ({"url": "https://u:p@crm.example.com/h"}, "url", "user name"),
        ({"url": "https://printer.local/h"}, "url", "local"),
        ({"url": "not a url"}, "url", ""),
        ({"url": URL, "event_types": ["LeadExploded"]}, "event_types.0", ""),
        ({"url": URL, "event_types": []}, "event_types", ""),
        ({"url": URL, "secret": "mine"}, "secret", ""),
        ({"url": "https://crm.example.com/" + "a" * 2100}, "url", ""),
    ],
)
def test_bad_urls_and_event_types_are_422s_that_write_nothing(
    moto_repo: Repository, moto_tables: dict[str, str], queues: Queues, body, field, message
):
    # Given the config table before
    before = config_items(moto_tables)

    # When an admin registers a bad webhook
    reply = call_as("POST", "/webhooks", body)

    # Then a 422 names the field and says why, and nothing was written
    assert reply.status == 422, reply.body
    errors = {e["field"]: e["message"] for e in reply.body["errors"]}
    assert field in errors, errors
    assert message in errors[field]
    assert config_items(moto_tables) == before


def test_delete_removes_it_and_a_second_delete_is_a_404(moto_repo: Repository, queues: Queues):
    webhook_id = _create()["webhook"]["webhook_id"]
    assert call_as("DELETE", f"/webhooks/{webhook_id}").status == 204
    assert call_as("GET", f"/webhooks/{webhook_id}").status == 404
    assert call_as("DELETE", f"/webhooks/{webhook_id}").status == 404
    assert call_as("GET", "/webhooks").body == {"items": []}


def test_another_tenant_can_neither_see_nor_touch_a_webhook(moto_repo: Repository, queues: Queues):
    # Given a webhook of tenant acme
    webhook_id = _create()["webhook"]["webhook_id"]

    # Then globex's admin lists none and gets 404 for every route on it
    assert call_as("GET", "/webhooks", who=OTHER_ADMIN).body == {"items": []}
    for method, path in [
        ("GET", f"/webhooks/{webhook_id}"),
        ("DELETE", f"/webhooks/{webhook_id}"),
        ("GET", f"/webhooks/{webhook_id}/deliveries"),
        ("POST", f"/webhooks/{webhook_id}/test"),
    ]:
        assert call_as(method, path, who=OTHER_ADMIN).status == 404, (method, path)
    # ... and acme's webhook is still there, with no test event queued
    assert call_as("GET", f"/webhooks/{webhook_id}").status == 200
    assert queues.receive(queues.delivery) == []


@pytest.mark.parametrize("who", [STAFF, claims("team_lead", staff_id="T", team="south")])
def test_only_admins_may_use_webhooks(moto_repo: Repository, queues: Queues, who):
    webhook_id = _create()["webhook"]["webhook_id"]
    for method, path, body in [
        ("POST", "/webhooks", {"url": URL}),
        ("GET", "/webhooks", None),
        ("GET", f"/webhooks/{webhook_id}", None),
        ("DELETE", f"/webhooks/{webhook_id}", None),
        ("GET", f"/webhooks/{webhook_id}/deliveries", None),
        ("POST", f"/webhooks/{webhook_id}/test", None),
    ]:
        assert call_as(method, path, body, who=who).status == 403, (method, path)
    assert call_as("GET", "/webhooks", who=None).status == 401


def test_a_test_event_is_delivered_signed_and_logged(
    moto_repo: Repository, queues: Queues, receivers: Callable[..., Receiver]
):
    # Given a webhook (on the local stack's loopback allowance) subscribed only to escalations
    receiver = receivers(200)
    created = _create(receiver.url, event_types=["LeadEscalated"])
    webhook_id = created["webhook"]["webhook_id"]

    # When the admin sends a test event and the delivery function runs
    reply = call_as("POST", f"/webhooks/{webhook_id}/test")
    assert reply.status == 202
    assert reply.body["event_id"].startswith("test-")
    assert run_delivery(queues) == (1, [])

    # Then the receiver got a signed LeadAssigned-shaped delivery marked test
    [request] = receiver.received
    verify(created["secret"], request.headers[HEADER], request.body, time.time())
    body = json.loads(request.body)
    assert (body["id"], body["type"], body["test"]) == (reply.body["event_id"], "LeadAssigned", True)
    # ... and the log shows it delivered
    log = call_as("GET", f"/webhooks/{webhook_id}/deliveries")
    assert log.status == 200
    [entry] = log.body["items"]
    assert entry["event_id"] == reply.body["event_id"]
    assert (entry["status"], entry["attempts"], entry["last_status_code"], entry["test"]) == (
        "delivered",
        1,
        200,
        True,
    )


def test_the_delivery_log_pages_newest_first_with_status_attempts_and_last_error(
    moto_repo: Repository, queues: Queues, receivers: Callable[..., Receiver]
):
    # Given three events delivered to a webhook whose receiver failed the second one once
    receiver = receivers(200, 500, 200)
    webhook_id = _create(receiver.url)["webhook"]["webhook_id"]
    for n in (1, 2, 3):
        event = assigned(f"L000{n}").model_copy(
            update={"occurred_at": assigned().occurred_at.replace(minute=n)}
        )
        request = DeliveryRequest(tenant_id="acme", webhook_id=webhook_id, event=event)
        queues.client.send_message(QueueUrl=queues.delivery, MessageBody=request.model_dump_json())
        run_delivery(queues)
        for retry in queues.receive(queues.delivery):  # the retry is not this test's subject
            queues.client.delete_message(QueueUrl=queues.delivery, ReceiptHandle=retry["ReceiptHandle"])

    # When the admin reads the log a page of two at a time
    first = call_as("GET", f"/webhooks/{webhook_id}/deliveries?limit=2")
    second = call_as("GET", f"/webhooks/{webhook_id}/deliveries?limit=2&cursor={first.body['cursor']}")

    # Then the newest event comes first; the second event is retrying with its error
    assert first.status == second.status == 200
    ids = [d["event_id"] for d in first.body["items"] + second.body["items"]]
    assert ids == ["L0003-1", "L0002-1", "L0001-1"]
    retrying = first.body["items"][1]
    assert (retrying["status"], retrying["attempts"], retrying["last_error"]) == ("retrying", 1, "HTTP 500")
    assert retrying["next_attempt_at"] is not None
    assert first.body["items"][0]["status"] == "delivered"
    assert (
        second.body["cursor"] is None
        or call_as("GET", f"/webhooks/{webhook_id}/deliveries?cursor={second.body['cursor']}").body["items"]
        == []
    )
    # ... and a forged cursor is a 422
    assert call_as("GET", f"/webhooks/{webhook_id}/deliveries?cursor=bm9wZQ").status == 422


def test_no_secret_or_receiver_url_reaches_the_logs(
    moto_repo: Repository,
    queues: Queues,
    receivers: Callable[..., Receiver],
    caplog: pytest.LogCaptureFixture,
):
    # Given logs at INFO
    caplog.set_level(logging.INFO)
    level = logger.log_level
    logger.setLevel("INFO")
    try:
        # When a webhook is created, tested, and one delivery fails and another succeeds
        receiver = receivers(500, 200)
        created = _create(receiver.url + "?token=t0ps3cr3t")
        webhook_id = created["webhook"]["webhook_id"]
        call_as("POST", f"/webhooks/{webhook_id}/test")
        run_delivery(queues)
        run_delivery(queues)
    finally:
        logger.setLevel(level)

    # Then the logs (messages and every extra field) name ids and outcomes, never the secret or the URL
    text = "\n".join(json.dumps(record.__dict__, default=str) for record in caplog.records)
    assert "webhook delivery failed; will retry" in text
    assert "webhook delivered" in text
    assert webhook_id in text
    assert created["secret"] not in text
    assert "t0ps3cr3t" not in text
    assert "127.0.0.1" not in text


def test_test_events_are_limited_per_tenant_with_a_429_and_retry_after(
    moto_repo: Repository, queues: Queues, monkeypatch: pytest.MonkeyPatch
):
    # Given two tenants' webhooks, at 20 s past a minute
    moment = datetime(2026, 12, 2, 1, 0, 20, tzinfo=UTC)
    monkeypatch.setattr("leadrouter.api.context.clock", lambda: moment)
    webhook_id = _create()["webhook"]["webhook_id"]
    other_reply = call_as("POST", "/webhooks", {"url": URL}, who=OTHER_ADMIN)
    other_id = other_reply.body["webhook"]["webhook_id"]

    # When one tenant's admin sends test events as fast as they can
    statuses = [call_as("POST", f"/webhooks/{webhook_id}/test").status for _ in range(TEST_EVENTS_PER_MINUTE)]
    refused = call_as("POST", f"/webhooks/{webhook_id}/test")

    # Then the quota's worth is queued, the next is a 429 saying when to retry (the minute's end) ...
    assert statuses == [202] * TEST_EVENTS_PER_MINUTE
    assert refused.status == 429
    assert refused.headers["Retry-After"] == "40"
    assert queues.count(queues.delivery) == TEST_EVENTS_PER_MINUTE
    # ... the other tenant is not affected ...
    assert call_as("POST", f"/webhooks/{other_id}/test", who=OTHER_ADMIN).status == 202
    # ... and the next minute the tenant may test again
    moment = datetime(2026, 12, 2, 1, 1, 0, tzinfo=UTC)
    assert call_as("POST", f"/webhooks/{webhook_id}/test").status == 202
