"""Webhooks' pure rules: signatures, which URLs may receive, the retry schedule, the delivery body."""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st
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


#: IPv4 blocks that are not public (a sample of each is drawn below) and public ones.
NON_PUBLIC_V4 = [
    "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
    "192.0.0.0/24", "192.0.2.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24",
    "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
]  # fmt: skip
PUBLIC_V4 = ["8.8.8.0/24", "93.184.216.0/24", "1.1.1.0/24", "203.113.128.0/18"]


def _in(cidrs: list[str]) -> st.SearchStrategy[ipaddress.IPv4Address]:
    def pick(cidr: str) -> st.SearchStrategy[ipaddress.IPv4Address]:
        network = ipaddress.IPv4Network(cidr)
        return st.integers(0, network.num_addresses - 1).map(lambda n: network[n])

    return st.sampled_from(cidrs).flatmap(pick)


#: IPv6 forms that reach an IPv4 address, as the bits of that address go into them.
EMBEDDINGS: dict[str, Callable[[ipaddress.IPv4Address], int]] = {
    "IPv4-compatible ::a.b.c.d": lambda v4: int(v4),
    "IPv4-mapped ::ffff:a.b.c.d": lambda v4: 0xFFFF << 32 | int(v4),
    "SIIT ::ffff:0:a.b.c.d": lambda v4: 0xFFFF << 48 | int(v4),
    "NAT64 64:ff9b::/96": lambda v4: 0x64FF9B << 96 | int(v4),
    "local NAT64 64:ff9b:1::/48": lambda v4: (0x64FF9B0001 << 80) | int(v4),
    "6to4 2002::/16": lambda v4: (0x2002 << 112) | (int(v4) << 80) | 1,
    "Teredo 2001::/32 (server)": lambda v4: (0x20010000 << 96) | (int(v4) << 64) | 0x8000_63BF_F5FF_FFFE,
    "Teredo 2001::/32 (client)": lambda v4: (0x20010000 << 96) | (0x08080808 << 64) | (int(v4) ^ 0xFFFFFFFF),
}


def _forms(v4: ipaddress.IPv4Address) -> list[str]:
    """Every textual form of the IPv6 embeddings of ``v4`` (compressed, exploded, dotted tail)."""
    found = []
    for embed in EMBEDDINGS.values():
        v6 = ipaddress.IPv6Address(embed(v4))
        found += [v6.compressed, v6.exploded]
        head = v6.exploded.rsplit(":", 2)[0]
        found.append(str(ipaddress.IPv6Address(f"{head}:{ipaddress.IPv4Address(int(v6) & 0xFFFFFFFF)}")))
    return found


@given(v4=_in(NON_PUBLIC_V4))
def test_no_ipv6_form_of_a_non_public_ipv4_address_is_accepted(v4: ipaddress.IPv4Address):
    # Given a private, loopback, link-local, shared, reserved or multicast IPv4 address, written as each
    # IPv6 form that reaches it (or tunnels to it)
    for form in _forms(v4):
        # Then delivery refuses to connect to it, and registration refuses it as a URL literal
        assert not address_allowed(ipaddress.ip_address(form)), form
        with pytest.raises(ValueError, match="private"):
            check_url(f"https://[{form}]/hook")


@given(v4=_in(PUBLIC_V4))
def test_a_public_ipv4_address_is_judged_the_same_in_the_forms_that_reach_it(v4: ipaddress.IPv4Address):
    # IPv4-mapped and the well-known NAT64 prefix reach v4 itself: as public as it; the tunnels (6to4,
    # Teredo) and the local-use NAT64 prefix are never accepted
    assert address_allowed(v4)
    for name in (
        "IPv4-compatible ::a.b.c.d",
        "IPv4-mapped ::ffff:a.b.c.d",
        "SIIT ::ffff:0:a.b.c.d",
        "NAT64 64:ff9b::/96",
    ):
        assert address_allowed(ipaddress.IPv6Address(EMBEDDINGS[name](v4))), name
    for name in ("local NAT64 64:ff9b:1::/48", "6to4 2002::/16", "Teredo 2001::/32 (server)"):
        assert not address_allowed(ipaddress.IPv6Address(EMBEDDINGS[name](v4))), name


@pytest.mark.parametrize(
    "address",
    ["::", "::1", "fe80::1", "fd00::1", "ff02::1", "2001:db8::1", "3fff::1", "100::1", "5f00::1", "fec0::1"],
)
def test_ipv6_addresses_outside_public_unicast_are_refused(address: str):
    assert not address_allowed(ipaddress.ip_address(address))


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
