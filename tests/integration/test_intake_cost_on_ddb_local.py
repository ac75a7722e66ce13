"""What a new lead costs at the door, on DynamoDB Local: 4 WRU in 3 DynamoDB calls with a phone, through
the JSON API and the form door alike (a warm container, mid content bucket; ``bench/intake_cost.py``
gives every case and door).

The API handler takes API Gateway events as a warm Lambda container would. Every DynamoDB request of
the process carries ``ReturnConsumedCapacity=INDEXES`` (botocore's one call path is wrapped), so the
code under test is unchanged.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import botocore.client
import pytest

from leadrouter.runtime import new_repository
from leadrouter_local.apigw import proxy_event
from tests.support.api import FORM_KEY, add_form_source, frozen_api_clock
from tests.support.builders import rule, seed
from tests.support.lambda_context import FakeContext

WRITES = frozenset({"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"})
READS = frozenset({"GetItem", "Query", "BatchGetItem"})
ORIGIN = "https://shop.example.vn"
#: Five minutes into a ten-minute content bucket: a keyless post reads its own bucket only.
MID_BUCKET = datetime(2026, 12, 8, 3, 5, tzinfo=UTC)
LEADS = 20


@dataclass
class Tally:
    calls: int = 0
    wru: float = 0.0
    operations: list[str] = field(default_factory=list)
    #: The door's rate-limit counters (``LIMIT#`` partitions), apart: a container claims blocks of posts.
    limit_calls: int = 0
    limit_wru: float = 0.0

    def clear(self) -> None:
        self.calls, self.wru, self.operations, self.limit_calls, self.limit_wru = 0, 0.0, [], 0, 0.0


@pytest.fixture
def tally(monkeypatch: pytest.MonkeyPatch) -> Tally:
    """Every DynamoDB request of this process, with the write units DynamoDB reports for it."""
    counted = Tally()
    real: Callable[..., Any] = botocore.client.BaseClient._make_api_call

    def metered(client: Any, operation: str, params: dict[str, Any]) -> Any:
        if client.meta.service_model.service_name != "dynamodb" or operation not in WRITES | READS:
            return real(client, operation, params)
        response = real(client, operation, {**params, "ReturnConsumedCapacity": "INDEXES"})
        units = 0.0
        if operation in WRITES:
            consumed = response.get("ConsumedCapacity") or []
            units = sum(
                float(e.get("CapacityUnits", 0.0))
                for e in (consumed if isinstance(consumed, list) else [consumed])
            )
        if str(params.get("Key", {}).get("pk", {}).get("S", "")).startswith("LIMIT#"):
            counted.limit_calls += 1
            counted.limit_wru += units
        else:
            counted.calls += 1
            counted.wru += units
            counted.operations.append(operation)
        return response

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", metered)
    return counted


def _json_api(fields: dict[str, str]) -> tuple[str, str, dict[str, str]]:
    body = {"name": fields["name"], "phone": fields["phone"], "fields": {"note": fields["note"]}}
    headers = {"X-Form-Key": FORM_KEY, "Content-Type": "application/json"}
    return "/intake/leads", json.dumps(body, ensure_ascii=False), headers


def _web_form(fields: dict[str, str]) -> tuple[str, str, dict[str, str]]:
    headers = {"Origin": ORIGIN, "Content-Type": "application/x-www-form-urlencoded", "Accept": "text/html"}
    return f"/f/{FORM_KEY}", urlencode(fields), headers


def _post(door: Callable[[dict[str, str]], tuple[str, str, dict[str, str]]], phone: str) -> None:
    from functions.api import app as api_app

    path, body, headers = door({"name": "Nguyễn Thị Ánh", "phone": phone, "note": "giao hàng"})
    answer = api_app.handler(proxy_event("POST", path, body, headers=headers), FakeContext())
    assert int(answer["statusCode"]) in (201, 303), answer.get("body")


@pytest.mark.parametrize("door", [_json_api, _web_form], ids=["json-api", "web-form"])
def test_a_new_lead_with_a_phone_costs_4_wru_in_3_dynamodb_calls(
    ddb_tables: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    tally: Tally,
    door: Callable[[dict[str, str]], tuple[str, str, dict[str, str]]],
) -> None:
    # Given a tenant with the seed's rule and a form source whose limits this run stays far below
    repo = new_repository()
    seed(repo, rule())
    web_form = {"rate_per_ip_per_minute": 6000, "allowed_origins": [ORIGIN]}
    add_form_source(repo, FORM_KEY, rate_per_minute=6000, web_form=web_form)
    frozen_api_clock(monkeypatch, MID_BUCKET)
    # …and a container that has taken one submission already (its source's settings cached)
    _post(door, "0900000000")
    # When 20 new leads with distinct phones come through the door
    tally.clear()
    for n in range(1, LEADS + 1):
        _post(door, f"09{n:08d}")
    # Then each cost 4 write units in 3 DynamoDB calls: the submission stored first, the lead written
    # with its phone's claim, the submission finished
    assert (tally.wru, tally.calls) == (4 * LEADS, 3 * LEADS), tally.operations[:6]
    # …and the door's limits wrote a block claim now and then, not once per post
    print(f"limit claims: {tally.limit_calls} calls, {tally.limit_wru} WRU for {LEADS} posts")
    assert tally.limit_calls <= LEADS // 10
