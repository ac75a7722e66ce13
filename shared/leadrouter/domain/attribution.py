"""TEMPORARY stub of helper C's module (same interface); replaced at merge."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from urllib.parse import parse_qsl, urlsplit

from pydantic import AwareDatetime, BaseModel, ConfigDict

_NAMES = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content", "gclid", "gbraid",
          "wbraid", "fbclid", "fbc", "fbp")
ATTRIBUTION_FIELDS = frozenset({*_NAMES, "referrer", "landing_url", "campaign_id", "ad_group_id", "ad_id",
                                "form_id"})


class Touch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    utm_source: str | None = None
    utm_medium: str | None = None
    utm_campaign: str | None = None
    utm_term: str | None = None
    utm_content: str | None = None
    gclid: str | None = None
    gbraid: str | None = None
    wbraid: str | None = None
    fbclid: str | None = None
    fbc: str | None = None
    fbp: str | None = None
    referrer: str | None = None
    landing_url: str | None = None
    campaign_id: str | None = None
    ad_group_id: str | None = None
    ad_id: str | None = None
    form_id: str | None = None
    at: AwareDatetime


class Attribution(BaseModel):
    model_config = ConfigDict(extra="forbid")
    first: Touch
    latest: Touch


def touch_from(
    fields: Mapping[str, str], *, landing_url: str | None, referrer: str | None, at: datetime
) -> Touch | None:
    data = {k: v for k, v in fields.items() if k in ATTRIBUTION_FIELDS and v}
    landing = data.get("landing_url") or landing_url
    if landing:
        data.setdefault("landing_url", landing)
        for k, v in parse_qsl(urlsplit(landing).query):
            if k in _NAMES and v:
                data.setdefault(k, v)
    if referrer and "referrer" not in data:
        data["referrer"] = referrer
    return Touch(**data, at=at) if data else None


def merged(existing: Attribution | None, touch: Touch | None) -> Attribution | None:
    if touch is None:
        return existing
    return Attribution(first=existing.first if existing else touch, latest=touch)
