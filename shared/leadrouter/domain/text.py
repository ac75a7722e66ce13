"""What text the service accepts from people (pure): names and labels typed by admins and visitors.

Vietnamese (and any other script) is welcome, composed or decomposed: everything is stored in NFC so
"Tết" typed on a Mac and on Windows is one label. Refused: control characters (NUL included), bidi
overrides and isolates (they make "Tết 2027" display as something else), and text with nothing visible.
"""

from __future__ import annotations

import unicodedata

#: Bidi embeddings, overrides and isolates (Trojan Source, CVE-2021-42574).
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")
#: Characters a label may not contain: key separators ('#'), path separators ('/', '\\') and '%' (so a
#: percent-decoded path segment is the label itself).
_LABEL_FORBIDDEN = frozenset("#/\\%")


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
