"""Webhooks' pure rules: signatures, which URLs may receive, the retry schedule, the delivery body."""

from __future__ import annotations

import ipaddress
import json

import pytest
from pydantic import ValidationError

from leadrouter.domain.events import DOMAIN_EVENT, EventType
from leadrouter.domain.webhooks import (
    MAX_ERROR_LENGTH,
    SCHEDULE,
    DeliveryRequest,
    RetrySchedule,
    address_allowed,
    bounded_error,
    check_url,
    delivery_body,
    new_secret,
    test_event,
)
from leadrouter.signing import SignatureError, sign, verify
from tests.support.webhooks import AT, assigned, webhook

SECRET = "whsec_test_secret"
BODY = b'{"id":"L1-1","type":"LeadAssigned"}'
NOW = 1_796_000_000


# ------------------------------------------------------------------ signatures
def test_a_signature_verifies_with_its_secret_and_body():
    header = sign(SECRET, NOW, BODY)
    assert header.startswith(f"t={NOW},v1=")
    assert verify(SECRET, header, BODY, now=NOW + 10) == NOW


@pytest.mark.parametrize(
    ("secret", "body", "now"),
    [
        ("whsec_other", BODY, NOW),  # another secret
        (SECRET, BODY.replace(b"L1-1", b"L2-1"), NOW),  # a tampered body
        (SECRET, BODY + b" ", NOW),  # even one byte more
        (SECRET, BODY, NOW + 301),  # a replay past the tolerance
        (SECRET, BODY, NOW - 301),  # a timestamp from the future
    ],
    ids=["wrong-secret", "tampered-body", "extra-byte", "too-old", "future"],
)
def test_a_signature_fails_for_another_secret_a_changed_body_or_an_old_timestamp(secret, body, now):
    header = sign(SECRET, NOW, BODY)
    with pytest.raises(SignatureError):
        verify(secret, header, body, now=now)


def test_a_changed_timestamp_breaks_the_signature():
    # Given a genuine header whose t= is moved forward (to pass the tolerance check)
    header = sign(SECRET, NOW, BODY).replace(f"t={NOW}", f"t={NOW + 1000}")
    with pytest.raises(SignatureError):
        verify(SECRET, header, BODY, now=NOW + 1000)


def test_during_rotation_either_secret_verifies():
    # Given a header signed with the new and the old secret
    header = sign(["whsec_new", "whsec_old"], NOW, BODY)
    assert header.count("v1=") == 2
    # Then a receiver holding either one accepts it, and a third secret does not
    assert verify("whsec_new", header, BODY, NOW) == NOW
    assert verify("whsec_old", header, BODY, NOW) == NOW
    with pytest.raises(SignatureError):
        verify("whsec_third", header, BODY, NOW)


@pytest.mark.parametrize("header", [None, "", "v1=abc", f"t={NOW}", "t=x,v1=ab", "garbage"])
def test_a_missing_or_malformed_header_fails(header):
    with pytest.raises(SignatureError):
        verify(SECRET, header, BODY, NOW)


def test_secrets_are_prefixed_random_and_long():
    secrets = {new_secret() for _ in range(50)}
    assert len(secrets) == 50
    assert all(s.startswith("whsec_") and len(s) == 6 + 43 for s in secrets)


# ------------------------------------------------------------------ URLs
@pytest.mark.parametrize(
    "url",
    [
        "https://crm.example.com/hooks/leadrouter",
        "https://crm.example.com:8443/hooks?tenant=acme",
        "https://hooks.xn--vit-nam-4va.vn/a",
        "https://8.8.8.8/hook",
        "https://[2001:4860:4860::8888]/hook",
    ],
)
def test_public_https_urls_are_accepted(url):
    assert check_url(url) == url


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://crm.example.com/hook", "https"),
        ("ftp://crm.example.com/hook", "https"),
        ("https://user:pass@crm.example.com/hook", "user name"),
        ("https://crm.example.com@evil.example/hook", "user name"),
        ("https://crm.example.com/hook#frag", "fragment"),
        ("https:///hook", "host"),
        ("https://127.0.0.1/hook", "private"),
        ("https://10.1.2.3/hook", "private"),
        ("https://192.168.1.10/hook", "private"),
        ("https://172.16.0.1/hook", "private"),
        ("https://169.254.169.254/latest/meta-data", "private"),
        ("https://100.64.0.1/hook", "private"),
        ("https://0.0.0.0/hook", "private"),
        ("https://[::1]/hook", "private"),
        ("https://[fe80::1]/hook", "private"),
        ("https://[fd00::1]/hook", "private"),
        ("https://[::ffff:10.0.0.1]/hook", "private"),
        ("https://224.0.0.1/hook", "private"),
        ("https://2130706433/hook", "public host"),
        ("https://0x7f.1/hook", "public host"),
        ("https://localhost/hook", "public host"),
        ("https://api.localhost/hook", "local"),
        ("https://db.internal/hook", "local"),
        ("https://printer.local/hook", "local"),
        ("https://crm.example.com:99999/hook", "port"),
        ("https://crm.example.com/ho ok", "spaces"),
        ("https://crm.example.com/" + "a" * 2048, "2048"),
    ],
)
def test_urls_that_are_not_public_https_endpoints_are_refused(url, reason):
    with pytest.raises(ValueError, match=reason):
        check_url(url)


