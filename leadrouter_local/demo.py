"""`make demo`: a guided tour on a fresh local stack, and a check that exits non-zero if anything is off.

It posts leads over HTTP like a web form, waits for the scheduled split, prints each staff member's
ideal and actual share and the speed-to-lead, then shows a reclaim: salespeople call every lead but a
few, and those few are taken back and given to someone who never held them.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from typing import Any

from leadrouter_local.demo_data import ASSIGN_RULE, FORM_KEY, STAFF
from leadrouter_local.runner import running

ADMIN = {"Authorization": "Bearer demo-admin"}


class DemoFailed(Exception):
    pass


class Api:
    def __init__(self, base: str) -> None:
        self.base = base

    def call(self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(  # noqa: S310 (the local stack's http:// URL only)
            self.base + path,
            data=data,
            method=method,
            headers={"Content-Type": "application/json", **(headers or {})},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (loopback only)
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as error:
            raise DemoFailed(f"{method} {path} → {error.code}: {error.read().decode()[:300]}") from None

    def all_leads(self, query: str = "") -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        cursor = None
        while True:
            suffix = f"&cursor={cursor}" if cursor else ""
            page = self.call("GET", f"/leads?limit=200{query}{suffix}", headers=ADMIN)
            items += [x["lead"] for x in page["items"]]
            cursor = page["cursor"]
            if not cursor:
                return items


def progress(done: int, total: int, label: str) -> None:
    width = 30
    filled = int(width * done / total)
    sys.stderr.write(f"\r  {label} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
    if done == total:
        sys.stderr.write("\n")
    sys.stderr.flush()


def wait_for(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise DemoFailed(f"timed out after {seconds:.0f} s waiting for {what}")
        time.sleep(0.5)


def seconds_between(a: str, b: str) -> float:
    return (datetime.fromisoformat(b) - datetime.fromisoformat(a)).total_seconds()


def run_demo(leads: int, tick_seconds: float) -> None:
    with running(
        port=_free_port(),
        data_dir=None,
        schedule_seconds=tick_seconds,
        reclaim_after_minutes=1,
        log=lambda _: None,
        quiet=True,
    ) as stack:
        api = Api(stack.url)
        print(f"fresh stack on {stack.url}; demo rule {ASSIGN_RULE}: A, B, C weighted 3:4:5\n")
        receiver, deliveries = _start_receiver(api)
        print(f"0. a CRM listens for assignments: webhook {receiver} (signed deliveries, verified there)\n")
        print(f"1. {leads} leads arrive from the website form")
        for i in range(leads):
            api.call(
                "POST",
                "/intake/leads",
                {"name": f"Khách hàng {i:03d}", "phone": f"09{i:08d}"},
                {"X-Form-Key": FORM_KEY},
            )
            progress(i + 1, leads, "posting")
        print("\n2. they are split as they arrive (stream trigger; the schedule is the backstop)")
        wait_for(lambda: not api.all_leads("&status=pending"), 120, "every lead to be assigned")
        assigned = api.all_leads()
        counts = Counter(x["owner"] for x in assigned)
        weight_sum = sum(w for _, w in STAFF.values())
        print(f"   {'staff':<10}{'weight':>7}{'ideal':>9}{'actual':>8}{'deviation':>11}")
        worst = 0.0
        for sid, (name, weight) in STAFF.items():
            ideal = leads * weight / weight_sum
            worst = max(worst, abs(counts[sid] - ideal))
            label = f"{sid} {name}"
            print(f"   {label:<10}{weight:>7}{ideal:>9.1f}{counts[sid]:>8}{counts[sid] - ideal:>+11.1f}")
        waits = [seconds_between(x["received_at"], x["assigned_at"]) for x in assigned]
        p95 = statistics.quantiles(waits, n=20)[-1] if len(waits) > 1 else waits[0]
        median = statistics.median(waits)
        print(f"   speed-to-lead: median {median:.1f} s, p95 {p95:.1f} s (ticks every {tick_seconds} s)")
        if len(assigned) != leads or sum(counts.values()) != leads or worst > 2:
            raise DemoFailed(f"split is off: {dict(counts)} for {leads} leads")
        if any(len(x["decisions"]) != 1 for x in assigned):
            raise DemoFailed("a lead was assigned more than once")
        wait_for(lambda: len(deliveries) >= leads, 60, "every assignment's webhook delivery")
        told = [seconds for _, seconds in deliveries]
        for line, _ in deliveries[:3]:
            print(f"   webhook ✓ {line}")
        print(
            f"   webhook: {len(deliveries)} signed LeadAssigned deliveries verified; the CRM heard of each "
            f"assignment median {statistics.median(told):.2f} s, max {max(told):.2f} s after the form"
        )
        if {line.split()[1] for line, _ in deliveries} != {x["lead_id"] for x in assigned}:
            raise DemoFailed("a lead's assignment was not delivered to the webhook exactly once")

        print("\n3. salespeople keep calling every lead but three; idle 1 minute, those three are reclaimed")
        forgotten, worked = assigned[:3], assigned[3:]

        rounds = [0]

        def call_round() -> None:
            rounds[0] += 1
            for lead in worked:
                api.call(
                    "POST",
                    f"/leads/{lead['lead_id']}/activities",
                    {"kind": "call", "text": "đã gọi, khách hẹn gọi lại"},
                    {"Authorization": f"Bearer demo-staff-{lead['owner'].lower()}"},
                )
            print(f"   call round {rounds[0]}: {len(worked)} leads called by their owners", flush=True)

        def forgotten_reclaimed() -> bool:
            return all(
                api.call("GET", f"/leads/{x['lead_id']}", headers=ADMIN)["lead"]["reclaim_count"] >= 1
                for x in forgotten
            )

        # Salespeople call their leads every 10 s (well inside the 1-minute reclaim window).
        deadline = time.monotonic() + 180
        next_round = 0.0
        while not forgotten_reclaimed():
            if time.monotonic() > deadline:
                raise DemoFailed("timed out waiting for the forgotten leads to be reclaimed")
            if time.monotonic() >= next_round:
                call_round()
                next_round = time.monotonic() + 10
            time.sleep(0.5)
        moved = [x for x in api.all_leads() if x["reclaim_count"]]
        if {x["lead_id"] for x in moved} != {x["lead_id"] for x in forgotten}:
            raise DemoFailed(f"expected exactly the 3 forgotten leads to move, {len(moved)} moved")
        print(f"   {len(moved)} reclaimed; the {len(worked)} that were called stayed with their owners")
        detail = api.call("GET", f"/leads/{forgotten[0]['lead_id']}", headers=ADMIN)
        print(f"\n4. history of {detail['lead']['lead_id']} ({detail['status_label']}):")
        for entry in detail["history"]:
            what = entry.get("action") or entry.get("kind")
            who = entry.get("staff_id") or entry.get("by") or ""
            extra = f" (from {entry['previous_owner']})" if entry.get("previous_owner") else ""
            print(f"   {entry['at']}  {what:<10} {who}{extra}")
        if detail["lead"]["owner"] in detail["lead"]["held_by"][:-1]:
            raise DemoFailed("a reclaimed lead went back to someone who held it")
        print("\ndemo passed")


def _start_receiver(api: Api) -> tuple[str, list[tuple[str, float]]]:
    """A local receiver (``leadrouter_local.webhook_receiver``) registered as the demo tenant's webhook
    for LeadAssigned; each verified delivery is kept as (line, seconds after the form)."""
    import threading

    from leadrouter_local.webhook_receiver import make_server

    deliveries: list[tuple[str, float]] = []
    port = _free_port()
    url = f"http://127.0.0.1:{port}/"
    created = api.call("POST", "/webhooks", {"url": url, "event_types": ["LeadAssigned"]}, ADMIN)

    def keep(line: str) -> None:
        if line.startswith("✓ ") and "(repeat" not in line:
            text = line[2:]
            told = text.split("told ")[-1].split(" s after")[0] if "told " in text else "0"
            deliveries.append((text, float(told)))

    server = make_server(created["secret"], port, out=keep)
    threading.Thread(target=server.serve_forever, name="webhook-receiver", daemon=True).start()
    return url, deliveries


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Guided demo of leadrouter on a fresh local stack")
    parser.add_argument("--leads", type=int, default=300)
    parser.add_argument("--tick-seconds", type=float, default=2.0)
    args = parser.parse_args(argv)
    try:
        run_demo(args.leads, args.tick_seconds)
    except DemoFailed as failure:
        print(f"\ndemo FAILED: {failure}", file=sys.stderr)
        raise SystemExit(1) from None


if __name__ == "__main__":
    main()
