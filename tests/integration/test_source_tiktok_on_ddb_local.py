"""TikTok's at-least-once deliveries racing on DynamoDB Local: copies of one lead are one lead.

The copies race as separate Lambda containers would (forked processes, released together by a
barrier), as in ``test_submissions_on_ddb_local``.
"""

from __future__ import annotations

import time

from leadrouter.data.repository import Repository
from leadrouter.runtime import new_repository
from tests.integration.test_submissions_on_ddb_local import COPIES, at_once
from tests.support.builders import TENANT
from tests.support.platforms import create_platform_source, fixture, post_hook, submissions
from tests.unit.test_source_tiktok import SECRET, reserialized, signed


def test_eight_copies_of_one_tiktok_delivery_at_once_make_one_lead(ddb_tables: dict[str, str]) -> None:
    # Given a TikTok source, and one lead delivery TikTok sends 8 times (it delivers at least once)
    repo: Repository = new_repository()
    created = create_platform_source("tiktok", {"client_secret": SECRET})
    raw = fixture("tiktok", "lead.json")
    copies = [raw, reserialized(raw)]  # the same lead, its content serialized another way
    now = int(time.time())
    # When the 8 copies arrive at the same instant, each at its own container, each signed anew
    replies = at_once(
        COPIES, lambda i: post_hook(created["form_key"], copies[i % 2], signed(copies[i % 2], at=now + i))
    )
    # Then every copy is answered 200, and exactly one lead and one submission record exist
    assert [r.status for r in replies] == [200] * COPIES, [r.body for r in replies]
    (lead,) = list(repo.tenant_leads(TENANT))
    assert lead.attribution is not None
    assert lead.attribution.first.platform_lead_id == "7311234567890123456"
    (record,) = submissions()
    assert record["status"] == "accepted" and record["lead_id"] == lead.lead_id
