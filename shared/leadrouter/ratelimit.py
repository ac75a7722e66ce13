"""An in-memory token-bucket rate limit per key (a source, a source and client IP), per Lambda container.

Each Lambda container keeps its own buckets, so N warm containers admit up to N times the limit: this is
the free first line in front of the shared counts (``logic.intake.limits``: a source's window in DynamoDB, and
the WAF's rate rule per IP at the edge). Memory is bounded: beyond ``max_keys`` the least recently used
keys are forgotten, which only ever errs towards letting a visitor in (a forgotten key starts with a full
bucket).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

#: A call this close (in seconds) to the moment a token is due counts as on time, so that taking at
#: ``now + retry_after`` always succeeds despite floating-point rounding.
EARLY_SLACK_SECONDS = 1e-6


@dataclass
class _Bucket:
    tokens: float
    stamp: float


class RateLimiter:
    """Token buckets of capacity ``per_minute`` refilled at ``per_minute / 60`` tokens per second.

    A new key starts full, so a burst of ``per_minute`` requests is admitted at once and then one every
    ``60 / per_minute`` seconds. Thread-safe (one lock; a take is a few arithmetic operations).
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic, max_keys: int = 10_000) -> None:
        if max_keys < 1:
            raise ValueError("max_keys must be at least 1")
        self._clock = clock
        self._max_keys = max_keys
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, key: str, per_minute: int) -> float | None:
        """Take one token from ``key``'s bucket: None if taken, else the seconds until one is available.

        The caller rounds the wait up for ``Retry-After``. A refused call takes nothing, so retrying at
        exactly ``now + wait`` succeeds. If ``per_minute`` changes (the admin edited the source), the
        bucket keeps its tokens, capped at the new capacity.
        """
        if per_minute < 1:
            raise ValueError("per_minute must be at least 1")
        capacity = float(per_minute)
        rate = per_minute / 60.0
        with self._lock:
            now = self._clock()
            bucket = self._buckets.get(key)
            if bucket is None:
                bucket = _Bucket(tokens=capacity, stamp=now)
                self._buckets[key] = bucket
                if len(self._buckets) > self._max_keys:
                    self._buckets.popitem(last=False)
            else:
                self._buckets.move_to_end(key)
                elapsed = max(0.0, now - bucket.stamp)  # a clock that steps back refills nothing
                bucket.tokens = min(capacity, bucket.tokens + elapsed * rate)
                bucket.stamp = max(bucket.stamp, now)
            if bucket.tokens >= 1.0 - EARLY_SLACK_SECONDS * rate:
                # Not clamped at zero: a token taken a hair early is paid back, never forgiven.
                bucket.tokens -= 1.0
                return None
            return (1.0 - bucket.tokens) / rate

    def give_back(self, key: str, per_minute: int) -> None:
        """Return one token taken from ``key`` (a request refused by a later limit spends nothing here).

        Capped at the bucket's capacity; a key forgotten meanwhile is left alone (it starts full anyway).
        """
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is not None:
                bucket.tokens = min(float(per_minute), bucket.tokens + 1.0)

    def __len__(self) -> int:
        """How many keys are remembered (bounded by ``max_keys``)."""
        with self._lock:
            return len(self._buckets)
