"""How retention is stored on items, and the clock reads judge it by.

Every table that holds a tenant's personal data has DynamoDB TTL on ``expires_at`` (epoch seconds,
template.yaml). DynamoDB deletes an expired item within about two days, so reads do not wait for it:
an item whose stamp is reached is absent to every read of this package (``live``), from that second.

Stamps are taken on the machine's clock at the write (``stamp_now``), the clock DynamoDB's TTL
deletes by, never on a use case's logical ``now`` (a replay's time, a test's fixed day): an item is
kept its period after it was *written*. Reads judge by ``now``; the test suite pins it to its fixed day
(``tests/conftest.py``), so an attribution recorded on that day does not vanish from the tests once the
real calendar passes its period.

A lead's attribution carries no stamp of its own: the lead item holds the tenant's ``attribution_days``
as it was at the write, and each touch is shown only that many days after its visit
(``domain.retention.kept_attribution``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from leadrouter.clock import utc_now
from leadrouter.data.attribution import FIRST_ATTR, LATEST_ATTR
from leadrouter.domain.privacy import Retention
from leadrouter.domain.retention import expired, expires_at

#: The TTL attribute of the leads, submissions and deliveries tables (``TimeToLiveSpecification``).
EXPIRES_ATTR = "expires_at"
#: On a lead item with attribution: how many days after its visit each touch is shown.
ATTRIBUTION_DAYS_ATTR = "attribution_days"
#: What a lead item stores for retention, never part of the ``Lead`` model.
LEAD_RETENTION_ATTRS = (EXPIRES_ATTR, ATTRIBUTION_DAYS_ATTR)


def now() -> datetime:
    """The moment reads judge expiry by (the machine's clock; pinned by the test suite)."""
    return utc_now()


def stamp_now() -> datetime:
    """The moment a write's TTL stamp counts from: the machine's clock, as DynamoDB's TTL."""
    return utc_now()


def live(item: Mapping[str, Any]) -> bool:
    """Whether a stored item is still within its period (one without a stamp always is)."""
    stamp = item.get(EXPIRES_ATTR)
    return not expired(int(stamp) if isinstance(stamp, int | float) else None, now())


def _now_value() -> dict[str, str]:
    """``now`` as an expression value (DynamoDB's wire form of a number)."""
    return {"N": str(int(now().timestamp()))}


def live_filter(values: dict[str, Any]) -> str:
    """A FilterExpression clause keeping live items; adds ``:live_now`` to ``values`` (serialized)."""
    values[":live_now"] = _now_value()
    return "(attribute_not_exists(expires_at) OR expires_at > :live_now)"


def expired_condition(values: dict[str, Any]) -> str:
    """A ConditionExpression clause true of an item past its period (so a write may replace it as if it
    were gone); adds ``:live_now`` to ``values`` (serialized)."""
    values[":live_now"] = _now_value()
    return "expires_at <= :live_now"


def keep_stamp(item: dict[str, Any], stored: Mapping[str, Any]) -> dict[str, Any]:
    """A lead item as written now (``stamp_lead``) with the stamps of ``stored``, the item it replaces:
    the end of its period, and its touches' period. A stored item without a stamp gets the new one."""
    for attr in LEAD_RETENTION_ATTRS:
        if attr in item and isinstance(stored.get(attr), int | float):
            item[attr] = int(stored[attr])
    return item


def stamp_lead(item: dict[str, Any], retention: Retention) -> dict[str, Any]:
    """A lead item as written now: its TTL stamp, and its attribution kept (with its period) or,
    when the tenant keeps none, left out."""
    item[EXPIRES_ATTR] = expires_at(stamp_now(), retention.leads_days)
    if not retention.keep_attribution:
        item.pop(FIRST_ATTR, None)
        item.pop(LATEST_ATTR, None)
    if FIRST_ATTR in item or LATEST_ATTR in item:
        item[ATTRIBUTION_DAYS_ATTR] = retention.attribution_days
    else:
        item.pop(ATTRIBUTION_DAYS_ATTR, None)
    return item
