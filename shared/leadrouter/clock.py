"""Time in one format everywhere.

Timestamps are stored as fixed-width ISO-8601 UTC strings (``2026-11-24T06:48:00.000000Z``) so that
string order is time order: they are used as DynamoDB sort keys and compared in key conditions.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def utc_now() -> datetime:
    return datetime.now(UTC)


def to_iso(moment: datetime) -> str:
    """Fixed-width UTC text; naive datetimes are refused rather than guessed."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: pass an aware datetime (UTC or with a time zone)")
    return moment.astimezone(UTC).strftime(_FORMAT)


def from_iso(text: str) -> datetime:
    return datetime.strptime(text, _FORMAT).replace(tzinfo=UTC)


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)
