"""What the local-stack benches share: HTTP calls, the demo limits lifted, free ports, percentiles."""

from __future__ import annotations

import http.client
import json
import socket
import statistics
from urllib.parse import urlsplit

ADMIN = {"Authorization": "Bearer demo-admin", "Content-Type": "application/json"}


def request(
    url: str, method: str, path: str, body: bytes | None, headers: dict[str, str]
) -> tuple[int, bytes]:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=30)
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def lift_demo_limits(url: str) -> None:
    """The demo source allows 10 posts a minute per client IP: this bench is one IP."""
    status, raw = request(url, "GET", "/form-sources", None, ADMIN)
    assert status == 200, raw
    (source,) = [s for s in json.loads(raw)["items"] if s["source_id"] == "website"]
    edit = {"rev": source["rev"], "rate_per_minute": 6000, "web_form": {"rate_per_ip_per_minute": 6000}}
    body = json.dumps(edit).encode()
    status, raw = request(url, "PATCH", f"/form-sources/{source['source_id']}", body, ADMIN)
    assert status == 200, raw


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def percentiles(values: list[float]) -> tuple[float, float, float]:
    if not values:
        return (float("nan"),) * 3
    ordered = sorted(values)
    p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
    return statistics.median(ordered), p99, ordered[-1]
