"""Contact normalisation (pure): one phone number, one way of writing it.

``0912 345 678``, ``+84 912345678`` and ``84912345678`` are the same subscriber; storing E.164 makes
duplicates findable. Region VN is the default for numbers written without a country code. A mobile
number from before Vietnam's 2018 renumbering (``0169 123 4567``) is read as the number it became.
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


#: Vietnam's 2018 renumbering of 11-digit mobile numbers (15 Sep 2018 to 30 Jun 2019): the old prefix
#: (after the trunk 0) → the new one; the last 7 digits stay. Ministry of Information and Communications'
#: plan as the operators published it: MobiFone's "Kế hoạch triển khai chuyển đổi thuê bao"
#: (https://mobifone.vn/wps/portal/public/gioi-thieu/doi-dau-so/Doi_dau_so_top_1/ke-hoach-trien-khai-chuyen-doi-thue-bao)
#: and all five networks in
#: https://kynguyenso.plo.vn/ky-nguyen-so/tuyet-chieu/2-cach-chuyen-so-dien-thoai-11-so-ve-10-so-773007.html
#: (also https://lawnet.vn/en/laws/what-is-the-current-list-of-prefixes-of-vietnamese-phone-numbers-of-mobile-network-operators-what-i-134777.html).
OLD_MOBILE_PREFIXES: dict[str, str] = {
    # Viettel
    "162": "32",
    "163": "33",
    "164": "34",
    "165": "35",
    "166": "36",
    "167": "37",
    "168": "38",
    "169": "39",
    # MobiFone
    "120": "70",
    "121": "79",
    "122": "77",
    "126": "76",
    "128": "78",
    # VinaPhone
    "123": "83",
    "124": "84",
    "125": "85",
    "127": "81",
    "129": "82",
    # Vietnamobile
    "186": "56",
    "188": "58",
    # Gmobile (Gtel)
    "199": "59",
}
#: An old 11-digit mobile number once its separators are gone: national (0…), +84… or 84…; the old
#: prefix, then the subscriber's 7 digits.
_OLD_MOBILE = re.compile(r"^(?P<country>\+84|84|0)(?P<prefix>1\d\d)(?P<subscriber>\d{7})$")


@dataclass(frozen=True)
class PhoneReading:
    """A phone number as read: ``e164`` to store and dedupe by, ``as_typed`` (stripped) to show, and
    whether an old 11-digit mobile number was ``converted`` to its new number."""

    e164: str
    as_typed: str
    converted: bool


def read_phone(raw: str, region: str = DEFAULT_REGION) -> PhoneReading:
    """``raw`` as a phone number (``ValueError`` if it is not one); an old mobile number converted."""
    text = raw.strip()
    digits = re.sub(r"[\s.\-()]", "", text)
    converted = False
    old = _OLD_MOBILE.match(digits)
    # "0169…" is Vietnamese only when the number is read as Vietnamese; "+84169…" always is
    if old and old["prefix"] in OLD_MOBILE_PREFIXES and (old["country"] != "0" or region == DEFAULT_REGION):
        digits = f"+84{OLD_MOBILE_PREFIXES[old['prefix']]}{old['subscriber']}"
        converted = True
    if _BARE_COUNTRY_CODE.match(digits):
        digits = "+" + digits  # "84912345678": a VN number written with its country code but no "+"
    try:
        number = phonenumbers.parse(digits, region)
    except phonenumbers.NumberParseException as error:
        raise ValueError("not a phone number") from error
    if not phonenumbers.is_valid_number(number):
        raise ValueError("not a valid phone number (Vietnamese numbers: 10 digits starting with 0, or +84…)")
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return PhoneReading(e164=e164, as_typed=text, converted=converted)


def normalise_phone(raw: str, region: str = DEFAULT_REGION) -> str:
    """``raw`` in E.164 (``ValueError`` if it is not a phone number): ``read_phone``'s number."""
    return read_phone(raw, region).e164


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
