"""Contact normalisation (pure): one phone number, one way of writing it.

``0912 345 678``, ``+84 912345678`` and ``84912345678`` are the same subscriber; storing E.164 makes
duplicates findable. Region VN is the default for numbers written without a country code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

import phonenumbers
from email_validator import EmailNotValidError, validate_email

DEFAULT_REGION = "VN"
#: How the spec shows a phone: a Vietnamese mobile or landline number, the sufficient shape (numbers of
#: other countries in +<country code> form are accepted too, as are spaces, dots and dashes between digits).
PHONE_SCHEMA = {
    "pattern": r"^(?:\+84|0)(?:3[0-9]|5[1689]|7[06-9]|8[1-8]|9[0-8])[0-9]{7}$",
    "description": "a phone number: Vietnamese as 0xxxxxxxxx or +84xxxxxxxxx (other countries as "
    "+<country code><number>; spaces, dots and dashes are ignored); stored in E.164",
    "example": "0912345678",
}
#: How the spec shows an email: any address but special-use domains (.test, .invalid, .local, …).
EMAIL_SCHEMA = {
    "format": "email",
    "pattern": r"^[^@]+@(?!.*\.(?:test|invalid|local|localhost|onion|arpa)$).+$",
    "description": "an email address (special-use domains such as .test are refused); stored lower-case",
}
_BARE_COUNTRY_CODE = re.compile(r"^84\d{9,10}$")


def normalise_phone(raw: str, region: str = DEFAULT_REGION) -> str:
    text = raw.strip()
    digits = re.sub(r"[\s.\-()]", "", text)
    if _BARE_COUNTRY_CODE.match(digits):
        digits = "+" + digits  # "84912345678": a VN number written with its country code but no "+"
    try:
        number = phonenumbers.parse(digits, region)
    except phonenumbers.NumberParseException as error:
        raise ValueError("not a phone number") from error
    if not phonenumbers.is_valid_number(number):
        raise ValueError("not a valid phone number (Vietnamese numbers: 10 digits starting with 0, or +84…)")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_email(raw: str) -> str:
    try:
        result = validate_email(raw.strip(), check_deliverability=False)
    except EmailNotValidError as error:
        raise ValueError(f"not a valid email address: {error}") from error
    return result.normalized.lower()


def contact_keys(phone: str | None, email: str | None) -> list[str]:
    """Tenant-wide dedupe keys for a lead's normalised contacts."""
    return [key for key in (phone and f"phone#{phone}", email and f"email#{email}") if key]


#: How long a claim whose lead is not stored yet counts as *in flight* (intake writes the claim, then
#: the lead, a few milliseconds apart). Longer than the API function's 29 s timeout: after it, the
#: request that wrote the claim is dead, so a claim still without its lead was left by a crash.
CLAIM_GRACE = timedelta(seconds=60)


@dataclass(frozen=True)
class Claim:
    """Who holds a contact: the lead's id and, for intake's claim-first writes, when it was claimed."""

    lead_id: str
    #: Set by intake (claim first, lead next); absent on claims written in one transaction with their
    #: lead (edits, restores, older data), which never wait for a lead to appear.
    claimed_at: datetime | None = None

    def in_flight(self, now: datetime) -> bool:
        """Its lead may still be on its way: claimed by intake less than ``CLAIM_GRACE`` ago."""
        return self.claimed_at is not None and now - self.claimed_at < CLAIM_GRACE
