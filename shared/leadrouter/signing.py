"""Webhook signatures: ``Leadrouter-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>``.

The MAC is over ``f"{t}.{body}"`` (the raw body bytes), keyed with the webhook's secret, so a receiver
can check both who sent the delivery and when: a captured delivery replayed later than ``tolerance``
seconds fails. Several ``v1=`` entries may appear (one per secret while a secret is being rotated); a
signature verifies if any of them matches. Comparisons are constant-time.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence

HEADER = "Leadrouter-Signature"
SCHEME = "v1"
DEFAULT_TOLERANCE = 300


class SignatureError(ValueError):
    """The header is missing, malformed, too old or matches no secret."""


def _mac(secret: str, timestamp: int, body: bytes) -> str:
    message = str(timestamp).encode("ascii") + b"." + body
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def sign(secret: str | Sequence[str], timestamp: int, body: bytes) -> str:
    """The header value for ``body`` sent at ``timestamp``: one ``v1`` per secret given."""
    keys = [secret] if isinstance(secret, str) else list(secret)
    if not keys:
        raise ValueError("at least one secret is needed")
    return ",".join([f"t={int(timestamp)}", *(f"{SCHEME}={_mac(k, int(timestamp), body)}" for k in keys)])


def verify(
    secret: str, header: str | None, body: bytes, now: float, tolerance: int = DEFAULT_TOLERANCE
) -> int:
    """The header's timestamp if ``header`` signs ``body`` with ``secret`` within ``tolerance`` seconds
    of ``now``; otherwise SignatureError. The body must be the raw bytes received, before any parsing."""
    if not header:
        raise SignatureError("no signature header")
    timestamp: int | None = None
    candidates: list[str] = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            timestamp = int(value)
        elif key == SCHEME and value:
            candidates.append(value)
    if timestamp is None or not candidates:
        raise SignatureError("malformed signature header")
    if abs(now - timestamp) > tolerance:
        raise SignatureError("signature timestamp outside the tolerance")
    expected = _mac(secret, timestamp, body)
    matched = False
    for candidate in candidates:  # no early exit: the time taken does not say which entry matched
        matched |= hmac.compare_digest(expected, candidate)
    if not matched:
        raise SignatureError("no signature matches")
    return timestamp
