"""A lead DynamoDB deleted at the end of its retention period takes its contact claims and history along.

TTL deletes the lead item alone (``domain.retention``): its ``CONTACT#`` claims hold its phone and e-mail
in their keys and its history lines hold notes, and neither can carry the lead's expiry (care renews a
lead without touching them). The leads table's stream reports each TTL deletion (a REMOVE made by the
DynamoDB service itself), and this removes what the lead left behind. A claim another lead holds by
now is left alone; repeats are harmless.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from leadrouter.data.stream import lead_from_image
from leadrouter.domain.contacts import contact_keys
from leadrouter.domain.leads import Lead
from leadrouter.logic.ports import Contacts, PersonalData
from leadrouter.observability import logger, metrics

#: Who a TTL deletion is made by, in the stream record's ``userIdentity``.
TTL_PRINCIPAL = "dynamodb.amazonaws.com"


class ExpiryPorts(Contacts, PersonalData, Protocol):
    """The contact claims, and the history lines of a lead."""


def expired_by_ttl(record: Mapping[str, Any]) -> bool:
    """A stream record of a lead DynamoDB deleted because its retention ran out (not one a user deleted)."""
    identity = record.get("userIdentity") or {}
    return (
        record.get("eventName") == "REMOVE"
        and identity.get("type") == "Service"
        and identity.get("principalId") == TTL_PRINCIPAL
    )


def forget_expired(repo: ExpiryPorts, lead: Lead) -> dict[str, int]:
    """Release the expired lead's contact claims (those still naming it) and delete its history."""
    contacts = contact_keys(lead.phone, lead.email)
    repo.release_claims(lead.tenant_id, lead.lead_id, contacts)
    return {"contacts": len(contacts), "history": repo.delete_history(lead.tenant_id, lead.lead_id)}


def forget_expired_record(repo: ExpiryPorts, record: Mapping[str, Any]) -> dict[str, int]:
    """One stream record as Lambda delivers it: a TTL deletion's lead forgotten; anything else ignored
    (the template's filter lets only TTL deletions through; this holds without it too)."""
    if not expired_by_ttl(record):
        return {}
    lead = lead_from_image((record.get("dynamodb") or {}).get("OldImage"))
    if lead is None:
        return {}
    counts = forget_expired(repo, lead)
    metrics.add_metric(name="ExpiredLeadsForgotten", unit="Count", value=1)
    logger.info(
        "expired lead forgotten", extra={"tenant_id": lead.tenant_id, "lead_id": lead.lead_id, **counts}
    )
    return counts
