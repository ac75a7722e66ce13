"""Spam checks that need no I/O: the honeypot field and the allowed-origins list of a form source.

Neither check stops a determined bot. The honeypot catches the naive ones that fill every field; the
origin check stops *browsers on other sites* (a copied snippet, a page stuffing leads through its
visitors' browsers), because a browser always sends ``Origin`` on a cross-site POST and a page cannot
forge it. A bot or a CRM simply sends no ``Origin`` at all, and that is allowed: CAPTCHA and the rate
limits are what stand against bots.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from urllib.parse import urlsplit

#: Origins a browser can send for a web page; ``file:``, ``data:``, extensions etc. are opaque to us.
_DEFAULT_PORTS = {"http": 80, "https": 443}
#: An ASCII host as a browser serialises it (registered name or IPv4); IPv6 is checked separately.
_HOST = re.compile(r"[a-z0-9](?:[a-z0-9._~-]*[a-z0-9_])?\.?")
_IPV6 = re.compile(r"\[[0-9a-f:.]+\]")
#: The allowed-list entry that admits every origin.
ANY_ORIGIN = "*"
#: The allowed-list entry that admits opaque origins (``Origin: null``: sandboxed frames, ``file:``
#: pages, pages with ``Referrer-Policy: no-referrer``); absent by default, so an attacker's page cannot
#: hide where it is by sending ``null``.
OPAQUE_ORIGIN = "null"


def honeypot_hit(pairs: Sequence[tuple[str, str]], field: str) -> bool:
    """True when the hidden honeypot field came back with text in it: people never see it, bots fill it.

    ``pairs`` are the decoded form fields in order (a name may repeat); a blank or whitespace-only value
    is what the untouched hidden input sends, so it is not a hit.
    """
    return any(name == field and value.strip() for name, value in pairs)


def origin_of(url: str | None) -> str | None:
    """``scheme://host[:port]`` of an ``Origin`` or ``Referer`` value, as a browser would serialise it.

    Scheme and host are lower-cased, a Unicode host is IDNA-encoded (browsers send punycode), the default
    port is dropped, and path, query, fragment and user info are dropped. None for ``null``, for schemes
    other than http/https (opaque origins) and for anything malformed, so callers compare only well-formed
    origins.
    """
    if url is None:
        return None
    text = url.strip()
    if not text or text.lower() == OPAQUE_ORIGIN or any(c.isspace() or ord(c) < 0x20 for c in text):
        return None
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:  # bad port, unbalanced IPv6 brackets
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.netloc:
        return None
    host = _host_of(parts.netloc)
    if host is None:
        return None
    if port is None or port == _DEFAULT_PORTS[scheme]:
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def origin_allowed(origin: str | None, referer: str | None, allowed: Sequence[str]) -> bool:
    """Whether a submission's browser claims to come from one of the source's allowed origins.

    - No entries: everything is allowed (the source has not opted in; server-to-server CRMs send no
      ``Origin``). ``"*"`` among the entries also allows everything.
    - A request with neither ``Origin`` nor ``Referer`` is allowed: it is not a browser on another site
      (curl, a CRM, a bot), and keeping bots out is the honeypot's, CAPTCHA's and rate limit's job.
    - Otherwise the ``Origin`` (else the ``Referer``'s origin) must equal an entry after normalising
      both with :func:`origin_of`. An ``Origin: null`` or unparseable value matches only an explicit
      ``"null"`` entry. Entries that do not normalise match nothing (validate them when saved with
      ``origin_of(entry) is not None``).
    """
    if not allowed or ANY_ORIGIN in allowed:
        return True
    claimed = origin if origin is not None and origin.strip() else referer
    if claimed is None or not claimed.strip():
        return True
    normalised = origin_of(claimed)
    if normalised is None:
        return any(entry.strip().lower() == OPAQUE_ORIGIN for entry in allowed)
    return any(origin_of(entry) == normalised for entry in allowed)


def _host_of(netloc: str) -> str | None:
    """The lower-cased ASCII host of ``[userinfo@]host[:port]``, or None when it is not a valid host."""
    hostport = netloc.rpartition("@")[2]
    if hostport.startswith("["):
        host = hostport[: hostport.find("]") + 1].lower()
        return host if _IPV6.fullmatch(host) else None
    host = hostport.partition(":")[0]
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            return None
    host = host.lower()
    if not _HOST.fullmatch(host) or ".." in host:
        return None
    return host
