"""Form keys and source secrets: what a form or a CRM presents to post leads, stored only as a hash.

A form key is public (it sits in a landing page's HTML): it can add leads, and its answers reveal
nothing about other leads. A source secret is what a server (a CRM) adds to the key to be told which
lead its submission became; it never leaves the server that holds it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

FORM_KEY_PREFIX = "fk_"
SOURCE_SECRET_PREFIX = "ss_"  # noqa: S105 (a prefix, not a secret)
#: The longest form key the door looks up; keys issued here are far shorter.
MAX_FORM_KEY_CHARS = 128


def new_form_key() -> str:
    return FORM_KEY_PREFIX + secrets.token_urlsafe(24)


def hash_form_key(key: str) -> str:
    """Form keys are looked up by hash: the table never holds a usable key."""
    return hashlib.sha256(key.encode()).hexdigest()


def new_source_secret() -> str:
    """256 random bits: a fast hash is enough to store it (nothing to brute-force, unlike a password)."""
    return SOURCE_SECRET_PREFIX + secrets.token_urlsafe(32)


def hash_source_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def source_secret_matches(secret: str, stored_hash: str | None) -> bool:
    """Whether ``secret`` is the one whose hash is stored (constant time); never for a source without one."""
    if not stored_hash or len(secret) > 256:
        return False
    return hmac.compare_digest(hash_source_secret(secret), stored_hash)
