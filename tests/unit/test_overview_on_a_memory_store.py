"""The overview use case on a hand-written store behind its ports: the logic alone, no moto.

``tests/unit/test_api_overview.py`` asks the same questions through the API on moto; here the use
case gets ``tests.support.fakes.MemoryStore``, which mypy checks against ``OverviewPorts``.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from leadrouter.domain.ids import id_floor
from leadrouter.domain.leads import Lead
from leadrouter.domain.users import Caller
from leadrouter.logic.reports.overview import overview
from tests.support.builders import NOW, TENANT, lead, rule, seed, staff
from tests.support.fakes import MemoryStore

ADMIN = Caller(tenant_id=TENANT, role="admin")
#: NOW is 09:00 on Tuesday 24 November 2026 in Ho Chi Minh City (UTC+7): the day began at 17:00 UTC.
DAY_START = datetime.fromisoformat("2026-11-23T17:00:00+00:00")


def _lead(received_at: datetime, **fields: Any) -> Lead:
    return lead(received_at=received_at, lead_id=id_floor(received_at) + secrets.token_hex(8), **fields)


def test_each_pending_lead_says_why_it_waits_on_a_memory_store() -> None:
    # Given: r-web (A, B both paused); r-fb (30 min delay); r-zalo (its only member works at night);
    # r-tiktok (available, not swept yet); and the step "old" of pool web that no rule covers
    store = MemoryStore()
    seed(store, rule("r-web", weights={"A": 1, "B": 1}), [staff("A", paused=True), staff("B", paused=True)])
    seed(store, rule("r-fb", weights={"C": 1}, scope={"pool": "fb", "step": "new"}, delay_minutes=30))
    night = [staff("D", working_hours=[{"start": "22:00", "end": "23:00"}])]
    seed(store, rule("r-zalo", weights={"D": 1}, scope={"pool": "zalo", "step": "new"}), night)
    seed(store, rule("r-tiktok", weights={"E": 1}, scope={"pool": "tiktok", "step": "new"}))
    store.import_leads(
        [_lead(NOW - timedelta(minutes=1)) for _ in range(3)]
        + [_lead(NOW, pool="fb"), _lead(NOW, pool="zalo"), _lead(NOW, pool="tiktok")]
        + [_lead(NOW - timedelta(days=1), step="old")]
        + [_lead(NOW, tenant_id="globex", step="old")]
    )
    # When the tenant's admin reads today's overview
    body = overview(store, ADMIN, None, NOW + timedelta(minutes=5))
    # Then every pending lead of the tenant (not the other tenant's) is counted by reason
    assert body.waiting_by_reason == {
        "no_eligible_staff": 3,
        "delay": 1,
        "waiting_for_working_hours": 1,
        "queued": 1,
        "no_rule": 1,
    }
    assert (body.waiting, body.pending, body.received) == (7, 6, 6)
    groups = {(g.pool, g.step, g.reason): g for g in body.waiting_groups}
    web = groups[("web", "new", "no_eligible_staff")]
    assert (web.rule_id, web.leads) == ("r-web", 3)
    assert web.staff_out == {"A": "paused", "B": "paused"}
    # (24 November is a public holiday in the default calendar: D's next shift is the 25th, 22:00 local)
    assert groups[("zalo", "new", "waiting_for_working_hours")].expected_at == DAY_START + timedelta(
        days=1, hours=22
    )
    assert groups[("web", "old", "no_rule")].rule_id is None
    assert body.waiting_groups[0].reason == "no_eligible_staff"


def test_the_day_is_the_tenants_day_on_a_memory_store() -> None:
    # Given 4 leads of this morning (local), one a second before local midnight, one of another tenant
    store = MemoryStore()
    seed(store, rule(weights={"A": 1, "B": 1}))
    today = [_lead(NOW - timedelta(seconds=s)) for s in (10, 20, 30, 40)]
    store.import_leads([*today, _lead(DAY_START - timedelta(seconds=1)), _lead(NOW, tenant_id="globex")])
    # When the overview of today and of the day before are read
    body = overview(store, ADMIN, None, NOW + timedelta(minutes=5))
    # Then today holds the tenant's 4 leads from 00:00 local, all pending and queued
    assert (body.date.isoformat(), body.time_zone) == ("2026-11-24", "Asia/Ho_Chi_Minh")
    assert body.received_from == DAY_START and body.received_to == DAY_START + timedelta(days=1)
    assert (body.received, body.assigned, body.pending, body.escalated) == (4, 0, 4, 0)
    assert body.waiting_by_reason == {"queued": 5} and body.waiting_complete is True
    # …and the 23rd holds the lead of 23:59:59 local
    assert overview(store, ADMIN, DAY_START.date(), NOW).received == 1
