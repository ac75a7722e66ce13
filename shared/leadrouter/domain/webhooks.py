"""Tenant webhooks: what a subscription is, which URLs may receive, what a delivery carries, when to retry.

Pure: no AWS, no HTTP. The data layer stores these models, the logic posts them.

* A **webhook** is an admin's subscription of one HTTPS endpoint to some event types of their tenant
  (default: all). Its signing secret is not a field of the model: it is stored beside it, shown once at
  creation and never listed (``signing.py``).
* A **delivery** is one event for one webhook. Its body is the same on every attempt (the signature's
  timestamp changes), and carries the event id so receivers can dedupe (delivery is at least once)::

      {"id": "<event_id>", "type": "LeadAssigned", "created_at": "<occurred_at>", "tenant_id": "...",
       "test": false, "data": {<the DomainEvent, as in docs/events.md>}}

  A *test event* (``POST /webhooks/{id}/test``) is ``LeadAssigned``-shaped with ``"test": true``, an id
  ``test-…`` and placeholder lead/staff ids, so a receiver's normal parsing path is exercised.
* The **retry schedule** is data: the delay before attempt n+1 after attempt n failed, n counted in the
  delivery's log (shared by every copy of its message). A delivery that failed its last attempt is
  dead; the delivery function puts its message on the DLQ marked ``redriven_after``, and only that
  message, redriven, may try again: a new round of ``max_attempts``.
"""

from __future__ import annotations

import ipaddress
import json
import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import AfterValidator, Field

from leadrouter.clock import to_iso
from leadrouter.domain.base import Ident, Moment, Name, _Model
from leadrouter.domain.events import DOMAIN_EVENT, DomainEvent, EventType, LeadAssigned

MAX_URL_LENGTH = 2048
#: A tenant's webhooks are fanned out to on every event: a bound keeps one event's fan-out small.
MAX_WEBHOOKS_PER_TENANT = 20
#: ``last_error`` in the delivery log: short, and never the receiver's body (it may echo the payload).
MAX_ERROR_LENGTH = 300
#: Host names no public endpoint has (RFC 6761/6762 and cloud-internal conventions).
_INTERNAL_SUFFIXES = (".localhost", ".local", ".internal", ".localdomain", ".home.arpa")
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


def _sorted_types(types: list[EventType]) -> list[EventType]:
    if len(set(types)) != len(types):
        raise ValueError("event types must not repeat")
    return sorted(types)


EventTypes = Annotated[
    list[EventType],
    Field(min_length=1, max_length=len(EventType), json_schema_extra={"uniqueItems": True}),
    AfterValidator(_sorted_types),
]


class Webhook(_Model):
    """One endpoint of a tenant and the event types it receives."""

    webhook_id: Ident
    tenant_id: Ident
    url: Annotated[str, Field(min_length=10, max_length=MAX_URL_LENGTH)]
    event_types: EventTypes = Field(default_factory=lambda: sorted(EventType))
    description: Name | None = None
    active: bool = True
    created_at: Moment
    rev: int = 0

    def wants(self, event_type: str) -> bool:
        return self.active and event_type in self.event_types


def check_url(url: str, *, allow_local: bool = False) -> str:
    """``url`` if a webhook may post to it, else ValueError saying why (the API's 422 message).

    HTTPS only, no credentials in the URL, no fragment, and no host that names this network rather
    than the internet: private, loopback, link-local or reserved IP literals, numeric host forms a
    resolver would read as an address (``2130706433``, ``0x7f.1``), ``localhost`` and internal suffixes.
    The local stack (``allow_local``) also accepts ``http``/``https`` to localhost, 127.0.0.1 and ::1.
    Names that *resolve* to private addresses are refused again at delivery time (``address_allowed``).
    """
    if len(url) > MAX_URL_LENGTH:
        raise ValueError(f"at most {MAX_URL_LENGTH} characters")
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in url):
        raise ValueError("no spaces or control characters")
    parts = urlsplit(url)
    try:
        host = (parts.hostname or "").rstrip(".")
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number in range
    except ValueError as error:
        raise ValueError("not a valid URL (bad host or port)") from error
    scheme = parts.scheme.lower()
    local = allow_local and host in LOCAL_HOSTS
    if scheme != "https" and not (local and scheme == "http"):
        raise ValueError("must be an https:// URL")
    if "@" in parts.netloc:
        raise ValueError("must not contain a user name or password")
    if parts.fragment or url.endswith("#"):
        raise ValueError("must not contain a #fragment")
    if not host:
        raise ValueError("must name a host")
    if local:
        return url
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    if address is not None:
        if not address_allowed(address):
            raise ValueError("must not point at a private, loopback, link-local or reserved address")
        return url
    try:
        ascii_host = host.encode("idna").decode("ascii").lower()
    except UnicodeError as error:
        raise ValueError("the host name is not valid") from error
    last = ascii_host.rsplit(".", 1)[-1]
    if "." not in ascii_host or not last[:1].isalpha():
        raise ValueError("must name a public host (a domain name or a public IP address)")
    if ascii_host == "localhost" or ascii_host.endswith(_INTERNAL_SUFFIXES):
        raise ValueError("must not point at a local or internal host name")
    return url


