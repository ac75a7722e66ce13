"""Assigning a lead by hand (admins, team leads within their team) to one or several active staff;
each assignment is a ``change`` in the access audit.

A manual decision (here, and an import keeping a lead's owner) says whether the new owner may make an
advertising call, checked as a rule's sweep checks it (``logic.privacy.calling.handover_call``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from leadrouter.domain.audit import AuditAction
from leadrouter.domain.errors import InvalidInput, NotAllowed, NotFound
from leadrouter.domain.leads import Decision, Lead, LeadEvent, LeadStatus
from leadrouter.domain.staff import StaffMember
from leadrouter.domain.tenants import Tenant
from leadrouter.domain.users import Caller
from leadrouter.logic.leads.reading import ReadPorts, get_lead
from leadrouter.logic.ports import LeadChanges, Staff, Tenants
from leadrouter.logic.privacy.audit import AuditPorts, record_access
from leadrouter.logic.privacy.calling import CallCheckPorts, handover_call
from leadrouter.logic.validation import changed


class ManualAssignPorts(ReadPorts, LeadChanges, AuditPorts, Tenants, CallCheckPorts, Protocol):
    """A visible lead, the members it goes to, its save, the access audit, and the tenant's calling
    hours and lists."""


def manual_decision(
    repo: CallCheckPorts,
    lead: Lead,
    staff_id: str,
    by: str,
    tenant: Tenant | None,
    now: datetime,
    *,
    reason: str | None = None,
) -> Decision:
    """The decision giving ``lead`` to ``staff_id`` without a rule (``by`` says who chose), with
    whether they may call it now."""
    return Decision(
        at=now,
        action="manual",
        staff_id=staff_id,
        previous_owner=lead.owner,
        by=by,
        reason=reason,
        **handover_call(repo, lead, tenant, now),
    )


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
    decision = manual_decision(repo, lead, ids[0], caller.label, repo.get_tenant(caller.tenant_id), now)
    after = changed(
        lead,
        status=LeadStatus.ASSIGNED,
        owner=ids[0],
        assignees=ids,
        assigned_at=now,
        idle_since=now,
        held_by=lead.held_by + [s for s in ids if s not in lead.held_by],
        decisions=[*lead.decisions, decision],
    )
    event = LeadEvent(at=now, kind="manual_assign", by=caller.label, data={"staff": ",".join(ids)})
    saved = repo.save_lead(lead, after, event)
    record_access(repo, caller, AuditAction.CHANGE, [lead.lead_id], now, request_id=request_id)
    return saved
