"""The public door's rate limits, so that one sender, one IP or one tenant cannot deny service to another.

The order is the point:

1. the sender's own limit first (``web_form.rate_per_ip_per_minute`` per source and client IP, in this
   container's memory): a sender over it is refused before it can touch the source's budget;
2. then the source's limit (``rate_per_minute``), shared by the source's senders only: this container's
   memory is a free first line, then one counter per source and calendar minute in DynamoDB that every
   container sees (``data.limits``), so N warm containers still admit ``rate_per_minute`` in total.
   A container claims a block of k of the minute's requests (``block_size``) with one counter write
   and spends it from memory (as the rotation claims slots): the shared count costs 1/k write per
   admitted request.

A refused request spends nothing: what an earlier step took is given back, and a sender refused by its
own limit never reaches the block. A source whose window is full is remembered here until the window
ends, so a flood costs each container no write once it has seen the window full (seeing it costs at
most one refused, charged, write, a few more if containers race for the last tokens). Tokens of a block
left unspent when the minute ends are lost (at most k - 1 per container and minute), which only ever
errs towards refusing. Tenants never share a budget: every key carries the tenant and source, and an
unknown form key never reaches this module. The per-IP count across containers and routes is the
edge's job (the WAF rate rule in template.yaml).
"""

from __future__ import annotations

import ipaddress
import math
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from leadrouter.data.outages import store_outages
from leadrouter.domain.errors import StoreUnavailable
from leadrouter.domain.forms import FormSource
from leadrouter.observability import logger
from leadrouter.ratelimit import RateLimiter

#: The shared count's window: a source admits at most ``rate_per_minute`` per calendar minute.
WINDOW_SECONDS = 60
#: How long a window's counter item outlives its window before TTL may delete it.
COUNTER_GRACE_SECONDS = 3600
#: IPv6 senders are counted per /64 (one customer's subnet), or one host could rotate addresses.
IPV6_SENDER_PREFIX = 64
#: The largest block a container claims: past 10 the write saved per request is under 0.1 WRU, while
#: the tokens a container may leave unspent keep growing.
MAX_BLOCK = 10


def block_size(limit: int) -> int:
    """How many of a source's ``limit`` requests a minute one counter write claims for a container.

    An eighth of the budget (so at least 8 containers hold a block before it is all claimed, and what
    one container leaves unspent stays under an eighth of it), at most ``MAX_BLOCK``; one at a time
    below 16 a minute.
    """
    return max(1, min(MAX_BLOCK, limit // 8))


class WindowCounter(Protocol):
    """Where the shared counts live (``data.limits.LimitStore``); ``StoreUnavailable`` when down."""

    def claim_in_window(
        self, scope: str, window_start: int, limit: int, want: int, expires_at: int
    ) -> int: ...


@dataclass
class _Block:
    """What this container holds of one source's window."""

    window: int
    left: int = 0  # claimed and not yet spent
    full: bool = False  # the shared count has nothing left this window


class DoorLimits:
    """The limits of the public door of one container. Thread-safe."""

    def __init__(self, counter: WindowCounter, memory: RateLimiter | None = None) -> None:
        self._counter = counter
        self._memory = memory or RateLimiter()
        self._blocks: dict[str, _Block] = {}  # source scope -> its current window's block
        self._lock = threading.Lock()

    def admit(
        self, source: FormSource, client_ip: str | None, now: datetime, *, ip_limited: bool = True
    ) -> int | None:
        """None if the request may go on (it was counted), else the seconds to wait (``Retry-After``).

        ``ip_limited`` False skips the sender's own limit: for a caller authenticated as the source's
        own server (a CRM's secret credential), which posts every lead from one address.
        """
        ip_key: str | None = None
        ip_rate = source.web_form.rate_per_ip_per_minute
        if ip_limited:
            ip_key = f"ip:{source.tenant_id}:{source.source_id}:{sender_of(client_ip)}"
            wait = self._memory.take(ip_key, ip_rate)
            if wait is not None:
                return _seconds(wait)
        refused = self._source_refusal(source, now)
        if refused is not None and ip_key is not None:
            self._memory.give_back(ip_key, ip_rate)
        return refused

    def _source_refusal(self, source: FormSource, now: datetime) -> int | None:
        scope = f"{source.tenant_id}#source#{source.source_id}"
        instant = now.timestamp()
        window = int(instant // WINDOW_SECONDS) * WINDOW_SECONDS
        window_left = _seconds(window + WINDOW_SECONDS - instant)
        rate = source.rate_per_minute
        memory_key = f"source:{scope}"
        # One lock for the whole step, the claim's write included: a Lambda container serves one
        # request at a time, and two threads must not both claim a block when one would do.
        with self._lock:
            block = self._block(scope, window)
            if block.full and not block.left:
                return window_left
            wait = self._memory.take(memory_key, rate)
            if wait is not None:
                return _seconds(wait)
            if not block.left:
                want = block_size(rate)
                expires_at = window + WINDOW_SECONDS + COUNTER_GRACE_SECONDS
                try:
                    with store_outages():
                        block.left = self._counter.claim_in_window(scope, window, rate, want, expires_at)
                except StoreUnavailable:
                    # Losing a lead to a counter outage is worse than a minute over the limit: this
                    # container's own limit still holds.
                    logger.warning(
                        "shared rate-limit count unavailable; admitted on this container's limit",
                        extra={"tenant_id": source.tenant_id, "source_id": source.source_id},
                    )
                    return None
                block.full = block.left < want  # it got the remainder, or nothing
            if block.left:
                block.left -= 1
                return None
            self._memory.give_back(memory_key, rate)
            return window_left

    def _block(self, scope: str, window: int) -> _Block:
        """``scope``'s block for ``window`` (a new minute starts empty; past minutes are forgotten)."""
        block = self._blocks.get(scope)
        if block is None or block.window != window:
            self._blocks = {s: b for s, b in self._blocks.items() if b.window >= window}
            block = self._blocks[scope] = _Block(window)
        return block


def sender_of(client_ip: str | None) -> str:
    """Who the per-IP limit counts: the IPv4 address, or the /64 of an IPv6 one."""
    if not client_ip:
        return "unknown"
    try:
        address = ipaddress.ip_address(client_ip)
    except ValueError:
        return client_ip[:64]
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, IPV6_SENDER_PREFIX), strict=False))
    return str(address)


def _seconds(wait: float) -> int:
    return max(1, math.ceil(wait))
