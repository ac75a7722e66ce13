"""Leads no rule will assign (pending in a scope without an open rule in charge): shown, then escalated.

Without this, a lead in a step no rule covers, in a campaign whose rule was disabled, or after its
rule's window ended would stay "Lead gán tự động" forever with no decision, metric or alert. The
assign tick lists the marked scopes (data/scopes.py) that no open assign rule is in charge of and that
hold a pending lead (``logic.routing.dispatch``); ``escalate_unrouted`` escalates their leads older than the
tenant's ``escalate_after_minutes`` with the reason (``no_rule`` / ``window_closed``), one
conditional write each, like any other escalation. Cost per tick: the marker listing plus one
one-item query per unrouted scope.

The admin's listing also shows leads that *are* routed but wait for working hours: pending and due in
a scope whose rule in charge is open while its team is off (or holds the overnight backlog for the
morning hold), with reason ``waiting_for_working_hours`` and when they are expected to be assigned.
Their rule is in charge, so the unrouted sweep leaves them alone: the rule's own sweep assigns them
when shifts start, or escalates them on the team's working-time clock.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from leadrouter.domain.dispatch import UnroutedScope
from leadrouter.domain.errors import NotAllowed
from leadrouter.domain.leads import Decision, Lead
from leadrouter.domain.precedence import routing_gap, rules_in_charge
from leadrouter.domain.rules import Rule
from leadrouter.domain.tenants import Tenant
from leadrouter.domain.users import Caller
from leadrouter.logic.ports import ActiveRules, LeadQueues, Rules, Scopes, Tenants, Transitions
from leadrouter.logic.routing.assign import due_at
from leadrouter.logic.routing.clocks import ClockPorts, RuleClocks, clocks_of_rules


class GapPorts(Scopes, Rules, Protocol):
    """A tenant's scopes that ever held a lead, and its rules."""


class GapLeadPorts(GapPorts, LeadQueues, Protocol):
    """The gaps, and the pending leads waiting in them."""


class WaitingPorts(ClockPorts, LeadQueues, Protocol):
    """Pending leads held for working hours: the queues and the team's clocks."""


class UnroutedViewPorts(GapLeadPorts, WaitingPorts, Protocol):
    """The unrouted listing: leads in gaps and leads held for working hours."""


class EscalationPorts(Tenants, LeadQueues, Transitions, Protocol):
    """Escalating the pending leads of unrouted scopes."""


class UnroutedSweepPorts(EscalationPorts, Scopes, ActiveRules, Protocol):
    """The sweep: every tenant's marked scopes against the active rules, then escalation."""


PAGE_SIZE = 100
#: How many unrouted leads a filtered listing looks through (they are few: the sweep escalates them).
MAX_SCAN = 2000
DEFAULT_ESCALATE_AFTER = Tenant.model_fields["escalate_after_minutes"].default
#: Listing reason for a due lead whose rule is in charge and open but whose team is off (or holding).
WAITING_FOR_WORKING_HOURS = "waiting_for_working_hours"
_TICK = timedelta(microseconds=1)


@dataclass(frozen=True)
class Stranded:
    """A pending lead no rule assigns now, why, and (waiting for working hours) when one will."""

    lead: Lead
    reason: str
    expected_at: datetime | None = None


@dataclass
class UnroutedReport:
    scopes_checked: int = 0
    unrouted: dict[str, str] = field(default_factory=dict)
    escalated: Counter[str] = field(default_factory=Counter)
    lost: int = 0
    complete: bool = True


def gaps(
    scopes: Iterable[tuple[str, str]], rules: Iterable[Rule], now: datetime
) -> dict[tuple[str, str], str]:
    """Pure: which of ``scopes`` (tenant, scope key) no open assign rule is in charge of, with why."""
    in_charge, _ = rules_in_charge(r for r in rules if r.active and r.action == "assign")
    by_scope = {(r.tenant_id, r.scope.key): r for r in in_charge}
    found = {}
    for key in scopes:
        reason = routing_gap(by_scope.get(key), now)
        if reason is not None:
            found[key] = reason
    return found


def tenant_gaps(repo: GapPorts, tenant_id: str, now: datetime) -> dict[str, str]:
    """One tenant's unrouted scopes (scope key → reason), for listings and reports."""
    return _tenant_gaps(tenant_id, repo.tenant_scopes(tenant_id), repo.list_rules(tenant_id), now)


def _tenant_gaps(
    tenant_id: str, scopes: Iterable[str], rules: Iterable[Rule], now: datetime
) -> dict[str, str]:
    found = gaps(((tenant_id, s) for s in scopes), rules, now)
    return {scope: reason for (_, scope), reason in found.items()}


def unrouted_leads(repo: GapLeadPorts, tenant_id: str, now: datetime, limit: int) -> list[tuple[Lead, str]]:
    """Up to ``limit`` pending leads of a tenant that no rule will assign, oldest first per scope."""
    return _gap_leads(repo, tenant_id, tenant_gaps(repo, tenant_id, now), now, limit)


def _gap_leads(
    repo: LeadQueues, tenant_id: str, found_gaps: Mapping[str, str], now: datetime, limit: int
) -> list[tuple[Lead, str]]:
    found: list[tuple[Lead, str]] = []
    for scope, reason in sorted(found_gaps.items()):
        start = None
        while len(found) < limit:
            leads, start = repo.due_leads(tenant_id, scope, now, min(PAGE_SIZE, limit - len(found)), start)
            found += [(lead, reason) for lead in leads]
            if start is None:
                break
    return found


