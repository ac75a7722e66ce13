"""The access audit on DynamoDB Local: concurrent appends make one unbroken chain (the conditional put
on each sequence number is what moto cannot check), and what one audited request costs."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

from leadrouter.data.repository import Repository
from leadrouter.domain.audit import AuditAction, AuditEntry
from leadrouter.domain.users import Caller
from leadrouter.logic.privacy.audit import record_access, verify
from leadrouter.settings import Settings
from tests.support.builders import NOW, TENANT

ADMIN = Caller(tenant_id=TENANT, role="admin", subject="user-admin")


def _appends(repo: Repository, who: str, n: int) -> list[AuditEntry]:
    caller = Caller(tenant_id=TENANT, role="staff", staff_id=who, subject=f"user-{who}")
    return [
        record_access(repo, caller, AuditAction.READ, [f"L{who}{i:03d}"], NOW + timedelta(seconds=i))
        for i in range(n)
    ]


def test_two_writers_appending_at_once_make_one_chain_of_40(
    ddb_tables: dict[str, str], ddb_local: Any
) -> None:
    # Given two containers, each with its own client, appending 20 entries at the same time
    repos = [Repository(Settings.from_env(), ddb_local.client()) for _ in range(2)]
    with ThreadPoolExecutor(max_workers=2) as pool:
        done = [pool.submit(_appends, repo, who, 20) for repo, who in zip(repos, "AB", strict=True)]
        written = [entry for future in done for entry in future.result()]
    # Then every entry took its own place: sequence numbers 1..40, each once
    assert sorted(e.seq for e in written) == list(range(1, 41))
    # And the chain verifies end to end, its head at the 40th
    found = verify(repos[0], ADMIN, NOW + timedelta(minutes=1))
    assert found.ok and found.checked == 40 and found.head is not None and found.head.seq == 40
    entries = repos[0].audit_chain(TENANT, from_seq=0, limit=100)
    assert [e.prev_hash for e in entries[1:]] == [e.hash for e in entries[:-1]]


class Metered:
    """A DynamoDB client that sums the capacity every call consumed."""

    def __init__(self, real: Any) -> None:
        self._real = real
        self.units = {"wru": 0.0, "rru": 0.0}

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._real, name)
        if name not in ("put_item", "update_item", "get_item", "query"):
            return method
        kind = "rru" if name in ("get_item", "query") else "wru"

        def metered(**request: Any) -> Any:
            response = method(**request, ReturnConsumedCapacity="TOTAL")
            self.units[kind] += response.get("ConsumedCapacity", {}).get("CapacityUnits", 0.0)
            return response

        return metered


def test_an_audited_request_costs_2_wru_for_one_lead_and_3_for_a_page_of_50(
    ddb_tables: dict[str, str], ddb_local: Any
) -> None:
    metered = Metered(ddb_local.client())
    repo = Repository(Settings.from_env(), metered)
    record_access(repo, ADMIN, AuditAction.READ, ["L-first"], NOW)  # the head exists from here on
    # When one lead is read
    metered.units.update(wru=0.0, rru=0.0)
    record_access(repo, ADMIN, AuditAction.READ, ["L01a20b480900eab7ee9a5b72029d"], NOW)
    # Then the entry and the head cost 1 WRU each; the tenant's settings and the head 1 RRU each at most
    assert metered.units["wru"] == 2 and metered.units["rru"] <= 2
    # When a listing page of 50 leads is recorded: its entry is over 1 KB, so 2 WRU, 3 in all
    metered.units.update(wru=0.0, rru=0.0)
    record_access(
        repo, ADMIN, AuditAction.LIST, [f"L01a20b4809{i:02d}eab7ee9a5b72029d" for i in range(50)], NOW
    )
    assert metered.units["wru"] == 3
