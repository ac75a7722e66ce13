"""Who holds a phone or email, and whether that claim still stands (intake, edits, deletes, restores).

A claim whose lead is deleted or gone is *stale*: it can be left by data written before deletes
released their claims. A stale claim never swallows an enquiry or blocks an edit: the next write that
needs the contact takes it over, conditioned on it still pointing at the stale holder.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from leadrouter.data.repository import Repository
from leadrouter.domain.models import Lead, LeadStatus


@dataclass
class Holders:
    #: contact → another live lead (pending, assigned, escalated) holding it.
    live: dict[str, Lead] = field(default_factory=dict)
    #: contact → id of the deleted or missing lead whose claim may be taken over.
    stale: dict[str, str] = field(default_factory=dict)


def sort_holders(repo: Repository, tenant_id: str, holders: Mapping[str, str], me: str) -> Holders:
    """Split claims held by leads other than ``me`` into live ones and stale ones."""
    found = Holders()
    for contact, holder in holders.items():
        if holder == me:
            continue
        lead = repo.get_lead(tenant_id, holder)
        if lead is None or lead.status is LeadStatus.DELETED:
            found.stale[contact] = holder
        else:
            found.live[contact] = lead
    return found


def contact_field(contact: str) -> str:
    """``phone`` or ``email``: the field a contact key (``phone#+84…``) came from, safe to log."""
    return contact.split("#", 1)[0]
