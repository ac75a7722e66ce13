"""The access audit: who read, listed, exported, changed, deleted or erased which leads, and when.

Every use case that shows or changes a lead records one entry per request (a listing page or an
export is one entry naming the ids, or only the count) through ``record_access``; admins list the
entries and verify the chain (``domain.audit``). Entries name leads by id only. Each is kept for the
tenant's ``privacy.retention.audit_days``, then deleted by TTL.

Cost per audited request: the tenant's settings (1 RCU), the chain's head (1 RCU) and 2 WRU (the
entry, up to 1 KB: a listing page of 50 ids is 2 WRU, so 3 in all; the head).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Protocol

from leadrouter.data.cursors import Cursor
from leadrouter.domain.audit import (
    AuditAction,
    AuditEntry,
    Break,
    ChainHead,
    Verification,
    anchor_mismatch,
    draft,
    verify_chain,
)
from leadrouter.domain.errors import NotAllowed
from leadrouter.domain.users import Caller
from leadrouter.logic.ports import AuditLog, AuditTrail, RetentionPeriods

#: Entries one ``verify`` call reads at most (continue with ``next_from_seq``).
MAX_VERIFY = 5000


class AuditPorts(AuditTrail, RetentionPeriods, Protocol):
    """The chain, and the tenant's retention for the entry's expiry (cached, as every stamping write)."""


def record_access(
    repo: AuditPorts,
    caller: Caller,
    action: AuditAction,
    lead_ids: Sequence[str],
    at: datetime,
    *,
    count: int | None = None,
    request_id: str | None = None,
    ref: str | None = None,
) -> AuditEntry:
    """Record that ``caller`` did ``action`` to these leads (ids only) in one request.

    The one port the privacy requests and erasure use cases call too: ``ERASE`` for an erasure,
    ``PRIVACY_REQUEST`` for a request opened, answered or exported, ``ref`` naming the request.
    """
    days = repo.retention_periods(caller.tenant_id).audit_days
    expires_at = int((at + timedelta(days=days)).timestamp())
    entry = draft(caller, action, lead_ids, at, expires_at, count=count, request_id=request_id, ref=ref)
    return repo.append_audit(entry)


def _admin(caller: Caller) -> None:
    if caller.role != "admin":
        raise NotAllowed("only the tenant's admins may read the access audit")


def list_entries(
    repo: AuditLog,
    caller: Caller,
    now: datetime,
    *,
    lead_id: str | None,
    actor: str | None,
    limit: int,
    cursor: Cursor | None,
) -> tuple[list[AuditEntry], Cursor | None]:
    """A page of the tenant's entries, newest first (admins), by lead and by actor if asked."""
    _admin(caller)
    return repo.audit_entries(
        caller.tenant_id, now=now, lead_id=lead_id, actor=actor, limit=limit, start=cursor
    )


def verify(
    repo: AuditLog,
    caller: Caller,
    now: datetime,
    *,
    from_seq: int | None = None,
    limit: int = MAX_VERIFY,
    anchor: ChainHead | None = None,
) -> Verification:
    """Recompute the tenant's chain (admins) from its oldest entry, or from ``from_seq``, for up to
    ``limit`` entries, and report the first broken link and where to continue. With ``anchor`` (a
    head ``verify`` returned before, kept by the admin), also whether the chain still holds it: a
    chain rewritten whole, hashes and head included, does not."""
    _admin(caller)
    found = _verify(repo, caller.tenant_id, now, from_seq, limit)
    if anchor is None:
        return found
    near = repo.audit_chain(caller.tenant_id, from_seq=anchor.seq, limit=2)
    mismatch = anchor_mismatch(anchor, near)
    if mismatch is None:
        return found
    if not mismatch:
        return found.model_copy(update={"anchor_matches": True})
    rewritten = Break(
        seq=anchor.seq, reason=f"entry {anchor.seq} is not the one recorded: the chain was rewritten"
    )
    return found.model_copy(
        update={"anchor_matches": False, "ok": False, "broken": found.broken or rewritten}
    )


def _verify(repo: AuditLog, tenant_id: str, now: datetime, from_seq: int | None, limit: int) -> Verification:
    head = repo.audit_head(tenant_id)
    anchored = from_seq is not None and from_seq > 1
    start = from_seq - 1 if from_seq is not None and anchored else 0
    entries = repo.audit_chain(tenant_id, from_seq=start, limit=limit + 1)
    more = len(entries) > limit
    entries = entries[:limit]
    found = verify_chain(entries, now, head=head, anchored=anchored, complete=not more)
    if more and found.ok:
        return found.model_copy(update={"next_from_seq": entries[-1].seq + 1})
    return found
