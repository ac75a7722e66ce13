"""Reading leads: who may see which, a page of them, one with its history, its reclaim clock.

Admins see the tenant's leads, team leads the leads their team holds, staff the leads they hold; a
lead the caller may not see is "not found" (its existence is not leaked). What the API shows is recorded
in the access audit (``read_lead``, ``read_leads``, ``shown``: one entry per request, lead ids only).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from leadrouter.data.cursors import Cursor
from leadrouter.domain.audit import AuditAction
from leadrouter.domain.errors import NotFound
from leadrouter.domain.leads import Lead, LeadStatus
from leadrouter.domain.precedence import rules_in_charge
from leadrouter.domain.users import Caller
from leadrouter.logic.ports import LeadHistory, LeadReads, Rules, Staff
from leadrouter.logic.privacy.audit import AuditPorts, record_access
from leadrouter.logic.routing.clocks import ClockPorts, RuleClocks, tenant_calendar


class ReadPorts(LeadReads, Staff, Protocol):
    """A lead and who may see it."""


class AuditedReadPorts(ReadPorts, AuditPorts, Protocol):
    """A lead and who may see it, and the access audit that records who did."""


class ReclaimClockPorts(ClockPorts, Rules, Protocol):
    """The reclaim rules, their members and the tenant's calendar."""


def _holders(lead: Lead) -> set[str]:
    return set(lead.assignees) | ({lead.owner} if lead.owner else set())


def visible(repo: Staff, caller: Caller, lead: Lead) -> bool:
    """Admins: the tenant's leads. Team leads: leads held by their team. Staff: leads they hold."""
    if lead.tenant_id != caller.tenant_id:
        return False
    if caller.role == "admin":
        return True
    holders = _holders(lead)
    if caller.role == "staff":
        return caller.staff_id in holders
    if caller.team is None or not holders:
        return False
    return any(m.team == caller.team for m in repo.get_staff(caller.tenant_id, sorted(holders)).values())


def get_lead(repo: ReadPorts, caller: Caller, lead_id: str) -> Lead:
    """The lead if the caller may see it; otherwise 'not found' (existence is not leaked)."""
    lead = repo.get_lead(caller.tenant_id, lead_id)
    if lead is None or lead.status is LeadStatus.DELETED or not visible(repo, caller, lead):
        raise NotFound(f"lead {lead_id} not found")
    return lead


def read_lead(
    repo: AuditedReadPorts, caller: Caller, lead_id: str, now: datetime, *, request_id: str | None = None
) -> Lead:
    """``get_lead`` for the API: the read is recorded in the access audit."""
    lead = get_lead(repo, caller, lead_id)
    record_access(repo, caller, AuditAction.READ, [lead.lead_id], now, request_id=request_id)
    return lead


def shown(
    repo: AuditPorts, caller: Caller, leads: Sequence[Lead], now: datetime, *, request_id: str | None = None
) -> None:
    """Record a listing the caller was shown (one ``list`` entry with the ids; none for an empty page)."""
    if leads:
        ids = [x.lead_id for x in leads]
        record_access(repo, caller, AuditAction.LIST, ids, now, request_id=request_id)


def history(repo: LeadHistory, lead: Lead) -> list[dict[str, Any]]:
    """Every decision and every event, oldest first: the seed's "Tab Hệ thống"."""
    entries = [{"type": "decision", **d.model_dump(mode="json", exclude_none=True)} for d in lead.decisions]
    entries += [
        {"type": "event", **e.model_dump(mode="json", exclude_none=True)}
        for e in repo.lead_events(lead.tenant_id, lead.lead_id)
    ]
    return sorted(entries, key=lambda e: str(e["at"]))


#: Filters on the lead's first touch (``attribution.first``); the data layer applies them like the others.
FIRST_TOUCH_FILTERS = ("utm_source", "utm_campaign")


