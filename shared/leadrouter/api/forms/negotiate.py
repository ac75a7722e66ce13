"""Who is asking, and where they may be sent: JSON or a page, CORS answers, safe redirect targets.

A browser submitting a plain form navigates: it must get a page (or a 303 to the owner's thank-you URL),
not raw JSON. A script (``fetch``, XHR), a CRM or curl gets JSON. Origins and redirect hosts come from the
form source's own allow-lists; nothing here trusts the request beyond an exact match against them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from urllib.parse import quote, urlsplit

from leadrouter.domain.spam import origin_allowed, origin_of

JSON_TYPE = ("application", "json")
HTML_TYPE = ("text", "html")
_FETCH_MODES = frozenset({"cors", "same-origin", "no-cors"})
_DEFAULT_PORTS = {"http": 80, "https": 443}
_QVALUE = re.compile(r"(?:0(?:\.\d{0,3})?|1(?:\.0{0,3})?)")
_MEDIA_RANGE = re.compile(r"([!#$%&'*+.^_`|~0-9A-Za-z-]+)/([!#$%&'*+.^_`|~0-9A-Za-z-]+)")
#: What may stand in a URL we put in a Location header, besides ASCII letters and digits (RFC 3986).
_URL_SAFE = "-._~:/?#[]@!$&'()*+,;=%"


def _header(headers: Mapping[str, str], name: str) -> str | None:
    return next((str(value) for key, value in headers.items() if key.lower() == name), None)


def wants_json(headers: Mapping[str, str]) -> bool:
    """True for a script or an API client, False for a browser navigating (which must get a page).

    A navigation (``Sec-Fetch-Mode: navigate``) always wants a page. A fetch/XHR wants JSON. Otherwise
    ``Accept`` decides: JSON when it ranks ``application/json`` above ``text/html`` (ties go to JSON
    unless ``text/html`` is named more specifically, so fetch's ``*/*`` is JSON); no ``Accept`` is JSON.
    """
    mode = (_header(headers, "sec-fetch-mode") or "").strip().lower()
    if mode == "navigate":
        return False
    if (_header(headers, "x-requested-with") or "").strip().lower() == "xmlhttprequest":
        return True
    if mode in _FETCH_MODES and (_header(headers, "sec-fetch-dest") or "").strip().lower() == "empty":
        return True
    accept = (_header(headers, "accept") or "").strip()
    if not accept:
        return True
    ranges = _media_ranges(accept)
    json_q, json_specificity = _quality(ranges, JSON_TYPE)
    html_q, html_specificity = _quality(ranges, HTML_TYPE)
    if json_q != html_q:
        return json_q > html_q
    return json_q == 0 or json_specificity >= html_specificity


def _media_ranges(accept: str) -> list[tuple[str, str, float]]:
    """``Accept`` → (type, subtype, q), lower-cased; malformed ranges and q-values are skipped.

    Parameters other than ``q`` (``charset``, ``version``) do not narrow a range here: our answers have
    none, and clients send ``application/json; charset=utf-8`` meaning JSON.
    """
    ranges = []
    for item in accept.split(",")[:64]:
        media, *parameters = item.split(";")
        found = _MEDIA_RANGE.fullmatch(media.strip())
        if found is None:
            continue
        kind, subtype = found.group(1).lower(), found.group(2).lower()
        if kind == "*" and subtype != "*":
            continue
        q = 1.0
        for parameter in parameters:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "q":
                q = float(value.strip()) if _QVALUE.fullmatch(value.strip()) else -1.0
                break
        if q >= 0:
            ranges.append((kind, subtype, q))
    return ranges


def _quality(ranges: list[tuple[str, str, float]], media_type: tuple[str, str]) -> tuple[float, int]:
    """The q of the most specific range matching ``media_type`` (RFC 9110 §12.5.1), and that specificity."""
    best_q, best_specificity = 0.0, 0
    for kind, subtype, q in ranges:
        if (kind, subtype) == media_type:
            specificity = 3
        elif kind == media_type[0] and subtype == "*":
            specificity = 2
        elif (kind, subtype) == ("*", "*"):
            specificity = 1
        else:
            continue
        if specificity > best_specificity or (specificity == best_specificity and q > best_q):
            best_q, best_specificity = q, specificity
    return best_q, best_specificity


def _origin_key(origin: str) -> tuple[str, str, int] | None:
    """``scheme://host[:port]`` → (scheme, host, port) lower-cased with default ports filled; None if not."""
    if not origin or not origin.isascii() or any(c.isspace() or ord(c) < 0x20 or c == "\x7f" for c in origin):
        return None
    try:
        parts = urlsplit(origin.removesuffix("/"))
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if (
        scheme not in _DEFAULT_PORTS
        or not parts.hostname
        or "@" in parts.netloc
        or parts.path
        or parts.query
        or parts.fragment
        or "?" in origin
        or "#" in origin
    ):
        return None
    return scheme, parts.hostname.lower(), port if port is not None else _DEFAULT_PORTS[scheme]


def cors_headers(origin: str | None, allowed_origins: Sequence[str] | None) -> dict[str, str]:
    """CORS headers for an answer: the caller's origin echoed if the source allows it; ``Vary`` always.

    ``allowed_origins`` empty (a new source's default) or holding ``"*"`` allows any well-formed origin,
    as ``domain.spam.origin_allowed`` does: a form key is public and a plain form posts from anywhere, so
    a script on any page is answered too. Otherwise only the listed origins. None: the source is not
    known yet (a preflight without a key): any origin, the real request's answer decides. The origin
    is echoed, never ``*``; the opaque origin ``null`` (sandboxed frames, ``file:``) never.
    """
    vary = {"Vary": "Origin"}
    if origin is None or _origin_key(origin) is None or origin_of(origin) is None:
        return vary
    if allowed_origins is None or origin_allowed(origin, None, allowed_origins):
        return {"Access-Control-Allow-Origin": origin, **vary}
    return vary


#: What a form door's preflight allows: the methods and the request headers a script may send.
PREFLIGHT_METHODS = "POST,OPTIONS"
PREFLIGHT_HEADERS = "Content-Type,X-Form-Key,Idempotency-Key,Accept"
PREFLIGHT_MAX_AGE = "600"


def preflight_headers(origin: str | None, allowed_origins: Sequence[str] | None) -> dict[str, str]:
    """A CORS preflight's answer for a form door: allowed as ``cors_headers`` decides, with the methods
    and headers a script may use; nothing but ``Vary`` for an origin that may not post."""
    headers = cors_headers(origin, allowed_origins)
    if "Access-Control-Allow-Origin" not in headers:
        return headers
    return {
        **headers,
        "Access-Control-Allow-Methods": PREFLIGHT_METHODS,
        "Access-Control-Allow-Headers": PREFLIGHT_HEADERS,
        "Access-Control-Max-Age": PREFLIGHT_MAX_AGE,
    }


def redirect_target(requested: str | None, default: str | None, allowed_hosts: Sequence[str]) -> str | None:
    """Where to 303 a browser after a submission: ``requested`` if it is safe, else ``default``, else None.

    ``requested`` comes from the form (a hidden ``_next`` field, say), so anyone can set it: only an absolute
    http(s) URL whose host is exactly one of ``allowed_hosts`` is taken (no userinfo, no backslashes, no
    control characters or spaces, which browsers strip or reinterpret). Non-ASCII characters in its path
    or query are percent-encoded so the URL fits a Location header. ``default`` is the source's own
    thank-you URL, validated when it was configured.
    """
    safe = _safe_redirect(requested, allowed_hosts) if requested else None
    return safe if safe is not None else default


def _safe_redirect(url: str, allowed_hosts: Sequence[str]) -> str | None:
    if "\\" in url or any(c.isspace() or ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in url):
        return None
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises ValueError for a port that is not a number)
    except ValueError:
        return None
    if parts.scheme.lower() not in _DEFAULT_PORTS or not url.lower().startswith(f"{parts.scheme.lower()}://"):
        return None
    netloc = parts.netloc
    if not netloc or not netloc.isascii() or "@" in netloc or "%" in netloc or not parts.hostname:
        return None
    allowed = {host.strip().lower() for host in allowed_hosts}
    if parts.hostname.lower() not in allowed:
        return None
    return quote(url, safe=_URL_SAFE)
