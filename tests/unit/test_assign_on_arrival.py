"""Instant assignment from the leads table's stream (moto; the handler as Lambda calls it)."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest

from functions.assign import app as assign_app
from leadrouter.data.repository import Repository
from leadrouter.domain.leads import LeadStatus
from leadrouter.logic.routing import instant
from leadrouter.logic.routing.assign import sweep_due_leads
from tests.support.builders import NOW, TENANT, add_leads, rule, seed
from tests.support.lambda_context import FakeContext
from tests.support.streams import stream_event


@pytest.fixture(autouse=True)
def _arrival_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """Arrivals are handled at NOW + 1 s (the handler reads the clock once per invocation)."""
    monkeypatch.setattr("leadrouter.logic.routing.scheduled.utc_now", lambda: NOW + timedelta(seconds=1))


def _owners(repo: Repository, leads) -> Counter[str | None]:
    return Counter(repo.get_lead(TENANT, x.lead_id).owner for x in leads)  # type: ignore[union-attr]


def test_new_pending_leads_of_a_continuous_rule_are_assigned_on_arrival(moto_repo: Repository) -> None:
    # Given a continuous, no-delay rule and 12 leads that just arrived
    seed(moto_repo, rule())
    leads = add_leads(moto_repo, 12)
    # When their stream records reach the assign function
    response = assign_app.handler(stream_event(leads), FakeContext())
    # Then they are assigned at once, 3:4:5, and no record failed
    assert response == {"batchItemFailures": []}
    assert _owners(moto_repo, leads) == {"A": 3, "B": 4, "C": 5}
    # …by one sweep for the whole batch (one block of 12 slots, not 12 sweeps)
    counter = moto_repo._client.get_item(
        TableName=moto_repo._config,
        Key={"pk": {"S": f"TENANT#{TENANT}"}, "sk": {"S": "COUNTER#r-web#v1"}},
    )["Item"]
    assert counter["seq"]["N"] == "12"


@pytest.mark.parametrize(
    "fields", [{"delay_minutes": 5}, {"window": {"interval_minutes": 5}}, {"active": False}]
)
def test_rules_that_wait_or_batch_are_left_to_the_schedule(moto_repo: Repository, fields) -> None:
    seed(moto_repo, rule(**fields))
    leads = add_leads(moto_repo, 3)
    assert assign_app.handler(stream_event(leads), FakeContext()) == {"batchItemFailures": []}
    assert {moto_repo.get_lead(TENANT, x.lead_id).status for x in leads} == {LeadStatus.PENDING}  # type: ignore[union-attr]


def test_records_that_are_not_pending_are_ignored(moto_repo: Repository) -> None:
    seed(moto_repo, rule())
    (lead,) = add_leads(moto_repo, 1)
    assigned = lead.model_copy(update={"status": LeadStatus.ASSIGNED, "owner": "A"})
    assert assign_app.handler(stream_event([assigned], "MODIFY"), FakeContext()) == {"batchItemFailures": []}
    assert moto_repo.get_lead(TENANT, lead.lead_id).status is LeadStatus.PENDING  # type: ignore[union-attr]


def test_a_failed_sweep_reports_its_records_for_redelivery(moto_repo: Repository, monkeypatch) -> None:
    seed(moto_repo, rule())
    seed(moto_repo, rule("r-tet", weights={"X": 1}, scope={"campaign": "tet"}))
    web = add_leads(moto_repo, 2)
    tet = add_leads(moto_repo, 1, campaign="tet")
    real = sweep_due_leads

    def flaky(repo, the_rule, now, time_left, release_after):
        if the_rule.rule_id == "r-tet":
            raise RuntimeError("DynamoDB throttled")
        return real(repo, the_rule, now, time_left, release_after)

    monkeypatch.setattr(instant, "sweep_due_leads", flaky)
    response = assign_app.handler(stream_event([*web, *tet]), FakeContext())
    # Only the campaign lead's record failed (it will be redelivered); the web leads were assigned
    assert response == {"batchItemFailures": [{"itemIdentifier": "1002"}]}
    assert {moto_repo.get_lead(TENANT, x.lead_id).status for x in web} == {LeadStatus.ASSIGNED}  # type: ignore[union-attr]
    # …and the failed sweep released its lease, so the redelivery can sweep at once
    monkeypatch.setattr(instant, "sweep_due_leads", real)
    assert assign_app.handler(stream_event(tet), FakeContext()) == {"batchItemFailures": []}
    assert moto_repo.get_lead(TENANT, tet[0].lead_id).owner == "X"  # type: ignore[union-attr]
