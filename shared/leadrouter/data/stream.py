"""The leads table's stream records as leads: the images are items in DynamoDB's typed JSON."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from leadrouter.data.items import from_item, lead_from_item
from leadrouter.domain.leads import Lead


def lead_from_image(image: Mapping[str, Any] | None) -> Lead | None:
    """A stream image (``NewImage``/``OldImage``, typed attribute values) as a lead; None when absent."""
    if not image:
        return None
    return lead_from_item(from_item(image))
