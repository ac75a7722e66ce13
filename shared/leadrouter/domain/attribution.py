"""Where a lead came from (pure): UTM tags, ad click ids, the landing page, the ad platform's ids.

A submission carries them in its fields (hidden inputs a landing page fills in), and the landing
page's own URL carries them in its query string (``?utm_source=facebook&fbclid=…``). ``touch_from``
reads both, the submission's own values first. Attribution must never cost a lead: a value that does
not fit (too long, a control character, a URL that is not http(s)) is dropped, never an error.

A lead keeps its **first** touch forever (the campaign that found the customer) and its **latest**
(the one that brought them back): ``merged``.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from datetime import datetime
from typing import Annotated
from urllib.parse import parse_qsl, urlsplit

from pydantic import AfterValidator, Field, TypeAdapter, ValidationError

from leadrouter.domain.base import Moment, _Model
from leadrouter.domain.text import LINE_PATTERN, accepted_text, check_text

#: Query parameters a landing URL may carry the values of (the rest are never read from it).
UTM_FIELDS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")
CLICK_ID_FIELDS = ("gclid", "gbraid", "wbraid", "fbclid")
MAX_URL = 2048


def check_line(value: str) -> str:
    """One line of NFC text: no control (tab and newline included) or bidi characters."""
    text = check_text(value)
    if "\t" in text or "\n" in text:
        raise ValueError("must be on one line")
    return text


def check_token(value: str) -> str:
    """A click id or cookie value: printable ASCII without spaces, exactly as sent (case matters)."""
    if not value.isascii() or not value.isprintable() or " " in value:
        raise ValueError("must be printable ASCII without spaces")
    return value


def check_web_url(value: str) -> str:
    """An absolute http(s) URL on one line, with a host; kept as given (NFC)."""
    text = check_line(value)
    if any(c.isspace() for c in text):
        raise ValueError("may not contain spaces")
    parts = urlsplit(text)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ValueError("must be an http(s) URL with a host")
    _ = parts.port  # raises ValueError for a port that is not a number in range
    return text


UtmValue = Annotated[
    str, Field(min_length=1, max_length=256), AfterValidator(check_line), accepted_text(LINE_PATTERN, 256)
]
ClickId = Annotated[str, Field(min_length=1, max_length=512), AfterValidator(check_token)]
PlatformId = Annotated[str, Field(min_length=1, max_length=128), AfterValidator(check_line)]
WebUrl = Annotated[str, Field(min_length=1, max_length=MAX_URL), AfterValidator(check_web_url)]


class Touch(_Model):
    """One visit that led to a submission: how the visitor got to the form, and when."""

    utm_source: UtmValue | None = None
    utm_medium: UtmValue | None = None
    utm_campaign: UtmValue | None = None
    utm_term: UtmValue | None = None
    utm_content: UtmValue | None = None
    #: Google Ads (gclid; gbraid/wbraid on iOS) and Meta (fbclid) click ids: case kept exactly.
    gclid: ClickId | None = None
    gbraid: ClickId | None = None
    wbraid: ClickId | None = None
    fbclid: ClickId | None = None
    #: Meta's browser cookies ``_fbc`` / ``_fbp``, for the Conversions API.
    fbc: ClickId | None = None
    fbp: ClickId | None = None
    #: The page the visitor came from (``document.referrer``), and the page the form is on.
    referrer: WebUrl | None = None
    landing_url: WebUrl | None = None
    #: The ad platform's own ids (lead ads, or the landing URL's ValueTrack/URL parameters mapped in).
    campaign_id: PlatformId | None = None
    ad_group_id: PlatformId | None = None
    ad_id: PlatformId | None = None
    form_id: PlatformId | None = None
    #: A lead ad's own: the platform that delivered it (``facebook``, ``instagram``, ``google_ads``,
    #: ``tiktok``, ``zalo``, ``ladipage``), its lead id there, the page / OA / advertiser account, the
    #: creative and asset group, and whether it came without paid delivery (``true``/``false``).
    lead_platform: PlatformId | None = None
    platform_lead_id: PlatformId | None = None
    platform_account_id: PlatformId | None = None
    creative_id: PlatformId | None = None
    asset_group_id: PlatformId | None = None
    is_organic: PlatformId | None = None
    at: Moment


class Attribution(_Model):
    """A lead's first touch (kept forever) and its latest one (replaced by each later submission)."""

    first: Touch
    latest: Touch


