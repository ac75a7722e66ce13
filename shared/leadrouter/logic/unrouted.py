"""Leads no rule will assign (pending in a scope without an open rule in charge): shown, then escalated.

Without this, a lead in a step no rule covers, in a campaign whose rule was disabled, or after its
rule's window ended would stay "Lead gán tự động" forever with no decision, metric or alert. The
assign tick runs ``sweep_unrouted``: for every marked scope (data/scopes.py) that no open assign rule
is in charge of, due leads older than the tenant's ``escalate_after_minutes`` are escalated with the
reason (``no_rule`` / ``window_closed``), one conditional write each, like any other escalation.
Cost per tick: one index query for the markers plus one one-page query per unrouted scope.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from leadrouter.data.repository import Repository
from leadrouter.domain.errors import NotAllowed
from leadrouter.domain.models import Caller, Decision, Lead, Rule, Tenant
from leadrouter.domain.precedence import routing_gap, rules_in_charge

PAGE_SIZE = 100
#: How many unrouted leads a filtered listing looks through (they are few: the sweep escalates them).
MAX_SCAN = 2000
DEFAULT_ESCALATE_AFTER = Tenant.model_fields["escalate_after_minutes"].default


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


def tenant_gaps(repo: Repository, tenant_id: str, now: datetime) -> dict[str, str]:
    """One tenant's unrouted scopes (scope key → reason), for listings and reports."""
    found = gaps(((tenant_id, s) for s in repo.tenant_scopes(tenant_id)), repo.list_rules(tenant_id), now)
    return {scope: reason for (_, scope), reason in found.items()}


def unrouted_leads(repo: Repository, tenant_id: str, now: datetime, limit: int) -> list[tuple[Lead, str]]:
    """Up to ``limit`` pending leads of a tenant that no rule will assign, oldest first per scope."""
    found: list[tuple[Lead, str]] = []
    for scope, reason in sorted(tenant_gaps(repo, tenant_id, now).items()):
        start = None
        while len(found) < limit:
            leads, start = repo.due_leads(tenant_id, scope, now, min(PAGE_SIZE, limit - len(found)), start)
            found += [(lead, reason) for lead in leads]
            if start is None:
                break
    return found


def list_unrouted(
    repo: Repository, caller: Caller, filters: Mapping[str, str], now: datetime, limit: int
) -> list[tuple[Lead, str]]:
    """The admin's view of stranded leads (``GET /leads?unrouted=true``): filtered by pool, step or
    campaign like any listing. Pending leads have no holder, so only admins see them."""
    if caller.role != "admin":
        raise NotAllowed("only admins list unrouted leads")
    wanted = {k: v for k, v in filters.items() if k in ("pool", "step", "campaign")}
    found = unrouted_leads(repo, caller.tenant_id, now, limit if not wanted else MAX_SCAN)
    kept = [(lead, why) for lead, why in found if all(getattr(lead, k) == v for k, v in wanted.items())]
    return kept[:limit]


def sweep_unrouted(
    repo: Repository, now: datetime, time_left: Callable[[], float] = lambda: float("inf")
) -> UnroutedReport:
    """Escalate leads that waited the tenant's escalation time in a scope no rule assigns."""
    report = UnroutedReport()
    scopes = repo.marked_scopes()
    report.scopes_checked = len(scopes)
    tenants: dict[str, Tenant | None] = {}
    for (tenant_id, scope), reason in gaps(scopes, repo.active_rules("assign"), now).items():
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
