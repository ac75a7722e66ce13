"""Web-form submissions as browsers send them: urlencoded, multipart (with or without part charsets)."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from tests.support.api import FORM_KEY, Reply, call, event

BOUNDARY = "----leadrouterTestBoundary7MA4YWxk"
#: What Chromium sends when a page's plain form navigates.
NAVIGATION = {
    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8",
    "Sec-Fetch-Mode": "navigate",
    "Sec-Fetch-Dest": "document",
}
#: What a page's fetch() sends.
FETCH = {"Accept": "application/json", "Sec-Fetch-Mode": "cors", "Sec-Fetch-Dest": "empty"}


def urlencoded(pairs: Sequence[tuple[str, str]]) -> tuple[str, bytes]:
    return "application/x-www-form-urlencoded", urlencode(list(pairs)).encode("ascii")


def multipart(pairs: Sequence[tuple[str, str]], *, charset: str | None = None) -> tuple[str, bytes]:
    """A multipart/form-data body; with ``charset`` each part declares it (browsers declare none)."""
    chunks: list[bytes] = []
    for name, value in pairs:
        head = f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n'
        if charset:
            head += f"Content-Type: text/plain; charset={charset}\r\n"
        chunks.append(head.encode("utf-8") + b"\r\n" + value.encode(charset or "utf-8") + b"\r\n")
    chunks.append(f"--{BOUNDARY}--\r\n".encode())
    return f"multipart/form-data; boundary={BOUNDARY}", b"".join(chunks)


def post_raw(
    path: str,
    content_type: str | None,
    raw: bytes,
    headers: dict[str, str] | None = None,
    ip: str = "203.0.113.7",
) -> Reply:
    """POST raw bytes the way API Gateway hands them over (base64, as for a binary media type)."""
    all_headers = {**(headers or {})}
    if content_type is not None:
        all_headers["Content-Type"] = content_type
    ev: dict[str, Any] = event(
        "POST", path, raw_body=base64.b64encode(raw).decode("ascii"), headers=all_headers
    )
    if content_type is None:
        ev["headers"].pop("Content-Type", None)
        ev["multiValueHeaders"].pop("Content-Type", None)
    ev["isBase64Encoded"] = True
    ev["requestContext"]["identity"]["sourceIp"] = ip
    return call(ev)


def post_form(
    pairs: Sequence[tuple[str, str]],
    *,
    encoding: str = "urlencoded",
    key: str = FORM_KEY,
    headers: dict[str, str] | None = None,
    ip: str = "203.0.113.7",
) -> Reply:
    """A form posted to its source's action URL (``/f/{key}``) as urlencoded, multipart or json."""
    if encoding == "urlencoded":
        content_type, raw = urlencoded(pairs)
    elif encoding == "multipart":
        content_type, raw = multipart(pairs)
    else:
        import json

        content_type, raw = "application/json", json.dumps(dict(pairs), ensure_ascii=False).encode()
    return post_raw(f"/f/{key}", content_type, raw, {**FETCH, **(headers or {})}, ip=ip)
