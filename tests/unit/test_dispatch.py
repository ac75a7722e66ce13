"""The dispatcher's pure parts (shards, orders, the reclaim stamp) and its decisions on moto."""

from __future__ import annotations

import zlib
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadrouter.data.repository import Repository
from leadrouter.domain.dispatch import (
    DISPATCH_SHARDS,
    SCOPES_PER_ORDER,
    SweepOrder,
    UnroutedOrder,
    UnroutedScope,
    next_reclaim_check,
    shard_key,
    shard_keys,
    shard_of,
)
from leadrouter.logic.routing import dispatch
from leadrouter.logic.routing.assign import sweep_due_leads
from leadrouter.logic.routing.dispatch import TickPlan, orders_of, plan_tick, run_order
from leadrouter.logic.routing.scheduled import ORDER
from tests.support.builders import NOW, TENANT, add_leads, rule, seed

LEASE = timedelta(minutes=3)
moments = st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 1, 1), timezones=st.just(UTC))


def test_a_tenant_keeps_its_shard_across_processes() -> None:
    # CRC-32, not hash(): the value is the same in every process and Python version
    assert shard_of("acme") == zlib.crc32(b"acme") % DISPATCH_SHARDS
    assert shard_key("assign", "acme") == f"assign#{shard_of('acme'):02d}"
    assert len({shard_of(f"tenant-{n}") for n in range(200)}) == DISPATCH_SHARDS


def test_shard_keys_list_every_shard_once_and_the_legacy_key_with_shard_zero() -> None:
    everything = shard_keys("assign")
    assert everything[0] == "assign" and len(set(everything)) == DISPATCH_SHARDS + 1
    assert shard_keys("assign", 0) == ["assign", "assign#00"]
    assert shard_keys("assign", 7) == ["assign#07"]
    assert sorted(k for n in range(DISPATCH_SHARDS) for k in shard_keys("assign", n)) == sorted(everything)


@given(
    now=moments,
    after=st.integers(min_value=1, max_value=7 * 24 * 60),
    held=st.lists(st.integers(min_value=-10_000, max_value=0), max_size=5),
    again=st.lists(st.integers(min_value=0, max_value=10_000), max_size=5),
)
def test_the_reclaim_stamp_is_never_later_than_any_lead_seen_can_be_due(
    now: datetime, after: int, held: list[int], again: list[int]
) -> None:
    reclaim_after = timedelta(minutes=after)
    idle_since = [now + timedelta(minutes=m) for m in held]
    due_again = [now + timedelta(minutes=m) for m in again]
    stamp = next_reclaim_check(now, reclaim_after, idle_since, due_again)
    # nothing seen: no due moment (leads held later are the probes' business); else never before now,
    # and never later than a lead already held or a lead left to look at again
    if not held and not again:
        assert stamp is None
        return
    assert stamp is not None and stamp >= now
    assert all(stamp <= since + reclaim_after or stamp == now for since in idle_since)
    assert all(stamp <= at or stamp == now for at in due_again)


def test_the_stamp_is_exactly_the_earliest_candidate() -> None:
    stamp = next_reclaim_check(
        NOW, timedelta(minutes=30), [NOW - timedelta(minutes=20)], [NOW + timedelta(minutes=25)]
    )
    assert stamp == NOW + timedelta(minutes=10)


def test_orders_are_one_per_due_rule_and_unrouted_scopes_in_chunks() -> None:
    plan = TickPlan(action="assign", due=[rule("r1"), rule("r2")])
    plan.unrouted = [
        UnroutedScope(tenant_id=TENANT, scope_key=f"pool#web#step#s{n}", reason="no_rule")
        for n in range(SCOPES_PER_ORDER + 1)
    ]
    orders = orders_of(plan, NOW)
    assert [o.kind for o in orders] == ["sweep", "sweep", "unrouted", "unrouted"]
    assert [len(o.scopes) for o in orders if isinstance(o, UnroutedOrder)] == [SCOPES_PER_ORDER, 1]
    # …and each round-trips through the queue's JSON to the same order
    assert [ORDER.validate_json(o.model_dump_json()) for o in orders] == orders


