"""Who holds a phone or email, and whether that claim still stands (intake, edits, deletes, restores).

A claim whose lead is deleted or gone is *stale*: it can be left by data written before deletes
released their claims, or by an intake that crashed between its claim and its lead. A stale claim
never swallows an enquiry or blocks an edit: the next write that needs the contact takes it over,
conditioned on it still pointing at the stale holder. A claim intake wrote a moment ago whose lead is
not stored yet is *in flight*: intake waits a moment for that lead; an edit is told to retry.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from leadrouter.clock import utc_now
from leadrouter.domain.contacts import Claim
from leadrouter.domain.errors import Conflict
from leadrouter.domain.leads import Lead, LeadStatus
from leadrouter.logic.ports import Contacts, LeadReads


class SettlePorts(Contacts, LeadReads, Protocol):
    """Who holds a contact, and the holders' leads."""


#: Pauses (seconds) while waiting for an in-flight claim's lead: about a second in all, far longer
#: than the few milliseconds between intake's claim and its insert.
SETTLE_PAUSES = (0.02, 0.05, 0.1, 0.2, 0.3, 0.4)


@dataclass
class Holders:
    #: contact → another live lead (pending, assigned, escalated) holding it.
    live: dict[str, Lead] = field(default_factory=dict)
    #: contact → id of the deleted or missing lead whose claim may be taken over.
    stale: dict[str, str] = field(default_factory=dict)
    #: contact → a claim intake just wrote whose lead is not stored yet.
    in_flight: dict[str, Claim] = field(default_factory=dict)


def sort_holders(repo: LeadReads, tenant_id: str, holders: Mapping[str, Claim], me: str) -> Holders:
    """Split claims held by leads other than ``me`` into live, stale and in-flight ones."""
    found = Holders()
    now = utc_now()  # the wall clock: claims are stamped with it, whatever time a replay runs at
    for contact, claim in holders.items():
        if claim.lead_id == me:
            continue
        lead = repo.get_lead(tenant_id, claim.lead_id)
        if lead is not None and lead.status is not LeadStatus.DELETED:
            found.live[contact] = lead
        elif lead is None and claim.in_flight(now):
            found.in_flight[contact] = claim
        else:
            found.stale[contact] = claim.lead_id
    return found


def settle(
    repo: SettlePorts,
    tenant_id: str,
    found: Holders,
    me: str,
) -> Holders:
    """Wait (about a second at most) until no claim is in flight: its lead appeared, or it moved.

    Raises Conflict if one is still in flight after that (the request holding it is slow or dead:
    the sender is asked to retry; after ``CLAIM_GRACE`` the claim is stale and taken over).
    """
    for pause in SETTLE_PAUSES:
        if not found.in_flight:
            return found
        time.sleep(pause)
        again = sort_holders(repo, tenant_id, repo.contact_claims(tenant_id, list(found.in_flight)), me)
        found = Holders(
            live={**found.live, **again.live},
            stale={**found.stale, **again.stale},
            in_flight=again.in_flight,
        )
    if found.in_flight:
        raise Conflict("this phone or email is being registered by another submission right now; retry")
    return found


def contact_field(contact: str) -> str:
    """``phone`` or ``email``: the field a contact key (``phone#+84…``) came from, safe to log."""
    return contact.split("#", 1)[0]
