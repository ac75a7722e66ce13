"""Rules, staff and leads: bad input is refused with the offending field named."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from leadrouter.clock import from_iso, to_iso
from leadrouter.domain.leads import STATUS_LABELS_VI, LeadStatus
from leadrouter.domain.rules import Rule, RuleKind
from leadrouter.domain.scopes import scope_key
from tests.support.builders import NOW, lead, rule, staff


def _error_locations(excinfo: pytest.ExceptionInfo[ValidationError]) -> set[str]:
    return {".".join(str(part) for part in error["loc"]) for error in excinfo.value.errors()}


def _rule_data(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "tenant_id": "acme",
        "rule_id": "r1",
        "name": "Web leads",
        "kind": "weighted",
        "scope": {"pool": "web", "step": "new"},
        "staff": [{"staff_id": "A", "weight": 3}, {"staff_id": "B", "weight": 4}],
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"staff": []}, "staff"),
        ({"staff": [{"staff_id": "A", "weight": 0}]}, "staff.0.weight"),
        ({"staff": [{"staff_id": "A", "weight": -2}]}, "staff.0.weight"),
        ({"staff": [{"staff_id": "A", "weight": 2.5}]}, "staff.0.weight"),
        ({"staff": [{"staff_id": "A", "weight": "3"}]}, "staff.0.weight"),
        ({"delay_minutes": -1}, "delay_minutes"),
        ({"kind": "lottery"}, "kind"),
        (
            {"window": {"start": "2026-12-01T00:00:00Z", "end": "2026-11-01T00:00:00Z"}},
            "window.end",
        ),
        ({"staff": [{"staff_id": "A", "weight": 1}, {"staff_id": "A", "weight": 2}]}, "staff"),
        ({"kind": "round_robin"}, "staff"),
        ({"kind": "reclaim"}, "reclaim_after_minutes"),
        ({"reclaim_after_minutes": 30}, "reclaim_after_minutes"),
        ({"scope": {"pool": "web"}}, "scope"),
        ({"scope": {"pool": "web", "step": "new", "campaign": "tet"}}, "scope"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_invalid_rule_is_refused_naming_the_field(overrides: dict[str, object], field: str) -> None:
    # Given a rule with one bad field / When it is validated
    with pytest.raises(ValidationError) as excinfo:
        Rule.model_validate(_rule_data(**overrides))
    # Then the error names that field
    assert field in _error_locations(excinfo)


def test_rule_cycle_is_computed_from_weights_and_cannot_be_forged() -> None:
    the_rule = rule(weights={"A": 3, "B": 4, "C": 5})
    assert sorted(the_rule.cycle) == ["A"] * 3 + ["B"] * 4 + ["C"] * 5
    # A stored rule round-trips with its cycle
    assert Rule.model_validate(the_rule.model_dump(mode="json")).cycle == the_rule.cycle
    # …but a cycle that does not match the weights is refused
    with pytest.raises(ValidationError, match="cycle"):
        Rule.model_validate({**the_rule.model_dump(mode="json"), "cycle": ["A"] * 12})


def test_round_robin_and_reclaim_kinds() -> None:
    assert rule(weights={"A": 1, "B": 1}).kind is RuleKind.ROUND_ROBIN
    reclaim = rule(kind=RuleKind.RECLAIM, reclaim_after_minutes=30, weights={"A": 1, "B": 1})
    assert reclaim.action == "reclaim"
    assert rule().action == "assign"


def test_campaign_takes_precedence_over_pool_and_step() -> None:
    assert scope_key(pool="web", step="new", campaign="tet") == "campaign#tet"
    assert scope_key(pool="web", step="new", campaign=None) == "pool#web#step#new"
    assert lead(campaign="tet").scope_key == "campaign#tet"
    with pytest.raises(ValueError, match="campaign"):
        scope_key(pool="web", step=None, campaign=None)


def test_stored_timestamps_sort_as_time() -> None:
    # Given instants with and without fractions of a second
    moments = [NOW + timedelta(microseconds=n) for n in (0, 1_000, 999_999, 1_000_000)]
    texts = [to_iso(m) for m in moments]
    # Then text order is time order and the round trip is exact
    assert texts == sorted(texts)
    assert [from_iso(t) for t in texts] == moments
    # …and the model's JSON form uses the same fixed-width text
    dumped = lead(received_at=NOW).model_dump(mode="json")
    assert dumped["received_at"] == "2026-11-24T02:00:00.000000Z"
    with pytest.raises(ValueError, match="naive"):
        to_iso(datetime(2026, 1, 1))


def test_staff_time_zone_and_shifts_are_validated() -> None:
    assert staff("A").time_zone == "Asia/Ho_Chi_Minh"
    with pytest.raises(ValidationError) as excinfo:
        staff("A", time_zone="Mars/Olympus")
    assert "time_zone" in _error_locations(excinfo)
    with pytest.raises(ValidationError) as excinfo:
        staff("A", working_hours=[{"start": "17:00", "end": "08:00"}])
    assert "working_hours.0.end" in _error_locations(excinfo)


def test_status_labels_follow_the_seed() -> None:
    assert STATUS_LABELS_VI[LeadStatus.PENDING] == "Lead gán tự động"
    assert STATUS_LABELS_VI[LeadStatus.ASSIGNED] == "Lead đã được gán"
    assert lead().status_label == "Lead gán tự động"
    assert NOW.tzinfo is UTC