def first_touch_matches(lead: Lead, filters: Mapping[str, str]) -> bool:
    """Whether the lead's first touch has the filters' utm_source / utm_campaign (for in-memory lists)."""
    first = lead.attribution.first if lead.attribution else None
    return all(
        first is not None and getattr(first, name) == filters[name]
        for name in FIRST_TOUCH_FILTERS
        if name in filters
    )


def list_leads(
    repo: ReadPorts,
    caller: Caller,
    filters: dict[str, str],
    received_from: datetime | None,
    received_to: datetime | None,
    limit: int,
    cursor: Cursor | None,
) -> tuple[list[Lead], Cursor | None]:
    """A page of the leads the caller may see. Staff see only theirs: the owner filter is forced."""
    if caller.role == "staff":
        if filters.get("owner") not in (None, caller.staff_id):
            return [], None
        filters = {**filters, "owner": caller.staff_id or ""}
    leads, cursor = repo.list_leads(
        caller.tenant_id,
        received_from=received_from,
        received_to=received_to,
        filters=filters,
        limit=limit,
        start=cursor,
    )
    shown = [x for x in leads if x.status is not LeadStatus.DELETED or filters.get("status") == "deleted"]
    if caller.role == "team_lead":
        shown = [x for x in shown if visible(repo, caller, x)]
    return shown, cursor


def read_leads(
    repo: AuditedReadPorts,
    caller: Caller,
    filters: dict[str, str],
    received_from: datetime | None,
    received_to: datetime | None,
    limit: int,
    cursor: Cursor | None,
    now: datetime,
    *,
    request_id: str | None = None,
) -> tuple[list[Lead], Cursor | None]:
    """``list_leads`` for the API: the page shown is recorded in the access audit."""
    leads, next_page = list_leads(repo, caller, filters, received_from, received_to, limit, cursor)
    shown(repo, caller, leads, now, request_id=request_id)
    return leads, next_page


@dataclass(frozen=True)
class ReclaimClock:
    """Where an open lead stands on its owner's reclaim clock (the reclaim rule in charge of its scope)."""

    due_at: datetime | None  # None: not that much working time within the clock's horizon
    left: timedelta  # working time left before it is due
    running: bool  # whether the owner's working time runs now (on shift, not away)


def reclaim_clocks(
    repo: ReclaimClockPorts, tenant_id: str, leads: Sequence[Lead], now: datetime
) -> dict[str, ReclaimClock]:
    """Each open lead's reclaim clock, by lead id; leads no active reclaim rule watches are left out.

    The same working-time arithmetic the reclaim sweep uses (``RuleClocks``), so the time a salesperson
    sees left is the time the sweep gives them. Costs one rules read, one staff read and one calendar
    read per call, none when no listed lead is open.
    """
    open_leads = [x for x in leads if x.status is LeadStatus.ASSIGNED and x.owner and x.idle_since]
    if not open_leads:
        return {}
    in_charge, _ = rules_in_charge(
        r for r in repo.list_rules(tenant_id) if r.active and r.action == "reclaim"
    )
    by_scope = {r.scope.key: r for r in in_charge}
    watched = [x for x in open_leads if x.scope_key in by_scope]
    if not watched:
        return {}
    rules = {x.scope_key: by_scope[x.scope_key] for x in watched}
    wanted = {s.staff_id for r in rules.values() for s in r.staff} | {x.owner for x in watched if x.owner}
    members = repo.get_staff(tenant_id, sorted(wanted))
    calendar = tenant_calendar(repo, tenant_id)
    clocks = {key: RuleClocks.of(r, members, calendar, now) for key, r in rules.items()}
    found: dict[str, ReclaimClock] = {}
    for lead in watched:
        clock = clocks[lead.scope_key]
        idle_since = lead.idle_since or now
        due_at = clock.reclaim_due_at(lead.owner, idle_since)
        left = clock.reclaim_time_left(lead.owner, idle_since, due_at)
        found[lead.lead_id] = ReclaimClock(due_at=due_at, left=left, running=clock.owner_working(lead.owner))
    return found
