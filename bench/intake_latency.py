"""Form POST → lead stored → lead assigned, p50/p99, on the local stack (``make run``'s, in this process).

    PYTHONPATH=shared:. .venv/bin/python bench/intake_latency.py                  # 20/s for 30 s
    PYTHONPATH=shared:. .venv/bin/python bench/intake_latency.py --rate 50 --seconds 120

A plain HTML form's POST over HTTP: urlencoded, ``Accept: text/html``, no key header (the key is in the
action URL), answered 303. "stored" is the time to that answer (the submission record and the lead
are written by then); "assigned" is the time until the lead is seen ``assigned`` in the leads table
(the demo's continuous rule assigns on arrival, from the table's stream; the scheduled sweep is the
fallback), observed by a watcher polling the leads table (one projected Query of the tenant's leads)
every ``--poll`` seconds. The local stack serves one invocation at a time, like one warm Lambda container,
and shares this process (and its GIL) with the load generator and the watcher: read the figures as
the local stack's, not AWS's.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "shared"), str(ROOT)]
# as the stack sets them, but before this process first imports Powertools (the watcher's repository)
os.environ.setdefault("POWERTOOLS_METRICS_NAMESPACE", "LeadRouterLocal")
os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")

import boto3  # noqa: E402

from bench.stack_http import free_port, lift_demo_limits, percentiles, request  # noqa: E402
from leadrouter.settings import Settings  # noqa: E402
from leadrouter_local.demo_data import FORM_KEY, TENANT  # noqa: E402
from leadrouter_local.runner import running  # noqa: E402


@dataclass
class Sent:
    phone: str
    started: float
    stored: float | None = None
    status: int | None = None
    lead_id: str | None = None
    assigned: float | None = None


def _post(url: str, sent: Sent) -> None:
    body = urlencode(
        {"ho_ten": "Nguyễn Thị Ánh", "so_dien_thoai": sent.phone, "utm_source": "bench"}
    ).encode()
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8",
    }
    sent.started = time.monotonic()
    status, _ = request(url, "POST", f"/f/{FORM_KEY}", body, headers)
    sent.stored = time.monotonic()
    sent.status = status


def _watch(leads_table: str, sent: list[Sent], done: threading.Event, poll: float, deadline: float) -> None:
    """Until every answered lead is seen assigned (or the deadline): one projected Query of the
    tenant's leads per round, so watching costs the stack the same however many leads wait."""
    client = boto3.client("dynamodb")
    by_phone = {f"+84{s.phone[1:]}": s for s in sent}
    while time.monotonic() < deadline:
        seen = time.monotonic()
        request: dict[str, Any] = {
            "TableName": leads_table,
            "KeyConditionExpression": "tenant_id = :t",
            "ExpressionAttributeValues": {":t": {"S": TENANT}},
            "ProjectionExpression": "lead_id, phone, #s",
            "ExpressionAttributeNames": {"#s": "status"},
        }
        while True:
            page = client.query(**request)
            for item in page.get("Items", []):
                found = by_phone.get(item.get("phone", {}).get("S", ""))
                if found is not None and found.assigned is None and item["status"]["S"] == "assigned":
                    found.lead_id, found.assigned = item["lead_id"]["S"], seen
            if "LastEvaluatedKey" not in page:
                break
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        waiting = [s for s in sent if s.status in (201, 303) and s.assigned is None]
        if done.is_set() and not waiting:
            return
        time.sleep(poll)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=float, default=20.0, help="form posts per second")
    parser.add_argument("--seconds", type=float, default=30.0, help="how long to post")
    parser.add_argument("--port", type=int, default=0, help="the stack's port (0: any free one)")
    parser.add_argument("--poll", type=float, default=0.1, help="the watcher's period (s)")
    parser.add_argument(
        "--wait", type=float, default=20.0, help="how long to wait for the last assignments (s)"
    )
    parser.add_argument("--schedule-seconds", type=float, default=5.0, help="the scheduled sweeps' period")
    args = parser.parse_args()
    with running(
        port=args.port or free_port(), data_dir=None, schedule_seconds=args.schedule_seconds, quiet=True
    ) as stack:
        lift_demo_limits(stack.url)
        leads_table = Settings.from_env().leads_table
        total = int(args.rate * args.seconds)
        sent = [Sent(phone=f"091{n:07d}", started=0.0) for n in range(total)]
        done = threading.Event()
        watcher = threading.Thread(
            target=_watch,
            args=(leads_table, sent, done, args.poll, time.monotonic() + args.seconds + args.wait),
            daemon=True,
        )
        watcher.start()
        began = time.monotonic()
        with ThreadPoolExecutor(max_workers=32) as pool:
            for n, item in enumerate(sent):
                time.sleep(max(0.0, began + n / args.rate - time.monotonic()))  # open loop: on schedule
                pool.submit(_post, stack.url, item)
        posting = time.monotonic() - began
        done.set()
        watcher.join()
    answered = [s for s in sent if s.status in (201, 303)]
    stored = [(s.stored or 0) - s.started for s in answered]
    assigned = [s.assigned - s.started for s in answered if s.assigned is not None]
    statuses: dict[int | None, int] = {}
    for s in sent:
        statuses[s.status] = statuses.get(s.status, 0) + 1
    lines = [
        f"### Form POST → stored → assigned on the local stack ({args.rate:g}/s for {args.seconds:g} s, "
        f"{total} urlencoded posts sent in {posting:.1f} s; answers {statuses})",
        "",
        "| step | n | p50 ms | p99 ms | max ms |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, values in (("stored (303 answered)", stored), ("assigned (seen in the table)", assigned)):
        p50, p99, worst = percentiles(values)
        lines.append(f"| {name} | {len(values)} | {p50 * 1000:.0f} | {p99 * 1000:.0f} | {worst * 1000:.0f} |")
    if len(assigned) < len(answered):
        lines.append(
            f"\n{len(answered) - len(assigned)} answered leads were not seen assigned within the wait."
        )
    print("\n".join(lines))


if __name__ == "__main__":
    main()
