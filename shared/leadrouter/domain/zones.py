"""Time zones: the default (Vietnam), the names the spec lists, and the check every model uses."""

from __future__ import annotations

from importlib.resources import files
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_TIME_ZONE = "Asia/Ho_Chi_Minh"


#: The IANA time zone names the spec lists (the tz database that rendered it, committed so that the spec
#: reads the same on every machine); any name the runtime's tz database knows is accepted.
TIME_ZONES: tuple[str, ...] = tuple(
    (files("leadrouter.domain") / "time_zones.txt").read_text("utf-8").split()
)


def check_zone(value: str) -> str:
    """An IANA time zone name, or a ValueError that says what is expected."""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {value!r} (use an IANA name like Asia/Ho_Chi_Minh)") from exc
    return value
