"""/rules: create, read, list, replace (new version), enable/disable, delete, preview — on moto."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

import pytest

from leadrouter.data.repository import Repository
from leadrouter.domain.rules import Rule
from leadrouter.logic.admin.rules import RuleFields
from leadrouter.logic.routing.assign import sweep_due_leads
from tests.support.api import call_as, claims, config_items
from tests.support.builders import NOW, TENANT, add_leads, rule, seed, staff
from tests.support.ticks import run_sweeps

OTHER = "globex"
SEED_CYCLE = ["C", "B", "A", "C", "B", "A", "C", "B", "C", "A", "B", "C"]


def _body(**fields: Any) -> dict[str, Any]:
    """A valid 3:4:5 draft for pool web / step new; ``fields`` override."""
    body: dict[str, Any] = {
        "name": "Web leads",
        "kind": "weighted",
        "scope": {"pool": "web", "step": "new"},
        "staff": [
            {"staff_id": "A", "weight": 3},
            {"staff_id": "B", "weight": 4},
            {"staff_id": "C", "weight": 5},
        ],
    }
    return body | fields


@pytest.fixture
def team(moto_repo: Repository) -> Repository:
    """Staff A, B, C (and D) exist in the caller's tenant; another tenant has its own rule."""
    for sid in "ABCD":
        moto_repo.put_staff(staff(sid))
    moto_repo.put_staff(staff("X", tenant_id=OTHER))
    moto_repo.create_rule(rule("r-theirs", weights={"X": 1}, tenant_id=OTHER))
    return moto_repo


def _sweep(repo: Repository, at=NOW + timedelta(seconds=1)):
    return run_sweeps(repo, "assign", sweep_due_leads, at, timedelta(minutes=3))


# ------------------------------------------------------------------ create
def test_create_stores_version_1_with_the_optimal_cycle_and_the_token_tenant(team: Repository) -> None:
    # Given an admin of tenant acme
    # When they create the seed's 3:4:5 rule
    reply = call_as("POST", "/rules", _body(rule_id="r-web"))
    # Then it is created as version 1 with the fairest cycle, in the caller's tenant
    assert reply.status == 201
    assert reply.body["rule_id"] == "r-web" and reply.body["version"] == 1
    assert reply.body["cycle"] == SEED_CYCLE and reply.body["tenant_id"] == TENANT
    stored = team.get_rule(TENANT, "r-web")
    assert stored is not None and stored.cycle == tuple(SEED_CYCLE) and stored.active
    assert team.get_rule(OTHER, "r-web") is None


def test_create_without_an_id_generates_one(team: Repository) -> None:
    # Given a draft without rule_id / When it is created
    reply = call_as("POST", "/rules", _body())
    # Then an R-prefixed id was generated and the rule can be read back by it
    rule_id = reply.body["rule_id"]
    assert reply.status == 201 and rule_id.startswith("R")
    assert call_as("GET", f"/rules/{rule_id}").body["name"] == "Web leads"


