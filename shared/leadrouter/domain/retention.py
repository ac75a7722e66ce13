"""When a tenant's data stops being kept (pure): the TTL stamp of a write, and what a read may still show.

DynamoDB deletes an item some time after the epoch second in its TTL attribute has passed (within about
two days on AWS), so a stamp only says when the item *may* go. The service must not wait for that: an
item is treated as gone from the second its stamp is reached (``expired``), by every read.

The stamp of a write is the moment of that write plus the tenant's period (``Retention``): the period
counts from the last write that renews it, which the data layer decides per kind of item.

Attribution (click ids, referrers, landing URLs) lives on the lead item, so TTL cannot drop it alone:
each touch is shown only ``attribution_days`` after its own ``at`` (the visit), and the data layer's
next full write of the lead leaves it out (``kept_attribution``).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from leadrouter.domain.attribution import Attribution, Touch

DAY_SECONDS = 86_400


def expires_at(written: datetime, days: int) -> int:
    """The TTL stamp (epoch seconds) of an item written at ``written`` and kept ``days`` days."""
    return int(written.timestamp()) + days * DAY_SECONDS


def expired(stamp: int | None, now: datetime) -> bool:
    """Whether an item stamped ``stamp`` is past its period at ``now``: from its stamp's second on.

    An item without a stamp (written before retention existed, or by hand) has no known end: kept.
    """
    return stamp is not None and now.timestamp() >= stamp


def touch_kept(touch: Touch, days: int, now: datetime) -> bool:
    """Whether a touch is still within its ``days`` at ``now`` (counted from the visit, ``touch.at``)."""
    return now < touch.at + timedelta(days=days)


def kept_attribution(attribution: Attribution | None, days: int | None, now: datetime) -> Attribution | None:
    """The attribution a read may show: touches past their period are gone.

    When only one of the two is gone, the one still kept reads as both (as on a lead that had only
    one touch). ``days`` None (stored before retention existed): no known period, all shown.
    """
    if attribution is None or days is None:
        return attribution
    kept = [t for t in (attribution.first, attribution.latest) if touch_kept(t, days, now)]
    if not kept:
        return None
    if len(kept) == 1:
        return Attribution(first=kept[0], latest=kept[0])
    return attribution
