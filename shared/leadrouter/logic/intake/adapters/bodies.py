"""A request body as a browser (or a CRM) sends it → field pairs, or a 4xx that says why; never a crash.

Three encodings are read: ``application/json`` (an object), ``application/x-www-form-urlencoded`` (what a
plain ``<form method="post">`` sends) and ``multipart/form-data`` (``enctype="multipart/form-data"`` and
``fetch`` with ``FormData``). Every name and value comes back NFC-normalised, so "Nguyễn Thị Ánh" typed
on a Mac (NFD) and on Windows (NFC) is one name. Names are not validated here (emoji, bidi overrides pass
through faithfully); the domain models do that. Refusals:

* 400: not valid text in its charset, a malformed multipart body, a missing/empty/repeated boundary;
* 413: over ``MAX_BODY_BYTES``, or more than ``MAX_FIELDS`` fields;
* 415: a content type we do not read (``text/plain`` included), or a charset Python does not know;
* 422: JSON that is not an object, a NUL character, a name over ``MAX_NAME_CHARS``, a file upload.

Multipart is parsed by ``multipart`` (defnull's, sans-IO, strict mode): its headers are read as latin-1
(lossless) and names re-decoded here in the form's charset, because Powertools' own parser assumes
latin-1 and raises UnicodeEncodeError on a Vietnamese field.
"""

from __future__ import annotations

import codecs
import json
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import unquote_to_bytes

import multipart  # type: ignore[import-untyped]

from leadrouter.domain.bodies import MAX_BODY_BYTES, parse_json

#: A landing-page form has a handful of fields; 200 is generous and bounds the work per request.
MAX_FIELDS = 200
#: Longer names are never a real form's (WordPress plugins' longest are ~40).
MAX_NAME_CHARS = 128
#: RFC 2046 limits a boundary to 70 characters; browsers use ~40.
MAX_BOUNDARY_CHARS = 70

BodyKind = Literal["json", "urlencoded", "multipart"]

_MEDIA_TYPES: dict[str, BodyKind] = {
    "application/json": "json",
    "application/x-www-form-urlencoded": "urlencoded",
    "multipart/form-data": "multipart",
}
_UTF8 = "utf-8"
#: Codecs Python knows that are no form's charset: they turn escapes into text or fail on any input.
#: (UTF-7 is refused by the HTML standard: it smuggles markup past filters.)
_REFUSED_CODECS = frozenset(
    {"idna", "punycode", "unicode-escape", "raw-unicode-escape", "undefined", "utf-7", "rot-13"}
)
#: ``; name=value``: the name an HTTP token; the value a quoted-string, or (leniently: some clients do not
#: quote boundaries holding ``/`` or ``=``) any run of characters but space, ``;``, quote and backslash.
_PARAMETER = re.compile(
    r"\s*;\s*([!#$%&'*+.^_`|~0-9A-Za-z-]+)\s*=\s*"
    r'([^\s;"\\]+|"(?:[^"\\\x00-\x08\x0a-\x1f\x7f]|\\.)*")\s*'
)
_TRAILING = re.compile(r"\s*;?\s*")


class BodyError(Exception):
    """A body we refuse, with the HTTP status to answer and a short English message (no field values)."""

    status: int  # 400, 413, 415 or 422
    message: str
    field: str

    def __init__(self, status: int, message: str, field: str = "body") -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.field = field


@dataclass(frozen=True)
class FormBody:
    """A decoded body. ``pairs`` in body order with repeated names kept (forms); ``data`` for JSON."""

    kind: BodyKind
    pairs: tuple[tuple[str, str], ...] = ()
    data: dict[str, Any] | None = None


