"""How a lead's attribution is stored: two top-level attributes, ``attribution_first`` and ``_latest``.

Not one nested map, so that recording a touch is one UpdateItem whatever the lead has:
``SET attribution_latest = :t, attribution_first = if_not_exists(attribution_first, :t)``. With a
nested map the two cases (no attribution yet: set the whole map; one already: set only ``latest``)
need two different writes, because DynamoDB cannot set a path inside a map that does not exist, nor
set a map and a path inside it in one expression. The model keeps ``Lead.attribution`` whole; only
``lead_item`` / ``lead_from_item`` see this layout.

A new lead's latest touch is its first: then only ``attribution_first`` is stored (read back as both),
since every write of a lead is charged by its size (1 WRU per KB) and a touch with a landing URL and a
click id is easily half a kilobyte.
"""

from __future__ import annotations

from typing import Any

FIRST_ATTR = "attribution_first"
LATEST_ATTR = "attribution_latest"
#: ``list_leads`` filters on the lead's first touch: filter name → attribute path.
FILTER_PATHS: dict[str, tuple[str, ...]] = {
    "utm_source": (FIRST_ATTR, "utm_source"),
    "utm_campaign": (FIRST_ATTR, "utm_campaign"),
}


def flatten_attribution(item: dict[str, Any]) -> dict[str, Any]:
    """A dumped lead with its ``attribution`` map split into the two stored attributes."""
    attribution = item.pop("attribution", None)
    if attribution:
        item[FIRST_ATTR] = attribution["first"]
        if attribution["latest"] != attribution["first"]:
            item[LATEST_ATTR] = attribution["latest"]
    return item


def nest_attribution(item: dict[str, Any]) -> dict[str, Any]:
    """A stored lead's attributes with the two attribution attributes as one ``attribution`` map.

    A lead stored before attribution existed has neither (read as None); one with only the first
    touch (a new lead's, or one with a hand-removed latest) reads it as both.
    """
    first = item.pop(FIRST_ATTR, None)
    latest = item.pop(LATEST_ATTR, None)
    if first is not None or latest is not None:
        item["attribution"] = {"first": first or latest, "latest": latest or first}
    return item
