"""The access audit: who read, listed, exported, changed or deleted which leads, as a hash chain.

Each tenant's entries form one chain: entry n holds its sequence number, the hash of entry n-1 and
its own hash, a SHA-256 over its canonical form (sorted-key compact JSON of every field but the hash).
Editing an entry changes its hash; dropping or reordering entries breaks a link; dropping the newest
is seen against the chain's head (kept apart, moved forward only). Entries expire by TTL after the
tenant's ``privacy.retention.audit_days``: a missing predecessor is accepted only once it had
expired (each entry carries its predecessor's expiry), so an early deletion shows as a broken link.

An entry names leads by id only, never a person's name, phone or e-mail; the actor is the signed-in
user's subject, their staff id and role. Who can rewrite the whole tail and the head can forge a
chain; an admin who keeps the head hash ``verify`` reports (a copy outside leadrouter) detects that.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import Field

from leadrouter.clock import to_iso
from leadrouter.domain.base import Ident, Moment, _Model
from leadrouter.domain.users import Caller

#: The hash an empty chain "ends" with: the first entry's ``prev_hash``.
GENESIS = "0" * 64
#: Lead ids one entry names at most (a listing page is at most 200); beyond, only the count.
MAX_LEAD_IDS = 500

Digest = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]


class AuditAction(StrEnum):
    READ = "read"
    LIST = "list"
    EXPORT = "export"
    CHANGE = "change"
    DELETE = "delete"
    ERASE = "erase"
    PRIVACY_REQUEST = "privacy_request"


class Actor(_Model):
    """Who acted, as authentication established it: the user's subject, their staff id, their role."""

    subject: str = ""
    staff_id: Ident | None = None
    role: str

    @classmethod
    def of(cls, caller: Caller) -> Actor:
        return cls(subject=caller.subject, staff_id=caller.staff_id, role=caller.role)

    def is_named(self, who: str) -> bool:
        """Whether ``who`` names this actor (a user's subject or a staff id)."""
        return who in (self.subject, self.staff_id)


class AuditDraft(_Model):
    """What a use case records about one request, before it takes its place in the chain."""

    tenant_id: Ident
    actor: Actor
    action: AuditAction
    lead_ids: list[Ident] = Field(default_factory=list, max_length=MAX_LEAD_IDS)
    #: How many leads the request touched (a listing page, an export's rows).
    count: int = Field(ge=0)
    at: Moment
    request_id: Annotated[str, Field(max_length=128)] | None = None
    #: What else names the access (an export's id, a privacy request's id).
    ref: Annotated[str, Field(max_length=128)] | None = None
    #: When DynamoDB may delete it (epoch seconds): ``at`` plus the tenant's audit retention.
    expires_at: int


class AuditEntry(AuditDraft):
    """An entry in its tenant's chain."""

    seq: int = Field(ge=1)
    prev_hash: Digest
    #: The predecessor's ``expires_at`` (0 for the first entry): its absence before then is tampering.
    prev_expires_at: int = Field(ge=0)
    hash: Digest


class ChainHead(_Model):
    """The newest entry's sequence number and hash, kept apart so a dropped tail is seen."""

    seq: int = Field(ge=0)
    hash: Digest
    #: The newest entry's expiry: past it, a chain with no entries left has simply expired.
    expires_at: int = 0


def draft(
    caller: Caller,
    action: AuditAction,
    lead_ids: Sequence[str],
    at: datetime,
    expires_at: int,
    *,
    count: int | None = None,
    request_id: str | None = None,
    ref: str | None = None,
) -> AuditDraft:
    """The entry a request makes (ids beyond ``MAX_LEAD_IDS`` are left out; the count keeps them)."""
    ids = list(dict.fromkeys(lead_ids))
    return AuditDraft(
        tenant_id=caller.tenant_id,
        actor=Actor.of(caller),
        action=action,
        lead_ids=ids[:MAX_LEAD_IDS],
        count=len(ids) if count is None else count,
        at=at,
        request_id=request_id,
        ref=ref,
        expires_at=expires_at,
    )


def canonical(fields: dict[str, Any]) -> bytes:
    """The bytes an entry's hash covers: every field but ``hash``, sorted-key compact ASCII JSON."""
    body = {k: v for k, v in fields.items() if k != "hash" and v is not None}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii")


def _fields(entry: AuditDraft, seq: int, prev_hash: str, prev_expires_at: int) -> dict[str, Any]:
    data = entry.model_dump(mode="json", exclude={"at", "seq", "prev_hash", "prev_expires_at", "hash"})
    chain = {"seq": seq, "prev_hash": prev_hash, "prev_expires_at": prev_expires_at}
    return data | {"at": to_iso(entry.at)} | chain


def entry_hash(entry: AuditEntry) -> str:
    """The hash the entry's fields give (equal to ``entry.hash`` unless it was edited)."""
    fields = _fields(entry, entry.seq, entry.prev_hash, entry.prev_expires_at)
    return hashlib.sha256(canonical(fields)).hexdigest()


def chained(entry: AuditDraft, head: ChainHead | None) -> AuditEntry:
    """The draft as the entry after the chain's ``head`` (None: the chain's first)."""
    head = head or ChainHead(seq=0, hash=GENESIS)
    fields = _fields(entry, head.seq + 1, head.hash, head.expires_at)
    digest = hashlib.sha256(canonical(fields)).hexdigest()
    return AuditEntry(
        **entry.model_dump(include=set(AuditDraft.model_fields)),
        seq=head.seq + 1,
        prev_hash=head.hash,
        prev_expires_at=head.expires_at,
        hash=digest,
    )


