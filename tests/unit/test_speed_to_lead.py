"""Speed-to-lead measures how long a lead waited here: a lead an import kept with its owner from
another CRM never waited, so it is not measured (its receipt is the old CRM's, often years ago)."""

from __future__ import annotations

from datetime import timedelta

from leadrouter.domain.imports import KEPT_OWNER_REASON
from leadrouter.domain.leads import Decision
from leadrouter.logic.reports.speed import speed, speed_to_lead
from tests.support.builders import NOW, lead


def test_a_lead_assigned_here_is_measured_from_its_receipt() -> None:
    # Given a lead received at NOW and assigned by a rule 90 s later
    assigned = lead(received_at=NOW).model_copy(
        update={"decisions": [Decision(at=NOW + timedelta(seconds=90), action="assigned", staff_id="A")]}
    )
    # Then its speed-to-lead is 90 s
    assert speed_to_lead(assigned) == 90.0


def test_a_lead_an_import_kept_with_its_owner_is_not_measured() -> None:
    # Given a lead received two years ago in another CRM, kept with its owner by today's import, and a
    # lead of today assigned by hand after 60 s
    kept = lead(received_at=NOW - timedelta(days=730)).model_copy(
        update={"decisions": [Decision(at=NOW, action="manual", staff_id="A", reason=KEPT_OWNER_REASON)]}
    )
    by_hand = lead(received_at=NOW).model_copy(
        update={"decisions": [Decision(at=NOW + timedelta(seconds=60), action="manual", staff_id="B")]}
    )
    # When speed-to-lead is summed up over both
    measured = [s for s in map(speed_to_lead, [kept, by_hand]) if s is not None]
    # Then only the lead that waited here counts
    assert speed_to_lead(kept) is None
    assert speed(measured).model_dump() == {"leads": 1, "median_seconds": 60.0, "p95_seconds": 60.0}
