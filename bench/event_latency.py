"""Form POST → LeadAssigned on the event bus → signed webhook delivery, p50/p99, on the local stack.

    PYTHONPATH=shared:. .venv/bin/python bench/event_latency.py                  # 20/s for 30 s
    PYTHONPATH=shared:. .venv/bin/python bench/event_latency.py --rate 20 --seconds 60

Leads are posted as a plain HTML form (``POST /f/{form_key}``, urlencoded; ``Accept: application/json``
so the answer carries the lead id) at a fixed rate. A queue subscribed to the stack's emulated bus with
the webhook rule's own pattern receives the events, and a webhook registered for LeadAssigned points at
a local receiver that verifies each signature. Three figures per lead: POST → LeadAssigned on that
queue; the decision's write (the event's ``occurred_at``) → the queue (the stream → publish → bus leg);
POST → the signed delivery verified at the receiver (bus → fan-out → delivery → HTTP included). The
local stack runs one invocation at a time per function and shares this process with the load
generator: read the figures as the local stack's, not AWS's.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "shared"), str(ROOT)]
os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "LeadRouterLocal")
os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")

import boto3  # noqa: E402

from bench.stack_http import free_port, lift_demo_limits, percentiles, request  # noqa: E402
from leadrouter_local.demo_data import FORM_KEY, SOURCE_SECRET  # noqa: E402
from leadrouter_local.runner import running  # noqa: E402
from leadrouter_local.template import load_template  # noqa: E402


def _tap(endpoint: str) -> tuple[Any, str]:
    """A queue on the bus with LeadEventsToWebhooksRule's pattern (the webhook queue has a consumer)."""
    options = {"endpoint_url": endpoint, "region_name": "ap-southeast-1"}
    events, sqs = boto3.client("events", **options), boto3.client("sqs", **options)
    pattern = load_template()["Resources"]["LeadEventsToWebhooksRule"]["Properties"]["EventPattern"]
    url = sqs.create_queue(QueueName="bench-tap")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    events.put_rule(Name="bench-tap", EventBusName="EventBus", EventPattern=json.dumps(pattern))
    events.put_targets(Rule="bench-tap", EventBusName="EventBus", Targets=[{"Id": "tap", "Arn": arn}])
    return sqs, url


def _receive_webhooks(base: str, told: dict[str, float], lock: threading.Lock) -> None:
    """Register a LeadAssigned webhook at a local verifying receiver; note when each lead is told."""
    from leadrouter_local.webhook_receiver import make_server

    port = free_port()
    body = json.dumps({"url": f"http://127.0.0.1:{port}/", "event_types": ["LeadAssigned"]}).encode()
    status, raw = request(
        base,
        "POST",
        "/webhooks",
        body,
        {"Authorization": "Bearer demo-admin", "Content-Type": "application/json"},
    )
    assert status == 201, raw

    def seen(line: str) -> None:
        if line.startswith("✓ LeadAssigned "):
            with lock:
                told.setdefault(line.split()[2], time.time())

    server = make_server(json.loads(raw)["secret"], port, out=seen)
    threading.Thread(target=server.serve_forever, name="webhook-receiver", daemon=True).start()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=float, default=20.0, help="posts per second")
    parser.add_argument("--seconds", type=float, default=30.0, help="how long to post")
    parser.add_argument("--wait", type=float, default=20.0, help="how long to wait for the last events (s)")
    parser.add_argument("--schedule-seconds", type=float, default=5.0, help="the scheduled sweeps' period")
    args = parser.parse_args()
    posted: dict[str, float] = {}  # lead id → wall time of the POST
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    with running(
        port=free_port(), data_dir=None, schedule_seconds=args.schedule_seconds, quiet=True
    ) as stack:
        assert stack.aws is not None
        lift_demo_limits(stack.url)
        sqs, tap = _tap(stack.aws.endpoint)
        told: dict[str, float] = {}  # lead id → wall time its signed delivery was verified
        _receive_webhooks(stack.url, told, lock)

        def post(n: int) -> None:
            body = urlencode({"ho_ten": "Nguyễn Thị Ánh", "so_dien_thoai": f"091{n:07d}"}).encode()
            started = time.time()
            status, raw = request(
                stack.url,
                "POST",
                f"/f/{FORM_KEY}",
                body,
                {
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Accept": "application/json",
                    "X-Source-Secret": SOURCE_SECRET,  # the answer names the lead (a receipt without)
                },
            )
            with lock:
                statuses[status] = statuses.get(status, 0) + 1
                if status == 201:
                    posted[json.loads(raw)["lead_id"]] = started

        total = int(args.rate * args.seconds)
        began = time.monotonic()
        with ThreadPoolExecutor(max_workers=32) as pool:
            for n in range(total):
                time.sleep(max(0.0, began + n / args.rate - time.monotonic()))  # open loop: on schedule
                pool.submit(post, n)
        arrived: dict[str, tuple[float, float]] = {}  # lead id → (on the queue, decision written)
        deadline = time.monotonic() + args.wait
        while time.monotonic() < deadline and not (set(posted) <= set(arrived) and set(posted) <= set(told)):
            got = sqs.receive_message(
                QueueUrl=tap, MaxNumberOfMessages=10, WaitTimeSeconds=1, MessageSystemAttributeNames=["All"]
            ).get("Messages", [])
            for message in got:
                event = json.loads(message["Body"])
                if event["detail-type"] == "LeadAssigned":
                    written = datetime.fromisoformat(event["detail"]["occurred_at"].replace("Z", "+00:00"))
                    on_queue = int(message["Attributes"]["SentTimestamp"]) / 1000
                    arrived.setdefault(event["detail"]["lead_id"], (on_queue, written.timestamp()))
                sqs.delete_message(QueueUrl=tap, ReceiptHandle=message["ReceiptHandle"])
    ours = {k: v for k, v in arrived.items() if k in posted}
    rows = (
        ("POST → LeadAssigned on the bus", [ours[k][0] - posted[k] for k in ours]),
        ("decision written → on the bus", [on_queue - written for on_queue, written in ours.values()]),
        ("POST → signed webhook delivery verified", [told[k] - posted[k] for k in posted if k in told]),
    )
    lines = [
        f"### Form POST → LeadAssigned on the bus → signed webhook, local stack ({args.rate:g}/s for "
        f"{args.seconds:g} s; answers {statuses})",
        "",
        "| leg | n | p50 ms | p99 ms | max ms |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, values in rows:
        p50, p99, worst = percentiles(values)
        lines.append(f"| {name} | {len(values)} | {p50 * 1000:.0f} | {p99 * 1000:.0f} | {worst * 1000:.0f} |")
    if len(ours) < len(posted):
        lines.append(f"\n{len(posted) - len(ours)} posted leads had no LeadAssigned within the wait.")
    missing = [k for k in posted if k not in told]
    if missing:
        lines.append(f"\n{len(missing)} posted leads had no webhook delivery within the wait.")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
