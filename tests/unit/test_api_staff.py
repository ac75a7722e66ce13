"""/staff: create, read, list, update; deactivation puts open leads back into rotation — on moto."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

import pytest

from leadrouter.api.routes import staff as staff_routes
from leadrouter.data.repository import Repository
from leadrouter.domain.leads import LeadStatus
from leadrouter.logic.routing.assign import sweep_due_leads
from tests.support.api import ADMIN, call_as, claims, config_items
from tests.support.builders import NOW, TENANT, add_leads, rule, seed, staff
from tests.support.ticks import run_sweeps

OTHER = "globex"
STAFF_A = claims("staff", staff_id="A")
TEAM_LEAD = claims("team_lead", staff_id="L", team="north")


def _sweep(repo: Repository, at):
    return run_sweeps(repo, "assign", sweep_due_leads, at, timedelta(minutes=3))


@pytest.fixture
def people(moto_repo: Repository) -> Repository:
    """Acme has A and B; globex has its own Z."""
    moto_repo.put_staff(staff("A", team="north"))
    moto_repo.put_staff(staff("B", team="south"))
    moto_repo.put_staff(staff("Z", tenant_id=OTHER))
    return moto_repo


# ------------------------------------------------------------------ create
def test_create_stores_the_member_in_the_callers_tenant(moto_repo: Repository) -> None:
    # Given an admin of acme
    body = {
        "staff_id": "A",
        "name": "Nguyễn Thị Lan",
        "team": "north",
        "max_open_leads": 20,
        "working_hours": [{"days": [1, 2, 3, 4, 5], "start": "08:00", "end": "17:30"}],
        "leave_dates": ["2026-12-24"],
    }
    # When they create a staff member
    reply = call_as("POST", "/staff", body)
    # Then it is stored in acme with the given fields and the defaults
    assert reply.status == 201 and reply.body["tenant_id"] == TENANT
    stored = moto_repo.get_staff(TENANT, ["A"])["A"]
    assert stored.name == "Nguyễn Thị Lan" and stored.max_open_leads == 20 and stored.active
    assert stored.time_zone == "Asia/Ho_Chi_Minh" and stored.working_hours[0].days == [1, 2, 3, 4, 5]
    assert moto_repo.get_staff(OTHER, ["A"]) == {}


def test_create_without_an_id_generates_one(moto_repo: Repository) -> None:
    reply = call_as("POST", "/staff", {"name": "Lan"})
    assert reply.status == 201 and reply.body["staff_id"].startswith("S")
    assert call_as("GET", f"/staff/{reply.body['staff_id']}").body["name"] == "Lan"


def test_create_with_a_taken_id_is_409_and_keeps_the_original(people: Repository) -> None:
    reply = call_as("POST", "/staff", {"staff_id": "A", "name": "Impostor"})
    assert reply.status == 409
    assert people.get_staff(TENANT, ["A"])["A"].name == "Staff A"


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({}, {"name"}),
        ({"name": "Lan", "tenant_id": OTHER}, {"tenant_id"}),
        ({"name": "Lan", "time_zone": "Mars/Olympus"}, {"time_zone"}),
        ({"name": "Lan", "max_open_leads": 0}, {"max_open_leads"}),
        ({"name": "Lan", "active": "maybe"}, {"active"}),
        ({"name": "Lan", "working_hours": [{"start": "18:00", "end": "09:00"}]}, {"working_hours.0.end"}),
        ({"name": "Lan", "working_hours": [{"days": [8], "start": "08:00", "end": "09:00"}]},
         {"working_hours.0.days.0"}),
        ({"name": "Lan", "leave_dates": ["someday"]}, {"leave_dates.0"}),
        ({"staff_id": "bad id!", "name": 7, "colour": "red"}, {"staff_id", "name", "colour"}),
    ],
)  # fmt: skip
def test_invalid_staff_is_422_naming_every_field_and_writes_nothing(
    moto_repo: Repository, moto_tables: dict[str, str], body: dict[str, Any], fields: set[str]
) -> None:
    # Given the config table as it is
    before = config_items(moto_tables)
    # When an admin posts a staff member wrong in the given fields
    reply = call_as("POST", "/staff", body)
    # Then 422 names exactly those fields, and nothing was written
    assert reply.status == 422, reply.body
    assert {e["field"] for e in reply.body["errors"]} == fields
    assert config_items(moto_tables) == before


def test_malformed_json_is_422(moto_repo: Repository, moto_tables: dict[str, str]) -> None:
    before = config_items(moto_tables)
    reply = call_as("POST", "/staff", raw_body="[not json")
    assert reply.status == 422 and reply.body["errors"][0]["field"] == "body"
    assert config_items(moto_tables) == before


# ------------------------------------------------------------------ read
def test_admins_and_team_leads_list_their_tenants_staff(people: Repository) -> None:
    for who in (ADMIN, TEAM_LEAD):
        reply = call_as("GET", "/staff", who=who)
        assert reply.status == 200 and [m["staff_id"] for m in reply.body["items"]] == ["A", "B"]


def test_staff_read_only_themselves(people: Repository) -> None:
    # Given staff member A's token
    # When A reads themselves, B, and the list
    own = call_as("GET", "/staff/A", who=STAFF_A)
    # Then only their own profile is readable
    assert own.status == 200 and own.body["staff_id"] == "A"
    assert call_as("GET", "/staff/B", who=STAFF_A).status == 403
    assert call_as("GET", "/staff", who=STAFF_A).status == 403


def test_another_tenants_or_an_unknown_staff_id_is_404(people: Repository) -> None:
    assert call_as("GET", "/staff/Z").status == 404
    assert call_as("GET", "/staff/nobody").status == 404
    impossible = call_as("GET", f"/staff/{'x' * 2000}")  # could never have been created: a 422 naming it
    assert impossible.status == 422 and [e["field"] for e in impossible.body["errors"]] == ["staff_id"]
    assert call_as("GET", "/staff/B", who=TEAM_LEAD).body["team"] == "south"


# ------------------------------------------------------------------ update
def test_patch_changes_only_the_fields_given(people: Repository) -> None:
    # Given A with no caps
    # When the admin pauses A, sets caps, shifts, leave and a time zone
    patch = {
        "paused": True,
        "max_open_leads": 5,
        "max_leads_per_day": 12,
        "working_hours": [{"start": "08:00", "end": "12:00"}, {"start": "13:00", "end": "17:00"}],
        "leave_dates": ["2026-12-31"],
        "time_zone": "Asia/Bangkok",
    }
    reply = call_as("PATCH", "/staff/A", patch)
    # Then those change, the rest stays, and nothing was released (pausing keeps leads)
    assert reply.status == 200 and reply.body["released_leads"] == 0
    stored = people.get_staff(TENANT, ["A"])["A"]
    assert stored.paused and (stored.max_open_leads, stored.max_leads_per_day) == (5, 12)
    assert len(stored.working_hours) == 2 and stored.time_zone == "Asia/Bangkok"
    assert stored.name == "Staff A" and stored.team == "north" and stored.active
    # …and null clears a cap and the team
    cleared = call_as("PATCH", "/staff/A", {"max_open_leads": None, "team": None, "name": "An"}).body["staff"]
    assert (cleared["max_open_leads"], cleared["team"], cleared["name"]) == (None, None, "An")
    assert cleared["max_leads_per_day"] == 12


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"name": None}, {"name"}),
        ({"active": None}, {"active"}),
        ({"max_open_leads": -1, "time_zone": "Nowhere/City"}, {"max_open_leads", "time_zone"}),
        ({"staff_id": "B"}, {"staff_id"}),
        ({"tenant_id": OTHER, "paused": "often"}, {"tenant_id", "paused"}),
    ],
)
def test_invalid_patch_is_422_and_writes_nothing(
    people: Repository, moto_tables: dict[str, str], body: dict[str, Any], fields: set[str]
) -> None:
    before = config_items(moto_tables)
    reply = call_as("PATCH", "/staff/A", body)
    assert reply.status == 422, reply.body
    assert {e["field"] for e in reply.body["errors"]} == fields
    assert config_items(moto_tables) == before


@pytest.mark.parametrize(
    ("who", "path", "status"),
    [(None, "/staff/A", 401), (STAFF_A, "/staff/A", 403), (TEAM_LEAD, "/staff/A", 403),
     (ADMIN, "/staff/Z", 404), (ADMIN, "/staff/nobody", 404)],
)  # fmt: skip
def test_patch_refusals_write_nothing(
    people: Repository, moto_tables: dict[str, str], who: dict[str, str] | None, path: str, status: int
) -> None:
    before = config_items(moto_tables)
    assert call_as("PATCH", path, {"active": False}, who=who).status == status
    assert config_items(moto_tables) == before


@pytest.mark.parametrize(("who", "status"), [(None, 401), (STAFF_A, 403), (TEAM_LEAD, 403)])
def test_only_admins_create_staff(moto_repo: Repository, who: dict[str, str] | None, status: int) -> None:
    assert call_as("POST", "/staff", {"staff_id": "N", "name": "New"}, who=who).status == status
    assert moto_repo.get_staff(TENANT, ["N"]) == {}


# ------------------------------------------------------------------ deactivation never strands leads
def test_deactivating_an_owner_releases_their_leads_and_the_next_tick_reassigns_them(
    moto_repo: Repository, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the API's clock reads NOW + 30 s
    monkeypatch.setattr(staff_routes, "now", lambda: NOW + timedelta(seconds=30))
    # …and A, B, C on a round-robin rule, with 9 leads split 3/3/3 by the assign sweep
    seed(moto_repo, rule(weights={"A": 1, "B": 1, "C": 1}))
    leads = add_leads(moto_repo, 9)
    _sweep(moto_repo, NOW + timedelta(seconds=1))
    held_by_a = [x.lead_id for x in leads if moto_repo.get_lead(TENANT, x.lead_id).owner == "A"]  # type: ignore[union-attr]
    assert len(held_by_a) == 3
    # When the admin deactivates A through the API
    reply = call_as("PATCH", "/staff/A", {"active": False})
    # Then the answer says 3 leads were released, and A is inactive
    assert reply.status == 200 and reply.body["released_leads"] == 3
    assert reply.body["staff"]["active"] is False
    # …each of A's leads is pending again, with a "released" decision naming A and the reason
    for lead_id in held_by_a:
        stored = moto_repo.get_lead(TENANT, lead_id)
        assert stored is not None and stored.status is LeadStatus.PENDING and stored.owner is None
        released = stored.decisions[-1]
        assert (released.action, released.previous_owner, released.reason) == (
            "released",
            "A",
            "owner_deactivated",
        )
        assert released.at == NOW + timedelta(seconds=30)
        # it keeps its place in the queue: the delay it already waited is not charged twice
        assert stored.queued_at == stored.received_at
    assert moto_repo.owner_leads(TENANT, "A") == []
    # When the next tick runs
    report = _sweep(moto_repo, NOW + timedelta(minutes=1))
    # Then they now belong to B and C, none to A, and the skip of A is on record
    assert report.totals()["assigned"] == 3
    owners = Counter(moto_repo.get_lead(TENANT, lid).owner for lid in held_by_a)  # type: ignore[union-attr]
    assert set(owners) <= {"B", "C"} and sum(owners.values()) == 3
    everyone = Counter(moto_repo.get_lead(TENANT, x.lead_id).owner for x in leads)  # type: ignore[union-attr]
    assert "A" not in everyone and sum(everyone.values()) == 9
    # …and the other staff's leads were never touched
    assert all(
        len(moto_repo.get_lead(TENANT, x.lead_id).decisions) == 1  # type: ignore[union-attr]
        for x in leads
        if x.lead_id not in held_by_a
    )


def test_pausing_does_not_release_and_deactivating_again_is_harmless(moto_repo: Repository) -> None:
    # Given A holds leads
    seed(moto_repo, rule(weights={"A": 1, "B": 1}))
    add_leads(moto_repo, 4)
    _sweep(moto_repo, NOW + timedelta(seconds=1))
    assert len(moto_repo.owner_leads(TENANT, "A")) == 2
    # When A is paused, A keeps them
    assert call_as("PATCH", "/staff/A", {"paused": True}).body["released_leads"] == 0
    assert len(moto_repo.owner_leads(TENANT, "A")) == 2
    # When A is deactivated, both go back; deactivating again finds nothing left
    assert call_as("PATCH", "/staff/A", {"active": False}).body["released_leads"] == 2
    assert call_as("PATCH", "/staff/A", {"active": False}).body["released_leads"] == 0
    # …and re-activating releases nothing either
    assert call_as("PATCH", "/staff/A", {"active": True}).body["released_leads"] == 0


def test_a_patch_built_on_a_stale_revision_is_409_and_writes_nothing(
    people: Repository, moto_tables: dict[str, str]
) -> None:
    # Given the admin read A at some revision, and someone saved A since
    read = call_as("GET", "/staff/A").body["rev"]
    assert call_as("PATCH", "/staff/A", {"max_open_leads": 3, "expected_revision": read}).status == 200
    before = config_items(moto_tables)
    # When the first edit is saved with the revision it read
    reply = call_as("PATCH", "/staff/A", {"paused": True, "expected_revision": read})
    # Then it is refused and A is as the other save left it
    assert reply.status == 409, reply.body
    assert config_items(moto_tables) == before
    stored = people.get_staff(TENANT, ["A"])["A"]
    assert not stored.paused and stored.max_open_leads == 3
