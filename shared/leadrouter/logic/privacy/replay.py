"""Erasures applied again after a point-in-time restore of the tables (``leadrouter.replay_erasures``).

A restore brings back the tables as they were at the restore point: every erasure made after it is
undone there, while its receipt, kept in the files bucket (``receipts``), is not. Replaying a receipt
finds the person again from its digests alone (the receipt never names them): each contact claim's
key and each lead's phone and e-mail of the tenant are digested with the tenant's pepper and compared.
The stores are then erased as the first time (``erasure.erase_stores``, idempotent), the suppression
list gets the digests back with their first time, and the receipt records the replay.

A config table restored to before the tenant's pepper was made lacks it: the copy kept beside the
receipts (``pepper.sealed``) is put back first, so the digests mean the same again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from leadrouter.domain.contacts import contact_keys
from leadrouter.domain.erasure import ErasureReceipt, Person, Suppression
from leadrouter.domain.files import ListedFiles
from leadrouter.domain.privacy import contact_digest
from leadrouter.logic.privacy import receipts
from leadrouter.logic.privacy.erasure import ErasurePorts, erase_stores


class ReplayPorts(ErasurePorts, Protocol):
    """What an erasure uses (the tenant's claims and leads are where the person is found again)."""


@dataclass
class Replayed:
    """What a replay did: receipts replayed, of which how many found the person still there."""

    receipts: int = 0
    found: int = 0
    #: Per store of the registry, summed over the receipts.
    counts: dict[str, dict[str, int]] = field(default_factory=dict)


def replay_erasures(repo: ReplayPorts, files: ListedFiles, since: datetime, now: datetime) -> Replayed:
    """Apply again every erasure made at or after ``since`` (the restore point), oldest first."""
    done = Replayed()
    for receipt in receipts.receipts_since(files, since):
        done.receipts += 1
        counts = replay_one(repo, files, receipt, now)
        if counts is not None:
            done.found += 1
            for store, what in counts.items():
                for name, n in what.items():
                    done.counts.setdefault(store, {})[name] = done.counts.get(store, {}).get(name, 0) + n
    return done


def replay_one(
    repo: ReplayPorts, files: ListedFiles, receipt: ErasureReceipt, now: datetime
) -> dict[str, dict[str, int]] | None:
    """One receipt applied again: the counts, or None when the restored tables no longer held them."""
    tenant_id = receipt.tenant_id
    kept = receipts.kept_pepper(files, tenant_id)
    if kept is not None and repo.sealed_pepper(tenant_id) is None:
        repo.restore_pepper(tenant_id, kept)
    person = _person_of(repo, tenant_id, set(receipt.digests))
    counts = erase_stores(repo, files, tenant_id, person, now) if person is not None else None
    repo.suppress_contacts(
        tenant_id,
        [Suppression(digest=d, at=receipt.at, request_id=receipt.request_id) for d in receipt.digests],
    )
    receipts.put_receipt(files, receipt.model_copy(update={"replayed_at": [*receipt.replayed_at, now]}))
    return counts


def _person_of(repo: ReplayPorts, tenant_id: str, digests: set[str]) -> Person | None:
    """The person whose contacts' digests are ``digests``, from the contacts the tenant's claims and
    leads still hold; None if none of them is there any more."""
    pepper = repo.contact_pepper(tenant_id)
    found: dict[str, str] = {}  # "phone" / "email" → the contact

    def look(contact: str) -> None:
        kind, _, value = contact.partition("#")
        if kind not in found and contact_digest(pepper, contact) in digests:
            found[kind] = value

    for contact, _ in repo.tenant_claims(tenant_id):
        look(contact)
    if len(found) < len(digests):
        for lead in repo.tenant_leads(tenant_id):
            for contact in contact_keys(lead.phone, lead.email):
                look(contact)
            if len(found) == len(digests):
                break
    if not found:
        return None
    return Person(phone=found.get("phone"), email=found.get("email"))
