"""Webhook deliveries on DynamoDB Local, where conditional writes are really atomic: concurrent copies
of one delivery post once (a dead one only by its redriven message), and what one delivery costs end
to end (sign, claim, POST, log)."""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from leadrouter.domain.webhooks import SCHEDULE, DeliveryRequest, DeliveryStatus
from leadrouter.logic.events.delivery import Outcome, deliver
from leadrouter.runtime import new_repository
from leadrouter.settings import Settings
from leadrouter.signing import HEADER, verify
from tests.support.webhooks import Receiver, assigned, receiver_factory, webhook

SECRET = "whsec_" + "k" * 43
COPIES = 8


@pytest.fixture
def receivers() -> Iterator[Callable[..., Receiver]]:
    yield from receiver_factory()


@pytest.fixture
def settings(ddb_tables: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("WEBHOOKS_ALLOW_LOCAL", "1")
    monkeypatch.setenv("WEBHOOK_TIMEOUT_SECONDS", "2")
    return Settings.from_env()


def test_concurrent_copies_of_one_delivery_post_once(settings: Settings, receivers: Callable[..., Receiver]):
    # Given a webhook and eight copies of one delivery message (different SQS message ids)
    receiver = receivers(200)
    repo = new_repository(settings)
    repo.create_webhook(webhook(receiver.url), SECRET)
    request = DeliveryRequest(tenant_id="acme", webhook_id="W1", event=assigned())
    start = threading.Barrier(COPIES)

    def copy(n: int) -> Outcome:
        start.wait()
        return deliver(repo, request, holder=f"message-{n}", settings=settings)

    # When they are delivered at the same moment
    with ThreadPoolExecutor(COPIES) as pool:
        outcomes = list(pool.map(copy, range(COPIES)))

    # Then exactly one posted; the others stood aside; the log counts one attempt
    assert sorted(o.result for o in outcomes) == ["delivered"] + ["skipped"] * (COPIES - 1)
    assert len(receiver.received) == 1
    verify(SECRET, receiver.received[0].headers[HEADER], receiver.received[0].body, time.time())
    log = repo.get_delivery(request)
    assert log is not None
    assert (log.status, log.attempts) == (DeliveryStatus.DELIVERED, 1)


def test_of_concurrent_copies_of_a_dead_delivery_only_one_redriven_one_posts(
    settings: Settings, receivers: Callable[..., Receiver]
):
    # Given a delivery dead after its ten attempts (one message made them all), its endpoint now fixed
    receiver = receivers(*[503] * SCHEDULE.max_attempts, 200)
    repo = new_repository(settings)
    repo.create_webhook(webhook(receiver.url), SECRET)
    request = DeliveryRequest(tenant_id="acme", webhook_id="W1", event=assigned())
    for _ in range(SCHEDULE.max_attempts):
        deliver(repo, request, holder="first", settings=settings)
    log = repo.get_delivery(request)
    assert log is not None and (log.status, log.attempts) == (DeliveryStatus.DEAD, SCHEDULE.max_attempts)
    redriven = request.model_copy(update={"redriven_after": SCHEDULE.max_attempts})
    stale = request.model_copy(update={"redriven_after": SCHEDULE.max_attempts - 1})
    copies = [redriven] * COPIES + [request] * COPIES + [stale] * COPIES
    start = threading.Barrier(len(copies))

    def copy(n: int) -> Outcome:
        start.wait()
        return deliver(repo, copies[n], holder=f"message-{n}", settings=settings)

    # When redriven copies, unmarked replays and copies marked by an older count all arrive at once
    with ThreadPoolExecutor(len(copies)) as pool:
        outcomes = list(pool.map(copy, range(len(copies))))

    # Then exactly one redriven copy posted, as attempt 11; every other copy stood aside without a post
    assert sorted(o.result for o in outcomes) == ["delivered"] + ["skipped"] * (len(copies) - 1)
    assert next(n for n, o in enumerate(outcomes) if o.result == "delivered") < COPIES
    assert len(receiver.received) == SCHEDULE.max_attempts + 1
    log = repo.get_delivery(request)
    assert log is not None and (log.status, log.attempts) == (DeliveryStatus.DELIVERED, 11)


def test_one_delivery_costs_milliseconds(settings: Settings, receivers: Callable[..., Receiver]):
    # Given a webhook on a local receiver
    receiver = receivers(200)
    repo = new_repository(settings)
    repo.create_webhook(webhook(receiver.url), SECRET)
    repo.subscriptions("acme")  # warm the container's cache, as a warm Lambda has it

    # When 200 distinct events are delivered one after another
    seconds = []
    for n in range(200):
        request = DeliveryRequest(tenant_id="acme", webhook_id="W1", event=assigned(f"L{n:04d}"))
        started = time.perf_counter()
        outcome = deliver(repo, request, holder=f"m-{n}", settings=settings)
        seconds.append(time.perf_counter() - started)
        assert outcome.result == "delivered"

    # Then all arrived (the figures go to the closing note; nothing is asserted on time)
    assert len(receiver.received) == 200
    cuts = statistics.quantiles(seconds, n=100)
    p50, p99 = cuts[49] * 1000, cuts[98] * 1000
    print(f"\ndeliver() on DynamoDB Local + local receiver: p50 {p50:.1f} ms, p99 {p99:.1f} ms")
