"""Google Ads on DynamoDB Local: copies of one lead racing at the door make one lead.

Google retries a delivery it thinks failed; a retry can overlap the first attempt still in flight. The
copies race as separate Lambda containers would (``at_once``: forked processes released together).
"""

from __future__ import annotations

from leadrouter.data.repository import Repository
from leadrouter.runtime import new_repository
from tests.integration.test_submissions_on_ddb_local import at_once
from tests.support.builders import TENANT
from tests.support.platforms import create_platform_source, fixture, post_hook, submissions

COPIES = 8


def test_eight_copies_of_one_google_lead_at_once_make_one_lead(ddb_tables: dict[str, str]) -> None:
    # Given a Google Ads source, and one lead as Google posts it
    repo: Repository = new_repository()
    created = create_platform_source("google_ads", {"google_key": "g-key-2f6c1a"}, rate_per_minute=6000)
    raw = fixture("google_ads", "lead.json")
    # When 8 copies arrive at the same instant, each at its own container
    replies = at_once(COPIES, lambda _: post_hook(created["form_key"], raw))
    # Then every copy is answered 200, and one lead and one submission record exist
    assert [r.status for r in replies] == [200] * COPIES, [r.body for r in replies]
    (lead,) = list(repo.tenant_leads(TENANT))
    assert lead.phone == "+84912345678"
    (record,) = submissions()
    assert record["status"] == "accepted" and record["lead_id"] == lead.lead_id
