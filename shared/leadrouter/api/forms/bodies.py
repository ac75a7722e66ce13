"""TEMPORARY stub of helper A's module (same interface); replaced at merge."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any, Literal
from urllib.parse import parse_qsl

from leadrouter.api.screen import MAX_BODY_BYTES, parse_json


class BodyError(Exception):
    def __init__(self, status: int, message: str, field: str = "body") -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.field = field


@dataclass(frozen=True)
class FormBody:
    kind: Literal["json", "urlencoded", "multipart"]
    pairs: tuple[tuple[str, str], ...] = ()
    data: dict[str, Any] | None = None


def _nfc(text: str) -> str:
    if "\x00" in text:
        raise BodyError(422, "NUL characters are not accepted")
    return unicodedata.normalize("NFC", text)


def decode_body(content_type: str | None, raw: bytes) -> FormBody:
    if len(raw) > MAX_BODY_BYTES:
        raise BodyError(413, "body too large")
    media = (content_type or "").split(";", 1)[0].strip().lower()
    if not raw:
        return FormBody(kind="json" if media == "application/json" else "urlencoded")
    if media == "application/json":
        try:
            data = parse_json(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as error:
            raise BodyError(400, "invalid JSON") from error
        if not isinstance(data, dict):
            raise BodyError(422, "the body must be a JSON object")
        return FormBody(kind="json", data=data)
    if media == "application/x-www-form-urlencoded":
        try:
            pairs = parse_qsl(raw.decode("ascii"), keep_blank_values=True, encoding="utf-8", errors="strict")
        except UnicodeError as error:
            raise BodyError(400, "the body is not UTF-8") from error
        if len(pairs) > 200:
            raise BodyError(413, "too many fields")
        return FormBody(kind="urlencoded", pairs=tuple((_nfc(k), _nfc(v)) for k, v in pairs))
    if media == "multipart/form-data":
        if "boundary=" not in (content_type or ""):
            raise BodyError(400, "multipart body without a boundary")
        message = BytesParser(policy=HTTP).parsebytes(b"Content-Type: " + (content_type or "").encode() + b"\r\n\r\n" + raw)
        pairs = []
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if part.get_filename():
                raise BodyError(422, "file uploads are not accepted", str(name))
            payload = part.get_payload(decode=True) or b""
            charset = part.get_content_charset() or "utf-8"
            try:
                pairs.append((_nfc(str(name)), _nfc(payload.decode(charset))))
            except (UnicodeDecodeError, LookupError) as error:
                raise BodyError(400, "a part is not in its charset") from error
        return FormBody(kind="multipart", pairs=tuple(pairs))
    raise BodyError(415, "send JSON, urlencoded or multipart")
