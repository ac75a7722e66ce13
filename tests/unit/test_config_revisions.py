"""Every config write is conditional on the revision it read; the loser gets 409.

Reproducers: a rename built on a stale read re-activated a deactivated member; a rule edit built on a
stale read restored ``active: true`` after a disable; two pool-setting writes overwrote each other.
"""

from __future__ import annotations

from typing import Any

import pytest

from leadrouter.data.repository import Repository
from leadrouter.domain.pools import PoolSettings
from tests.support.api import call_as
from tests.support.builders import TENANT, rule, seed, staff


def _rule_body(**fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"name": "Web", "kind": "round_robin", "scope": {"pool": "web", "step": "new"}}
    body["staff"] = [{"staff_id": "A"}, {"staff_id": "B"}]
    return body | fields


def test_a_rename_built_on_a_stale_read_cannot_reactivate_a_member(
    moto_repo: Repository, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given member A, read by admin 1 while active
    moto_repo.put_staff(staff("A"))
    stale = moto_repo.get_staff(TENANT, ["A"])["A"]
    # …and admin 2 deactivates A meanwhile
    assert call_as("PATCH", "/staff/A", {"active": False}).status == 200
    # When admin 1's rename (built on the stale read) is saved
    monkeypatch.setattr(Repository, "get_staff", lambda self, tenant_id, ids: {"A": stale})
    reply = call_as("PATCH", "/staff/A", {"name": "Lan"})
    monkeypatch.undo()
    # Then it is refused and A stays inactive under the old name
    assert reply.status == 409
    stored = moto_repo.get_staff(TENANT, ["A"])["A"]
    assert not stored.active and stored.name == "Staff A" and stored.rev == 1


def test_each_staff_write_bumps_the_revision_and_records_the_deactivation(moto_repo: Repository) -> None:
    moto_repo.put_staff(staff("A"))
    call_as("PATCH", "/staff/A", {"paused": True})
    reply = call_as("PATCH", "/staff/A", {"active": False})
    stored = moto_repo.get_staff(TENANT, ["A"])["A"]
    assert reply.body["staff"]["rev"] == 2 == stored.rev
    assert stored.deactivated_at is not None and stored.paused and not stored.active


def test_a_rule_edit_built_on_a_stale_read_cannot_undo_a_disable(
    moto_repo: Repository, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given an active rule, read by admin 1
    for sid in "AB":
        moto_repo.put_staff(staff(sid))
    assert call_as("POST", "/rules", _rule_body(rule_id="r-web")).status == 201
    stale = moto_repo.get_rule(TENANT, "r-web")
    # …and admin 2 disables it meanwhile
    assert call_as("POST", "/rules/r-web/disable").status == 200
    # When admin 1 saves an edit built on the active version
    monkeypatch.setattr(Repository, "get_rule", lambda self, tenant_id, rule_id: stale)
    reply = call_as("PUT", "/rules/r-web", _rule_body(name="Renamed"))
    monkeypatch.undo()
    # Then 409, and the rule stays disabled and unrenamed
    assert reply.status == 409
    stored = moto_repo.get_rule(TENANT, "r-web")
    assert stored is not None and not stored.active and stored.name == "Web" and stored.version == 1


def test_enable_on_a_stale_read_is_refused(moto_repo: Repository, monkeypatch: pytest.MonkeyPatch) -> None:
    seed(moto_repo, rule("r-web", weights={"A": 1, "B": 1}))
    stale = moto_repo.get_rule(TENANT, "r-web")
    call_as("POST", "/rules/r-web/disable")
    monkeypatch.setattr(Repository, "get_rule", lambda self, tenant_id, rule_id: stale)
    assert call_as("POST", "/rules/r-web/disable").status == 409
    monkeypatch.undo()
    stored = moto_repo.get_rule(TENANT, "r-web")
    assert stored is not None and not stored.active and stored.rev == 1


def test_pool_settings_written_on_a_stale_read_are_refused(
    moto_repo: Repository, monkeypatch: pytest.MonkeyPatch
) -> None:
    stale = moto_repo.get_pool_settings(TENANT, "web")
    assert call_as("PUT", "/pools/web", {"on_duplicate": "rotate"}).status == 200
    monkeypatch.setattr(Repository, "get_pool_settings", lambda self, tenant_id, pool: stale)
    assert call_as("PUT", "/pools/web", {"on_duplicate": "link"}).status == 409
    monkeypatch.undo()
    assert moto_repo.get_pool_settings(TENANT, "web") == PoolSettings(
        tenant_id=TENANT, pool="web", on_duplicate="rotate", rev=1
    )