def open_in_charge(rules: Iterable[Rule], scopes: Iterable[str], now: datetime) -> list[Rule]:
    """Pure: the active assign rules in charge of a marked scope whose window is open at ``now``."""
    marked = set(scopes)
    in_charge, _ = rules_in_charge(r for r in rules if r.active and r.action == "assign")
    return sorted(
        (r for r in in_charge if r.scope.key in marked and routing_gap(r, now) is None),
        key=lambda r: r.scope.key,
    )


def waiting_for_hours(clocks: RuleClocks) -> tuple[datetime, datetime] | None:
    """Pure: whether the rule's due leads wait for working hours at ``clocks.now``: (leads due before
    this wait, when they are expected to be assigned), or None.

    The team off (``RuleClocks.team``: shifts, leave, holidays; pauses and caps do not make it off):
    every due lead waits for the next shift (after the morning hold). The morning hold on
    (``held_before``): leads due before the team came on wait for ``release_at``. A team with no
    working time within the clocks' horizon is not waiting for working hours (nothing to wait for).
    """
    held = clocks.held_before
    if held is not None:
        return held, clocks.release_at(held)
    if clocks.team.is_working(clocks.now):
        return None
    expected = clocks.expected_assignment(clocks.now)
    return None if expected is None else (clocks.now + _TICK, expected)


def waiting_leads(
    repo: WaitingPorts,
    tenant_id: str,
    rules: Sequence[Rule],
    scopes: Sequence[str],
    now: datetime,
    limit: int,
) -> list[Stranded]:
    """Up to ``limit`` due leads waiting for working hours (see ``waiting_for_hours``), oldest first
    per scope. Reads the open rules' staff and the tenant's calendar once, then pages per scope."""
    candidates = open_in_charge(rules, scopes, now)
    if not candidates or limit <= 0:
        return []
    clocks = clocks_of_rules(repo, tenant_id, candidates, now)
    found: list[Stranded] = []
    for rule in candidates:
        waiting = waiting_for_hours(clocks[rule.rule_id])
        if waiting is None:
            continue
        before, expected = waiting
        cutoff = before - timedelta(minutes=rule.delay_minutes)
        start = None
        while len(found) < limit:
            size = min(PAGE_SIZE, limit - len(found))
            page, start = repo.due_leads(tenant_id, rule.scope.key, cutoff, size, start)
            found += [
                Stranded(lead, WAITING_FOR_WORKING_HOURS, expected)
                for lead in page
                if due_at(rule, lead) < before
            ]
            if start is None:
                break
    return found


def list_unrouted(
    repo: UnroutedViewPorts, caller: Caller, filters: Mapping[str, str], now: datetime, limit: int
) -> list[Stranded]:
    """The admin's view of stranded leads (``GET /leads?unrouted=true``): those no rule will assign
    (``no_rule``, ``window_closed``), then those waiting for working hours, filtered by pool, step,
    campaign or source like any listing. Pending leads have no holder, so only admins see them."""
    if caller.role != "admin":
        raise NotAllowed("only admins list unrouted leads")
    wanted = {k: v for k, v in filters.items() if k in ("pool", "step", "campaign", "source")}
    scan = limit if not wanted else MAX_SCAN
    scopes = repo.tenant_scopes(caller.tenant_id)
    rules = repo.list_rules(caller.tenant_id)
    found = [
        Stranded(lead, why)
        for lead, why in _gap_leads(
            repo, caller.tenant_id, _tenant_gaps(caller.tenant_id, scopes, rules, now), now, scan
        )
    ]
    found += waiting_leads(repo, caller.tenant_id, rules, scopes, now, scan - len(found))
    kept = [x for x in found if all(getattr(x.lead, k) == v for k, v in wanted.items())]
    return kept[:limit]


def sweep_unrouted(
    repo: UnroutedSweepPorts, now: datetime, time_left: Callable[[], float] = lambda: float("inf")
) -> UnroutedReport:
    """Escalate leads that waited the tenant's escalation time in a scope no rule assigns (every
    marked scope of every tenant, in-process; the assign tick dispatches them instead)."""
    found = gaps(repo.marked_scopes(), repo.active_rules("assign"), now)
    scopes = [
        UnroutedScope(tenant_id=tenant, scope_key=scope, reason=why) for (tenant, scope), why in found.items()
    ]
    return escalate_unrouted(repo, scopes, now, time_left)


def escalate_unrouted(
    repo: EscalationPorts,
    scopes: Sequence[UnroutedScope],
    now: datetime,
    time_left: Callable[[], float] = lambda: float("inf"),
) -> UnroutedReport:
    """Escalate, in each unrouted scope, the pending leads older than its tenant's escalation time,
    with the scope's reason: one conditional write each, like any other escalation."""
    report = UnroutedReport(scopes_checked=len(scopes))
    tenants: dict[str, Tenant | None] = {}
    for unrouted in scopes:
        tenant_id, scope, reason = unrouted.tenant_id, unrouted.scope_key, unrouted.reason
        report.unrouted[f"{tenant_id}#{scope}"] = reason
        if tenant_id not in tenants:
            tenants[tenant_id] = repo.get_tenant(tenant_id)
        tenant = tenants[tenant_id]
        wait = tenant.escalate_after_minutes if tenant else DEFAULT_ESCALATE_AFTER
        cutoff = now - timedelta(minutes=wait)
        start = None
        while True:
            if time_left() < 15:
                report.complete = False
                return report
            leads, start = repo.due_leads(tenant_id, scope, cutoff, PAGE_SIZE, start)
            for lead in leads:
                decision = Decision(at=now, action="escalated", reason=reason)
                if repo.escalate_pending(lead, decision):
                    report.escalated[reason] += 1
                else:
                    report.lost += 1
            if start is None:
                break
    return report
