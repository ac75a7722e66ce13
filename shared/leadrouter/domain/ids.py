"""Identifiers that sort by creation time (so listings page in arrival order) and never collide."""

from __future__ import annotations

import secrets
import time


def new_id(prefix: str = "") -> str:
    """48-bit millisecond clock + 64 random bits, hex: time-ordered, unguessable, URL-safe."""
    return f"{prefix}{int(time.time() * 1000):012x}{secrets.token_hex(8)}"
