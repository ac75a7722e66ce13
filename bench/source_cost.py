"""What one new lead costs per platform source type, measured: WRU, RRU and DynamoDB calls, and for
Meta its fetch too; then Meta's time from webhook to assigned on the local stack.

    PYTHONPATH=shared:. .venv/bin/python bench/source_cost.py --leads 100

The real API handler takes each platform's delivery (signed as the platform signs it; a distinct phone
and no e-mail, as the form door's figure) on DynamoDB Local, after one cold delivery per source; the
meter is ``bench/intake_cost.py``'s (every request carries ``ReturnConsumedCapacity``). Meta's door
stores the announcement and queues its fetch; the fetch worker (``logic.intake.fetches``, reading a
local fake Graph API) is metered on its own. The form door's figure for comparison: 4 WRU in 3 calls
with a phone (``bench/intake_cost.py``).

The latency part starts ``make run``'s stack (a rule of the demo tenant gives every new lead at once),
posts signed Meta deliveries one at a time and times each until its lead is assigned (the stack's
emulated SQS, the fetch function, the Graph fake, the instant assignment).
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from unittest.mock import patch

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "shared"), str(ROOT)]
os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "leadrouter-bench")
os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "ERROR")

from bench.intake_cost import Meter, Row, _logical, _table_vars, _tables, markdown  # noqa: E402
from bench.local import TENANT, point_at, seed_rule  # noqa: E402
from leadrouter.data.platform_http import PlatformApis  # noqa: E402
from leadrouter.domain.fetches import FetchOrder  # noqa: E402
from leadrouter.logic.intake.fetches import Fetcher, FetchMessage, fetch_batch  # noqa: E402
from leadrouter.runtime import new_repository, secret_box  # noqa: E402
from leadrouter_local.apigw import proxy_event  # noqa: E402
from leadrouter_local.ddb_local import DynamoDBLocal  # noqa: E402
from leadrouter_local.fake_graph import FakeGraph  # noqa: E402
from tests.support.lambda_context import FakeContext  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures" / "platforms"
ADMIN = {"sub": "bench-admin", "custom:tenant_id": TENANT, "custom:role": "admin"}
#: (settings, a delivery for lead n with this phone) per platform kind.
Delivery = tuple[bytes, dict[str, str]]


def _fixture(kind: str, name: str) -> Any:
    return json.loads((FIXTURES / kind / name).read_text(encoding="utf-8"))


def _google(n: int, phone: str) -> Delivery:
    body = _fixture("google_ads", "lead.json")
    body["lead_id"] = f"bench-{n}"
    body["user_column_data"] = [c for c in body["user_column_data"] if c.get("column_id") != "EMAIL"]
    for column in body["user_column_data"]:
        if column.get("column_id") == "PHONE_NUMBER":
            column["string_value"] = phone
    return json.dumps(body).encode(), {"Content-Type": "application/json"}


def _meta(n: int, phone: str) -> Delivery:
    body = _fixture("meta_lead_ads", "webhook.json")
    change = body["entry"][0]["changes"][0]
    change["value"]["leadgen_id"] = str(5 * 10**14 + n)
    body["entry"][0]["changes"] = [change]
    raw = json.dumps(body).encode()
    signature = "sha256=" + hmac.new(b"bench-app-secret", raw, hashlib.sha256).hexdigest()
    return raw, {"Content-Type": "application/json", "X-Hub-Signature-256": signature}


def _tiktok(n: int, phone: str) -> Delivery:
    body = _fixture("tiktok", "lead.json")
    content = json.loads(body["content"])
    content["lead_id"] = str(7 * 10**18 + n)
    content["fields"] = [a for a in content["fields"] if a["field_name"] != "email"]
    for answer in content["fields"]:
        if answer["field_name"] == "phone_number":
            answer["field_value"] = phone
    body["content"] = json.dumps(content, ensure_ascii=False)
    raw = json.dumps(body, ensure_ascii=False).encode()
    t = str(int(time.time()))
    digest = hmac.new(b"bench-tiktok-secret", t.encode() + b"." + raw, hashlib.sha256).hexdigest()
    return raw, {"Content-Type": "application/json", "TikTok-Signature": f"t={t},s={digest}"}


def _zalo(n: int, phone: str) -> Delivery:
    body = _fixture("zalo_oa", "user_submit_info.json")
    body["sender"]["id"] = str(10**15 + n)
    body["info"]["phone"] = phone.lstrip("+")
    raw = json.dumps(body, ensure_ascii=False).encode()
    mac = hashlib.sha256(
        body["app_id"].encode() + raw + body["timestamp"].encode() + b"bench-oa-secret"
    ).hexdigest()
    return raw, {"Content-Type": "application/json", "X-ZEvent-Signature": f"mac={mac}"}


def _ladipage(n: int, phone: str) -> Delivery:
    body = _fixture("ladipage", "lead.json")
    body["Số điện thoại"] = phone
    body["event_id"] = f"bench-{n}"
    del body["email"]
    raw = json.dumps(body, ensure_ascii=False).encode()
    return raw, {"Content-Type": "application/json", "Authorization": "Bearer bench-ladipage-key"}


def _json_webhook(n: int, phone: str) -> Delivery:
    body = _fixture("json_webhook", "zapier_lead.json")
    body["id"] = f"bench-{n}"
    body["lead"]["phone_number"] = phone
    del body["lead"]["email"]
    raw = json.dumps(body, ensure_ascii=False).encode()
    signature = "sha256=" + hmac.new(b"bench-hook-secret", raw, hashlib.sha256).hexdigest()
    return raw, {"Content-Type": "application/json", "X-Signature-256": signature}


@dataclass(frozen=True)
class Platform:
    kind: str
    settings: dict[str, Any]
    delivery: Callable[[int, str], Delivery]


PLATFORMS = (
    Platform("google_ads", {"google_key": "g-key-2f6c1a"}, _google),
    Platform(
        "meta_lead_ads",
        {"app_secret": "bench-app-secret", "verify_token": "v", "page_access_token": "bench-page-token"},
        _meta,
    ),
    Platform("tiktok", {"client_secret": "bench-tiktok-secret"}, _tiktok),
    Platform("zalo_oa", {"app_id": "3482178216594085616", "oa_secret_key": "bench-oa-secret"}, _zalo),
    Platform("ladipage", {"api_key": "bench-ladipage-key"}, _ladipage),
    Platform(
        "json_webhook",
        {
            "mapping": {
                "name": "join(' ', [lead.first_name, lead.last_name])",
                "phone": "lead.phone_number",
                "sender_id": "id",
            },
            "signature": {"algorithm": "hmac-sha256", "header": "X-Signature-256", "prefix": "sha256="},
            "secret": "bench-hook-secret",
        },
        _json_webhook,
    ),
)


def _call(event: dict[str, Any]) -> dict[str, Any]:
    from functions.api import app as api_app

    answer: dict[str, Any] = api_app.handler(event, FakeContext(function_name="leadrouter-api"))
    return answer


def _create(platform: Platform) -> str:
    body = {
        "name": f"{platform.kind} (bench)",
        "pool": "web",
        "kind": platform.kind,
        "rate_per_minute": 6000,
        "platform": {"kind": platform.kind, **platform.settings},
    }
    answer = _call(proxy_event("POST", "/form-sources", json.dumps(body), claims=ADMIN))
    assert answer["statusCode"] == 201, answer["body"]
    return str(json.loads(answer["body"])["form_key"])


def _post(key: str, delivery: Delivery) -> None:
    raw, headers = delivery
    event = proxy_event("POST", f"/hooks/{key}", raw.decode(), headers=headers)
    event["requestContext"]["identity"]["sourceIp"] = "198.51.100.20"
    answer = _call(event)
    assert answer["statusCode"] == 200, answer.get("body")


class _Queue:
    def __init__(self) -> None:
        self.orders: list[FetchOrder] = []

    def request_fetch(self, order: FetchOrder) -> None:
        self.orders.append(order)

    def retry_in(self, receipt_handle: str, seconds: int) -> None:
        raise AssertionError("no fetch fails in the bench")


def _now() -> datetime:
    return datetime.now(UTC)


def _phone(kind: int, n: int) -> str:
    return f"+849{kind}{n:07d}"


def measure(leads: int) -> list[Row]:
    queue = _Queue()
    recorded = patch("leadrouter.api.door.fetch_queue", lambda: queue)  # the door's fetch queue
    recorded.start()
    graph = FakeGraph().start()
    rows: list[Row] = []
    meter = Meter(_tables)
    try:
        with meter.installed():
            for k, platform in enumerate(PLATFORMS):
                key = _create(platform)
                with meter.measuring() as cold:
                    _post(key, platform.delivery(0, _phone(k, 0)))
                rows.append(Row(platform.kind, "door, new lead, cold (1st)", 1, cold))
                with meter.measuring() as warm:
                    for n in range(1, leads + 1):
                        _post(key, platform.delivery(n, _phone(k, n)))
                rows.append(Row(platform.kind, f"door, new lead, warm (mean of {leads})", leads, warm))
                if platform.kind != "meta_lead_ads":
                    continue
                for n in range(leads + 1):
                    lead = _fixture("meta_lead_ads", "lead_987654321000001.json")
                    lead["id"] = str(5 * 10**14 + n)
                    lead["field_data"][1]["values"] = [_phone(k, n)]
                    del lead["field_data"][2]  # a phone only, as the other sources' leads
                    graph.add_lead(lead)
                fetcher = Fetcher(http=PlatformApis({"meta": graph.url}), secrets=secret_box())
                messages = [
                    FetchMessage(f"m{i}", f"r{i}", order.model_dump_json(), 1)
                    for i, order in enumerate(queue.orders[1:])
                ]
                with meter.measuring() as fetches:
                    for message in messages:
                        assert fetch_batch(new_repository(), queue, [message], fetcher, _now) == []
                rows.append(Row(platform.kind, f"fetch worker, per lead (mean of {leads})", leads, fetches))
    finally:
        graph.stop()
        recorded.stop()
    return rows


def meta_latency(samples: int) -> list[float]:
    """Seconds from a signed Meta POST to its lead assigned, on ``make run``'s stack."""
    import urllib.request

    from leadrouter_local.runner import start_stack
    from tests.support.stack import free_port

    stack = start_stack(port=free_port(), data_dir=None, quiet=True, log=lambda _: None)
    try:
        assert stack.graph is not None
        base = stack.url
        platform = PLATFORMS[1]

        def api(method: str, path: str, body: Any = None) -> Any:
            request = urllib.request.Request(
                base + path,
                data=json.dumps(body).encode() if body is not None else None,
                method=method,
                headers={"Authorization": "Bearer demo-admin", "Content-Type": "application/json"},
            )
            with urllib.request.urlopen(request, timeout=10) as answer:
                return json.loads(answer.read() or b"null")

        created = api(
            "POST",
            "/form-sources",
            {
                "name": "Meta (bench)",
                "pool": "web",
                "kind": platform.kind,
                "rate_per_minute": 6000,
                "platform": {"kind": platform.kind, **platform.settings},
            },
        )
        key, source_id = created["form_key"], created["source"]["source_id"]
        times: list[float] = []
        for n in range(samples):
            phone = f"+8490{n:07d}"
            lead = _fixture("meta_lead_ads", "lead_987654321000001.json")
            lead["id"] = str(6 * 10**14 + n)
            lead["field_data"][1]["values"] = [phone]
            del lead["field_data"][2]  # a new contact each time: no e-mail to link on
            stack.graph.add_lead(lead)
            raw, headers = _meta(10**13 + n, phone)
            raw = raw.replace(str(5 * 10**14 + 10**13 + n).encode(), lead["id"].encode())
            headers["X-Hub-Signature-256"] = (
                "sha256=" + hmac.new(b"bench-app-secret", raw, hashlib.sha256).hexdigest()
            )
            started = time.monotonic()
            request = urllib.request.Request(base + f"/hooks/{key}", data=raw, method="POST", headers=headers)
            with urllib.request.urlopen(request, timeout=10) as answer:
                assert answer.status == 200
            while True:
                found = api("GET", f"/leads?source={source_id}&status=assigned&limit=200")["items"]
                if len(found) == n + 1:
                    times.append(time.monotonic() - started)
                    break
                if time.monotonic() - started > 30:
                    raise SystemExit(f"lead {n} not assigned within 30 s")
                time.sleep(0.02)
    finally:
        stack.stop()
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--leads", type=int, default=100, help="new leads per platform")
    parser.add_argument("--samples", type=int, default=20, help="Meta deliveries timed on the local stack")
    args = parser.parse_args()
    scratch = tempfile.TemporaryDirectory(prefix="leadrouter-bench-")  # the sources' secrets key
    os.environ["LOCAL_SECRETS_KEY_FILE"] = str(Path(scratch.name) / "secrets.key")
    with DynamoDBLocal() as ddb:
        settings = point_at(ddb)
        _tables.update({_logical(var): os.environ[var] for var in _table_vars()})
        seed_rule(new_repository(settings))
        rows = measure(args.leads)
    print(markdown(rows, "per platform source"))
    times = meta_latency(args.samples)
    print(
        f"\nMeta webhook → lead assigned on the local stack ({len(times)} deliveries): median "
        f"{statistics.median(times) * 1000:.0f} ms, max {max(times) * 1000:.0f} ms"
    )


if __name__ == "__main__":
    main()
