"""Form keys: what a web form presents to post leads, stored only as a hash."""

from __future__ import annotations

import hashlib
import secrets

FORM_KEY_PREFIX = "fk_"


def new_form_key() -> str:
    return FORM_KEY_PREFIX + secrets.token_urlsafe(24)


def hash_form_key(key: str) -> str:
    """Form keys are looked up by hash: the table never holds a usable key."""
    return hashlib.sha256(key.encode()).hexdigest()
