"""Pause history: recorded by the server when ``paused`` changes, read-only to clients — on moto."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from leadrouter.clock import to_iso
from leadrouter.data.repository import Repository
from leadrouter.domain.leads import LeadStatus
from leadrouter.domain.rules import RuleKind
from leadrouter.domain.staff import MAX_PAUSES, Pause, StaffMember
from leadrouter.logic.admin.staff import PAUSE_HISTORY, pause_history
from leadrouter.logic.routing.assign import sweep_due_leads
from leadrouter.logic.routing.reclaim import sweep_idle_leads
from tests.support.api import call_as, config_items, frozen_api_clock
from tests.support.builders import NOW, TENANT, add_leads, rule, seed, staff
from tests.support.ticks import run_sweeps

LEASE = timedelta(minutes=3)
ASSIGNED_AT = NOW + timedelta(seconds=1)


@pytest.fixture
def api_clock(monkeypatch: pytest.MonkeyPatch) -> dict[str, datetime]:
    """The API's clock, set by each test: the pauses it records are stamped with it."""
    return frozen_api_clock(monkeypatch, NOW)


@pytest.fixture
def member_a(moto_repo: Repository) -> Repository:
    moto_repo.put_staff(staff("A"))
    return moto_repo


def _pauses(body: dict[str, Any]) -> list[tuple[str, str | None]]:
    return [(p["start"], p["end"]) for p in body["staff"]["pauses"]]


def _iso(moment: datetime) -> str:
    return to_iso(moment)


def _stored(repo: Repository) -> StaffMember:
    return repo.get_staff(TENANT, ["A"])["A"]


# ------------------------------------------------------------------ through the API
def test_pausing_opens_a_pause_and_unpausing_closes_it(member_a: Repository, api_clock) -> None:
    # Given A, never paused
    t1, t2, t3 = NOW, NOW + timedelta(minutes=40), NOW + timedelta(hours=3)
    # When the admin pauses A at t1
    api_clock["now"] = t1
    paused = call_as("PATCH", "/staff/A", {"paused": True})
    # Then an open pause from t1 is recorded, and shown
    assert paused.status == 200 and _pauses(paused.body) == [(_iso(t1), None)]
    # When A is unpaused at t2, then paused again at t3
    api_clock["now"] = t2
    unpaused = call_as("PATCH", "/staff/A", {"paused": False})
    assert _pauses(unpaused.body) == [(_iso(t1), _iso(t2))]
    api_clock["now"] = t3
    call_as("PATCH", "/staff/A", {"paused": True})
    # Then the first pause is closed at t2 and a new one is open from t3, as stored and as read back
    assert _stored(member_a).pauses == [Pause(start=t1, end=t2), Pause(start=t3)]
    assert [(p["start"], p["end"]) for p in call_as("GET", "/staff/A").body["pauses"]] == [
        (_iso(t1), _iso(t2)),
        (_iso(t3), None),
    ]


def test_sending_the_same_paused_value_again_records_nothing(member_a: Repository, api_clock) -> None:
    call_as("PATCH", "/staff/A", {"paused": True})
    rev = _stored(member_a).rev
    api_clock["now"] = NOW + timedelta(minutes=5)
    call_as("PATCH", "/staff/A", {"paused": True})
    call_as("PATCH", "/staff/A", {"max_open_leads": 4})  # another change keeps the history as it is
    stored = _stored(member_a)
    assert stored.pauses == [Pause(start=NOW)] and stored.rev == rev + 1
    call_as("PATCH", "/staff/A", {"paused": False})
    api_clock["now"] = NOW + timedelta(minutes=6)
    call_as("PATCH", "/staff/A", {"paused": False})
    assert _stored(member_a).pauses == [Pause(start=NOW, end=NOW + timedelta(minutes=5))]


