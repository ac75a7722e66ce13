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
import json
import re
from collections.abc import Mapping
from typing import Any

MAX_BODY_BYTES = 64 * 1024
#: Our deepest request body is 4 levels (rule → window, staff → item); 32 leaves room and stops abuse.
MAX_JSON_DEPTH = 32
#: DynamoDB numbers carry 38 significant digits; a longer integer could never be stored.
MAX_INTEGER_DIGITS = 38
JSON_MEDIA_TYPE = "application/json"

_NEXT = re.compile(r'["\[\]{}]')
#: The rest of a JSON string after its opening quote (unrolled, so each character is looked at once).
_STRING_REST = re.compile(r'[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)


def json_depth(text: str, limit: int = MAX_JSON_DEPTH) -> int:
    """How deeply ``text`` nests arrays and objects, counted up to ``limit + 1``; linear in its length.

    Brackets inside strings do not count; an unterminated string ends the scan (the parser will say so).
    """
    depth = deepest = pos = 0
    while (found := _NEXT.search(text, pos)) is not None:
        pos = found.end()
        if found.group() == '"':
            rest = _STRING_REST.match(text, pos)
            if rest is None:
                break
            pos = rest.end()
        elif found.group() in "[{":
            depth += 1
            deepest = max(deepest, depth)
            if deepest > limit:
                break
        else:
            depth -= 1
    return deepest


def _bounded_int(digits: str) -> int:
    if len(digits.lstrip("-").lstrip("0")) > MAX_INTEGER_DIGITS:
        raise json.JSONDecodeError(f"integer longer than {MAX_INTEGER_DIGITS} digits", digits, 0)
    return int(digits)


def _number(text: str) -> float | int:
    """A number with a fraction or an exponent. A whole one (``1950.0``, ``2e3``) is an integer, as JSON
    Schema reads it (a schema's ``integer`` admits it), so strict integer fields take it too; beyond
    DynamoDB's 38 digits it stays a float, for the field to refuse."""
    value = float(text)
    return int(value) if value.is_integer() and abs(value) < 10**MAX_INTEGER_DIGITS else value


def _no_constant(name: str) -> Any:
    raise json.JSONDecodeError(f"{name} is not JSON", name, 0)


def parse_json(text: str) -> Any:
    """The resolver's JSON body parser: every refusal is a JSONDecodeError, which Powertools makes a 422."""
    if json_depth(text) > MAX_JSON_DEPTH:
        raise json.JSONDecodeError(f"nested deeper than {MAX_JSON_DEPTH} levels", text[:64], 0)
    return json.loads(text, parse_int=_bounded_int, parse_float=_number, parse_constant=_no_constant)


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


def refusal(event: dict[str, Any]) -> tuple[int, str] | None:
    """(status, message) for a body no route could read, or None to let the resolver go on."""
    if event.get("httpMethod") == "POST" and _DOOR.match(
        str(event.get("resource") or event.get("path") or "")
    ):
        return None
    raw = body_bytes(event)
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
