"""A rule costs bounded work. Cheap checks come before the cycle is built, Σweights
is capped with a clear 422, weights are reduced by their gcd, and a stored cycle is never rebuilt."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from leadrouter.data.repository import Repository
from leadrouter.domain import rules as rules_module
from leadrouter.domain.rules import MAX_CYCLE_SLOTS
from leadrouter.logic.routing.assign import sweep_due_leads
from tests.support.api import call_as
from tests.support.builders import NOW, TENANT, add_leads, rule, seed, staff
from tests.support.ticks import run_sweeps


@pytest.fixture
def no_cycle_building(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any call of the (expensive) cycle builder fails the test."""

    def forbidden(weights):
        raise AssertionError("the rotation cycle was built")

    monkeypatch.setattr(rules_module, "build_cycle", forbidden)


def _draft(staff_entries: list[dict[str, Any]], **fields: Any) -> dict[str, Any]:
    body = {
        "name": "Big",
        "kind": "weighted",
        "scope": {"pool": "web", "step": "new"},
        "staff": staff_entries,
    }
    return body | fields


def test_a_preview_with_unknown_staff_is_refused_before_any_cycle_is_built(
    moto_repo: Repository, no_cycle_building: None
) -> None:
    # Given 200 staff ids nobody created, with weights near 1,000 (the 7 KB request)
    entries = [{"staff_id": f"ghost-{i:03}", "weight": 997 - (i % 5)} for i in range(200)]
    # When it is previewed
    reply = call_as("POST", "/rules/preview", _draft(entries))
    # Then a 422 names each unknown member (and the oversized cycle), and no cycle was built
    assert reply.status == 422
    fields = {e["field"] for e in reply.body["errors"]}
    assert "staff" in fields and "staff.0.staff_id" in fields and "staff.199.staff_id" in fields


def test_weights_whose_cycle_is_too_long_are_a_422_naming_staff(
    moto_repo: Repository, no_cycle_building: None
) -> None:
    # Given six members with weights 1000, 999, …, 995 (Σ = 5985 slots, gcd 1)
    entries: list[dict[str, Any]] = [{"staff_id": s, "weight": 1000 - i} for i, s in enumerate("ABCDEF")]
    for sid in "ABCDEF":
        moto_repo.put_staff(staff(sid))
    # When an admin creates the rule / Then 422 names `staff`, says why, and nothing is stored
    reply = call_as("POST", "/rules", _draft(entries))
    assert reply.status == 422
    error = next(e for e in reply.body["errors"] if e["field"] == "staff")
    assert "5985 slots" in error["message"] and str(MAX_CYCLE_SLOTS) in error["message"]
    assert moto_repo.list_rules(TENANT) == []


def test_weights_are_reduced_by_their_gcd(moto_repo: Repository) -> None:
    for sid in "ABC":
        moto_repo.put_staff(staff(sid))
    entries = [{"staff_id": s, "weight": w} for s, w in zip("ABC", (300, 400, 500), strict=True)]
    reply = call_as("POST", "/rules", _draft(entries, rule_id="r-big"))
    assert reply.status == 201 and len(reply.body["cycle"]) == 12


def test_loading_and_sweeping_a_stored_rule_never_rebuilds_its_cycle(
    moto_repo: Repository, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a stored rule and due leads
    seed(moto_repo, rule())
    add_leads(moto_repo, 12)
    # When the rule is read, listed and swept with the cycle builder forbidden
    monkeypatch.setattr(rules_module, "build_cycle", lambda weights: pytest.fail("cycle rebuilt"))
    assert moto_repo.get_rule(TENANT, "r-web") is not None
    report = run_sweeps(
        moto_repo, "assign", sweep_due_leads, NOW + timedelta(seconds=1), timedelta(minutes=3)
    )
    # Then the leads were assigned from the stored cycle
    assert report.totals()["assigned"] == 12


def test_a_stored_cycle_that_does_not_match_its_weights_is_skipped_not_fatal(moto_repo: Repository) -> None:
    # Given two tenants' rules, one of whose stored cycle was tampered with
    good = seed(moto_repo, rule("r-good", tenant_id="globex"))
    seed(moto_repo, rule("r-bad"))
    moto_repo._client.update_item(
        TableName=moto_repo._config,
        Key={"pk": {"S": f"TENANT#{TENANT}"}, "sk": {"S": "RULE#r-bad"}},
        UpdateExpression="SET #c = :c",
        ExpressionAttributeNames={"#c": "cycle"},
        ExpressionAttributeValues={":c": {"L": [{"S": "A"}]}},
    )
    # When rules are read for a tick and for the admin
    active = moto_repo.active_rules("assign")
    # Then the bad one is left out (logged), the good one is there, and the tenant's listing works
    assert [r.rule_id for r in active] == [good.rule_id]
    assert moto_repo.get_rule(TENANT, "r-bad") is None
    assert call_as("GET", "/rules").status == 200
