"""The assign sweep reads its next page while the current one is written, and works from base items:
a lead the (eventually consistent) index still lists after it changed never reaches a write.

moto is single-threaded here (``WRITE_CONCURRENCY`` is 1): the read-ahead is queued on the write pool
before the page's writes, so with one worker it runs first. The order of calls shows the pipelining
without any timing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from leadrouter.data.repository import Repository
from leadrouter.domain.leads import LeadStatus
from leadrouter.logic.routing.assign import sweep_due_leads
from tests.support.builders import NOW, TENANT, add_leads, rule, seed


def _record(repo: Repository, monkeypatch: pytest.MonkeyPatch, calls: list[str], *names: str) -> None:
    for name in names:
        original = getattr(repo, name)

        def spy(*args: Any, _original: Any = original, _name: str = name, **kwargs: Any) -> Any:
            calls.append(_name)
            return _original(*args, **kwargs)

        monkeypatch.setattr(repo, name, spy)


def _runs(calls: list[str]) -> list[tuple[str, int]]:
    """Consecutive calls of one name, counted: ["a", "a", "b"] → [("a", 2), ("b", 1)]."""
    runs: list[tuple[str, int]] = []
    for name in calls:
        if runs and runs[-1][0] == name:
            runs[-1] = (name, runs[-1][1] + 1)
        else:
            runs.append((name, 1))
    return runs


def test_the_next_page_is_read_before_the_current_page_is_written(
    moto_repo: Repository, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given 250 due leads (pages of 100, 100, 50) and staff who can take them
    the_rule = seed(moto_repo, rule(weights={"A": 1, "B": 1}))
    add_leads(moto_repo, 250)
    calls: list[str] = []
    _record(moto_repo, monkeypatch, calls, "due_leads", "assign_pending")
    # When the rule is swept
    report = sweep_due_leads(moto_repo, the_rule, NOW + timedelta(minutes=1))
    # Then every page after the first was read before the writes of the page ahead of it
    assert report.assigned == 250
    assert _runs(calls) == [
        ("due_leads", 2),
        ("assign_pending", 100),
        ("due_leads", 1),
        ("assign_pending", 150),
    ]


def test_a_lead_the_index_lists_after_it_was_assigned_is_not_written(
    moto_repo: Repository, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given two due leads, one of which was assigned meanwhile while a lagging index still lists both
    the_rule = seed(moto_repo, rule(weights={"A": 1}))
    first, second = add_leads(moto_repo, 2)
    sweep_due_leads(moto_repo, the_rule, NOW + timedelta(minutes=1))
    moto_repo.import_leads([second])  # the second is pending again; the first stays assigned
    monkeypatch.setattr(moto_repo, "_index_page", lambda **_: ([first.lead_id, second.lead_id], None))
    # When the due page is read
    page, _ = moto_repo.due_leads(TENANT, the_rule.scope.key, NOW + timedelta(minutes=2), 100)
    # Then only the lead still pending in the scope is on it, read from the table (not the index)
    assert [(x.lead_id, x.status) for x in page] == [(second.lead_id, LeadStatus.PENDING)]