@pytest.mark.parametrize("url", ["http://127.0.0.1:8025/hook", "http://localhost:9000/", "https://[::1]:9/x"])
def test_the_local_stack_may_post_to_this_machine_only(url):
    assert check_url(url, allow_local=True) == url
    with pytest.raises(ValueError, match=r"https|private|public host"):
        check_url(url)
    # ... and even locally, plain http to anywhere else is refused
    with pytest.raises(ValueError, match="https"):
        check_url("http://crm.example.com/hook", allow_local=True)


def test_delivery_connects_only_to_global_addresses():
    assert address_allowed(ipaddress.ip_address("93.184.216.34"))
    for private in ("10.0.0.1", "127.0.0.1", "169.254.169.254", "::1", "::ffff:192.168.0.1", "fc00::1"):
        assert not address_allowed(ipaddress.ip_address(private)), private
    assert address_allowed(ipaddress.ip_address("127.0.0.1"), allow_local=True)
    assert not address_allowed(ipaddress.ip_address("10.0.0.1"), allow_local=True)


def test_event_types_default_to_all_and_must_be_known_and_distinct():
    assert webhook("https://a.example.com/h").event_types == sorted(EventType)
    assert webhook("https://a.example.com/h", event_types=["LeadEscalated", "LeadAssigned"]).event_types == [
        EventType.LEAD_ASSIGNED,
        EventType.LEAD_ESCALATED,
    ]
    for bad in ([], ["LeadAssigned", "LeadAssigned"], ["LeadExploded"]):
        with pytest.raises(ValidationError):
            webhook("https://a.example.com/h", event_types=bad)


# ------------------------------------------------------------------ retry schedule
def test_the_schedule_retries_for_more_than_24_hours_with_growing_delays_within_sqs_limits():
    delays = SCHEDULE.delays
    assert delays == (30, 120, 600, 1800, 3600, 7200, 14400, 28800, 39600)
    assert SCHEDULE.max_attempts == 10
    assert SCHEDULE.total_seconds == 96_150  # 26 h 42 min 30 s from the first attempt to the last
    assert SCHEDULE.total_seconds >= 24 * 3600
    assert list(delays) == sorted(delays) and len(set(delays)) == len(delays)
    assert max(delays) < 12 * 3600  # ChangeMessageVisibility's maximum, counted from the receive


def test_the_schedule_names_the_delay_after_each_attempt_and_none_after_the_last():
    assert [SCHEDULE.delay_after(n) for n in range(1, 11)] == [*SCHEDULE.delays, None]
    assert SCHEDULE.delay_after(11) is None
    with pytest.raises(ValueError, match="from 1"):
        SCHEDULE.delay_after(0)


def test_the_local_stack_compresses_the_schedule_in_whole_seconds():
    local = SCHEDULE.scaled(0.01)
    assert local.delays == (1, 1, 6, 18, 36, 72, 144, 288, 396)
    assert local.max_attempts == SCHEDULE.max_attempts
    assert SCHEDULE.scaled(1) is SCHEDULE
    assert RetrySchedule((10, 20)).scaled(0.5).delays == (5, 10)
    with pytest.raises(ValueError, match="positive"):
        SCHEDULE.scaled(0)


# ------------------------------------------------------------------ delivery body
def test_the_delivery_body_carries_the_event_id_type_and_the_event_and_is_stable():
    request = DeliveryRequest(tenant_id="acme", webhook_id="W1", event=assigned())
    body = delivery_body(request)
    assert body == delivery_body(DeliveryRequest.model_validate_json(request.model_dump_json()))
    parsed = json.loads(body)
    assert set(parsed) == {"id", "type", "created_at", "tenant_id", "test", "data"}
    assert parsed["id"] == "L0001-1" == parsed["data"]["event_id"]
    assert parsed["type"] == "LeadAssigned"
    assert parsed["created_at"] == "2026-12-02T01:00:00.000000Z"
    assert DOMAIN_EVENT.validate_python(parsed["data"]) == assigned()


def test_a_test_event_is_lead_assigned_shaped_and_marked():
    event = test_event("acme", AT)
    body = json.loads(
        delivery_body(DeliveryRequest(tenant_id="acme", webhook_id="W1", event=event, test=True))
    )
    assert body["type"] == "LeadAssigned"
    assert body["test"] is True
    assert body["id"].startswith("test-")
    assert test_event("acme", AT).event_id != event.event_id


def test_errors_for_the_log_are_one_bounded_line():
    assert bounded_error("a\nb\tc") == "a b c"
    assert len(bounded_error("x" * 5000)) == MAX_ERROR_LENGTH
