"""TEMPORARY stub of helper A's module (same interface); replaced at merge."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from urllib.parse import urlsplit


def wants_json(headers: Mapping[str, str]) -> bool:
    lowered = {k.lower(): v for k, v in headers.items()}
    if lowered.get("x-requested-with", "").lower() == "xmlhttprequest":
        return True
    if lowered.get("sec-fetch-mode") in ("cors", "same-origin", "no-cors") and lowered.get("sec-fetch-dest") == "empty":
        return True
    accept = lowered.get("accept", "")
    if not accept:
        return lowered.get("sec-fetch-mode") != "navigate"
    return "text/html" not in accept or accept.index("application/json") < accept.index("text/html") if "application/json" in accept else "text/html" not in accept


def cors_headers(origin: str | None, allowed_origins: Sequence[str]) -> dict[str, str]:
    if origin and ("*" in allowed_origins or origin.lower().rstrip("/") in allowed_origins):
        return {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}
    return {"Vary": "Origin"}


def redirect_target(requested: str | None, default: str | None, allowed_hosts: Sequence[str]) -> str | None:
    if requested:
        parts = urlsplit(requested)
        if parts.scheme in ("http", "https") and parts.hostname in allowed_hosts and not parts.username:
            return requested
    return default
