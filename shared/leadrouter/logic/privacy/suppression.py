"""The suppression list at the import's door: an erased contact is not imported again, unless the
person came back by a submission of their own.

An erasure puts the digests of the person's contacts on the list (``erasure``). An import's dry run
asks here for its rows' contacts and refuses a suppressed one with a reason of its own. A submission
of the person themselves (a web form, the JSON API, an ad platform's adapter) is never asked: they came
back, which intake shows the usual way, by a lead holding the contact's claim. The erasure deleted
every claim of the contact, so a live claim received after the erasure was made since by intake; the
list then lifts the suppression (deletes it) and the row links to that lead as any duplicate does.
Checked lazily here rather than written by intake, so a new lead keeps its cost (no pepper, no extra
write on the public door's path).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from leadrouter.domain.leads import LeadStatus
from leadrouter.domain.privacy import contact_digest
from leadrouter.logic.ports import ContactPeppers, Contacts, LeadReads, Suppressions

#: A refused row's reason in the import's report (never the contact itself).
SUPPRESSED_REASON = (
    "suppressed: this contact was erased at the person's request; only a new submission of their own "
    "lets it in again"
)


class SuppressionPorts(Suppressions, ContactPeppers, Contacts, LeadReads, Protocol):
    """The list, the pepper its digests are made with, and the claims that show a person came back."""


def still_suppressed(repo: SuppressionPorts, tenant_id: str, contacts: Sequence[str]) -> set[str]:
    """Those of ``contacts`` (``phone#…``/``email#…`` keys) that are suppressed; suppressions the
    person lifted by coming back are deleted on the way."""
    if not contacts or not repo.has_suppressions(tenant_id):  # most tenants: no pepper, no KMS call
        return set()
    pepper = repo.contact_pepper(tenant_id)
    by_digest = {contact_digest(pepper, contact): contact for contact in dict.fromkeys(contacts)}
    listed = repo.suppressed(tenant_id, list(by_digest))
    if not listed:
        return set()
    claims = repo.contact_claims(tenant_id, [by_digest[d] for d in listed])
    holders = repo.leads_by_id(tenant_id, sorted({claim.lead_id for claim in claims.values()}))
    came_back: list[str] = []
    for digest, entry in listed.items():
        claim = claims.get(by_digest[digest])
        lead = holders.get(claim.lead_id) if claim else None
        if lead is not None and lead.status is not LeadStatus.DELETED and lead.received_at >= entry.at:
            came_back.append(digest)
    if came_back:
        repo.lift_suppressions(tenant_id, came_back)
    return {by_digest[d] for d in listed if d not in came_back}