def test_a_question_that_fails_sweeps_the_rule_anyway(
    moto_repo: Repository, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given two idle rules, and the due question failing for one of them
    seed(moto_repo, rule("r1", scope={"pool": "web", "step": "a"}))
    seed(moto_repo, rule("r2", scope={"pool": "web", "step": "b"}))
    real = moto_repo.has_due_lead

    def flaky(tenant_id: str, scope_key: str, queued_before: datetime) -> bool:
        if scope_key.endswith("#a"):
            raise TimeoutError("read timed out")
        return real(tenant_id, scope_key, queued_before)

    monkeypatch.setattr(moto_repo, "has_due_lead", flaky)
    plan = plan_tick(moto_repo, "assign", NOW)
    # Then the unanswered rule is ordered (a wasted sweep costs a lease write; a skipped one strands
    # leads) and the other is idle
    assert [r.rule_id for r in plan.due] == ["r1"] and plan.unchecked == ["r1"] and plan.idle == ["r2"]


def _order(rule_id: str = "r-web") -> SweepOrder:
    return SweepOrder(action="assign", tenant_id=TENANT, rule_id=rule_id, rule_version=1, dispatched_at=NOW)


def test_an_order_for_a_rule_gone_disabled_or_closed_sweeps_nothing(moto_repo: Repository) -> None:
    assert run_order(moto_repo, _order("missing"), sweep_due_leads, NOW, LEASE, "me") == "gone"
    seed(moto_repo, rule("r-off", active=False))
    assert run_order(moto_repo, _order("r-off"), sweep_due_leads, NOW, LEASE, "me") == "gone"
    seed(moto_repo, rule("r-later", window={"start": NOW + timedelta(hours=1)}))
    add_leads(moto_repo, 1)
    assert run_order(moto_repo, _order("r-later"), sweep_due_leads, NOW, LEASE, "me") == "closed"
    assert [x.status.value for x in moto_repo.tenant_leads(TENANT)] == ["pending"]


def test_an_order_near_the_end_of_the_invocation_is_left_to_the_next_tick(moto_repo: Repository) -> None:
    seed(moto_repo, rule())
    add_leads(moto_repo, 1)
    outcome = run_order(moto_repo, _order(), sweep_due_leads, NOW, LEASE, "me", time_left=lambda: 5.0)
    assert outcome == "no_time"
    assert [x.status.value for x in moto_repo.tenant_leads(TENANT)] == ["pending"]


def test_an_order_sweeps_the_rules_current_version(moto_repo: Repository) -> None:
    # Given an order of version 1, and the rule edited to version 2 since the tick
    seed(moto_repo, rule(version=2))
    add_leads(moto_repo, 2)
    report = run_order(moto_repo, _order(), sweep_due_leads, NOW + timedelta(seconds=1), LEASE, "me")
    assert not isinstance(report, str) and report.rule_version == 2 and report.assigned == 2  # type: ignore[union-attr]


def test_the_check_threads_fit_the_data_layers_connection_pool() -> None:
    # more threads than connections would make urllib3 discard connections on every tick
    assert dispatch.CHECK_THREADS <= 16


def test_planning_a_tick_never_rebuilds_a_rotation_cycle(
    moto_repo: Repository, monkeypatch: pytest.MonkeyPatch
) -> None:
    from leadrouter.domain import rules as rules_module

    seed(moto_repo, rule(weights={"A": 3, "B": 4, "C": 5}))
    monkeypatch.setattr(rules_module, "build_cycle", lambda weights: pytest.fail("cycle rebuilt"))
    assert plan_tick(moto_repo, "assign", NOW).idle == ["r-web"]
