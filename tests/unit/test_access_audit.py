"""The access audit's store and use cases on moto: the tenant's retention sets each entry's expiry, an
append that died before moving the head is seen through, and expired entries leave the listing."""

from __future__ import annotations

from datetime import timedelta

import pytest

from leadrouter.data.audit import HEAD_SK, entry_sk
from leadrouter.data.repository import Repository
from leadrouter.domain.audit import AuditAction, ChainHead
from leadrouter.domain.errors import NotAllowed
from leadrouter.domain.privacy import PrivacySettings, Retention
from leadrouter.domain.tenants import Tenant
from leadrouter.domain.users import Caller
from leadrouter.logic.privacy.audit import list_entries, record_access, verify
from tests.support.builders import NOW, TENANT

ADMIN = Caller(tenant_id=TENANT, role="admin", subject="user-admin")
TEAM_LEAD = Caller(tenant_id=TENANT, role="team_lead", staff_id="lead-red", team="red", subject="user-tl")


def test_each_entry_expires_after_the_tenants_audit_period(moto_repo: Repository) -> None:
    # Given a tenant that keeps its audit 90 days
    privacy = PrivacySettings(retention=Retention(audit_days=90))
    moto_repo.put_tenant(Tenant(tenant_id=TENANT, name="ABC", privacy=privacy))
    # When a read is recorded
    entry = record_access(moto_repo, ADMIN, AuditAction.READ, ["L1"], NOW, request_id="req-1")
    # Then it expires 90 days later, and the item carries the TTL attribute the table deletes by
    assert entry.expires_at == int((NOW + timedelta(days=90)).timestamp())
    item = moto_repo._client.get_item(
        TableName=moto_repo._config, Key={"pk": {"S": f"TENANT#{TENANT}"}, "sk": {"S": entry_sk(1)}}
    )["Item"]
    assert item["expires_at"] == {"N": str(entry.expires_at)}
    # And the head is never given an expiry (it outlives its entries)
    head = moto_repo._client.get_item(
        TableName=moto_repo._config, Key={"pk": {"S": f"TENANT#{TENANT}"}, "sk": {"S": HEAD_SK}}
    )["Item"]
    assert "expires_at" not in head and head["seq"] == {"N": "1"}


def test_an_append_that_died_before_moving_the_head_is_chained_after(moto_repo: Repository) -> None:
    # Given two entries, then the head put back by one (as if the second append stopped after its put)
    first = record_access(moto_repo, ADMIN, AuditAction.READ, ["L1"], NOW)
    second = record_access(moto_repo, ADMIN, AuditAction.READ, ["L2"], NOW)
    moto_repo._client.delete_item(
        TableName=moto_repo._config, Key={"pk": {"S": f"TENANT#{TENANT}"}, "sk": {"S": HEAD_SK}}
    )
    moto_repo._advance_head(
        f"TENANT#{TENANT}", ChainHead(seq=1, hash=first.hash, expires_at=first.expires_at)
    )
    # When the next request appends
    third = record_access(moto_repo, ADMIN, AuditAction.CHANGE, ["L2"], NOW)
    # Then it found the second entry in its way and chained after it, and the head caught up
    assert (third.seq, third.prev_hash) == (3, second.hash)
    assert moto_repo.audit_head(TENANT) == ChainHead(seq=3, hash=third.hash, expires_at=third.expires_at)
    assert verify(moto_repo, ADMIN, NOW).ok


def test_expired_entries_leave_the_listing_before_the_table_deletes_them(moto_repo: Repository) -> None:
    record_access(moto_repo, ADMIN, AuditAction.READ, ["L1"], NOW)
    # When the audit is read after its retention (730 days by default)
    later = NOW + timedelta(days=731)
    assert list_entries(moto_repo, ADMIN, NOW, lead_id=None, actor=None, limit=10, cursor=None)[0]
    assert list_entries(moto_repo, ADMIN, later, lead_id=None, actor=None, limit=10, cursor=None) == (
        [],
        None,
    )
    # And the chain is still whole: what expired may be gone
    assert verify(moto_repo, ADMIN, later).ok


def test_only_admins_list_or_verify(moto_repo: Repository) -> None:
    with pytest.raises(NotAllowed):
        list_entries(moto_repo, TEAM_LEAD, NOW, lead_id=None, actor=None, limit=10, cursor=None)
    with pytest.raises(NotAllowed):
        verify(moto_repo, TEAM_LEAD, NOW)


def test_the_erasure_and_request_helpers_record_through_the_same_port(moto_repo: Repository) -> None:
    # When an erasure and a data-subject request are recorded, naming the request they belong to
    record_access(moto_repo, ADMIN, AuditAction.PRIVACY_REQUEST, ["L1"], NOW, ref="PR1")
    record_access(moto_repo, ADMIN, AuditAction.ERASE, ["L1"], NOW, ref="PR1")
    # Then they are entries like any other, found by the lead's id
    found, _ = list_entries(moto_repo, ADMIN, NOW, lead_id="L1", actor=None, limit=10, cursor=None)
    assert [(e.action, e.ref) for e in found] == [
        (AuditAction.ERASE, "PR1"),
        (AuditAction.PRIVACY_REQUEST, "PR1"),
    ]
