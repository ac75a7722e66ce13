"""The local demo receiver: prints verified deliveries, refuses forged ones, fails on purpose if asked."""

from __future__ import annotations

import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest

from leadrouter.domain.webhooks import DeliveryRequest, delivery_body
from leadrouter.signing import HEADER, sign
from leadrouter_local.webhook_receiver import describe, make_server
from tests.support.webhooks import assigned

SECRET = "whsec_demo"


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[str]]]:
    lines: list[str] = []
    server = make_server(SECRET, 0, fail=1, out=lines.append)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/", lines
    server.shutdown()
    server.server_close()


def _post(url: str, body: bytes, header: str) -> int:
    request = urllib.request.Request(url, data=body, method="POST", headers={HEADER: header})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code


def test_the_receiver_verifies_fails_once_on_purpose_then_prints_the_delivery(receiver):
    url, lines = receiver
    body = delivery_body(DeliveryRequest(tenant_id="acme", webhook_id="W1", event=assigned()))
    header = sign(SECRET, int(time.time()), body)

    # When the same signed delivery arrives twice, and a tampered one once
    statuses = [_post(url, body, header), _post(url, body, header), _post(url, body + b" ", header)]

    # Then the first is failed on purpose, the second accepted and printed, the forgery refused
    assert statuses == [500, 200, 400]
    assert lines[1].startswith("✓ LeadAssigned L0001 → B, 0.4 s after the form, told ")
    assert lines[1].endswith(" s after it (attempt ?)")
    assert lines[2].startswith("✗ refused")


def test_describe_says_who_got_the_lead_or_why_it_escalated():
    assert describe(
        {"type": "LeadEscalated", "test": True, "data": {"lead_id": "L1", "reason": "nobody"}}
    ) == ("LeadEscalated L1 (nobody) [test]")
