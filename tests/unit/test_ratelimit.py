"""The in-memory rate limiter against an exact reference model, on a fake clock (no real time passes).

The reference is a token bucket in exact rational arithmetic. Fake-clock times are multiples of 1/1024 s
(exact in binary floating point) so the limiter's float arithmetic and the reference agree on every
decision; the retry-after property then steps off that grid on purpose.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leadrouter.ratelimit import RateLimiter

TICK = 1024  # fake-clock steps per second


class FakeClock:
    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@dataclass
class ReferenceBucket:
    """A token bucket in exact arithmetic: capacity C, refilled at C/60 per second, starts full."""

    capacity: Fraction
    tokens: Fraction
    stamp: Fraction
    history: list[tuple[Fraction, bool]] = field(default_factory=list)

    def take(self, now: Fraction) -> Fraction | None:
        rate = self.capacity / 60
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * rate)
        self.stamp = now
        granted = self.tokens >= 1
        self.history.append((now, granted))
        if granted:
            self.tokens -= 1
            return None
        return (1 - self.tokens) / rate


keys = st.sampled_from(["form-a|203.0.113.7", "form-a|198.51.100.2", "form-b"])
steps_strategy = st.lists(st.tuples(st.integers(0, 30 * TICK), keys), min_size=1, max_size=80)
limits = st.fixed_dictionaries(
    {k: st.integers(1, 600) for k in ["form-a|203.0.113.7", "form-a|198.51.100.2", "form-b"]}
)


def replay(
    steps: list[tuple[int, str]], limit: dict[str, int]
) -> Iterator[tuple[str, float | None, Fraction | None]]:
    """Run the limiter and the reference side by side: (key, limiter's answer, reference's answer)."""
    clock = FakeClock(0.0)
    limiter = RateLimiter(clock=clock)
    reference: dict[str, ReferenceBucket] = {}
    ticks = 0
    for dt, key in steps:
        ticks += dt
        now = Fraction(ticks, TICK)
        clock.now = float(now)
        capacity = Fraction(limit[key])
        bucket = reference.setdefault(key, ReferenceBucket(capacity, capacity, now))
        yield key, limiter.take(key, limit[key]), bucket.take(now)


@given(steps=steps_strategy, limit=limits)
@settings(max_examples=300)
def test_the_limiter_agrees_with_the_reference_model(
    steps: list[tuple[int, str]], limit: dict[str, int]
) -> None:
    # Given any sequence of requests from a few clients, each key with its own limit
    for key, answer, expected in replay(steps, limit):
        # Then every decision is the reference's, and a refusal's wait is the exact wait
        if expected is None:
            assert answer is None, key
        else:
            assert answer is not None, key
            assert answer == pytest.approx(float(expected), rel=1e-9, abs=1e-9)


@given(steps=steps_strategy, limit=limits)
@settings(max_examples=200)
def test_never_more_than_capacity_plus_refill_in_any_window(
    steps: list[tuple[int, str]], limit: dict[str, int]
) -> None:
    # Given the grants the limiter made to each key over time
    clock = FakeClock(0.0)
    limiter = RateLimiter(clock=clock)
    history: dict[str, list[tuple[float, bool]]] = {}
    now = 0.0
    for dt, key in steps:
        now += dt / TICK
        clock.now = now
        history.setdefault(key, []).append((now, limiter.take(key, limit[key]) is None))
    # Then over every window of calls, grants <= capacity + rate x (window length)
    for key, calls in history.items():
        capacity, rate = limit[key], limit[key] / 60
        for i in range(len(calls)):
            granted = 0
            for j in range(i, len(calls)):
                granted += calls[j][1]
                assert granted <= capacity + rate * (calls[j][0] - calls[i][0]) + 1e-9, (key, i, j)


@given(steps=steps_strategy, per_minute=st.integers(1, 600), offset=st.floats(0, 1e6))
@settings(max_examples=300)
def test_taking_at_now_plus_retry_after_succeeds_and_not_sooner(
    steps: list[tuple[int, str]], per_minute: int, offset: float
) -> None:
    # Given a busy key on a clock that can read anything (a container up for days)
    clock = FakeClock(offset)
    limiter = RateLimiter(clock=clock)
    for dt, _ in steps:
        clock.now += dt / TICK
        wait = limiter.take("k", per_minute)
        if wait is None:
            continue
        # When a request is refused with a wait
        assert wait > 0
        refused_at = clock.now
        # Then a tenth of a millisecond before the wait is over it is still refused
        if wait > 1e-4:
            clock.now = refused_at + wait - 1e-4
            assert limiter.take("k", per_minute) is not None
        # And at exactly now + wait it is granted
        clock.now = refused_at + wait
        assert limiter.take("k", per_minute) is None


# --- examples -----------------------------------------------------------------------------------------


def test_a_burst_up_to_the_limit_then_one_every_interval() -> None:
    # Given 6 submissions a minute for a source
    clock = FakeClock()
    limiter = RateLimiter(clock=clock)
    # When 6 arrive at once
    assert [limiter.take("form-a", 6) for _ in range(6)] == [None] * 6
    # Then the 7th is told to come back in 10 s (one token every 60/6 s)
    assert limiter.take("form-a", 6) == pytest.approx(10.0)
    # And 4 s later it is told the remaining 6 s
    clock.now += 4
    assert limiter.take("form-a", 6) == pytest.approx(6.0)
    # And at 10 s one more gets in, and only one
    clock.now += 6
    assert limiter.take("form-a", 6) is None
    assert limiter.take("form-a", 6) is not None


def test_keys_do_not_share_a_bucket() -> None:
    # Given one client IP that used up its allowance
    limiter = RateLimiter(clock=FakeClock())
    assert limiter.take("form-a|203.0.113.7", 1) is None
    assert limiter.take("form-a|203.0.113.7", 1) is not None
    # Then another IP on the same form, and the same IP on another form, still get in
    assert limiter.take("form-a|198.51.100.2", 1) is None
    assert limiter.take("form-b|203.0.113.7", 1) is None


def test_an_idle_key_refills_only_up_to_its_capacity() -> None:
    # Given a key idle for an hour
    clock = FakeClock()
    limiter = RateLimiter(clock=clock)
    limiter.take("k", 3)
    clock.now += 3600
    # Then it has a full bucket of 3, not 180
    assert [limiter.take("k", 3) is None for _ in range(4)] == [True, True, True, False]


def test_lowering_the_limit_caps_the_tokens_left() -> None:
    # Given a key with 9 tokens left under a limit of 10 a minute
    limiter = RateLimiter(clock=FakeClock())
    assert limiter.take("k", 10) is None
    # When the admin lowers the source's limit to 2
    # Then only 2 more get in
    assert [limiter.take("k", 2) is None for _ in range(3)] == [True, True, False]


def test_a_token_given_back_can_be_taken_again_but_never_beyond_capacity() -> None:
    # Given a key whose only token was taken for a request a later limit refused
    limiter = RateLimiter(clock=FakeClock())
    assert limiter.take("k", 1) is None
    limiter.give_back("k", 1)
    # Then the next request gets it, and giving back to a full bucket adds nothing
    assert limiter.take("k", 1) is None
    limiter.give_back("k", 1)
    limiter.give_back("k", 1)
    assert [limiter.take("k", 1) is None for _ in range(2)] == [True, False]
    # …and a key never seen is left alone (it starts full anyway)
    limiter.give_back("unseen", 1)
    assert len(limiter) == 1


def test_a_clock_that_steps_back_refills_nothing() -> None:
    clock = FakeClock()
    limiter = RateLimiter(clock=clock)
    assert limiter.take("k", 1) is None
    clock.now -= 30
    assert limiter.take("k", 1) is not None
    clock.now += 30  # back where it was: still nothing earned
    assert limiter.take("k", 1) is not None


def test_memory_is_bounded_by_forgetting_the_least_recently_used_key() -> None:
    # Given room for two keys, both used up, "first" used again after "second"
    limiter = RateLimiter(clock=FakeClock(), max_keys=2)
    for key in ("first", "second"):
        assert limiter.take(key, 1) is None
    assert limiter.take("first", 1) is not None
    # When a third key arrives
    assert limiter.take("new", 1) is None
    # Then the limiter still holds two keys: "first" (used recently) is remembered and still refused
    assert len(limiter) == 2
    assert limiter.take("first", 1) is not None
    # And the least recently used, "second", was forgotten: it starts again with a full bucket (the
    # bound errs towards letting a visitor in)
    assert limiter.take("second", 1) is None


def test_ten_thousand_clients_never_grow_memory_past_the_bound() -> None:
    limiter = RateLimiter(clock=FakeClock(), max_keys=100)
    for n in range(10_000):
        limiter.take(f"form-a|10.0.{n // 256}.{n % 256}", 5)
    assert len(limiter) == 100


@pytest.mark.parametrize("per_minute", [0, -1])
def test_a_limit_below_one_is_a_programming_error(per_minute: int) -> None:
    with pytest.raises(ValueError, match="per_minute"):
        RateLimiter().take("k", per_minute)


def test_concurrent_takes_never_grant_more_than_the_bucket_holds() -> None:
    # Given a frozen clock and a bucket of 100, and 8 threads taking 40 tokens each at the same time
    limiter = RateLimiter(clock=FakeClock())
    start = threading.Barrier(8)
    granted: list[int] = []
    lock = threading.Lock()

    def client() -> None:
        start.wait()
        mine = sum(limiter.take("form-a", 100) is None for _ in range(40))
        with lock:
            granted.append(mine)

    threads = [threading.Thread(target=client) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Then exactly 100 were admitted in all
    assert sum(granted) == 100