def _networks(*cidrs: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(cidr) for cidr in cidrs)


#: IPv4 blocks no public endpoint has (IANA's special-purpose registry, multicast, reserved): our own
#: table, so the answer does not hang on a Python version's ``is_global`` / ``is_private`` lists.
_NON_PUBLIC_IPV4 = _networks(
    "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
    "192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16", "198.18.0.0/15",
    "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
)  # fmt: skip
#: IPv6 forms whose last 32 bits are the IPv4 address a connection really reaches: IPv4-compatible
#: (``::a.b.c.d``), IPv4-mapped (``::ffff:a.b.c.d``), SIIT-translated (``::ffff:0:a.b.c.d``) and the
#: well-known NAT64 prefix (``64:ff9b::a.b.c.d``). Such an address is exactly as public as that IPv4.
_EMBEDS_IPV4 = _networks("::/96", "::ffff:0:0/96", "::ffff:0:0:0/96", "64:ff9b::/96")
#: Public IPv6 is global unicast (2000::/3) less: IETF protocol assignments, Teredo among them
#: (2001::/23 holds 2001::/32), documentation (2001:db8::/32, 3fff::/20) and 6to4 (2002::/16). Teredo and
#: 6to4 tunnel to an IPv4 address (a relay's, a client's) that cannot be checked here, and no receiver
#: lives there (6to4 is deprecated, RFC 7526). Everything else outside 2000::/3 (the local-use NAT64
#: prefix 64:ff9b:1::/48, ULA, link-local, multicast, …) is refused with it.
_GLOBAL_UNICAST_IPV6 = ipaddress.ip_network("2000::/3")
_NON_PUBLIC_IPV6 = _networks("2001::/23", "2001:db8::/32", "2002::/16", "3fff::/20")


def embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address that an IPv6 address of one of the ``_EMBEDS_IPV4`` forms reaches, else None.

    Taken from the bits, not from ``ipv4_mapped`` or ``is_private``: those cover only some of these
    forms, and differently from one Python version to the next."""
    if any(address in network for network in _EMBEDS_IPV4):
        return ipaddress.IPv4Address(int(address) & 0xFFFF_FFFF)
    return None


def address_allowed(
    address: ipaddress.IPv4Address | ipaddress.IPv6Address, *, allow_local: bool = False
) -> bool:
    """Whether a delivery may connect to ``address``: a public unicast one (or loopback, locally).

    An IPv6 address that embeds an IPv4 address is judged by that IPv4 address. Python's own
    ``is_global`` must agree too, so a version with stricter lists only ever refuses more."""
    if allow_local and address.is_loopback:
        return True
    if isinstance(address, ipaddress.IPv6Address):
        inner = embedded_ipv4(address)
        if inner is not None:
            return address_allowed(inner, allow_local=allow_local)
        if address not in _GLOBAL_UNICAST_IPV6 or any(address in n for n in _NON_PUBLIC_IPV6):
            return False
    elif any(address in network for network in _NON_PUBLIC_IPV4):
        return False
    return address.is_global and not address.is_multicast


def new_secret() -> str:
    """A signing secret: ``whsec_`` and 32 random bytes, URL-safe base64 (43 characters)."""
    return "whsec_" + secrets.token_urlsafe(32)


# ------------------------------------------------------------------ deliveries
class DeliveryStatus(StrEnum):
    #: An attempt is being made (or was, by an invocation that then crashed: its lease says until when).
    PENDING = "pending"
    #: The last attempt failed; the next is due at ``next_attempt_at``.
    RETRYING = "retrying"
    DELIVERED = "delivered"
    #: Every attempt failed: the message is in WebhookDeliveryDeadLetterQueue.
    DEAD = "dead"


class DeliveryRequest(_Model):
    """One event for one webhook: the body of a WebhookDeliveryQueue message (no URL, no secret:
    the delivery reads the webhook as it is when it posts, so a deleted webhook gets nothing more)."""

    tenant_id: Ident
    webhook_id: Ident
    event: DomainEvent
    test: bool = False
    #: The delivery's attempt count when this message was dead-lettered; absent on a message that never
    #: died. Only a dead delivery's own message, redriven from the DLQ (with a new message id), may
    #: start a new round: a replayed copy finding the delivery dead has none, and one from an earlier
    #: death names a count the delivery has left behind. The round's attempts count from here.
    redriven_after: Annotated[int, Field(ge=1)] | None = None

    @property
    def event_id(self) -> str:
        return self.event.event_id


class Delivery(_Model):
    """A delivery as the log shows it (``GET /webhooks/{id}/deliveries``)."""

    webhook_id: Ident
    event_id: str
    event_type: str
    occurred_at: Moment
    status: DeliveryStatus
    attempts: int = 0
    last_status_code: int | None = None
    last_error: str | None = None
    last_attempt_at: Moment | None = None
    next_attempt_at: Moment | None = None
    delivered_at: Moment | None = None
    test: bool = False


def delivery_body(request: DeliveryRequest) -> bytes:
    """The exact bytes posted (and signed): compact JSON, the same on every attempt."""
    event = request.event
    body: dict[str, Any] = {
        "id": event.event_id,
        "type": str(event.type),
        "created_at": to_iso(event.occurred_at),
        "tenant_id": request.tenant_id,
        "test": request.test,
        "data": json.loads(DOMAIN_EVENT.dump_json(event)),
    }
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def test_event(tenant_id: str, now: datetime) -> LeadAssigned:
    """A synthetic ``LeadAssigned`` for "send test event": placeholder ids, no real lead behind it."""
    return LeadAssigned(
        event_id=f"test-{secrets.token_hex(8)}",
        tenant_id=tenant_id,
        lead_id="L-test",
        occurred_at=now,
        received_at=now,
        seconds_since_received=0.0,
        pool="test",
        step="test",
        staff_id="S-test",
        rule_id="R-test",
        rule_version=1,
    )


test_event.__test__ = False  # type: ignore[attr-defined]  # not a pytest test, whatever its name


def bounded_error(text: str) -> str:
    """An error for the log: one line, at most MAX_ERROR_LENGTH characters."""
    line = " ".join(text.split())
    return line if len(line) <= MAX_ERROR_LENGTH else line[: MAX_ERROR_LENGTH - 1] + "…"


# ------------------------------------------------------------------ retries
@dataclass(frozen=True, slots=True)
class RetrySchedule:
    """Seconds to wait after failed attempt 1, 2, …: deterministic (no jitter), so tests and the log
    can say when the next attempt is. The attempt after the last delay is the last one."""

    delays: tuple[int, ...]

    @property
    def max_attempts(self) -> int:
        return len(self.delays) + 1

    @property
    def total_seconds(self) -> int:
        """From the first attempt to the last."""
        return sum(self.delays)

    def delay_after(self, attempt: int) -> int | None:
        """Seconds before the next attempt after ``attempt`` (1-based) failed; None: it was the last."""
        if attempt < 1:
            raise ValueError("attempts count from 1")
        return self.delays[attempt - 1] if attempt <= len(self.delays) else None

    def scaled(self, factor: float) -> RetrySchedule:
        """The same schedule compressed (local stack): whole seconds, at least 1 (SQS counts seconds)."""
        if factor == 1:
            return self
        if factor <= 0:
            raise ValueError("the scale factor must be positive")
        return RetrySchedule(tuple(max(1, round(d * factor)) for d in self.delays))


#: 30 s, 2 min, 10 min, 30 min, 1 h, 2 h, 4 h, 8 h, 11 h: ten attempts over 26 h 42 min 30 s. Each delay is
#: a ChangeMessageVisibility, whose maximum is 12 h from the receive; 11 h leaves room for the attempt.
SCHEDULE = RetrySchedule((30, 120, 600, 1800, 3600, 7200, 14400, 28800, 39600))
