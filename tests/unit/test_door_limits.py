"""The public door's limits: one sender, one IP or one tenant cannot use up another's budget.
Door-level tests go through the API handler on moto with the API clock frozen (the shared count
is per calendar minute); the limiter's own rules are tested on a fake counter.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.exceptions import ClientError

from leadrouter import runtime
from leadrouter.data.repository import Repository
from leadrouter.domain.forms import FormDoor, FormSource
from leadrouter.logic.intake.limits import DoorLimits, block_size, sender_of
from leadrouter.ratelimit import RateLimiter
from tests.support.api import FORM_KEY, SOURCE_SECRET, Reply, add_form_source, call, event, frozen_api_clock
from tests.support.forms import FETCH, post_form

NOW = datetime(2026, 12, 6, 22, 30, 10, tzinfo=UTC)
IP_A, IP_B = "203.0.113.7", "198.51.100.2"


@pytest.fixture(autouse=True)
def _api_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    frozen_api_clock(monkeypatch, NOW)


def _post_json(n: int, ip: str, key: str = FORM_KEY, secret: str | None = None) -> Reply:
    """A CRM-style typed JSON post to /intake/leads (with the source's secret: its own server)."""
    body = {"name": f"Khách {n}", "phone": f"09123{n:05d}"}
    credential = {"X-Source-Secret": secret} if secret else {}
    ev = event("POST", "/intake/leads", body, headers={"X-Form-Key": key, **credential, **FETCH})
    ev["requestContext"]["identity"]["sourceIp"] = ip
    return call(ev)


def _post_form(n: int, ip: str) -> Reply:
    return post_form([("name", f"Khách {n}"), ("phone", f"09876{n:05d}")], ip=ip)


def _new_container() -> None:
    """What a cold Lambda container starts with: no memory of this container's counts."""
    runtime._door_limits.cache_clear()


@pytest.fixture
def limit_writes(moto_repo: Repository) -> Iterator[list[dict[str, Any]]]:
    """The rate-limit counter writes the API makes (a botocore hook on its client)."""
    seen: list[dict[str, Any]] = []

    def record(params: dict[str, Any], **_: Any) -> None:
        if str(params.get("Key", {}).get("pk", {}).get("S", "")).startswith("LIMIT#"):
            seen.append(params)

    events = runtime.repository()._client.meta.events
    events.register("before-parameter-build.dynamodb.UpdateItem", record)
    yield seen
    events.unregister("before-parameter-build.dynamodb.UpdateItem", record)


# ------------------------------------------------------------------ (a) the sender's own limit first
def test_one_ip_draining_a_sources_budget_leaves_another_ip_able_to_post(moto_repo: Repository) -> None:
    # Given a source admitting 5 posts a minute, 2 from any one IP
    add_form_source(moto_repo, rate_per_minute=5, web_form=FormDoor(rate_per_ip_per_minute=2))
    # When one IP posts 10 times
    flood = [_post_form(n, IP_A).status for n in range(10)]
    # Then it got its own 2, and its 8 refused posts spent nothing of the source's budget
    assert flood == [201, 201] + [429] * 8
    others = [_post_form(100 + n, f"192.0.2.{n}").status for n in range(3)]
    assert others == [201, 201, 201]
    # …which is the source's 5, shared by its senders, and no more
    assert _post_form(200, IP_B).status == 429


def test_a_refusal_by_the_sources_budget_gives_the_senders_token_back(moto_repo: Repository) -> None:
    # Given a source whose budget (2) is used up by other senders
    add_form_source(moto_repo, rate_per_minute=2, web_form=FormDoor(rate_per_ip_per_minute=1))
    assert [_post_form(n, f"192.0.2.{n}").status for n in range(2)] == [201, 201]
    # When a new sender is refused for the source's budget, then posts again
    first, again = _post_form(10, IP_A), _post_form(11, IP_A)
    # Then both are refused for the source, not the sender: its own one post was given back
    assert first.status == again.status == 429
    assert 1 <= int(again.headers["Retry-After"]) <= 50  # the source's wait, not the sender's 60 s


# ------------------------------------------------------------------ (b) JSON posts are senders too
def test_json_posts_to_intake_leads_are_limited_per_ip(moto_repo: Repository) -> None:
    # Given a source with a large budget and 2 posts a minute per IP
    add_form_source(moto_repo, rate_per_minute=100, web_form=FormDoor(rate_per_ip_per_minute=2))
    # When one IP posts typed JSON leads 4 times, and another IP once
    statuses = [_post_json(n, IP_A).status for n in range(4)]
    other = _post_json(10, IP_B)
    # Then the first IP is held to its own 2 (429 with Retry-After); the other IP is not affected
    assert statuses == [201, 201, 429, 429]
    assert other.status == 201


def test_the_sources_own_server_is_held_to_the_sources_budget_not_the_per_ip_limit(
    moto_repo: Repository,
) -> None:
    # Given a source of 6 posts a minute, 2 per IP, whose CRM posts from one server with its secret
    add_form_source(moto_repo, rate_per_minute=6, web_form=FormDoor(rate_per_ip_per_minute=2))
    # When that server posts 8 leads, and a wrong secret is tried from the same address
    statuses = [_post_json(n, IP_A, secret=SOURCE_SECRET).status for n in range(8)]
    wrong = _post_json(50, IP_A, secret="ss_not_the_secret")
    # Then the per-IP limit does not apply to it, the source's budget does; a wrong secret counts nothing
    assert statuses == [201] * 6 + [429] * 2
    assert wrong.status == 401
    # …while posts without the secret, from that address to a source alike, are held to 2
    add_form_source(
        moto_repo,
        key="fk_other_source_0001",
        source_id="web-form-2",
        rate_per_minute=6,
        web_form=FormDoor(rate_per_ip_per_minute=2),
    )
    plain = [_post_json(60 + n, IP_A, key="fk_other_source_0001").status for n in range(3)]
    assert plain == [201, 201, 429]


def test_the_per_ip_limit_is_per_source_and_tenant(moto_repo: Repository) -> None:
    # Given two tenants' sources with the same source id, 1 post per IP each
    door = FormDoor(rate_per_ip_per_minute=1)
    add_form_source(moto_repo, web_form=door)
    add_form_source(moto_repo, key="fk_other_tenant_0001", tenant_id="other", web_form=door)
    # When one IP posts once to each
    mine, theirs = _post_json(1, IP_A), _post_json(2, IP_A, key="fk_other_tenant_0001")
    # Then each source counted its own sender
    assert mine.status == theirs.status == 201


# ------------------------------------------------------------------ (c) unknown keys spend no budget
def test_posts_with_unknown_keys_spend_no_sources_budget(moto_repo: Repository) -> None:
    # Given a source admitting 2 posts a minute, 2 per IP
    add_form_source(moto_repo, rate_per_minute=2, web_form=FormDoor(rate_per_ip_per_minute=2))
    # When a client guesses 20 keys from the same IP
    guesses = [_post_json(n, IP_A, key=f"fk_guess_{n:04d}").status for n in range(20)]
    # Then each is a 401, and the real source's senders still have its whole budget
    assert set(guesses) == {401}
    assert [_post_json(100 + n, IP_A).status for n in range(2)] == [201, 201]


# ------------------------------------------------------------------ (d) counts every container sees
def test_a_cold_container_does_not_start_the_sources_minute_afresh(moto_repo: Repository) -> None:
    # Given a source admitting 3 posts a minute, its budget used in one container
    add_form_source(moto_repo, rate_per_minute=3, web_form=FormDoor(rate_per_ip_per_minute=100))
    assert [_post_form(n, f"192.0.2.{n}").status for n in range(3)] == [201, 201, 201]
    # When the next post reaches a new container (no memory of the first one's counts)
    _new_container()
    late = _post_form(10, IP_B)
    # Then the minute's shared count refuses it until the next minute
    assert late.status == 429 and late.headers["Retry-After"] == "50"


def test_a_flood_past_the_budget_is_refused_without_dynamodb_writes(
    moto_repo: Repository, limit_writes: list[dict[str, Any]]
) -> None:
    # Given a source admitting 2 posts a minute (one token refills every 30 s; claimed one at a time)
    add_form_source(moto_repo, rate_per_minute=2, web_form=FormDoor(rate_per_ip_per_minute=6000))
    # When 2 posts are admitted, then 20 more arrive in the same container
    assert [_post_form(n, IP_A).status for n in range(2)] == [201, 201]
    assert len(limit_writes) == 2  # a block of 1 per counter write
    flood = [_post_form(10 + n, IP_A).status for n in range(20)]
    # Then this container's memory refuses them all without a write
    assert set(flood) == {429} and len(limit_writes) == 2
    # And a cold container pays one refused write to learn the minute is full, then none
    _new_container()
    cold = [_post_form(40 + n, IP_A).status for n in range(20)]
    assert set(cold) == {429} and len(limit_writes) == 3


def test_a_container_makes_one_counter_write_per_block_of_admitted_posts(
    moto_repo: Repository, limit_writes: list[dict[str, Any]]
) -> None:
    # Given a source admitting 80 posts a minute: a container claims them 10 at a time
    add_form_source(moto_repo, rate_per_minute=80, web_form=FormDoor(rate_per_ip_per_minute=6000))
    assert block_size(80) == 10
    # When 30 posts are admitted in one container
    assert {_post_form(n, f"192.0.2.{n}").status for n in range(30)} == {201}
    # Then it wrote the minute's counter 3 times, each claiming a block of 10, and the 31st claims again
    assert len(limit_writes) == 3
    assert [w["ExpressionAttributeValues"][":want"] for w in limit_writes] == [{"N": "10"}] * 3
    assert _post_form(30, IP_A).status == 201 and len(limit_writes) == 4


def test_the_last_block_of_a_minute_is_what_is_left_of_the_budget(
    moto_repo: Repository, limit_writes: list[dict[str, Any]]
) -> None:
    # Given a source admitting 17 posts a minute (blocks of 2)
    add_form_source(moto_repo, rate_per_minute=17, web_form=FormDoor(rate_per_ip_per_minute=6000))
    # When 20 posts arrive in one container
    statuses = [_post_form(n, f"192.0.2.{n}").status for n in range(20)]
    # Then exactly 17 were admitted: 8 blocks of 2, a refused block of 2, then the last 1
    assert statuses == [201] * 17 + [429] * 3
    # …in 10 counter writes, and the container knew the minute was full without another one
    assert len(limit_writes) == 10
    wants = [w["ExpressionAttributeValues"][":want"]["N"] for w in limit_writes]
    assert wants == ["2"] * 9 + ["1"]


# ------------------------------------------------------------------ the limiter's rules, on a fake counter
class FakeCounter:
    def __init__(self, error: Exception | None = None) -> None:
        self.counts: dict[tuple[str, int], int] = {}
        self.claims: list[int] = []
        self.error = error

    def claim_in_window(self, scope: str, window_start: int, limit: int, want: int, expires_at: int) -> int:
        if self.error is not None:
            raise self.error
        assert expires_at > window_start
        key = (scope, window_start)
        claimed = min(want, limit - self.counts.get(key, 0))
        self.counts[key] = self.counts.get(key, 0) + claimed
        self.claims.append(claimed)
        return claimed


def _source(rate: int = 100, per_ip: int = 2) -> FormSource:
    return FormSource(
        tenant_id="t1",
        source_id="web",
        name="Web",
        pool="web",
        rate_per_minute=rate,
        web_form=FormDoor(rate_per_ip_per_minute=per_ip),
    )


def test_a_credentialed_server_caller_can_be_exempted_from_the_per_ip_limit() -> None:
    limits = DoorLimits(FakeCounter(), RateLimiter(clock=lambda: 0.0))
    source = _source(rate=100, per_ip=2)
    # Given a sender at its own limit
    assert [limits.admit(source, IP_A, NOW) for _ in range(3)][-1] is not None
    # Then a caller the door marks as the source's own server is held only to the source's budget
    assert all(limits.admit(source, IP_A, NOW, ip_limited=False) is None for _ in range(10))


def test_a_sender_refused_by_its_own_limit_spends_none_of_the_containers_block() -> None:
    counter = FakeCounter()
    limits = DoorLimits(counter, RateLimiter(clock=lambda: 0.0))
    source = _source(rate=16, per_ip=1)  # blocks of 2
    # Given a sender admitted once (the container claimed a block of 2 and holds 1)
    assert limits.admit(source, IP_A, NOW) is None and counter.claims == [2]
    # When it posts again, over its own limit, and then another sender posts
    refused = limits.admit(source, IP_A, NOW)
    other = limits.admit(source, IP_B, NOW)
    # Then the refusal left the held token to the other sender: no new claim
    assert refused is not None and other is None and counter.claims == [2]


def test_a_new_minute_starts_with_an_empty_block() -> None:
    counter = FakeCounter()
    limits = DoorLimits(counter, RateLimiter(clock=lambda: 0.0))
    source = _source(rate=160, per_ip=100)  # blocks of 10
    assert limits.admit(source, IP_A, NOW) is None
    # When the next post falls in the next minute, the 9 tokens held for the last one are not spent
    next_minute = NOW.replace(minute=NOW.minute + 1)
    assert limits.admit(source, IP_B, next_minute) is None
    assert counter.claims == [10, 10] and sorted(counter.counts.values()) == [10, 10]


@pytest.mark.parametrize(("limit", "block"), [(1, 1), (15, 1), (16, 2), (60, 7), (80, 10), (6000, 10)])
def test_a_block_is_an_eighth_of_the_budget_at_most_ten(limit: int, block: int) -> None:
    assert block_size(limit) == block


def test_a_counter_outage_admits_on_this_containers_limit_alone() -> None:
    down = ClientError({"Error": {"Code": "InternalServerError", "Message": "injected"}}, "UpdateItem")
    limits = DoorLimits(FakeCounter(error=down), RateLimiter(clock=lambda: 0.0))
    source = _source(rate=3, per_ip=100)
    # Then a lead is never lost to the counter, and the memory line still holds the source to 3
    answers = [limits.admit(source, f"192.0.2.{n}", NOW) for n in range(5)]
    assert answers[:3] == [None, None, None] and all(a is not None for a in answers[3:])


@pytest.mark.parametrize(
    ("ip", "sender"),
    [
        ("203.0.113.7", "203.0.113.7"),
        ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:bbbb:cccc:dddd:eeee", "2001:db8:1:2::/64"),
        ("::ffff:203.0.113.7", "203.0.113.7"),
        (None, "unknown"),
    ],
)
def test_ipv6_senders_are_counted_per_64(ip: str | None, sender: str) -> None:
    assert sender_of(ip) == sender
