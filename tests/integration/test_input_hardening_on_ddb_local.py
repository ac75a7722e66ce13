"""Input hardening on real DynamoDB semantics: what moto lets through, DynamoDB Local refuses with a 500.

DynamoDB rejects sort keys over 1,024 bytes and start keys outside a query's key condition with a
ValidationException; the API must refuse such input itself, naming the field, before DynamoDB sees it.
"""

from __future__ import annotations

import base64
import json
from datetime import timedelta
from urllib.parse import quote

import pytest

from leadrouter.clock import to_iso
from leadrouter.data.repository import Repository
from leadrouter.runtime import new_repository
from tests.support.api import call_as, claims
from tests.support.builders import NOW, TENANT, add_leads, rule, seed


@pytest.fixture
def repo(ddb_tables: dict[str, str]) -> Repository:
    repository = new_repository()
    seed(repository, rule(weights={"A": 1}))
    return repository


def _cursor(data: object) -> str:
    return quote(base64.urlsafe_b64encode(json.dumps(data).encode()).decode())


@pytest.mark.parametrize(
    ("method", "suffix", "body"),
    [
        ("GET", "", None),
        ("PATCH", "", {"name": "An"}),
        ("DELETE", "", None),
        ("POST", "/step", {"step": "x"}),
    ],
)
def test_a_lead_id_over_1024_bytes_never_reaches_dynamodb(
    repo: Repository, method: str, suffix: str, body: object
):
    reply = call_as(method, f"/leads/{'L' * 1025}{suffix}", body)
    assert reply.status == 422 and [e["field"] for e in reply.body["errors"]] == ["lead_id"]


@pytest.mark.parametrize(
    ("query", "cursor"),
    [
        # the foundation's raw start keys: passed on to DynamoDB when the tenant matched
        ("", {"tenant_id": {"S": TENANT}, "lead_id": {"S": "L" * 1025}}),
        ("", {"tenant_id": {"S": TENANT}, "lead_id": {"N": "1"}}),
        # our own shape, but outside the listing's key condition ("does not match the range key predicate")
        ("", {"tenant_id": TENANT, "lead_id": "A1"}),
        (f"received_from={quote(to_iso(NOW))}&", {"tenant_id": TENANT, "lead_id": "L0000"}),
        (f"received_to={quote(to_iso(NOW))}&", {"tenant_id": TENANT, "lead_id": "Lffffffffffff"}),
    ],
)
def test_a_cursor_dynamodb_would_refuse_is_a_422_naming_cursor(repo: Repository, query: str, cursor: object):
    add_leads(repo, 3)
    reply = call_as("GET", f"/leads?{query}cursor={_cursor(cursor)}")
    assert reply.status == 422 and [e["field"] for e in reply.body["errors"]] == ["cursor"], reply.body


@pytest.mark.parametrize("who", [None, "A"])
def test_real_cursors_page_through_a_period_on_both_indexes(repo: Repository, who: str | None) -> None:
    # Given 7 leads, assigned to A for the owner listing
    leads = add_leads(repo, 7, received_at=NOW)
    caller = claims("staff", staff_id="A") if who else claims("admin")
    if who:
        for lead in leads:
            assert call_as("POST", f"/leads/{lead.lead_id}/assignees", {"staff_ids": ["A"]}).status == 200
    period = f"received_from={quote(to_iso(NOW))}&received_to={quote(to_iso(NOW + timedelta(seconds=1)))}"
    # When they are listed 2 at a time through the period, following the cursor
    seen: list[str] = []
    cursor = ""
    for _ in range(10):
        page = call_as("GET", f"/leads?{period}&limit=2{cursor}", who=caller)
        assert page.status == 200, page.body
        seen += [x["lead"]["lead_id"] for x in page.body["items"]]
        if page.body["cursor"] is None:
            break
        cursor = f"&cursor={quote(page.body['cursor'])}"
    # Then each is seen once
    assert sorted(seen) == sorted(x.lead_id for x in leads)
