"""Contact normalisation (pure): one phone number, one way of writing it.

``0912 345 678``, ``+84 912345678`` and ``84912345678`` are the same subscriber; storing E.164 makes
duplicates findable. Region VN is the default for numbers written without a country code.
"""

from __future__ import annotations

import re

import phonenumbers
from email_validator import EmailNotValidError, validate_email

DEFAULT_REGION = "VN"
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