def test_a_member_created_paused_has_an_open_pause_from_now(moto_repo: Repository, api_clock) -> None:
    paused = call_as("POST", "/staff", {"staff_id": "P", "name": "Lan", "paused": True})
    working = call_as("POST", "/staff", {"staff_id": "W", "name": "Minh"})
    assert paused.status == working.status == 201
    assert [(p["start"], p["end"]) for p in paused.body["pauses"]] == [(_iso(NOW), None)]
    assert working.body["pauses"] == []
    assert moto_repo.get_staff(TENANT, ["P"])["P"].pauses == [Pause(start=NOW)]


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("PATCH", "/staff/A", {"pauses": []}),
        ("PATCH", "/staff/A", {"paused": True, "pauses": [{"start": "2026-11-01T00:00:00Z"}]}),
        ("POST", "/staff", {"name": "Lan", "pauses": [{"start": "2026-11-01T00:00:00Z", "end": None}]}),
    ],
    ids=["patch clears", "patch sets", "create sets"],
)
def test_clients_cannot_write_the_pause_history(
    member_a: Repository, moto_tables: dict[str, str], method: str, path: str, body: dict[str, Any]
) -> None:
    # Given A with no pauses
    before = config_items(moto_tables)
    # When a body carries pauses
    reply = call_as(method, path, body)
    # Then it is a 422 naming the field, and nothing is written
    assert reply.status == 422 and "pauses" in {e["field"] for e in reply.body["errors"]}
    assert config_items(moto_tables) == before


def test_a_pause_through_the_api_stops_the_reclaim_clock_of_the_members_leads(
    moto_repo: Repository, api_clock
) -> None:
    # Given a lead A holds since ASSIGNED_AT (A works around the clock) and a 30-minute reclaim rule
    seed(moto_repo, rule("r-assign", weights={"A": 1}))
    (the_lead,) = add_leads(moto_repo, 1)
    run_sweeps(moto_repo, "assign", sweep_due_leads, ASSIGNED_AT, LEASE)
    seed(moto_repo, rule("r-reclaim", weights={"B": 1}, kind=RuleKind.RECLAIM, reclaim_after_minutes=30))
    # When A is paused from +10 to +70 minutes
    api_clock["now"] = ASSIGNED_AT + timedelta(minutes=10)
    call_as("PATCH", "/staff/A", {"paused": True})
    api_clock["now"] = ASSIGNED_AT + timedelta(minutes=70)
    call_as("PATCH", "/staff/A", {"paused": False})

    def owner_at(minutes: int) -> str | None:
        run_sweeps(moto_repo, "reclaim", sweep_idle_leads, ASSIGNED_AT + timedelta(minutes=minutes), LEASE)
        stored = moto_repo.get_lead(TENANT, the_lead.lead_id)
        assert stored is not None and stored.status == LeadStatus.ASSIGNED
        return stored.owner

    # Then A keeps the lead at +89 (29 working minutes) and loses it once 30 have passed
    assert owner_at(31) == "A" and owner_at(89) == "A"
    assert owner_at(91) == "B"


# ------------------------------------------------------------------ the history's bounds
def test_the_oldest_pauses_beyond_the_limit_are_dropped() -> None:
    # Given a member with MAX_PAUSES closed pauses, one an hour, all recent
    history = [
        Pause(start=NOW + timedelta(hours=i), end=NOW + timedelta(hours=i, minutes=30))
        for i in range(MAX_PAUSES)
    ]
    member = staff("A", pauses=history)
    later = NOW + timedelta(days=3)
    # When they are paused again
    pauses = pause_history(member, True, later)
    # Then the oldest is dropped and the new open pause is kept, last
    assert len(pauses) == MAX_PAUSES and pauses[0] == history[1] and pauses[-1] == Pause(start=later)


def test_pauses_that_ended_long_ago_are_dropped_and_an_open_one_is_never() -> None:
    # Given one pause that ended just over PAUSE_HISTORY ago, one just inside it, and one still open
    now = NOW + timedelta(days=90)
    old = Pause(
        start=now - PAUSE_HISTORY - timedelta(hours=2), end=now - PAUSE_HISTORY - timedelta(seconds=1)
    )
    recent = Pause(
        start=now - PAUSE_HISTORY - timedelta(hours=1), end=now - PAUSE_HISTORY + timedelta(seconds=1)
    )
    still_open = Pause(start=now - timedelta(days=80))
    member = staff("A", paused=True, pauses=[old, recent, still_open])
    # When the member is unpaused now
    pauses = pause_history(member, False, now)
    # Then the old pause is gone, the recent one kept, and the open one closed now
    assert pauses == [recent, Pause(start=still_open.start, end=now)]


def test_unpausing_a_member_paused_before_pauses_were_recorded_records_nothing() -> None:
    member = staff("A", paused=True)  # stored by older code: paused, no open pause
    assert pause_history(member, False, NOW) == []