def test_create_with_a_taken_id_is_409_and_keeps_the_original(team: Repository) -> None:
    # Given rule r-web exists
    assert call_as("POST", "/rules", _body(rule_id="r-web")).status == 201
    # When another rule is created with the same id
    reply = call_as("POST", "/rules", _body(rule_id="r-web", name="Impostor"))
    # Then 409, and the original is untouched
    assert reply.status == 409
    assert team.get_rule(TENANT, "r-web").name == "Web leads"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("overrides", "fields"),
    [
        ({"staff": [{"staff_id": "A", "weight": 0}]}, {"staff.0.weight"}),
        ({"staff": [{"staff_id": "A", "weight": 1.5}]}, {"staff.0.weight"}),
        ({"staff": [{"staff_id": "A", "weight": "3"}]}, {"staff.0.weight"}),
        ({"staff": []}, {"staff"}),
        ({"staff": [{"staff_id": "A"}, {"staff_id": "A"}]}, {"staff"}),
        ({"kind": "fairish"}, {"kind"}),
        ({"kind": "round_robin"}, {"staff"}),  # weights 3:4:5 on a round-robin rule
        ({"kind": "reclaim"}, {"reclaim_after_minutes"}),
        ({"reclaim_after_minutes": 30}, {"reclaim_after_minutes"}),
        ({"delay_minutes": -1}, {"delay_minutes"}),
        ({"delay_minutes": "5"}, {"delay_minutes"}),
        ({"window": {"start": "2026-11-24T10:00:00Z", "end": "2026-11-24T09:00:00Z"}}, {"window.end"}),
        ({"window": {"start": "2026-11-24T10:00:00"}}, {"window.start"}),  # no time zone
        ({"scope": {"pool": "web"}}, {"scope"}),
        ({"scope": {"campaign": "tet", "pool": "web", "step": "new"}}, {"scope"}),
        ({"tenant_id": OTHER}, {"tenant_id"}),
        ({"version": 7, "cycle": ["A"]}, {"version", "cycle"}),
        (
            {"staff": [{"staff_id": "A", "weight": 1}, {"staff_id": "ghost", "weight": 1}]},
            {"staff.1.staff_id"},
        ),
        ({"staff": [{"staff_id": "X", "weight": 1}]}, {"staff.0.staff_id"}),  # another tenant's staff
        (
            {"kind": "nope", "delay_minutes": -5, "staff": [{"staff_id": "A", "weight": 0}], "colour": "red"},
            {"kind", "delay_minutes", "staff.0.weight", "colour"},
        ),
    ],
)
def test_invalid_rules_are_422_naming_every_field_and_write_nothing(
    team: Repository, moto_tables: dict[str, str], overrides: dict[str, Any], fields: set[str]
) -> None:
    # Given the config table as it is
    before = config_items(moto_tables)
    # When an admin posts a rule that is wrong in the given fields
    reply = call_as("POST", "/rules", _body(**overrides))
    # Then 422 names exactly those fields, and nothing was written
    assert reply.status == 422, reply.body
    assert {e["field"] for e in reply.body["errors"]} == fields
    assert all(e["message"] for e in reply.body["errors"])
    assert config_items(moto_tables) == before


def test_malformed_json_is_422_and_writes_nothing(team: Repository, moto_tables: dict[str, str]) -> None:
    before = config_items(moto_tables)
    reply = call_as("POST", "/rules", raw_body='{"name": "Web", ')
    assert reply.status == 422 and reply.body["errors"][0]["field"] == "body"
    assert config_items(moto_tables) == before


def test_weights_whose_cycle_is_too_long_to_store_are_422_on_staff(
    moto_repo: Repository, moto_tables: dict[str, str]
) -> None:
    # Given six staff with 64-character ids
    ids = [f"{n}{'s' * 63}" for n in range(6)]
    for sid in ids:
        moto_repo.put_staff(staff(sid))
    before = config_items(moto_tables)
    # When their weights are nearly coprime thousands (a cycle of ~6,000 long ids)
    members = [{"staff_id": sid, "weight": 1000 - n} for n, sid in enumerate(ids)]
    reply = call_as("POST", "/rules", _body(staff=members))
    # Then the rule is refused on `staff` (instead of DynamoDB failing with a 5xx), nothing written
    assert reply.status == 422
    assert [e["field"] for e in reply.body["errors"]] == ["staff"]
    assert config_items(moto_tables) == before


def test_the_request_model_keeps_the_rule_models_constraints() -> None:
    # Given the draft the API accepts and the domain rule it becomes
    draft = RuleFields.model_json_schema()
    domain = Rule.model_json_schema()
    # Then every field an admin may set is a Rule field with the same schema (limits, types, defaults)
    assert set(RuleFields.model_fields) == set(Rule.model_fields) - {
        "tenant_id",
        "rule_id",
        "version",
        "rev",
        "cycle",
    }
    for name, schema in draft["properties"].items():
        assert schema == domain["properties"][name], name


