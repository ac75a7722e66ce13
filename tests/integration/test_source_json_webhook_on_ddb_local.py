"""A generic JSON webhook under races, on DynamoDB Local: copies of one delivery, one lead.

The copies race as separate Lambda containers would (forked processes released together by a barrier,
``at_once`` of the form door's race tests).
"""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest

from leadrouter.data.repository import Repository
from leadrouter.runtime import new_repository
from tests.integration.test_submissions_on_ddb_local import at_once
from tests.support.api import Reply
from tests.support.builders import TENANT
from tests.support.platforms import create_platform_source, fixture, fixture_json, post_hook, submissions

COPIES = 8
SECRET = "whk-secret-5b9e2d7a"


def _copy(numbered: bool, i: int) -> bytes:
    """Copy ``i`` of Getfly's delivery: the same bytes, or with the retry's own number in it."""
    if not numbered:
        return fixture("json_webhook", "getfly_customer.json")
    return json.dumps({**fixture_json("json_webhook", "getfly_customer.json"), "attempt": i}).encode()


@pytest.mark.parametrize("numbered", [False, True], ids=["the same bytes", "numbered retries"])
def test_eight_copies_of_one_signed_delivery_at_once_make_one_lead(
    ddb_tables: dict[str, str], numbered: bool
) -> None:
    # Given a signed generic webhook that takes Getfly's uid as the sender's id
    created = create_platform_source(
        "json_webhook",
        {
            "mapping": {"name": "data.fullname", "phone": "data.phone", "sender_id": "uid"},
            "signature": {"algorithm": "hmac-sha256", "header": "X-Signature-256", "prefix": "sha256="},
            "secret": SECRET,
        },
        rate_per_minute=6000,
    )

    def deliver(i: int) -> Reply:
        raw = _copy(numbered, i)
        signed = {"X-Signature-256": "sha256=" + hmac.new(SECRET.encode(), raw, hashlib.sha256).hexdigest()}
        return post_hook(created["form_key"], raw, signed)

    # When 8 copies of one delivery arrive at the same instant, each at its own container
    replies = at_once(COPIES, deliver)
    # Then every copy is answered 200, and one lead and one submission record exist (the copies are
    # one delivery by its uid: none is stored as another submission of the same person)
    assert [r.status for r in replies] == [200] * COPIES, [r.body for r in replies]
    repo: Repository = new_repository()
    (lead,) = list(repo.tenant_leads(TENANT))
    (record,) = submissions()
    assert record["status"] == "accepted" and record["lead_id"] == lead.lead_id
