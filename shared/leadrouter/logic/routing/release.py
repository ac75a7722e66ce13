"""Giving a member's open leads back to rotation, shared by the staff edit and every sweep.

Deactivating a member releases their leads at once (``logic.admin.staff``); a sweep whose staff
snapshot predated the deactivation gives back what it handed them meanwhile (``logic.routing.sweeps``).
Both reach it here, so no background worker imports an HTTP use case.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from leadrouter.domain.errors import Conflict
from leadrouter.domain.leads import Decision, LeadEvent, LeadStatus
from leadrouter.logic.ports import LeadChanges, LeadReads
from leadrouter.logic.validation import changed


class ReleasePorts(LeadReads, LeadChanges, Protocol):
    """An owner's open leads, given back to the queue."""


#: The reason written on each lead given back to rotation because its owner was deactivated.
DEACTIVATED = "owner_deactivated"


def release_leads_of(repo: ReleasePorts, tenant_id: str, staff_id: str, reason: str, now: datetime) -> int:
    """Put a staff member's open leads back into rotation (e.g. when they are deactivated).

    Each goes back to pending in its own scope with a "released" decision; the rule in charge gives it
    to someone else on its next tick. Returns how many were released.
    """
    released = 0
    for lead in repo.owner_leads(tenant_id, staff_id):
        after = changed(
            lead,
            status=LeadStatus.PENDING,
            owner=None,
            assignees=[],
            # queued_at is kept: the lead already waited its delay, so it is due at once
            decisions=[
                *lead.decisions,
                Decision(at=now, action="released", previous_owner=staff_id, reason=reason),
            ],
        )
        try:
            repo.save_lead(lead, after, LeadEvent(at=now, kind="released", data={"reason": reason}))
            released += 1
        except Conflict:
            continue  # changed meanwhile (reassigned, cared for): no longer this staff member's to release
    return released
