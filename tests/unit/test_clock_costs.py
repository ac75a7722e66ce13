"""What the working-time clocks cost a sweep: the tenant's calendar is read once per sweep that has
leads to judge, never by an idle rule; and while nobody can take a lead, the sweep stops reading at
the first lead that cannot escalate yet instead of paging through the whole backlog."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

import pytest

from leadrouter.data.repository import Repository
from leadrouter.domain.rules import RuleKind
from leadrouter.logic.routing.assign import sweep_due_leads
from leadrouter.logic.routing.reclaim import sweep_idle_leads
from tests.support.builders import NOW, add_leads, rule, seed, staff

OFFICE = [{"days": [1, 2, 3, 4, 5], "start": "08:00", "end": "17:00"}]
#: Monday 2026-12-07 19:00 in Ho Chi Minh City: after hours on an ordinary working day.
MONDAY_EVENING = NOW.replace(day=7, hour=12)


@pytest.fixture
def reads(moto_repo: Repository, monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Counts the repository's tenant reads and due-index pages."""
    counted: Counter[str] = Counter()
    for name in ("get_tenant", "due_leads", "idle_leads"):
        original = getattr(moto_repo, name)

        def spy(*args: Any, _original: Any = original, _name: str = name, **kwargs: Any) -> Any:
            counted[_name] += 1
            return _original(*args, **kwargs)

        monkeypatch.setattr(moto_repo, name, spy)
    return counted


def test_an_idle_rule_never_reads_the_calendar(moto_repo: Repository, reads: Counter[str]) -> None:
    # Given a rule with nothing due
    seed(moto_repo, rule(weights={"A": 1, "B": 1}), [staff("A", working_hours=OFFICE)])
    # When it is swept, by day and after hours
    for at in (NOW, MONDAY_EVENING):
        report = sweep_due_leads(moto_repo, moto_repo.active_rules("assign")[0], at)
        assert report.seen == 0
    # Then it queried its due index and read nothing else
    assert reads == Counter(due_leads=2)


def test_a_sweep_with_leads_reads_the_calendar_once(moto_repo: Repository, reads: Counter[str]) -> None:
    # Given 250 due leads (three pages) and staff who can take them
    the_rule = seed(moto_repo, rule(weights={"A": 1, "B": 1}))
    add_leads(moto_repo, 250, received_at=MONDAY_EVENING - timedelta(minutes=5))
    # When the rule is swept
    report = sweep_due_leads(moto_repo, the_rule, MONDAY_EVENING)
    # Then every lead is assigned, and the tenant's calendar was read once for the three pages
    assert report.assigned == 250
    assert reads["due_leads"] == 3 and reads["get_tenant"] == 1


def test_an_after_hours_backlog_is_not_paged_through(moto_repo: Repository, reads: Counter[str]) -> None:
    # Given office staff and 250 leads that arrived after hours (nobody can take them, none can escalate)
    office = [staff(s, working_hours=OFFICE) for s in ("A", "B")]
    the_rule = seed(moto_repo, rule(weights={"A": 1, "B": 1}), office)
    add_leads(moto_repo, 250, received_at=MONDAY_EVENING - timedelta(minutes=30))
    # When the rule is swept at 19:00
    report = sweep_due_leads(moto_repo, the_rule, MONDAY_EVENING)
    # Then the first page showed that nothing can change tonight: one page read, nothing written
    assert reads["due_leads"] == 1 and report.seen == 100
    assert report.assigned == report.escalated == 0 and report.waiting == 100 and report.complete


def test_an_idle_reclaim_rule_never_reads_the_calendar(moto_repo: Repository, reads: Counter[str]) -> None:
    # Given a reclaim rule with no idle lead
    reclaim = rule(kind=RuleKind.RECLAIM, weights={"A": 1, "B": 1}, reclaim_after_minutes=30)
    the_rule = seed(moto_repo, reclaim)
    # When it is swept
    report = sweep_idle_leads(moto_repo, the_rule, MONDAY_EVENING)
    # Then only the owner index was queried: once per staff member who could hold a lead (A, B)
    assert report.seen == 0 and reads == Counter(idle_leads=2)
