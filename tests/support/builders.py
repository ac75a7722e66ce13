"""Small builders for domain objects, so tests state only what matters to them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from leadrouter.data.repository import Repository
from leadrouter.domain.ids import new_id
from leadrouter.domain.leads import Lead
from leadrouter.domain.rules import Rule, RuleKind, new_rule
from leadrouter.domain.staff import StaffMember
from leadrouter.domain.tenants import Tenant
from leadrouter.logic.ports import Rules, Staff, Tenants

TENANT = "acme"
NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)  # 09:00 in Ho Chi Minh City, a Tuesday
SEED_WEIGHTS = {"A": 3, "B": 4, "C": 5}


class Seedable(Tenants, Staff, Rules, Protocol):
    """Where ``seed`` stores a tenant, its staff and a rule: the repository or a memory store."""


def staff(staff_id: str, tenant_id: str = TENANT, **fields: Any) -> StaffMember:
    return StaffMember(tenant_id=tenant_id, staff_id=staff_id, name=f"Staff {staff_id}", **fields)


def rule(
    rule_id: str = "r-web",
    weights: Mapping[str, int] = SEED_WEIGHTS,
    kind: RuleKind | None = None,
    tenant_id: str = TENANT,
    scope: Mapping[str, str] | None = None,
    **fields: Any,
) -> Rule:
    if kind is None:
        kind = RuleKind.ROUND_ROBIN if set(weights.values()) == {1} else RuleKind.WEIGHTED
    return new_rule(
        {
            "tenant_id": tenant_id,
            "rule_id": rule_id,
            "name": f"Rule {rule_id}",
            "kind": kind,
            "scope": dict(scope or {"pool": "web", "step": "new"}),
            "staff": [{"staff_id": sid, "weight": w} for sid, w in weights.items()],
            **fields,
        }
    )


def lead(
    received_at: datetime = NOW,
    tenant_id: str = TENANT,
    pool: str = "web",
    step: str = "new",
    campaign: str | None = None,
    **fields: Any,
) -> Lead:
    return Lead(
        tenant_id=tenant_id,
        lead_id=fields.pop("lead_id", None) or new_id("L", received_at),
        name=fields.pop("name", "Nguyễn Văn An"),
        pool=pool,
        step=step,
        campaign=campaign,
        received_at=received_at,
        queued_at=fields.pop("queued_at", received_at),
        **fields,
    )


def seed(
    repo: Seedable,
    the_rule: Rule,
    members: Iterable[StaffMember] | None = None,
    absent: Iterable[str] = (),
) -> Rule:
    """Store the tenant, the rule, and its staff (available unless given; ``absent`` ones not at all)."""
    repo.put_tenant(Tenant(tenant_id=the_rule.tenant_id, name="Acme"))
    given = {m.staff_id: m for m in members or []}
    for entry in the_rule.staff:
        if entry.staff_id in absent:
            continue
        member = given.pop(entry.staff_id) if entry.staff_id in given else None
        repo.put_staff(member or staff(entry.staff_id, tenant_id=the_rule.tenant_id))
    for extra in given.values():
        repo.put_staff(extra)
    repo.create_rule(the_rule)
    return the_rule


def add_leads(repo: Repository, count: int, received_at: datetime = NOW, **fields: Any) -> list[Lead]:
    """``count`` pending leads, one millisecond apart (so 'oldest first' is well defined)."""
    leads = [lead(received_at=received_at + timedelta(milliseconds=i), **fields) for i in range(count)]
    repo.import_leads(leads)
    return leads
