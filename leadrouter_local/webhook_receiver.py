"""A tiny webhook receiver for the local stack: verifies each delivery's signature and prints it.

    python -m leadrouter_local.webhook_receiver --secret whsec_… [--port 8025] [--fail 3]

Register ``http://127.0.0.1:8025/`` with ``POST /webhooks`` (the local stack allows loopback URLs), put
the secret it answers here, and each verified delivery prints as
``✓ LeadAssigned L0190… → B, 0.4 s after the form (attempt 1)``. ``--fail N`` answers 500 to the first
N attempts of every event, to watch the retries; a repeated event id is marked as such (at least once).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from leadrouter.signing import HEADER, SignatureError, verify

MAX_BODY = 256 * 1024


def describe(body: dict[str, Any], now: float | None = None) -> str:
    """One line for a delivery body: who got which lead, how fast it was decided, and (with ``now``,
    the receipt time) how soon after the form the receiver heard of it."""
    data = body.get("data") or {}
    kind = body.get("type", "?")
    lead = data.get("lead_id", "?")
    took = data.get("seconds_since_received")
    after = f", {took} s after the form" if took is not None else ""
    if now is not None and data.get("received_at"):
        try:
            received = datetime.fromisoformat(str(data["received_at"]).replace("Z", "+00:00")).timestamp()
            after += f", told {now - received:.2f} s after it"
        except ValueError:
            pass
    test = " [test]" if body.get("test") else ""
    if data.get("staff_id"):
        return f"{kind} {lead} → {data['staff_id']}{after}{test}"
    reason = f" ({data['reason']})" if data.get("reason") else ""
    return f"{kind} {lead}{reason}{after}{test}"


def make_server(
    secret: str, port: int = 8025, *, fail: int = 0, out: Callable[[str], None] = print
) -> ThreadingHTTPServer:
    attempts: Counter[str] = Counter()
    delivered: set[str] = set()

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = min(int(self.headers.get("Content-Length") or 0), MAX_BODY)
            raw = self.rfile.read(length)
            try:
                verify(secret, self.headers.get(HEADER), raw, time.time())
                body = json.loads(raw)
            except (SignatureError, ValueError) as error:
                out(f"✗ refused: {error}")
                self._answer(400)
                return
            event_id = str(body.get("id"))
            attempts[event_id] += 1
            attempt = self.headers.get("Leadrouter-Delivery-Attempt", "?")
            if attempts[event_id] <= fail:
                out(f"… {describe(body, time.time())} (attempt {attempt}): answering 500 on purpose")
                self._answer(500)
                return
            repeat = " (repeat: dedupe on id)" if event_id in delivered else ""
            delivered.add(event_id)
            out(f"✓ {describe(body, time.time())} (attempt {attempt}){repeat}")
            self._answer(200)

        def _answer(self, status: int) -> None:
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:  # the lines above say enough
            return

    server = ThreadingHTTPServer(("127.0.0.1", port), Receiver)
    server.daemon_threads = True
    return server


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--secret", default=os.environ.get("LEADROUTER_WEBHOOK_SECRET", ""))
    parser.add_argument("--port", type=int, default=8025)
    parser.add_argument("--fail", type=int, default=0, help="answer 500 to the first N attempts per event")
    args = parser.parse_args(argv)
    if not args.secret:
        parser.error("give the webhook's secret (--secret or LEADROUTER_WEBHOOK_SECRET)")
    server = make_server(args.secret, args.port, fail=args.fail)
    print(f"receiving on http://127.0.0.1:{server.server_address[1]}/ (Ctrl-C to stop)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