# ------------------------------------------------------------------ read
def test_list_and_get_show_only_the_callers_tenant(team: Repository) -> None:
    # Given a rule in acme (and r-theirs in globex)
    call_as("POST", "/rules", _body(rule_id="r-web"))
    # When acme's admin lists and reads
    listed = call_as("GET", "/rules")
    # Then only acme's rule is visible; globex's id is not found
    assert listed.status == 200 and [r["rule_id"] for r in listed.body["items"]] == ["r-web"]
    assert call_as("GET", "/rules/r-web").body["cycle"] == SEED_CYCLE
    assert call_as("GET", "/rules/r-theirs").status == 404
    assert call_as("GET", "/rules/missing").status == 404
    # an id that could never have been created is refused like a bad body field, before DynamoDB sees it
    impossible = call_as("GET", f"/rules/{'x' * 2000}")
    assert impossible.status == 422 and [e["field"] for e in impossible.body["errors"]] == ["rule_id"]


# ------------------------------------------------------------------ replace
def test_put_makes_a_new_version_whose_cycle_starts_at_slot_zero(team: Repository) -> None:
    # Given r-web (A:B = 1:1) has assigned 3 leads
    call_as("POST", "/rules", _body(rule_id="r-web", staff=[{"staff_id": "A"}, {"staff_id": "B"}]))
    old = add_leads(team, 3)
    _sweep(team)
    # When the admin replaces it with A:D = 1:2
    reply = call_as("PUT", "/rules/r-web", _body(staff=[{"staff_id": "A"}, {"staff_id": "D", "weight": 2}]))
    # Then it is version 2 with the new cycle
    assert reply.status == 200 and reply.body["version"] == 2
    assert Counter(reply.body["cycle"]) == {"A": 1, "D": 2}
    # …new leads are split from slot 0 of the new cycle, old ones keep version 1
    new = add_leads(team, 6, received_at=NOW + timedelta(minutes=1))
    _sweep(team, NOW + timedelta(minutes=2))
    stored = [team.get_lead(TENANT, x.lead_id) for x in new]
    assert Counter(s.owner for s in stored if s) == {"A": 2, "D": 4}
    assert {s.rule_version for s in stored if s} == {2}
    assert min(s.decisions[0].slot for s in stored if s and s.decisions[0].slot is not None) == 0
    assert {team.get_lead(TENANT, x.lead_id).rule_version for x in old} == {1}  # type: ignore[union-attr]


def test_put_keeps_a_disabled_rule_disabled_unless_told(team: Repository) -> None:
    # Given a disabled rule
    call_as("POST", "/rules", _body(rule_id="r-web"))
    call_as("POST", "/rules/r-web/disable")
    # When it is edited without `active`
    edited = call_as("PUT", "/rules/r-web", _body(name="Renamed"))
    # Then it stays disabled; saying active: true enables it
    assert edited.status == 200 and edited.body["active"] is False and edited.body["name"] == "Renamed"
    assert call_as("PUT", "/rules/r-web", _body(active=True)).body["active"] is True


def test_put_with_a_stale_expected_version_is_409_and_changes_nothing(team: Repository) -> None:
    # Given r-web is already at version 2
    call_as("POST", "/rules", _body(rule_id="r-web"))
    call_as("PUT", "/rules/r-web", _body(name="Second"))
    # When an admin who edited version 1 saves
    reply = call_as("PUT", "/rules/r-web", _body(name="Third", expected_version=1))
    # Then 409 and the stored rule is still version 2
    assert reply.status == 409
    stored = team.get_rule(TENANT, "r-web")
    assert stored is not None and (stored.version, stored.name) == (2, "Second")


