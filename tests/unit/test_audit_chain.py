"""The access audit's hash chain, pure: an intact chain verifies, and any single edited, dropped or
reordered entry is reported at the first broken link; entries gone by retention are accepted."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from leadrouter.domain.audit import (
    GENESIS,
    AuditAction,
    AuditEntry,
    ChainHead,
    anchor_mismatch,
    chained,
    draft,
    head_of,
    verify_chain,
)
from leadrouter.domain.users import Caller
from tests.support.builders import NOW, TENANT

DAY = 86_400
KEEP = int((NOW + timedelta(days=730)).timestamp())
ADMIN = Caller(tenant_id=TENANT, role="admin", subject="user-admin")
SELLER = Caller(tenant_id=TENANT, role="staff", staff_id="A", subject="user-a")


def chain(n: int, expires_at: int = KEEP) -> list[AuditEntry]:
    """``n`` entries by an admin and a salesperson, each a second after the last."""
    entries: list[AuditEntry] = []
    head: ChainHead | None = None
    for i in range(n):
        who = ADMIN if i % 2 else SELLER
        action = list(AuditAction)[i % len(AuditAction)]
        at = NOW + timedelta(seconds=i)
        entry = chained(draft(who, action, [f"L{i:04d}"], at, expires_at + i, request_id=f"r{i}"), head)
        entries.append(entry)
        head = head_of(entry)
    return entries


def test_the_first_entry_starts_from_genesis_and_each_names_its_predecessor() -> None:
    # Given three entries appended in turn
    entries = chain(3)
    # Then they count from 1, the first links to the genesis hash, each other to the one before
    assert [e.seq for e in entries] == [1, 2, 3]
    assert entries[0].prev_hash == GENESIS and entries[0].prev_expires_at == 0
    assert [e.prev_hash for e in entries[1:]] == [e.hash for e in entries[:2]]
    # And an entry names leads by id and the actor by subject, staff id and role only
    assert entries[0].actor.model_dump() == {"subject": "user-a", "staff_id": "A", "role": "staff"}


@given(st.integers(0, 30))
def test_an_intact_chain_verifies_to_its_head(n: int) -> None:
    entries = chain(n)
    head = head_of(entries[-1]) if entries else None
    found = verify_chain(entries, NOW, head=head)
    assert found.ok and found.broken is None and found.checked == n


EDITS: dict[str, Callable[[AuditEntry], dict[str, Any]]] = {
    "actor": lambda e: {"actor": e.actor.model_copy(update={"subject": "someone-else"})},
    "action": lambda e: {
        "action": AuditAction.READ if e.action is not AuditAction.READ else AuditAction.LIST
    },
    "lead_ids": lambda e: {"lead_ids": [*e.lead_ids, "L9999"]},
    "count": lambda e: {"count": e.count + 1},
    "at": lambda e: {"at": e.at + timedelta(microseconds=1)},
    "request_id": lambda e: {"request_id": None},
    "expires_at": lambda e: {"expires_at": e.expires_at - DAY},
    "tenant_id": lambda e: {"tenant_id": "globex"},
}


@given(st.integers(1, 25), st.data(), st.sampled_from(sorted(EDITS)))
def test_any_edited_entry_is_the_first_broken_link(n: int, data: st.DataObject, field: str) -> None:
    # Given an intact chain, When one entry's field is changed in place (its hash kept)
    entries = chain(n)
    k = data.draw(st.integers(0, n - 1))
    entries[k] = entries[k].model_copy(update=EDITS[field](entries[k]))
    # Then verify reports that entry, and only what came before it as checked
    found = verify_chain(entries, NOW, head=head_of(chain(n)[-1]))
    assert not found.ok and found.broken is not None
    assert found.broken.seq == k + 1 and found.checked == k


@given(st.integers(1, 25), st.data())
def test_an_edit_that_recomputes_its_own_hash_breaks_the_next_link_or_the_head(
    n: int, data: st.DataObject
) -> None:
    # Given an entry rewritten with a fresh hash of its new contents
    entries = chain(n)
    k = data.draw(st.integers(0, n - 1))
    forged = entries[k].model_copy(update={"lead_ids": ["L9999"]})
    entries[k] = chained(forged, ChainHead(seq=k, hash=forged.prev_hash, expires_at=forged.prev_expires_at))
    # Then the next entry's link no longer holds, or (the newest) the head names another hash
    found = verify_chain(entries, NOW, head=head_of(chain(n)[-1]))
    assert not found.ok and found.broken is not None
    assert found.broken.seq == min(k + 2, n)


@given(st.integers(1, 25), st.data())
def test_any_dropped_entry_is_reported_while_it_should_still_be_kept(n: int, data: st.DataObject) -> None:
    # Given a chain whose entries are kept for two years, When one entry is deleted now
    entries = chain(n)
    head = head_of(entries[-1])
    k = data.draw(st.integers(0, n - 1))
    del entries[k]
    found = verify_chain(entries, NOW, head=head)
    # Then the break is at the entry after it (or, for the newest, at the head)
    assert not found.ok and found.broken is not None
    assert found.broken.seq == (k + 2 if k < n - 1 else n)
    assert "missing" in found.broken.reason


@given(st.integers(2, 25), st.data())
def test_any_two_entries_swapped_are_reported(n: int, data: st.DataObject) -> None:
    entries = chain(n)
    head = head_of(entries[-1])
    i = data.draw(st.integers(0, n - 2))
    j = data.draw(st.integers(i + 1, n - 1))
    entries[i], entries[j] = entries[j], entries[i]
    found = verify_chain(entries, NOW, head=head)
    assert not found.ok and found.broken is not None
    assert found.checked == i


def test_entries_gone_by_retention_are_accepted_as_gaps() -> None:
    # Given entries kept one day, read three days later with the oldest two and a middle one deleted by TTL
    short = int((NOW + timedelta(days=1)).timestamp())
    entries = chain(6, expires_at=short)
    later = NOW + timedelta(days=3)
    kept = [entries[2], entries[4], entries[5]]
    # Then the chain still verifies, naming the gaps; a head whose entries all expired is fine too
    found = verify_chain(kept, later, head=head_of(entries[-1]))
    assert found.ok and found.expired_gaps == 2 and (found.first_seq, found.last_seq) == (3, 6)
    assert verify_chain([], later, head=head_of(entries[-1])).ok
    # But before they expired the same gaps are tampering
    assert not verify_chain(kept, NOW, head=head_of(entries[-1])).ok
    assert not verify_chain([], NOW, head=head_of(entries[-1])).ok


def test_a_page_after_the_first_is_checked_from_its_anchor() -> None:
    # Given the second half of a chain, read as a page starting after the first entry
    entries = chain(10)
    found = verify_chain(entries[4:], NOW, head=head_of(entries[-1]), anchored=True)
    assert found.ok and found.first_seq == 5
    # And a page that does not reach the head is not held to it
    assert verify_chain(entries[:5], NOW, head=head_of(entries[-1]), complete=False).ok


def test_a_listing_names_each_lead_once_and_a_large_one_keeps_its_count() -> None:
    ids = [f"L{i:04d}" for i in range(600)]
    entry = draft(ADMIN, AuditAction.LIST, [*ids, ids[0]], NOW, KEEP)
    assert len(entry.lead_ids) == 500 and entry.count == 600


def test_a_chain_rewritten_whole_verifies_but_no_longer_holds_a_head_kept_from_before() -> None:
    # Given a head the admin kept when the chain had three entries
    entries = chain(5)
    kept = head_of(entries[2])
    # When someone rewrites the chain from the second entry on, every hash recomputed, head included
    forged: list[AuditEntry] = entries[:1]
    for entry in entries[1:]:
        edited = entry.model_copy(update={"lead_ids": ["L9999"]})
        forged.append(chained(edited, head_of(forged[-1])))
    # Then the forged chain is consistent in itself
    assert verify_chain(forged, NOW, head=head_of(forged[-1])).ok
    # But it no longer holds the kept head, whether its entry is still there or expired before the next
    assert anchor_mismatch(kept, forged[2:]) is True
    assert anchor_mismatch(kept, forged[3:]) is True
    # And the true chain holds it, even once the kept entry itself is gone
    assert anchor_mismatch(kept, entries[2:]) is False
    assert anchor_mismatch(kept, entries[3:]) is False
    assert anchor_mismatch(kept, entries[4:]) is None
