"""Identifiers that sort by creation time (so listings page in arrival order) and never collide."""

from __future__ import annotations

import secrets
import time
from datetime import datetime


def new_id(prefix: str = "") -> str:
    """48-bit millisecond clock + 64 random bits, hex: time-ordered, unguessable, URL-safe."""
    return f"{prefix}{int(time.time() * 1000):012x}{secrets.token_hex(8)}"


def id_floor(moment: datetime, prefix: str = "L") -> str:
    """The smallest id created at ``moment``: time-ordered ids make a date range a key range."""
    return f"{prefix}{int(moment.timestamp() * 1000):012x}"
