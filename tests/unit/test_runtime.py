"""The composition root builds each AWS client once per container and hands out the same one."""

from __future__ import annotations

import pytest

from leadrouter import runtime


@pytest.fixture
def env(moto_tables: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "ap-southeast-1")
    monkeypatch.setenv("EVENT_BUS_NAME", "leadrouter-root-test")
    monkeypatch.setenv("WEBHOOK_DELIVERY_QUEUE_URL", "https://sqs.ap-southeast-1.amazonaws.com/1/root-test")
    monkeypatch.setenv("ALERT_SENDER", "alerts@leadrouter.example.vn")


def test_warm_invocations_reuse_the_containers_clients(env: None) -> None:
    # When a handler asks the root twice (two invocations of one container)
    # Then it gets the same bus, queues and mail client, not new connections
    assert runtime.event_bus() is runtime.event_bus()
    assert runtime.delivery_queue() is runtime.delivery_queue()
    url = "https://sqs.ap-southeast-1.amazonaws.com/1/assign-root-test"
    assert runtime.sweep_queue(url) is runtime.sweep_queue(url)
    first, second = runtime.mailer(), runtime.mailer()
    assert first is not None and second is not None and first._client is second._client
    assert runtime.repository() is runtime.repository()


def test_without_a_sender_there_is_no_mailer(env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALERT_SENDER", "")
    assert runtime.mailer() is None


def test_without_a_bus_name_the_publisher_says_what_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EVENT_BUS_NAME", raising=False)
    with pytest.raises(RuntimeError, match="EVENT_BUS_NAME"):
        runtime.event_bus()
