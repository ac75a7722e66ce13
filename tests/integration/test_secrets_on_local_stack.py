"""`make run`'s stack seals tenants' secrets with its local key: the API seals a webhook's secret, the
delivery function opens it and signs, and a stack that keeps its data keeps the key that opens it."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from leadrouter.signing import HEADER, verify
from tests.support import stack as local_stack
from tests.support.webhooks import Receiver, receiver_factory

ADMIN = {"Authorization": "Bearer demo-admin"}


@pytest.fixture
def receivers() -> Iterator[Callable[..., Receiver]]:
    yield from receiver_factory()


def _test_event_is_signed_with(url: str, webhook_id: str, secret: str, receiver: Receiver) -> None:
    before = len(receiver.received)
    status, body = local_stack.request(f"{url}/webhooks/{webhook_id}/test", "POST", None, ADMIN)
    assert status == 202, body
    local_stack.until(lambda: len(receiver.received) > before, 30, "the signed test delivery")
    received = receiver.received[-1]
    verify(secret, received.headers[HEADER], received.body, now=time.time())


def test_a_webhook_registered_on_the_local_stack_is_signed_with_the_secret_shown(
    receivers: Callable[..., Receiver],
) -> None:
    receiver = receivers(200)
    port = local_stack.free_port()
    process = local_stack.start(port)
    url = f"http://127.0.0.1:{port}"
    try:
        local_stack.wait_ready(process, url)
        status, created = local_stack.request(f"{url}/webhooks", "POST", {"url": receiver.url}, ADMIN)
        assert status == 201, created
        _test_event_is_signed_with(url, created["webhook"]["webhook_id"], created["secret"], receiver)
    finally:
        local_stack.stop(process)


def test_a_stack_that_keeps_its_data_keeps_the_key_that_opens_its_secrets(
    receivers: Callable[..., Receiver], tmp_path: Path
) -> None:
    receiver = receivers(200)
    data_dir = tmp_path / "dynamodb"
    url, webhook_id, secret = "", "", ""
    for run in (1, 2):
        port = local_stack.free_port()
        process = local_stack.start(port, data_dir=data_dir)
        url = f"http://127.0.0.1:{port}"
        try:
            local_stack.wait_ready(process, url)
            if run == 1:
                status, created = local_stack.request(f"{url}/webhooks", "POST", {"url": receiver.url}, ADMIN)
                assert status == 201, created
                webhook_id, secret = created["webhook"]["webhook_id"], created["secret"]
            _test_event_is_signed_with(url, webhook_id, secret, receiver)
        finally:
            local_stack.stop(process)
    key = data_dir / "secrets.key"
    assert key.stat().st_mode & 0o777 == 0o600 and len(key.read_bytes()) == 32
