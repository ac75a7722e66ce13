"""Hand-written in-memory stores behind the logic's ports (``leadrouter.logic.ports``).

For use cases whose test is about the logic, not about DynamoDB: no moto, no tables. Each method
does what its port promises on a few dozen items; paging returns everything in one page (tests
hold fewer items than a page), so cursors are always None.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from leadrouter.data.cursors import Cursor
from leadrouter.data.repository import PageKey
from leadrouter.domain.errors import Conflict, NotFound
from leadrouter.domain.leads import Lead, LeadStatus
from leadrouter.domain.rules import Rule
from leadrouter.domain.staff import StaffMember
from leadrouter.domain.tenants import Tenant


@dataclass
class MemoryStore:
    """Tenants, staff, rules, scopes and leads in dicts (ports Tenants, Staff, Rules, Scopes, LeadQueues,
    LeadReads, and ``import_leads`` of LeadChanges for seeding)."""

    tenants: dict[str, Tenant] = field(default_factory=dict)
    staff: dict[tuple[str, str], StaffMember] = field(default_factory=dict)
    rules: dict[tuple[str, str], Rule] = field(default_factory=dict)
    scopes: set[tuple[str, str]] = field(default_factory=set)
    leads: dict[tuple[str, str], Lead] = field(default_factory=dict)

    # ------------------------------------------------------------------ Tenants
    def put_tenant(self, tenant: Tenant) -> None:
        self.tenants[tenant.tenant_id] = tenant

    def get_tenant(self, tenant_id: str) -> Tenant | None:
        return self.tenants.get(tenant_id)

    def save_tenant(self, before: Tenant | None, after: Tenant) -> Tenant:
        if self.tenants.get(after.tenant_id) != before:
            raise Conflict(f"tenant {after.tenant_id} settings changed meanwhile; reload them and retry")
        stored = after.model_copy(update={"rev": (before.rev if before else 0) + 1})
        self.tenants[after.tenant_id] = stored
        return stored

    # ------------------------------------------------------------------ Staff
    def put_staff(self, member: StaffMember, *, new: bool = False) -> None:
        key = (member.tenant_id, member.staff_id)
        if new and key in self.staff:
            raise Conflict(f"staff member {member.staff_id} already exists")
        self.staff[key] = member

    def update_staff(self, before: StaffMember, after: StaffMember) -> StaffMember:
        if self.staff.get((before.tenant_id, before.staff_id)) != before:
            raise Conflict(f"staff member {before.staff_id} changed meanwhile; reload it and retry")
        stored = after.model_copy(update={"rev": before.rev + 1})
        self.staff[(after.tenant_id, after.staff_id)] = stored
        return stored

    def get_staff(self, tenant_id: str, staff_ids: Sequence[str]) -> dict[str, StaffMember]:
        return {sid: m for sid in staff_ids if (m := self.staff.get((tenant_id, sid))) is not None}

    def list_staff(self, tenant_id: str) -> list[StaffMember]:
        return [m for (tenant, _), m in sorted(self.staff.items()) if tenant == tenant_id]

    # ------------------------------------------------------------------ Rules
    def create_rule(self, rule: Rule) -> None:
        if (rule.tenant_id, rule.rule_id) in self.rules:
            raise Conflict(f"rule {rule.rule_id} already exists")
        self.rules[(rule.tenant_id, rule.rule_id)] = rule

    def save_rule(self, before: Rule, after: Rule) -> Rule:
        if self.rules.get((before.tenant_id, before.rule_id)) != before:
            raise Conflict(f"rule {before.rule_id} changed meanwhile; reload it and retry")
        stored = after.model_copy(update={"rev": before.rev + 1})
        self.rules[(after.tenant_id, after.rule_id)] = stored
        return stored

    def get_rule(self, tenant_id: str, rule_id: str) -> Rule | None:
        return self.rules.get((tenant_id, rule_id))

    def list_rules(self, tenant_id: str) -> list[Rule]:
        return [r for (tenant, _), r in sorted(self.rules.items()) if tenant == tenant_id]

    def delete_rule(self, tenant_id: str, rule_id: str) -> None:
        if self.rules.pop((tenant_id, rule_id), None) is None:
            raise NotFound(f"rule {rule_id} not found")

    # ------------------------------------------------------------------ Scopes
    def mark_scope(self, tenant_id: str, scope_key: str) -> None:
        self.scopes.add((tenant_id, scope_key))

    def mark_lead_scope(self, lead: Lead) -> None:
        self.mark_scope(lead.tenant_id, lead.scope_key)

    def marked_scopes(self, shard: int | None = None) -> list[tuple[str, str]]:
        assert shard is None, "the memory store has no dispatch shards"
        return sorted(self.scopes)

    def tenant_scopes(self, tenant_id: str) -> list[str]:
        return sorted(scope for tenant, scope in self.scopes if tenant == tenant_id)

    # ------------------------------------------------------------------ leads
    def import_leads(self, leads: Sequence[Lead]) -> None:
        for lead in leads:
            self.mark_lead_scope(lead)
            self.leads[(lead.tenant_id, lead.lead_id)] = lead

    def _of(self, tenant_id: str) -> list[Lead]:
        return [lead for (tenant, _), lead in sorted(self.leads.items()) if tenant == tenant_id]

    def due_leads(
        self, tenant_id: str, scope_key: str, queued_before: datetime, limit: int, start: PageKey = None
    ) -> tuple[list[Lead], PageKey]:
        due = sorted(
            (
                lead
                for lead in self._of(tenant_id)
                if lead.status is LeadStatus.PENDING
                and lead.scope_key == scope_key
                and lead.queued_at <= queued_before
            ),
            key=lambda lead: lead.queued_at,
        )
        assert len(due) <= limit, "the memory store pages nothing: keep a test's leads below a page"
        return due, None

    def idle_leads(
        self,
        tenant_id: str,
        owner: str,
        scope_key: str,
        idle_before: datetime,
        limit: int,
        start: PageKey = None,
    ) -> tuple[list[Lead], PageKey]:
        idle = sorted(
            (
                lead
                for lead in self._of(tenant_id)
                if lead.status is LeadStatus.ASSIGNED
                and lead.owner == owner
                and lead.scope_key == scope_key
                and lead.idle_since is not None
                and lead.idle_since <= idle_before
            ),
            key=lambda lead: lead.idle_since or idle_before,
        )
        assert len(idle) <= limit, "the memory store pages nothing: keep a test's leads below a page"
        return idle, None

    def get_lead(self, tenant_id: str, lead_id: str) -> Lead | None:
        return self.leads.get((tenant_id, lead_id))

    def leads_by_id(self, tenant_id: str, lead_ids: Sequence[str]) -> dict[str, Lead]:
        return {i: lead for i in lead_ids if (lead := self.leads.get((tenant_id, i))) is not None}

    def tenant_leads(self, tenant_id: str) -> Iterator[Lead]:
        return iter(self._of(tenant_id))

    def owner_leads(self, tenant_id: str, staff_id: str) -> list[Lead]:
        held = (
            lead
            for lead in self._of(tenant_id)
            if lead.status is LeadStatus.ASSIGNED and lead.owner == staff_id
        )
        return sorted(held, key=lambda lead: lead.idle_since or lead.received_at)

    def list_leads(
        self,
        tenant_id: str,
        *,
        received_from: datetime | None,
        received_to: datetime | None,
        filters: Mapping[str, str],
        limit: int,
        start: Cursor | None = None,
        max_evaluated: int = 2000,
    ) -> tuple[list[Lead], Cursor | None]:
        raise NotImplementedError("listing filters are DynamoDB's: test them on the real store")

    def leads_received_between(self, tenant_id: str, start: datetime, end: datetime) -> Iterator[Lead]:
        return iter(
            sorted((x for x in self._of(tenant_id) if start <= x.received_at < end), key=lambda x: x.lead_id)
        )
