"""Assigning a lead by hand (admins, team leads within their team) to one or several active staff;
each assignment is a ``change`` in the access audit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from leadrouter.domain.audit import AuditAction
from leadrouter.domain.errors import InvalidInput, NotAllowed, NotFound
from leadrouter.domain.leads import Decision, Lead, LeadEvent, LeadStatus
from leadrouter.domain.staff import StaffMember
from leadrouter.domain.users import Caller
from leadrouter.logic.leads.reading import ReadPorts, get_lead
from leadrouter.logic.ports import LeadChanges, Staff
from leadrouter.logic.privacy.audit import AuditPorts, record_access
from leadrouter.logic.validation import changed


class ManualAssignPorts(ReadPorts, LeadChanges, AuditPorts, Protocol):
    """A visible lead, the members it goes to, its save, and the access audit."""


def _active_staff(repo: Staff, tenant_id: str, staff_ids: Sequence[str]) -> dict[str, StaffMember]:
    members = repo.get_staff(tenant_id, staff_ids)
    problems = {
        f"staff_ids.{i}": "unknown staff member" if sid not in members else "staff member is inactive"
        for i, sid in enumerate(staff_ids)
        if sid not in members or not members[sid].active
    }
    if problems:
        raise InvalidInput("cannot assign to these staff members", problems)
    return members


def assign_manually(
    repo: ManualAssignPorts,
    caller: Caller,
    lead_id: str,
    staff_ids: Sequence[str],
    now: datetime,
    *,
    request_id: str | None = None,
) -> Lead:
    """CRMOnline's "giao cho": one or several staff; the first is the owner the reclaim clock watches."""
    if caller.role == "staff":
        raise NotAllowed("staff cannot reassign leads")
    lead = get_lead(repo, caller, lead_id)
    members = _active_staff(repo, caller.tenant_id, staff_ids)
    if caller.role == "team_lead" and any(members[s].team != caller.team for s in staff_ids):
        raise NotAllowed("a team lead assigns within their own team")
    if lead.status is LeadStatus.DELETED:
        raise NotFound(f"lead {lead_id} not found")
    ids = list(dict.fromkeys(staff_ids))
    after = changed(
        lead,
        status=LeadStatus.ASSIGNED,
        owner=ids[0],
        assignees=ids,
        assigned_at=now,
        idle_since=now,
        held_by=lead.held_by + [s for s in ids if s not in lead.held_by],
        decisions=[
            *lead.decisions,
            Decision(at=now, action="manual", staff_id=ids[0], previous_owner=lead.owner, by=caller.label),
        ],
    )
    event = LeadEvent(at=now, kind="manual_assign", by=caller.label, data={"staff": ",".join(ids)})
    saved = repo.save_lead(lead, after, event)
    record_access(repo, caller, AuditAction.CHANGE, [lead.lead_id], now, request_id=request_id)
    return saved
