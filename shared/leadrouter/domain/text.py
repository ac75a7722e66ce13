"""What text the service accepts from people (pure): names and labels typed by admins and visitors.

Vietnamese (and any other script) is welcome, composed or decomposed: everything is stored in NFC so
"Tết" typed on a Mac and on Windows is one label. Refused: control characters (NUL included), bidi
overrides and isolates (they make "Tết 2027" display as something else), and text with nothing visible.
"""

from __future__ import annotations

import unicodedata

from pydantic import WithJsonSchema

#: Bidi embeddings, overrides and isolates (Trojan Source, CVE-2021-42574).
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")
#: Characters a label may not contain: key separators ('#'), path separators ('/', '\\') and '%' (so a
#: percent-decoded path segment is the label itself).
_LABEL_FORBIDDEN = frozenset("#/\\%")


def _escaped(chars: frozenset[str]) -> str:
    return "".join(f"\\u{ord(c):04x}" for c in sorted(chars))


#: Format characters (Unicode Cf) of the Basic Multilingual Plane, as a pattern's character ranges.
_FORMAT = (
    r"\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e"
    r"\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb"
)
#: Letters and symbols that certainly count as visible (assigned, of common scripts): a text needs one.
_SCRIPTS = r"\u00a1-\u00ac\u00ae-\u024f\u1ea0-\u1ef9\u3041-\u3096\u30a1-\u30fa\u4e00-\u9fef\uac00-\ud7a3"
_TEXT_CHAR = rf"[^\x00-\x08\x0b-\x1f\x7f-\x9f{_escaped(_BIDI_CONTROLS)}]"
_LABEL_CHAR = rf"[^\x00-\x1f\x7f-\x9f{_FORMAT}#/\\%]"
#: What ``check_text`` and ``check_label`` accept, as OpenAPI patterns: a sufficient shape (every value
#: that matches is accepted; text in other scripts is accepted too).
TEXT_PATTERN = rf"^{_TEXT_CHAR}*[!-~{_SCRIPTS}]{_TEXT_CHAR}*$"
_LINE_CHAR = rf"[^\x00-\x1f\x7f-\x9f{_escaped(_BIDI_CONTROLS)}]"
LINE_PATTERN = rf"^{_LINE_CHAR}*[!-~{_SCRIPTS}]{_LINE_CHAR}*$"


def accepted_text(pattern: str, max_length: int) -> WithJsonSchema:
    """The spec of a request's text field: bounded, in ``pattern``. Requests only: what the service
    answers may hold any text it accepted (a name in a script the pattern does not list)."""
    return WithJsonSchema(
        {"type": "string", "minLength": 1, "maxLength": max_length, "pattern": pattern}, mode="validation"
    )


LABEL_PATTERN = rf"^{_LABEL_CHAR}*[!-\"$&-.0-\[\]-~{_SCRIPTS}]{_LABEL_CHAR}*$"


def check_text(value: str) -> str:
    """NFC text with no control or bidi characters and at least one visible character."""
    text = unicodedata.normalize("NFC", value)
    for char in text:
        category = unicodedata.category(char)
        if category == "Cc" and char not in "\t\n":
            raise ValueError(f"contains a control character (U+{ord(char):04X})")
        if char in _BIDI_CONTROLS:
            raise ValueError(f"contains a bidi control character (U+{ord(char):04X})")
    if not any(unicodedata.category(c)[0] not in ("Z", "C") for c in text):
        raise ValueError("has no visible character")
    return text


def check_label(value: str) -> str:
    """A pool, step or campaign name: one line of visible text without '#', '/', '\\' or '%'."""
    text = check_text(value)
    if any(c in "\t\n" for c in text):
        raise ValueError("must be on one line")
    bad = sorted({c for c in text if c in _LABEL_FORBIDDEN})
    if bad:
        raise ValueError(f"may not contain {' '.join(repr(c) for c in bad)}")
    if any(unicodedata.category(c) == "Cf" for c in text):
        raise ValueError("contains an invisible formatting character")
    return " ".join(text.split())