def head_of(entry: AuditEntry) -> ChainHead:
    """The chain's head once ``entry`` is its newest."""
    return ChainHead(seq=entry.seq, hash=entry.hash, expires_at=entry.expires_at)


class Break(_Model):
    """The first broken link: the entry where the chain stops holding, and why."""

    seq: int
    reason: str


class Verification(_Model):
    """What ``verify`` found over the entries it read."""

    ok: bool
    checked: int
    first_seq: int | None = None
    last_seq: int | None = None
    #: Links across entries that expired (by the tenant's retention), accepted as such.
    expired_gaps: int = 0
    broken: Break | None = None
    head: ChainHead | None = None
    #: Where to continue (``?from_seq=``) when more entries follow; None when the chain was read to its head.
    next_from_seq: int | None = None
    #: Whether the chain still holds a head recorded earlier (None: none given, or it expired with its
    #: successor so nothing is left to compare).
    anchor_matches: bool | None = None


def verify_chain(
    entries: Sequence[AuditEntry],
    now: datetime,
    *,
    head: ChainHead | None,
    anchored: bool = False,
    complete: bool = True,
) -> Verification:
    """Check ``entries`` (ascending by ``seq``, as stored) and report the first broken link.

    Each entry's hash must be its fields' hash and its ``prev_hash`` the predecessor's hash, with
    consecutive sequence numbers. A predecessor that is not there is accepted only if it had expired
    (``prev_expires_at`` ≤ now). ``anchored``: the first entry is a starting point (a page after the
    first), so only its own hash is checked. ``complete``: the entries run to the newest, so the last
    must be the head (or newer, when an append moved the head after it was read), and a head with no
    entries left must have expired with them.
    """
    now_s = int(now.timestamp())
    found = Verification(ok=True, checked=0, head=head)
    previous: AuditEntry | None = None
    gaps = 0
    for index, entry in enumerate(entries):
        reason = _broken_link(entry, previous, now_s, first=index == 0, anchored=anchored)
        if reason == "expired":
            gaps += 1
        elif reason:
            return _broken(found, entries, index, reason, gaps)
        previous = entry
    if complete and head is not None:
        reason = _head_mismatch(entries, head, now_s)
        if reason:
            last = entries[-1].seq if entries else head.seq
            return found.model_copy(
                update=_span(entries, len(entries), gaps)
                | {"ok": False, "broken": Break(seq=max(head.seq, last), reason=reason)}
            )
    return found.model_copy(update=_span(entries, len(entries), gaps))


def _span(entries: Sequence[AuditEntry], checked: int, gaps: int) -> dict[str, Any]:
    seen = entries[:checked]
    return {
        "checked": checked,
        "first_seq": seen[0].seq if seen else None,
        "last_seq": seen[-1].seq if seen else None,
        "expired_gaps": gaps,
    }


def _broken(
    found: Verification, entries: Sequence[AuditEntry], index: int, reason: str, gaps: int
) -> Verification:
    broken = Break(seq=entries[index].seq, reason=reason)
    update = _span(entries, index, gaps) | {"ok": False, "broken": broken}
    return found.model_copy(update=update)


def _broken_link(
    entry: AuditEntry, previous: AuditEntry | None, now_s: int, *, first: bool, anchored: bool
) -> str | None:
    """Why ``entry`` does not hold in the chain after ``previous`` ("expired": a gap that may be)."""
    if entry_hash(entry) != entry.hash:
        return "entry altered: its hash does not match its contents"
    if first and anchored:
        return None
    if previous is None:
        if entry.seq == 1:
            return None if entry.prev_hash == GENESIS else "first entry does not start the chain"
    elif entry.seq <= previous.seq:
        return f"out of order: entry {entry.seq} after entry {previous.seq}"
    if previous is None or entry.seq > previous.seq + 1:
        if entry.prev_expires_at <= now_s:
            return "expired"
        return f"entry {entry.seq - 1} missing before its expiry"
    if entry.prev_hash != previous.hash:
        return f"link broken: prev_hash is not entry {previous.seq}'s hash"
    return None


def _head_mismatch(entries: Sequence[AuditEntry], head: ChainHead, now_s: int) -> str | None:
    """Why the newest entries do not reach the head (None: they do)."""
    if not entries:
        if head.seq == 0 or head.expires_at <= now_s:
            return None
        return f"entries up to {head.seq} missing (the head names {head.seq})"
    last = entries[-1]
    if last.seq < head.seq:
        if head.expires_at <= now_s:
            return None
        return f"entries after {last.seq} missing (the head names {head.seq})"
    at_head = next((e for e in entries if e.seq == head.seq), None)
    if at_head is not None and at_head.hash != head.hash:
        return f"entry {head.seq} is not the one the head names"
    return None


def anchor_mismatch(anchor: ChainHead, near: Sequence[AuditEntry]) -> bool | None:
    """Whether the chain disagrees with a head recorded earlier (``anchor``), given the entries from
    its sequence number on: its own entry must have its hash, or (once that expired) the next entry
    must name it. None: neither is left to compare."""
    for entry in near[:2]:
        if entry.seq == anchor.seq:
            return entry.hash != anchor.hash
        if entry.seq == anchor.seq + 1:
            return entry.prev_hash != anchor.hash
    return None
