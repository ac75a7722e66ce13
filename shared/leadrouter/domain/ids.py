"""Identifiers that sort by creation time (so listings page in arrival order) and never collide."""

from __future__ import annotations

import secrets
import time
from datetime import datetime


def new_id(prefix: str = "", at: datetime | None = None) -> str:
    """48-bit millisecond time + 64 random bits, hex: time-ordered, unguessable, URL-safe.

    A lead's id is made from its received time (``at``), so a date range of leads is a key range.
    """
    millis = int((at.timestamp() if at else time.time()) * 1000)
    return f"{prefix}{millis:012x}{secrets.token_hex(8)}"


def id_floor(moment: datetime, prefix: str = "L") -> str:
    """The smallest id created at ``moment``: time-ordered ids make a date range a key range."""
    return f"{prefix}{int(moment.timestamp() * 1000):012x}"
