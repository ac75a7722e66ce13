"""Who may take a lead now: status, leave and shifts in the staff member's own time zone, caps."""

from __future__ import annotations

from datetime import UTC, date, datetime

from leadrouter.domain import eligibility as el
from leadrouter.domain.models import Rule
from leadrouter.domain.precedence import rules_in_charge
from tests.support.builders import NOW, rule, staff


def test_reasons_in_order_of_severity() -> None:
    assert el.unavailability(None, NOW) == el.UNKNOWN
    assert el.unavailability(staff("A", active=False, paused=True), NOW) == el.INACTIVE
    assert el.unavailability(staff("A", paused=True), NOW) == el.PAUSED
    assert el.unavailability(staff("A"), NOW) is None


def test_leave_and_shifts_use_the_staff_time_zone() -> None:
    # 23:30 UTC on Monday 23 Nov is 06:30 on Tuesday 24 Nov in Ho Chi Minh City
    late_utc = datetime(2026, 11, 23, 23, 30, tzinfo=UTC)
    on_leave_tuesday = staff("A", leave_dates=[date(2026, 11, 24)])
    assert el.unavailability(on_leave_tuesday, late_utc) == el.ON_LEAVE
    office = staff("A", working_hours=[{"days": [1, 2, 3, 4, 5], "start": "08:00", "end": "17:30"}])
    assert el.unavailability(office, late_utc) == el.OFF_SHIFT  # 06:30 local
    assert el.unavailability(office, NOW) is None  # 09:00 local Tuesday
    saturday_9am_local = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)
    assert el.unavailability(office, saturday_9am_local) == el.OFF_SHIFT


def test_unavailable_staff_lists_only_those_out() -> None:
    members = {"A": staff("A"), "B": staff("B", paused=True)}
    assert el.unavailable_staff(["A", "B", "Z"], members, NOW) == {"B": el.PAUSED, "Z": el.UNKNOWN}


def test_caps_bind_the_tighter_limit() -> None:
    capped = staff("A", max_open_leads=10, max_leads_per_day=5)
    assert el.remaining_capacity(capped, open_leads=8, assigned_today=1) == (2, el.OPEN_CAP)
    assert el.remaining_capacity(capped, open_leads=0, assigned_today=5) == (0, el.DAILY_CAP)
    assert el.remaining_capacity(staff("B"), 100, 100) is None


def test_day_starts_at_local_midnight() -> None:
    assert el.local_day_start(staff("A"), NOW) == datetime(2026, 11, 23, 17, 0, tzinfo=UTC)


def _with(rule_id: str, priority: int = 0, **scope: str) -> Rule:
    return rule(rule_id, scope=scope or {"pool": "web", "step": "new"}, priority=priority)


def test_one_rule_in_charge_per_scope_highest_priority_first() -> None:
    low, high = _with("r-1", 1), _with("r-2", 5)
    other_scope = _with("r-3", campaign="tet")
    in_charge, shadowed = rules_in_charge([low, high, other_scope])
    assert {r.rule_id for r in in_charge} == {"r-2", "r-3"}
    assert [r.rule_id for r in shadowed] == ["r-1"]
    # On a tie the older (lower, time-ordered) id wins
    in_charge, shadowed = rules_in_charge([_with("r-9"), _with("r-4")])
    assert [r.rule_id for r in in_charge] == ["r-4"]
