"""Bodies the API cannot read are refused before anything parses them (a 4xx, never a crash).

Powertools validates the body before any middleware runs, so these checks sit in front of ``resolve``
(``LeadRouterResolver``) and in the JSON parser it uses:

* over ``MAX_BODY_BYTES`` → 413;
* a Content-Type other than JSON, or bytes that are not UTF-8 → 415;
* JSON nested deeper than ``MAX_JSON_DEPTH`` (the stdlib parser recurses: 5,000 levels of ``[`` from the
  public form key were a RecursionError), integers past DynamoDB's 38 digits (past 4,300 digits the
  stdlib parser raises a ValueError that is not a JSONDecodeError), and NaN/Infinity → 422 on ``body``.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from typing import Any

from leadrouter.domain.bodies import MAX_BODY_BYTES

JSON_MEDIA_TYPE = "application/json"


def _header(event: dict[str, Any], name: str) -> str | None:
    headers = event.get("headers") or {}
    return next((str(v) for k, v in headers.items() if k.lower() == name), None)


def body_bytes(event: Mapping[str, Any]) -> bytes | None:
    """The body as the client sent it; None if it is not even decodable (a non-UTF-8 text body)."""
    body = event.get("body")
    if not body:
        return b""
    try:
        if event.get("isBase64Encoded"):
            return base64.b64decode(str(body), validate=True)
        return str(body).encode("utf-8")
    except (binascii.Error, UnicodeError):
        return None


#: Routes that take a body raw and answer browsers in their own terms (``api.door``): forms in any
#: encoding, errors as pages. The screen leaves them alone.
_DOOR = re.compile(r"^/(intake/leads|f/[^/]+)$")
#: A platform's webhook: its adapter reads the body in the platform's content type (LadiPage posts
#: urlencoded, multipart or JSON); only its size is checked here.
_HOOK = re.compile(r"^/hooks/[^/]+$")


def refusal(event: dict[str, Any]) -> tuple[int, str] | None:
    """(status, message) for a body no route could read, or None to let the resolver go on."""
    route = str(event.get("resource") or event.get("path") or "")
    if event.get("httpMethod") == "POST" and _DOOR.match(route):
        return None
    raw = body_bytes(event)
    if event.get("httpMethod") == "POST" and _HOOK.match(route):
        too_large = raw is not None and len(raw) > MAX_BODY_BYTES
        return (413, f"request body over {MAX_BODY_BYTES} bytes") if too_large else None
    if raw is None:
        return 415, "the body must be UTF-8 JSON"
    if len(raw) > MAX_BODY_BYTES:
        return 413, f"request body over {MAX_BODY_BYTES} bytes"
    if not raw:
        return None
    content_type = _header(event, "content-type")
    if content_type is not None:
        media_type, _, parameters = content_type.partition(";")
        charset = re.search(r"charset\s*=\s*\"?([\w.:-]+)", parameters, re.IGNORECASE)
        if media_type.strip().lower() != JSON_MEDIA_TYPE or (
            charset and charset.group(1).lower() not in ("utf-8", "utf8")
        ):
            return 415, f"send the body as {JSON_MEDIA_TYPE} (UTF-8), not {content_type[:100]!r}"
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        return 415, "the body must be UTF-8 JSON"
    return None
