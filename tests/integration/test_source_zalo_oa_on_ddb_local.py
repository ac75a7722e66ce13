"""Zalo OA on DynamoDB Local: copies of one signed event racing at the door make one lead.

The copies race as separate Lambda containers would (``at_once``: forked processes released together),
as Zalo's resends of an event it thinks was not answered in time can overlap the first delivery.
"""

from __future__ import annotations

import hashlib

from leadrouter.data.repository import Repository
from leadrouter.runtime import new_repository
from tests.integration.test_submissions_on_ddb_local import at_once
from tests.support.builders import TENANT
from tests.support.platforms import create_platform_source, fixture, post_hook, submissions

COPIES = 8
APP_ID = "3482178216594085616"
SECRET = "oa-secret-9Xq2LbT7"
#: The fixture's timestamp, which the signature covers.
TIMESTAMP = "1796609730000"


def test_eight_copies_of_one_signed_event_at_once_make_one_lead(ddb_tables: dict[str, str]) -> None:
    # Given a Zalo OA source, and a follower's signed user_submit_info
    repo: Repository = new_repository()
    created = create_platform_source(
        "zalo_oa", {"app_id": APP_ID, "oa_secret_key": SECRET}, rate_per_minute=6000
    )
    raw = fixture("zalo_oa", "user_submit_info.json")
    mac = hashlib.sha256(APP_ID.encode() + raw + TIMESTAMP.encode() + SECRET.encode()).hexdigest()
    # When 8 copies arrive at the same instant, each at its own container
    replies = at_once(
        COPIES, lambda _: post_hook(created["form_key"], raw, {"X-ZEvent-Signature": f"mac={mac}"})
    )
    # Then every copy is answered 200, and one lead and one submission record exist
    assert [r.status for r in replies] == [200] * COPIES, [r.body for r in replies]
    leads = list(repo.tenant_leads(TENANT))
    assert len(leads) == 1
    assert leads[0].phone == "+84987654321"
    records = submissions()
    assert len(records) == 1 and records[0]["status"] == "accepted"
    assert records[0]["lead_id"] == leads[0].lead_id