#: Every field ``touch_from`` takes from a submission: the intake mapping keeps them out of ``fields``.
ATTRIBUTION_FIELDS: frozenset[str] = frozenset(Touch.model_fields) - {"at"}
_FROM_QUERY = frozenset(UTM_FIELDS + CLICK_ID_FIELDS)
_PLATFORM_IDS = (
    "campaign_id",
    "ad_group_id",
    "ad_id",
    "form_id",
    "lead_platform",
    "platform_lead_id",
    "platform_account_id",
    "creative_id",
    "asset_group_id",
    "is_organic",
)
_CHECKS: dict[str, TypeAdapter[str]] = {
    **dict.fromkeys(UTM_FIELDS, TypeAdapter(UtmValue)),
    **dict.fromkeys((*CLICK_ID_FIELDS, "fbc", "fbp"), TypeAdapter(ClickId)),
    **dict.fromkeys(("referrer", "landing_url"), TypeAdapter(WebUrl)),
    **dict.fromkeys(_PLATFORM_IDS, TypeAdapter(PlatformId)),
}


def _fit(name: str, value: object) -> str | None:
    """The value as ``Touch`` stores it (stripped, NFC), or None when it does not fit.

    NFC comes before the length check (composing can change the length), so a value that fits here
    fits again when ``Touch`` validates it.
    """
    if not isinstance(value, str):
        return None
    try:
        checked = _CHECKS[name].validate_python(unicodedata.normalize("NFC", value).strip())
    except (ValidationError, ValueError):
        return None
    return checked


def _query_values(url: str) -> dict[str, str]:
    """The first value of each attribution parameter in the URL's query (percent-decoded as UTF-8)."""
    found: dict[str, str] = {}
    try:
        pairs = parse_qsl(urlsplit(url).query, max_num_fields=200)
    except ValueError:
        return found
    for key, value in pairs:
        if key in _FROM_QUERY and key not in found:
            found[key] = value
    return found


def touch_from(
    fields: Mapping[str, str], *, landing_url: str | None, referrer: str | None, at: datetime
) -> Touch | None:
    """The touch a submission carries, or None when it carries nothing at all.

    The submission's own fields win; UTM tags and click ids it lacks are taken from the landing URL's
    query (its ``landing_url`` field, else ``landing_url``: the caller's, from the Referer header);
    ``referrer`` is used when the fields have none. Values that do not fit are dropped, one by one.
    """
    values: dict[str, str] = {}
    for name in sorted(ATTRIBUTION_FIELDS):
        fitted = _fit(name, fields.get(name))
        if fitted is not None:
            values[name] = fitted
    for name, given in (("landing_url", landing_url), ("referrer", referrer)):
        if name not in values:
            fitted = _fit(name, given)
            if fitted is not None:
                values[name] = fitted
    if "landing_url" in values:
        for name, raw in _query_values(values["landing_url"]).items():
            if name not in values:
                fitted = _fit(name, raw)
                if fitted is not None:
                    values[name] = fitted
    if not values:
        return None
    try:
        return Touch.model_validate({**values, "at": at})
    except ValidationError:  # only a naive ``at``: a caller's bug, still never a lost lead
        return None


def merged(existing: Attribution | None, touch: Touch | None) -> Attribution | None:
    """The lead's attribution after ``touch``: its first touch kept, the latest replaced."""
    if touch is None:
        return existing
    if existing is None:
        return Attribution(first=touch, latest=touch)
    return Attribution(first=existing.first, latest=touch)