def decode_body(content_type: str | None, raw: bytes) -> FormBody:
    """Decode ``raw`` as its ``Content-Type`` says; raises only BodyError."""
    if len(raw) > MAX_BODY_BYTES:
        raise BodyError(413, f"request body over {MAX_BODY_BYTES} bytes")
    media_type, parameter_text = _split_media_type(content_type)
    kind = _MEDIA_TYPES.get(media_type)
    if not raw:
        return FormBody(kind=kind or "urlencoded", data={} if kind == "json" else None)
    if kind is None:
        raise BodyError(415, "send the form as x-www-form-urlencoded, multipart/form-data or JSON")
    parameters = _parameters(parameter_text)
    charset = _charset(parameters.get("charset"))
    if kind == "json":
        if charset not in (None, _UTF8):
            raise BodyError(415, "JSON must be UTF-8")
        return FormBody(kind="json", data=_json_object(raw))
    if kind == "urlencoded":
        return FormBody(kind="urlencoded", pairs=_urlencoded(raw, charset))
    return FormBody(kind="multipart", pairs=_multipart(raw, parameters.get("boundary")))


def _split_media_type(content_type: str | None) -> tuple[str, str]:
    if content_type is None:
        return "", ""
    media_type, separator, rest = content_type.partition(";")
    return media_type.strip().lower(), separator + rest


def _parameters(text: str) -> dict[str, str]:
    """``; name=value`` parameters (token or quoted-string; names case-insensitive); 400 if repeated."""
    parameters: dict[str, str] = {}
    position = 0
    while (found := _PARAMETER.match(text, position)) is not None:
        name, value = found.group(1).lower(), found.group(2)
        if value.startswith('"'):
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        if name in parameters:
            which = name if name in ("boundary", "charset") else "a parameter"
            raise BodyError(400, f"the Content-Type header repeats {which}")
        parameters[name] = value
        position = found.end()
    if _TRAILING.fullmatch(text, position) is None:
        raise BodyError(400, "the Content-Type header's parameters are malformed")
    return parameters


def _charset(label: str | None) -> str | None:
    """The Python codec for a charset label (None when absent); 415 for one we cannot decode."""
    if label is None:
        return None
    try:
        info = codecs.lookup(label)
    except (LookupError, ValueError, TypeError):
        info = None
    # (_is_text_encoding is how str.decode itself refuses base64, zlib and the other bytes-to-bytes codecs)
    if info is None or not info._is_text_encoding or info.name in _REFUSED_CODECS:
        raise BodyError(415, "the body's charset is not one we can read (send UTF-8)")
    return _UTF8 if info.name == _UTF8 else info.name


def _text(data: bytes, charset: str | None) -> str:
    """Bytes → NFC text in ``charset`` (UTF-8 by default): 400 if they are not text, 422 for a NUL."""
    try:
        text = data.decode(charset or _UTF8)
    except (UnicodeError, LookupError, ValueError) as error:
        raise BodyError(400, f"the body is not valid {charset or _UTF8} text") from error
    return _clean(text)


def _clean(text: str) -> str:
    if "\x00" in text:
        raise BodyError(422, "the body contains a NUL character")
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
    return text


