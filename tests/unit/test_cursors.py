"""Cursors are the data layer's: opaque tokens out, start keys rebuilt in, bound to the caller's tenant."""

from __future__ import annotations

import base64
import json

import pytest

from leadrouter.data.cursors import delivery_cursor, delivery_start_key, lead_cursor, lead_start_key
from leadrouter.domain.errors import InvalidInput

LEAD = "L01a20b4809004065135ae4af2ced"
IDLE = "2026-11-24T02:00:00.000000Z"


def _position(cursor: str) -> object:
    return json.loads(base64.urlsafe_b64decode(cursor))


def test_a_lead_cursor_carries_a_position_not_a_dynamodb_key() -> None:
    # Given the last evaluated key of an owner-index page
    key = {
        "tenant_id": {"S": "acme"},
        "lead_id": {"S": LEAD},
        "owner_key": {"S": "acme#A"},
        "idle_since": {"S": IDLE},
    }
    # When it becomes a cursor
    cursor = lead_cursor(key)
    # Then the token holds the position only (no type tags, no index key), and comes back as the same key
    assert cursor is not None and _position(cursor) == {
        "tenant_id": "acme",
        "lead_id": LEAD,
        "idle_since": IDLE,
    }
    assert lead_start_key(cursor, "acme", "A", "L", "L~") == key


def test_a_lead_cursor_of_another_tenant_or_listing_is_refused_naming_cursor() -> None:
    tenant_page = lead_cursor({"tenant_id": {"S": "acme"}, "lead_id": {"S": LEAD}})
    assert lead_start_key(tenant_page, "acme", None, "L", "L~") == {
        "tenant_id": {"S": "acme"},
        "lead_id": {"S": LEAD},
    }
    for tenant, owner, low in [("globex", None, "L"), ("acme", "A", "L"), ("acme", None, "L1")]:
        with pytest.raises(InvalidInput) as refused:
            lead_start_key(tenant_page, tenant, owner, low, "L~")
        assert set(refused.value.fields) == {"cursor"}


def test_a_delivery_cursor_is_rebuilt_inside_the_callers_tenant_and_webhook() -> None:
    # Given a cursor from acme's webhook W1
    cursor = delivery_cursor({"pk": {"S": "acme#W1"}, "sk": {"S": f"{IDLE}#evt-1"}})
    assert cursor is not None and _position(cursor) == {"s": f"{IDLE}#evt-1"}
    # When another tenant passes it: Then it can only ever start inside that tenant's own log
    assert delivery_start_key(cursor, "globex", "W9") == {
        "pk": {"S": "globex#W9"},
        "sk": {"S": f"{IDLE}#evt-1"},
    }
    with pytest.raises(InvalidInput):
        delivery_start_key("bm9wZQ", "acme", "W1")
