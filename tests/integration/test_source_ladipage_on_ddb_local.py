"""LadiPage deliveries racing on DynamoDB Local: copies of one delivery, each at its own container
(forked processes released together, as in test_submissions_on_ddb_local), make one lead."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import pytest

from leadrouter.data.repository import Repository
from leadrouter.runtime import new_repository
from tests.integration.test_submissions_on_ddb_local import at_once
from tests.support.builders import TENANT
from tests.support.platforms import create_platform_source, fixture, fixture_json, post_hook, submissions

COPIES = 8
KEY = "ldp-key-5d1e9b7c"
BEARER = {"Authorization": f"Bearer {KEY}"}
URLENCODED = "application/x-www-form-urlencoded"


@pytest.fixture
def repo(ddb_tables: dict[str, str]) -> Repository:
    return new_repository()


def _form_key() -> str:
    created = create_platform_source("ladipage", {"api_key": KEY}, rate_per_minute=6000)
    key: str = created["form_key"]
    return key


SAME_DELIVERY: dict[str, dict[str, Any]] = {
    "with its event_id": fixture_json("ladipage", "lead.json"),
    "without an event_id": {
        k: v for k, v in fixture_json("ladipage", "lead.json").items() if k != "event_id"
    },
}


@pytest.mark.parametrize("body", SAME_DELIVERY.values(), ids=SAME_DELIVERY.keys())
def test_eight_copies_of_one_delivery_at_once_make_one_lead(repo: Repository, body: dict[str, Any]) -> None:
    key = _form_key()
    raw = urlencode(body).encode()
    # When LadiPage's delivery arrives 8 times at the same instant, each copy at its own container
    replies = at_once(COPIES, lambda _: post_hook(key, raw, BEARER, URLENCODED))
    # Then every copy is answered 200, and one lead and one submission record exist
    assert [r.status for r in replies] == [200] * COPIES, [r.body for r in replies]
    (lead,) = list(repo.tenant_leads(TENANT))
    assert lead.phone == "+84987654321"
    (record,) = submissions()
    assert record["status"] == "accepted" and record["lead_id"] == lead.lead_id
    assert repo.lead_events(TENANT, lead.lead_id) == []


def test_a_capture_then_eight_copies_of_its_full_submission_make_one_lead_and_link_it_once(
    repo: Repository,
) -> None:
    key = _form_key()
    # Given a held capture
    assert post_hook(key, fixture("ladipage", "capture.json"), BEARER).status == 200
    (held,) = submissions("held")
    # When the full submission arrives 8 times at once
    raw = fixture("ladipage", "lead.json")
    replies = at_once(COPIES, lambda _: post_hook(key, raw, BEARER))
    # Then one lead exists, carrying the full data, and the capture is linked to it
    assert [r.status for r in replies] == [200] * COPIES, [r.body for r in replies]
    (lead,) = list(repo.tenant_leads(TENANT))
    assert (lead.name, lead.email) == ("Trần Thị Bích", "bich.tran@example.vn")
    by_id = {r["submission_id"]: r for r in submissions()}
    assert len(by_id) == 2
    capture = by_id[held["submission_id"]]
    assert capture["status"] == "linked" and capture["answer"]["lead_id"] == lead.lead_id
    assert json.loads(dict(capture["fields"])["body"])["status_send"] == "capture"