def test_a_concurrent_save_in_between_is_409(team: Repository, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given r-web at version 1, and a second admin who saves version 2 right after we read version 1
    call_as("POST", "/rules", _body(rule_id="r-web"))
    stale = team.get_rule(TENANT, "r-web")
    assert stale is not None
    team.save_rule(stale, rule("r-web", weights={"A": 1, "B": 1}, version=2))
    monkeypatch.setattr(Repository, "get_rule", lambda self, tenant_id, rule_id: stale)
    # When our PUT (built on version 1) is saved
    reply = call_as("PUT", "/rules/r-web", _body(name="Mine"))
    # Then the conditional write refuses it: 409, and the other admin's version 2 stands
    assert reply.status == 409
    monkeypatch.undo()
    stored = team.get_rule(TENANT, "r-web")
    assert stored is not None and stored.version == 2 and stored.weights == {"A": 1, "B": 1}


def test_put_on_a_missing_or_foreign_rule_is_404_and_writes_nothing(
    team: Repository, moto_tables: dict[str, str]
) -> None:
    before = config_items(moto_tables)
    assert call_as("PUT", "/rules/missing", _body()).status == 404
    assert call_as("PUT", "/rules/r-theirs", _body()).status == 404
    assert config_items(moto_tables) == before


def test_invalid_put_is_422_and_the_rule_stays_at_its_version(team: Repository) -> None:
    call_as("POST", "/rules", _body(rule_id="r-web"))
    reply = call_as("PUT", "/rules/r-web", _body(rule_id="r-web", staff=[{"staff_id": "A", "weight": -1}]))
    assert reply.status == 422
    assert {e["field"] for e in reply.body["errors"]} == {"rule_id", "staff.0.weight"}
    assert team.get_rule(TENANT, "r-web").version == 1  # type: ignore[union-attr]


# ------------------------------------------------------------------ enable, disable, delete
def test_disable_stops_sweeps_and_enable_resumes_without_a_new_version(team: Repository) -> None:
    # Given r-web and two due leads
    call_as("POST", "/rules", _body(rule_id="r-web"))
    add_leads(team, 2)
    # When it is disabled, a tick sweeps nothing
    off = call_as("POST", "/rules/r-web/disable")
    assert off.status == 200 and off.body["active"] is False and off.body["version"] == 1
    assert _sweep(team).totals()["assigned"] == 0
    # When it is enabled again, the next tick assigns them, still with version 1
    on = call_as("POST", "/rules/r-web/enable")
    assert on.body["active"] is True and on.body["version"] == 1
    assert _sweep(team, NOW + timedelta(minutes=1)).totals()["assigned"] == 2


def test_delete_removes_the_rule_and_a_second_delete_is_404(team: Repository) -> None:
    call_as("POST", "/rules", _body(rule_id="r-web"))
    reply = call_as("DELETE", "/rules/r-web")
    assert reply.status == 204 and reply.body is None
    assert team.get_rule(TENANT, "r-web") is None
    assert call_as("DELETE", "/rules/r-web").status == 404


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/rules/r-theirs"), ("POST", "/rules/r-theirs/enable"), ("POST", "/rules/r-theirs/disable"),
     ("DELETE", "/rules/r-theirs"), ("DELETE", "/rules/missing"), ("POST", "/rules/missing/enable")],
)  # fmt: skip
def test_another_tenants_rule_is_404_and_untouched(
    team: Repository, moto_tables: dict[str, str], method: str, path: str
) -> None:
    before = config_items(moto_tables)
    assert call_as(method, path).status == 404
    assert config_items(moto_tables) == before
    assert team.get_rule(OTHER, "r-theirs") is not None


# ------------------------------------------------------------------ who may call
ROUTES = [
    ("POST", "/rules", _body(rule_id="r-new")),
    ("POST", "/rules/preview", _body()),
    ("GET", "/rules", None),
    ("GET", "/rules/r-web", None),
    ("PUT", "/rules/r-web", _body(name="Hijacked")),
    ("POST", "/rules/r-web/enable", None),
    ("POST", "/rules/r-web/disable", None),
    ("DELETE", "/rules/r-web", None),
]