def _checked_pairs(pairs: Iterable[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    checked = tuple(pairs)
    for name, _ in checked:
        if len(name) > MAX_NAME_CHARS:
            raise BodyError(422, f"a field name is longer than {MAX_NAME_CHARS} characters")
    return checked


def _too_many() -> BodyError:
    return BodyError(413, f"too many fields (at most {MAX_FIELDS})")


# --- JSON -----------------------------------------------------------------------------------------------


def _json_object(raw: bytes) -> dict[str, Any]:
    try:
        text = raw.removeprefix(codecs.BOM_UTF8).decode(_UTF8)
    except UnicodeDecodeError as error:
        raise BodyError(400, "the body is not valid utf-8 text") from error
    try:
        data = parse_json(text)
    except (json.JSONDecodeError, RecursionError, ValueError) as error:
        raise BodyError(422, "the body is not valid JSON") from error
    if not isinstance(data, dict):
        raise BodyError(422, "the JSON body must be an object")
    members = [0]
    cleaned = _clean_json(data, members)
    assert isinstance(cleaned, dict)
    return cleaned


def _clean_json(value: Any, members: list[int]) -> Any:
    """NFC keys and strings (escapes like ``\\u0000`` or a lone surrogate are only seen after parsing)."""
    if isinstance(value, str):
        try:
            value.encode(_UTF8)
        except UnicodeEncodeError as error:
            raise BodyError(422, "the JSON body has an unpaired surrogate escape") from error
        return _clean(value)
    if isinstance(value, list):
        return [_clean_json(item, members) for item in value]
    if isinstance(value, dict):
        members[0] += len(value)
        if members[0] > MAX_FIELDS:
            raise _too_many()
        cleaned = {_clean_json(key, members): _clean_json(item, members) for key, item in value.items()}
        _checked_pairs((key, "") for key in cleaned)
        return cleaned
    return value


# --- urlencoded -----------------------------------------------------------------------------------------


def _urlencoded(raw: bytes, charset: str | None) -> tuple[tuple[str, str], ...]:
    """The WHATWG urlencoded parser, strict about the text: ``+`` is a space, ``%XX`` a byte."""
    sequences = [sequence for sequence in raw.split(b"&") if sequence]
    if len(sequences) > MAX_FIELDS:
        raise _too_many()
    byte_pairs = []
    for sequence in sequences:
        name, _, value = sequence.partition(b"=")
        byte_pairs.append((_percent_decoded(name), _percent_decoded(value)))
    charset = charset or _form_charset(byte_pairs)
    return _checked_pairs((_text(name, charset), _text(value, charset)) for name, value in byte_pairs)


def _percent_decoded(data: bytes) -> bytes:
    return unquote_to_bytes(data.replace(b"+", b" ")) if b"%" in data or b"+" in data else data


def _form_charset(byte_pairs: Iterable[tuple[bytes, bytes]]) -> str | None:
    """The HTML ``_charset_`` convention: a hidden field the browser fills with the form's encoding."""
    for name, value in byte_pairs:
        if name == b"_charset_" and value:
            try:
                return _charset(value.decode("ascii"))
            except UnicodeDecodeError as error:
                raise BodyError(415, "the body's charset is not one we can read (send UTF-8)") from error
    return None


# --- multipart ------------------------------------------------------------------------------------------


@dataclass
class _Part:
    name: bytes
    charset: str | None
    value: bytearray


def _multipart(raw: bytes, boundary: str | None) -> tuple[tuple[str, str], ...]:
    if not boundary:
        raise BodyError(400, "the multipart body has no boundary")
    if len(boundary) > MAX_BOUNDARY_CHARS or not boundary.isascii():
        raise BodyError(400, "the multipart boundary is malformed")
    parts = _multipart_parts(raw, boundary)
    default = _form_charset((part.name, bytes(part.value)) for part in parts if part.charset is None)
    return _checked_pairs(
        (_text(part.name, default), _text(bytes(part.value), part.charset or default)) for part in parts
    )


def _multipart_parts(raw: bytes, boundary: str) -> list[_Part]:
    parts: list[_Part] = []
    try:
        parser = multipart.PushMultipartParser(
            boundary,
            max_segment_count=MAX_FIELDS,
            max_segment_size=MAX_BODY_BYTES,
            header_charset="latin-1",  # lossless: names are re-decoded in the form's charset below
            strict=True,
        )
        with parser:
            for event in parser.parse(raw):
                if isinstance(event, multipart.MultipartSegment):
                    parts.append(_part(event))
                elif event is not None:
                    parts[-1].value += event
    except multipart.ParserLimitReached as error:
        if "segment count" in str(error):
            raise _too_many() from error
        raise BodyError(400, "the multipart body is malformed") from error
    except multipart.MultipartError as error:
        raise BodyError(400, "the multipart body is malformed") from error
    return parts


def _part(segment: Any) -> _Part:
    """One part's headers → its name and charset; 422 for a file or anything but text."""
    name = str(segment.name).encode("latin-1")
    field = name.decode(_UTF8, "replace").replace("\x00", "")[:MAX_NAME_CHARS] or "body"
    if segment.filename is not None:
        raise BodyError(422, "file uploads are not accepted", field=field)
    if segment.content_type not in (None, "text/plain"):
        raise BodyError(422, "only text fields are accepted (no file uploads)", field=field)
    return _Part(name=name, charset=_charset(segment.charset), value=bytearray())
