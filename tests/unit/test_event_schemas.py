"""docs/events/*.schema.json: committed = generated from the models, and what the code emits validates."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leadrouter.data.repository import Repository
from leadrouter.domain.events import EventType, events_of_change
from leadrouter.domain.leads import Decision
from leadrouter.domain.rules import RuleKind
from leadrouter.domain.users import Caller
from leadrouter.logic.leads.assignment import assign_manually
from leadrouter.logic.privacy.answers import ConsentChange, record_change
from leadrouter.logic.routing.assign import sweep_due_leads
from leadrouter.logic.routing.reclaim import sweep_idle_leads
from leadrouter.logic.routing.release import release_leads_of
from leadrouter.logic.routing.unrouted import sweep_unrouted
from leadrouter_local import event_schemas
from tests.support.builders import NOW, TENANT, add_leads, lead, rule, seed
from tests.support.ticks import run_sweeps
from tests.unit.test_domain_events import decisions

LEASE = timedelta(minutes=3)
ADMIN = Caller(tenant_id=TENANT, role="admin", subject="0f6c1e9a-admin")


def _committed(kind: EventType) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(event_schemas.path(kind).read_text(encoding="utf-8"))
    return loaded


@pytest.mark.parametrize("kind", list(EventType))
def test_the_committed_schema_is_the_one_the_model_generates(kind: EventType) -> None:
    # Given the schema file in docs/events/ (make event-schemas writes them)
    assert event_schemas.path(kind).is_file(), f"missing {event_schemas.path(kind)}: run make event-schemas"
    # Then it is exactly what the model says today, and a valid JSON Schema itself
    assert event_schemas.path(kind).read_text(encoding="utf-8") == event_schemas.text(kind)
    jsonschema.Draft202012Validator.check_schema(_committed(kind))


def _validate(event_json: str) -> str:
    detail = json.loads(event_json)
    kind = EventType(detail["type"])
    jsonschema.Draft202012Validator(
        _committed(kind), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    ).validate(detail)
    return str(kind)


def test_events_from_real_lead_changes_validate_against_the_committed_schemas(moto_repo: Repository) -> None:
    # Given leads that the real use cases move through every kind of decision:
    seed(moto_repo, rule("r-assign", weights={"A": 1}))
    leads = [lead(received_at=NOW + timedelta(milliseconds=i), phone=f"+8491200011{i}") for i in range(4)]
    moto_repo.import_leads(leads)
    run_sweeps(moto_repo, "assign", sweep_due_leads, NOW + timedelta(seconds=1), LEASE)  # assigned
    seed(
        moto_repo,
        rule("r-reclaim", weights={"A": 1, "B": 1}, kind=RuleKind.RECLAIM, reclaim_after_minutes=30),
    )
    run_sweeps(moto_repo, "reclaim", sweep_idle_leads, NOW + timedelta(minutes=31), LEASE)  # reclaimed
    assign_manually(moto_repo, ADMIN, leads[0].lead_id, ["A"], NOW + timedelta(minutes=32))  # manual
    release_leads_of(moto_repo, TENANT, "B", "deactivated", NOW + timedelta(minutes=33))  # released
    stranded = add_leads(moto_repo, 1, step="Gọi lại")
    sweep_unrouted(moto_repo, NOW + timedelta(hours=3))  # escalated: no rule covers the step
    stored = [moto_repo.get_lead(TENANT, x.lead_id) for x in [*leads, *stranded]]
    granted = ConsentChange(purpose="call", answer="granted")
    record_change(moto_repo, ADMIN, leads[1].lead_id, granted, NOW + timedelta(minutes=34))
    before = moto_repo.get_lead(TENANT, leads[1].lead_id)
    withdrawal = ConsentChange(purpose="call", answer="withdrawn")
    record_change(moto_repo, ADMIN, leads[1].lead_id, withdrawal, NOW + timedelta(minutes=35))
    after = moto_repo.get_lead(TENANT, leads[1].lead_id)  # a withdrawal: ConsentWithdrawn

    # When each stored lead's history is turned into events, as the stream would carry them
    emitted = [e.model_dump_json() for x in stored if x is not None for e in events_of_change(None, x)]
    emitted += [e.model_dump_json() for e in events_of_change(before, after)]

    # Then every one of them validates against its committed schema, and every type occurred
    assert {_validate(e) for e in emitted} == {str(k) for k in EventType}


@settings(max_examples=60, deadline=None)
@given(history=st.lists(decisions(), min_size=1, max_size=6))
def test_any_decision_history_gives_events_that_validate(history: list[Decision]) -> None:
    arrived = lead(lead_id="L-7", campaign="Hè", source="src-1")
    for event in events_of_change(None, arrived.model_copy(update={"decisions": history})):
        _validate(event.model_dump_json())