@pytest.mark.parametrize(("method", "path", "body"), ROUTES)
@pytest.mark.parametrize(
    ("who", "status"),
    [(None, 401), (claims("staff", staff_id="A"), 403), (claims("team_lead", staff_id="D", team="t1"), 403)],
)
def test_only_admins_may_touch_rules_and_refusals_write_nothing(
    team: Repository,
    moto_tables: dict[str, str],
    method: str,
    path: str,
    body: Any,
    who: dict[str, str] | None,
    status: int,
) -> None:
    # Given r-web exists
    call_as("POST", "/rules", _body(rule_id="r-web"))
    before = config_items(moto_tables)
    # When someone without a token, or with a staff / team-lead token, calls a rules route
    reply = call_as(method, path, body, who=who)
    # Then 401 / 403, and nothing changed
    assert reply.status == status
    assert config_items(moto_tables) == before


def test_a_token_without_a_tenant_is_401(team: Repository) -> None:
    assert call_as("GET", "/rules", who={"sub": "u1", "custom:role": "admin"}).status == 401


# ------------------------------------------------------------------ preview
def test_preview_shows_the_next_assignees_and_their_shares_and_writes_nothing(
    team: Repository, moto_tables: dict[str, str]
) -> None:
    # Given the config table as it is
    before = config_items(moto_tables)
    # When an admin previews the 3:4:5 draft for 24 leads
    reply = call_as("POST", "/rules/preview", _body(count=24))
    # Then the next 24 assignees are two full cycles from slot 0, totals 6/8/10
    assert reply.status == 200
    preview = reply.body
    assert preview["assignees"] == SEED_CYCLE * 2 and preview["cycle_length"] == 12
    assert preview["totals"] == {"A": 6, "B": 8, "C": 10}
    # …the ideal shares are weight / W, and the worst prefix deviation is the optimum 7/12
    shares = {s["staff_id"]: (s["ideal_share_fraction"], s["ideal_in_preview"]) for s in preview["staff"]}
    assert shares == {"A": ("1/4", 6.0), "B": ("1/3", 8.0), "C": ("5/12", 10.0)}
    assert preview["max_prefix_deviation_fraction"] == "7/12"
    assert preview["max_prefix_deviation"] == pytest.approx(7 / 12)
    # …and nothing was written (no rule, no counter)
    assert config_items(moto_tables) == before


def test_preview_defaults_to_24_and_handles_a_partial_cycle(team: Repository) -> None:
    assert len(call_as("POST", "/rules/preview", _body()).body["assignees"]) == 24
    five = call_as("POST", "/rules/preview", _body(count=5)).body
    assert five["assignees"] == SEED_CYCLE[:5] and five["totals"] == {"A": 1, "B": 2, "C": 2}


@pytest.mark.parametrize(
    ("overrides", "fields"),
    [
        ({"count": 0}, {"count"}),
        ({"count": 1001}, {"count"}),
        ({"count": "ten"}, {"count"}),
        ({"staff": [{"staff_id": "ghost", "weight": 2}]}, {"staff.0.staff_id"}),
        ({"kind": "round_robin"}, {"staff"}),
    ],
)
def test_invalid_previews_are_422_and_write_nothing(
    team: Repository, moto_tables: dict[str, str], overrides: dict[str, Any], fields: set[str]
) -> None:
    before = config_items(moto_tables)
    reply = call_as("POST", "/rules/preview", _body(**overrides))
    assert reply.status == 422 and {e["field"] for e in reply.body["errors"]} == fields
    assert config_items(moto_tables) == before


def test_seeded_rule_round_trips_through_get(moto_repo: Repository) -> None:
    # Given a rule stored by the engine's own seeding
    seed(moto_repo, rule())
    # When read through the API / Then it is the same rule
    reply = call_as("GET", "/rules/r-web")
    assert Rule.model_validate(reply.body) == moto_repo.get_rule(TENANT, "r-web")
