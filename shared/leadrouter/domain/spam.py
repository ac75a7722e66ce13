"""TEMPORARY stub of helper B's module (same interface); replaced at merge."""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import urlsplit


def honeypot_hit(pairs: Sequence[tuple[str, str]], field: str) -> bool:
    return any(name == field and value.strip() for name, value in pairs)


def origin_of(url: str | None) -> str | None:
    if not url or url == "null":
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return f"{parts.scheme}://{parts.netloc.lower()}"


def origin_allowed(origin: str | None, referer: str | None, allowed: Sequence[str]) -> bool:
    if not allowed or "*" in allowed:
        return True
    seen = origin_of(origin) or origin_of(referer)
    return seen is None or seen in allowed
