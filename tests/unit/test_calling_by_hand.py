"""A lead given to someone by hand says whether they may call it, exactly as a rule's sweep would say
(``logic.privacy.calling``): the same consents, Do-Not-Call lists, 24-hour gap and calling hours, in
the decision the lead page shows and in the LeadAssigned event a dialer reads. On moto."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from leadrouter.domain.calling import CallBar, DoNotCallOrigin
from leadrouter.domain.consent import ConsentStatus
from leadrouter.domain.events import LeadAssigned, events_of_change
from leadrouter.domain.leads import Decision, Lead
from leadrouter.domain.users import Caller
from leadrouter.logic.leads.assignment import assign_manually
from leadrouter.logic.privacy import do_not_call
from leadrouter.logic.routing.assign import sweep_due_leads
from leadrouter.runtime import new_repository
from tests.support.api import call_as
from tests.support.builders import NOW, TENANT, add_leads, rule, seed
from tests.support.calling import PepperedRepository, call_consent, peppered_repository
from tests.support.ticks import run_sweeps

ADMIN = Caller(tenant_id=TENANT, role="admin", subject="admin-1")
PHONE = "+84912345678"
#: 18:00 in Ho Chi Minh City: past the default calling hours (08:00–17:00).
EVENING = datetime(2026, 11, 24, 11, 0, tzinfo=UTC)


@pytest.fixture
def repo(moto_tables: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> PepperedRepository:
    monkeypatch.setattr("leadrouter.data.calling.UPLOAD_CONCURRENCY", 1)  # moto is single-threaded
    seeded = peppered_repository()
    seed(seeded, rule("r-web", weights={"A": 1, "B": 1}))
    return seeded


def _by_hand(repo: PepperedRepository, at: datetime = NOW, **fields: Any) -> tuple[Lead, Lead]:
    """A pending lead with ``fields``, then the same lead given to B by an admin at ``at``."""
    (added,) = add_leads(repo, 1, phone=PHONE, **fields)
    before = repo.get_lead(TENANT, added.lead_id)
    assert before is not None
    assign_manually(repo, ADMIN, added.lead_id, ["B"], at)
    after = repo.get_lead(TENANT, added.lead_id)
    assert after is not None and after.owner == "B"
    return before, after


def _by_sweep(repo: PepperedRepository, at: datetime = NOW, **fields: Any) -> Decision:
    """The decision a rule's sweep writes for the same kind of lead at ``at``."""
    (added,) = add_leads(repo, 1, phone=PHONE, **fields)
    run_sweeps(repo, "assign", sweep_due_leads, at, timedelta(minutes=3))
    swept = repo.get_lead(TENANT, added.lead_id)
    assert swept is not None and swept.decisions and swept.decisions[-1].action == "assigned"
    return swept.decisions[-1]


def _call(decision: Decision) -> tuple[bool | None, str | None, datetime | None]:
    return decision.call_allowed, decision.call_reason, decision.call_allowed_from


def test_a_lead_that_refused_calls_is_given_by_hand_as_no_call_with_the_sweeps_reason(
    repo: PepperedRepository,
) -> None:
    # Given a lead whose person refused calls, given to B by an admin at 09:00
    _, after = _by_hand(repo, consents=call_consent(ConsentStatus.REFUSED))
    # Then the manual decision says no call, for the reason a sweep gives the same lead
    manual = after.decisions[-1]
    assert manual.action == "manual"
    assert _call(manual) == (False, CallBar.NO_CONSENT.value, None)
    assert _call(manual) == _call(_by_sweep(repo, consents=call_consent(ConsentStatus.REFUSED)))


@pytest.mark.parametrize(
    ("origin", "reason"),
    [(DoNotCallOrigin.TENANT, CallBar.DO_NOT_CALL), (DoNotCallOrigin.NATIONAL, CallBar.NATIONAL_DO_NOT_CALL)],
)
def test_a_number_on_a_do_not_call_list_is_given_by_hand_as_no_call(
    repo: PepperedRepository, origin: DoNotCallOrigin, reason: CallBar
) -> None:
    # Given a lead that granted calls, whose number (written another way) is on a list
    do_not_call.add_numbers(
        repo, ADMIN, do_not_call.DoNotCallUpload(origin=origin, phones=["0912 345 678"]), NOW
    )
    # When an admin gives it to B
    _, after = _by_hand(repo, consents=call_consent())
    # Then B is told not to call it, and why
    assert _call(after.decisions[-1]) == (False, reason.value, None)


def test_a_granted_call_given_by_hand_after_hours_says_from_when(repo: PepperedRepository) -> None:
    # Given a lead that granted calls, given to B by hand at 18:00 in Ho Chi Minh City
    before, after = _by_hand(repo, at=EVENING, consents=call_consent())
    # Then the decision says calls open at 08:00 the next morning, as the sweep's would
    morning = datetime(2026, 11, 25, 1, 0, tzinfo=UTC)
    assert _call(after.decisions[-1]) == (False, CallBar.OUTSIDE_CALLING_HOURS.value, morning)
    assert _call(after.decisions[-1]) == _call(_by_sweep(repo, at=EVENING, consents=call_consent()))
    # …and the LeadAssigned event a dialer reads says the same
    (event,) = events_of_change(before, after)
    assert isinstance(event, LeadAssigned) and event.manual and event.staff_id == "B"
    assert (event.call_allowed, event.call_reason, event.call_allowed_from) == _call(after.decisions[-1])


def test_a_granted_call_given_by_hand_in_the_hours_may_be_called(repo: PepperedRepository) -> None:
    before, after = _by_hand(repo, consents=call_consent())
    assert _call(after.decisions[-1]) == (True, None, None)
    (event,) = events_of_change(before, after)
    assert isinstance(event, LeadAssigned) and event.call_allowed is True


def test_the_assign_route_stores_the_call_advice_with_the_deployed_pepper(
    moto_tables: dict[str, str],
) -> None:
    # Given a lead that granted calls and its number on the tenant's list, through the API
    repo = new_repository()
    seed(repo, rule("r-web", weights={"A": 1, "B": 1}))
    (added,) = add_leads(repo, 1, phone=PHONE, consents=call_consent())
    assert call_as("POST", "/privacy/do-not-call", {"phones": ["0912345678"]}).status == 200
    # When an admin assigns it to B by hand
    assigned = call_as("POST", f"/leads/{added.lead_id}/assignees", {"staff_ids": ["B"]})
    assert assigned.status == 200
    # Then the lead page's history shows the manual decision barred from calls, and why
    detail = call_as("GET", f"/leads/{added.lead_id}").body
    (decision,) = [h for h in detail["history"] if h.get("type") == "decision"]
    assert decision["action"] == "manual"
    assert (decision["call_allowed"], decision["call_reason"]) == (False, "do_not_call")
