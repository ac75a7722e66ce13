"""When a reclaim rule is swept, probed or left idle (pure), and the plan that follows from its listed
stamp (moto)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from leadrouter.data.repository import Repository
from leadrouter.domain.dispatch import (
    TICK,
    ReclaimStamp,
    SweepOrder,
    is_probe_tick,
    probe_window,
    reclaim_action,
)
from leadrouter.domain.rules import RuleKind
from leadrouter.logic.routing.assign import sweep_due_leads
from leadrouter.logic.routing.dispatch import TickPlan, orders_of, plan_tick, run_order
from leadrouter.logic.routing.reclaim import sweep_idle_leads
from leadrouter.logic.routing.scheduled import scheduled_at
from tests.support.builders import NOW, TENANT, add_leads, rule, seed, staff
from tests.support.ticks import run_sweeps

LEASE = timedelta(minutes=3)
REV = 3
moments = st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 1, 1), timezones=st.just(UTC))


def _minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)


def _probe_finds(stamp: ReclaimStamp, tick_at: datetime, idle_since: datetime, after: timedelta) -> bool:
    """What ``probe_finds_held`` answers for one lead idle since ``idle_since`` (its range, unread)."""
    since, until = probe_window(tick_at, after)
    if stamp.next_due is not None:
        until = min(until, stamp.next_due - after - timedelta(microseconds=1))
    return since <= idle_since <= until


@given(
    held_at=moments,
    after=st.integers(min_value=1, max_value=24 * 60),
    stamped_due=st.none() | st.integers(min_value=0, max_value=3 * 24 * 60),
    written_after=st.integers(min_value=0, max_value=14 * 60),
)
def test_a_lead_held_after_the_stamp_is_swept_by_the_first_tick_after_it_can_be_due(
    held_at: datetime, after: int, stamped_due: int | None, written_after: int
) -> None:
    # Given a rule stamped before a lead became held (assigned, reassigned or cared for) at
    # ``idle_since``, its write landing up to 14 minutes later (a long sweep), possibly with a lead seen
    # earlier due at ``stamped_due``
    reclaim_after = timedelta(minutes=after)
    idle_since = held_at
    visible = held_at + timedelta(seconds=written_after)
    due = None if stamped_due is None else held_at + timedelta(minutes=stamped_due)
    stamp = ReclaimStamp(rule_rev=REV, swept_at=held_at - timedelta(hours=1), next_due=due)
    deadline = idle_since + reclaim_after
    first_after_deadline = _minute(deadline) + (TICK if deadline > _minute(deadline) else timedelta(0))
    # When the minute ticks run from the one before the lead was held
    tick, covered = _minute(held_at), None
    while tick <= first_after_deadline + timedelta(minutes=written_after // 60 + 1):
        action = reclaim_action(stamp, REV, reclaim_after, tick, tick)
        if action == "sweep" or (
            action == "probe" and tick >= visible and _probe_finds(stamp, tick, idle_since, reclaim_after)
        ):
            covered = tick
            break
        tick += TICK
    # Then the rule is swept (and the lead's due moment stamped) no later than the first tick after the
    # lead can be due, unless the write itself landed after that (then on the first probe after it)
    assert covered is not None
    if visible <= idle_since:
        assert covered <= first_after_deadline


@given(tick_at=moments, after=st.integers(min_value=1, max_value=3 * 24 * 60))
def test_each_probe_point_falls_in_exactly_one_minute_tick(tick_at: datetime, after: int) -> None:
    reclaim_after = timedelta(minutes=after)
    ticks = [_minute(tick_at) + n * TICK for n in range(1 - after, 1)]
    probes = [t for t in ticks if is_probe_tick(t, reclaim_after)]
    # any R consecutive minute ticks hold exactly one probe point, and it looks back over two windows
    assert len(probes) == 1
    since, until = probe_window(probes[0], reclaim_after)
    assert until == probes[0] and since <= probes[0] - 2 * reclaim_after


def test_without_a_stamp_for_this_revision_or_once_a_seen_lead_can_be_due_the_rule_is_swept() -> None:
    after = timedelta(minutes=30)
    quiet = NOW + timedelta(minutes=7)  # 09:07: not a probe point of a 30-minute rule
    none_held = ReclaimStamp(rule_rev=REV, swept_at=NOW, next_due=None)
    held = ReclaimStamp(rule_rev=REV, swept_at=NOW, next_due=NOW + timedelta(minutes=12))
    assert reclaim_action(None, REV, after, quiet, quiet) == "sweep"
    assert reclaim_action(none_held, REV + 1, after, quiet, quiet) == "sweep"  # edited, enabled again
    assert reclaim_action(none_held, REV, after, quiet, quiet, opened_this_tick=True) == "sweep"
    assert reclaim_action(none_held, REV, after, quiet, quiet) == "idle"
    assert reclaim_action(held, REV, after, quiet, quiet) == "idle"
    assert reclaim_action(held, REV, after, NOW + timedelta(minutes=12), quiet) == "sweep"
    assert reclaim_action(
        none_held, REV, after, NOW + timedelta(minutes=30), NOW + timedelta(minutes=30)
    ) == ("probe")


def test_a_stamped_rule_is_probed_once_per_window_and_otherwise_costs_no_question(
    moto_repo: Repository,
) -> None:
    # Given a 30-minute reclaim rule swept once (nothing held: stamped "none")
    seed(moto_repo, rule("r-back", weights={"A": 1}, kind=RuleKind.RECLAIM, reclaim_after_minutes=30))
    assert len(run_sweeps(moto_repo, "reclaim", sweep_idle_leads, NOW, LEASE).swept) == 1
    # When the next 30 ticks are planned
    plans = {m: plan_tick(moto_repo, "reclaim", NOW + timedelta(minutes=m)) for m in range(1, 31)}
    # Then it is idle on every one but the probe point, where it is probed (not swept)
    assert [m for m, p in plans.items() if p.idle == ["r-back"]] == list(range(1, 30))
    probe = plans[30]
    assert probe.due == [] and [p.rule.rule_id for p in probe.probed] == ["r-back"]
    (order,) = orders_of(probe, NOW + timedelta(minutes=30))
    assert isinstance(order, SweepOrder)
    assert order.probe_since == NOW + timedelta(minutes=30) - 2 * timedelta(minutes=30) - timedelta(
        minutes=15
    )
    assert order.known_due is None


def test_a_tick_counts_probe_points_on_the_schedules_own_time() -> None:
    late = datetime(2026, 12, 7, 17, 1, 3, tzinfo=UTC)  # the 17:00 tick, run 63 s late
    assert scheduled_at({"scheduled_time": "2026-12-07T17:00:00Z"}, late) == datetime(
        2026, 12, 7, 17, 0, tzinfo=UTC
    )
    # without the Scheduler's time (a hand-made event), the minute it runs in
    assert scheduled_at({"action": "reclaim"}, late) == datetime(2026, 12, 7, 17, 1, tzinfo=UTC)
    assert scheduled_at({"scheduled_time": "<aws.scheduler.scheduled-time>"}, late).second == 0


def test_a_probe_that_finds_a_lead_it_cannot_sweep_yet_has_the_rule_swept_from_the_next_tick(
    moto_repo: Repository,
) -> None:
    # Given a reclaim rule stamped at 09:00 with nothing held, then a lead assigned to A at 09:07
    seed(moto_repo, rule("r-assign", weights={"A": 1}), [staff("A"), staff("B")])
    seed(moto_repo, rule("r-back", weights={"B": 1}, kind=RuleKind.RECLAIM, reclaim_after_minutes=30))
    run_sweeps(moto_repo, "reclaim", sweep_idle_leads, NOW, LEASE)
    add_leads(moto_repo, 1, received_at=NOW + timedelta(minutes=7))
    run_sweeps(moto_repo, "assign", sweep_due_leads, NOW + timedelta(minutes=7), LEASE)
    # When the 09:30 probe finds it while another sweep holds the rule's lease
    at = NOW + timedelta(minutes=30)
    back = moto_repo.get_rule(TENANT, "r-back")
    assert back is not None and moto_repo.acquire_lease(back, "other", at, LEASE, timedelta(0)) is not None
    plan = plan_tick(moto_repo, "reclaim", at)
    (order,) = orders_of(plan, at)
    assert isinstance(order, SweepOrder)
    assert run_order(moto_repo, order, sweep_idle_leads, at, LEASE, "me") == "busy"
    # Then the rule is swept on the next tick (not left to the 10:00 probe, after the lead is due)
    assert [r.rule_id for r in plan_tick(moto_repo, "reclaim", at + timedelta(minutes=1)).due] == ["r-back"]


def test_a_one_shot_order_out_of_time_has_the_rule_swept_from_the_next_tick(moto_repo: Repository) -> None:
    # Given a reclaim rule stamped with nothing held, and its window-opening order (one shot)
    seed(moto_repo, rule("r-back", weights={"A": 1}, kind=RuleKind.RECLAIM, reclaim_after_minutes=30))
    run_sweeps(moto_repo, "reclaim", sweep_idle_leads, NOW, LEASE)
    back = moto_repo.get_rule(TENANT, "r-back")
    assert back is not None
    at = NOW + timedelta(minutes=7)
    (order,) = orders_of(TickPlan(action="reclaim", due=[back], opened=["r-back"]), at)
    assert isinstance(order, SweepOrder) and order.one_shot
    # When the sweeper is nearly out of time
    assert run_order(moto_repo, order, sweep_idle_leads, at, LEASE, "me", time_left=lambda: 5.0) == "no_time"
    # Then the next tick sweeps it (no later tick would have ordered it by itself)
    assert [r.rule_id for r in plan_tick(moto_repo, "reclaim", at + timedelta(minutes=1)).due] == ["r-back"]
