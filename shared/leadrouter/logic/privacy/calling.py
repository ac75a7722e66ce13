"""Advertising calls as the sweeps and care see them: may this lead be called, and "I called".

A sweep asks once per page (``CallChecks.of_leads``): the tenant's calling hours and time zone come
with the rule's clocks, the tenant's pepper is read once per sweep, and the lists are read in one
consistent BatchGetItem for the page's leads that are not barred already (no consent, restricted, no
phone: those need no read). A failed read never blocks routing and never allows a call: the leads of
that page are handed out with ``call_allowed: false`` (``call_check_failed``).

A lead given to someone without a rule (by hand, an import keeping its owner) is checked by the same
``CallChecks``, for that one lead (``handover_call``), so its new owner is told the same either way.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from leadrouter.data.calling import CallingRecord
from leadrouter.domain.calling import (
    CallBar,
    CallPermission,
    call_permission,
    customer_zone,
    needs_lists,
)
from leadrouter.domain.contacts import contact_keys
from leadrouter.domain.leads import Lead
from leadrouter.domain.privacy import CallingHours, contact_digest
from leadrouter.domain.tenants import Tenant
from leadrouter.domain.zones import DEFAULT_TIME_ZONE
from leadrouter.logic.ports import CallingLists, ContactPeppers
from leadrouter.observability import logger


class CallCheckPorts(CallingLists, ContactPeppers, Protocol):
    """The tenant's pepper and its lists."""


def phone_digest(pepper: bytes, phone: str) -> str:
    """The digest the lists keep for a normalised (E.164) phone."""
    (key,) = contact_keys(phone, None)
    return contact_digest(pepper, key)


def decision_fields(permission: CallPermission) -> dict[str, Any]:
    """The decision's call fields (``domain.leads.Decision``)."""
    return {
        "call_allowed": permission.allowed,
        "call_reason": permission.reason.value if permission.reason is not None else None,
        "call_allowed_from": permission.allowed_from,
    }


@dataclass
class CallChecks:
    """One sweep's call checks. ``tenant`` is asked on the first page that has leads to check (the
    sweep's clocks already read the tenant item, so this reads nothing more)."""

    repo: CallCheckPorts
    tenant_id: str
    now: datetime
    tenant: Callable[[], Tenant | None]
    _pepper: bytes | None = field(default=None, repr=False)

    def of_leads(self, leads: Sequence[Lead]) -> dict[str, CallPermission]:
        """lead id → whether its new owner may call it now."""
        if not leads:
            return {}
        tenant = self.tenant()
        hours = tenant.privacy.calling_hours if tenant is not None else CallingHours()
        zone = tenant.time_zone if tenant is not None else DEFAULT_TIME_ZONE
        wanted = [lead for lead in leads if needs_lists(lead.consents, lead.restriction, lead.phone)]
        try:
            digests = self._digests(wanted)
            records = self.repo.calling_records(self.tenant_id, list(digests.values())) if digests else {}
        except Exception as error:  # never call on a guess; routing goes on
            logger.error(
                "call lists unreadable; calls barred for this page",
                extra={"tenant_id": self.tenant_id, "leads": len(wanted), "error_type": type(error).__name__},
            )
            barred = CallPermission(allowed=False, reason=CallBar.CHECK_FAILED)
            checked = {lead.lead_id for lead in wanted}
            return {
                lead.lead_id: barred
                if lead.lead_id in checked
                else _permission(lead, None, hours, zone, self.now)
                for lead in leads
            }
        return {
            lead.lead_id: _permission(lead, records.get(digests.get(lead.lead_id, "")), hours, zone, self.now)
            for lead in leads
        }

    def _digests(self, leads: Sequence[Lead]) -> dict[str, str]:
        if not leads:
            return {}
        if self._pepper is None:
            self._pepper = self.repo.existing_pepper(self.tenant_id)
            if self._pepper is None:  # no pepper: the tenant has never listed or logged a number
                return {}
        return {lead.lead_id: phone_digest(self._pepper, lead.phone) for lead in leads if lead.phone}


def handover_call(repo: CallCheckPorts, lead: Lead, tenant: Tenant | None, now: datetime) -> dict[str, Any]:
    """The call fields of a decision that gives ``lead`` to someone without a rule, as a sweep giving
    it at ``now`` would write them. ``tenant``: its settings item (None: the defaults)."""
    checks = CallChecks(repo, lead.tenant_id, now, lambda: tenant)
    return decision_fields(checks.of_leads([lead])[lead.lead_id])


def _permission(
    lead: Lead, record: CallingRecord | None, hours: CallingHours, zone: str, now: datetime
) -> CallPermission:
    return call_permission(
        consents=lead.consents,
        restriction=lead.restriction,
        phone=lead.phone,
        do_not_call=record.do_not_call if record is not None else (),
        last_call_at=record.last_call_at if record is not None else None,
        hours=hours,
        zone=customer_zone(lead.phone, zone),
        now=now,
    )


def record_call(repo: CallCheckPorts, lead: Lead, at: datetime) -> None:
    """Staff called the lead: its phone may not get another advertising call for 24 hours, whichever
    lead carries it."""
    if lead.phone:
        repo.record_advertising_call(
            lead.tenant_id, phone_digest(repo.contact_pepper(lead.tenant_id), lead.phone), at
        )
