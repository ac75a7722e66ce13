"""Care of a lead by its holder: a note, a call, a move to another step; each restarts its reclaim clock.

Care is saved with ``save_care`` (the lead, then its event), at the cost floor of a care activity.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, Protocol

from leadrouter.domain.errors import NotAllowed
from leadrouter.domain.leads import Lead, LeadEvent, LeadStatus
from leadrouter.domain.precedence import rules_in_charge
from leadrouter.domain.scopes import scope_key
from leadrouter.domain.users import Caller
from leadrouter.logic.leads.reading import ReadPorts, get_lead
from leadrouter.logic.ports import LeadChanges, Rules
from leadrouter.logic.privacy.calling import CallCheckPorts, record_call
from leadrouter.logic.validation import changed


class CarePorts(ReadPorts, LeadChanges, CallCheckPorts, Protocol):
    """A visible lead and its care save; a call also goes in the advertising-call log."""


class StepPorts(CarePorts, Rules, Protocol):
    """A care step also asks which scopes a reclaim rule watches."""


def move_step(repo: StepPorts, caller: Caller, lead_id: str, step: str, now: datetime) -> Lead:
    """ "Chuyển bước": the lead moves to the new step's scope; for its holder it counts as care.

    A campaign lead stays in its campaign's scope (campaign wins over pool + step). Staff may not move
    a lead out of reclaim coverage (the reclaim rule would lose sight of it); admins and team leads may.
    """
    lead = get_lead(repo, caller, lead_id)
    target = scope_key(pool=lead.pool, step=step, campaign=lead.campaign)
    if caller.role == "staff" and target != lead.scope_key:
        covered = reclaimed_scopes(repo, caller.tenant_id)
        if lead.scope_key in covered and target not in covered:
            raise NotAllowed(f"no reclaim rule covers step {step!r}; ask an admin to move this lead there")
    update: dict[str, Any] = {"step": step}
    if lead.status is LeadStatus.PENDING and target != lead.scope_key:
        update["queued_at"] = now  # it waits in the new step's queue from now
    elif lead.status is LeadStatus.ASSIGNED:
        update |= {"idle_since": now, "last_activity_at": now}
    event = LeadEvent(at=now, kind="step_change", by=caller.label, data={"from": lead.step, "to": step})
    return repo.save_care(lead, changed(lead, **update), event)


def reclaimed_scopes(repo: Rules, tenant_id: str) -> set[str]:
    """Scope keys an active reclaim rule is in charge of (its idle leads are taken back)."""
    in_charge, _ = rules_in_charge(r for r in repo.list_rules(tenant_id) if r.active)
    return {r.scope.key for r in in_charge if r.action == "reclaim"}


def add_activity(
    repo: CarePorts,
    caller: Caller,
    lead_id: str,
    kind: Literal["note", "call"],
    text: str,
    now: datetime,
) -> Lead:
    """A note or a call: recorded in the history, and it restarts the lead's reclaim clock (the lead, then
    the event: ``save_care``, at the cost floor of a care activity).

    A call is taken as an advertising call (Decree 91/2020 counts every call that offers something):
    its phone goes in the call log first (one write), so no sweep offers it as a call for 24 hours,
    to this owner or the next. Logged before the activity, a failure saves nothing and is retried.
    """
    lead = get_lead(repo, caller, lead_id)
    if kind == "call":
        record_call(repo, lead, now)
    update: dict[str, Any] = {"last_activity_at": now}
    if lead.status is LeadStatus.ASSIGNED:
        update["idle_since"] = now
    event = LeadEvent(at=now, kind=kind, by=caller.label, text=text)
    return repo.save_care(lead, changed(lead, **update), event)
