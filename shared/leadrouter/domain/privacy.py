"""A tenant's privacy settings: the purposes it asks consent for, how long it keeps personal data, and
the hours advertising calls may be made.

The tenant is the controller under Vietnam's personal data law and chooses these; the defaults are the
protective ones leadrouter ships with (Decree 91/2020's 08:00-17:00 calling hours, attribution kept
shorter than the lead, every purpose asked, none assumed).
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import time
from typing import Annotated

from pydantic import Field, StrictBool, StrictInt, StringConstraints, model_validator

from leadrouter.domain.base import LocalTime, _Model
from leadrouter.domain.consent import (
    CALL,
    EMAIL_MARKETING,
    ENQUIRY,
    SHARE_INTEGRATORS,
    SMS,
    Purpose,
)

NOTICE_VERSION = "2026-01"

#: The notices a new tenant starts with (Vietnamese: what its customers read); the tenant edits them
#: and bumps the version when the text changes, so each record points at the words it was given for.
DEFAULT_PURPOSES: tuple[Purpose, ...] = (
    Purpose(
        key=ENQUIRY,
        label="Liên hệ về yêu cầu này",
        notice_version=NOTICE_VERSION,
        notice_text="Tôi đồng ý để công ty liên hệ với tôi về yêu cầu tôi vừa gửi.",
    ),
    Purpose(
        key=CALL,
        label="Gọi điện tư vấn",
        notice_version=NOTICE_VERSION,
        notice_text="Tôi đồng ý nhận cuộc gọi tư vấn, giới thiệu sản phẩm trong giờ hành chính.",
    ),
    Purpose(
        key=SMS,
        label="Nhắn tin SMS",
        notice_version=NOTICE_VERSION,
        notice_text="Tôi đồng ý nhận tin nhắn SMS giới thiệu sản phẩm, dịch vụ.",
    ),
    Purpose(
        key=EMAIL_MARKETING,
        label="Thư điện tử tiếp thị",
        notice_version=NOTICE_VERSION,
        notice_text="Tôi đồng ý nhận thư điện tử giới thiệu sản phẩm, dịch vụ và ưu đãi.",
    ),
    Purpose(
        key=SHARE_INTEGRATORS,
        label="Chia sẻ với đối tác tích hợp",
        notice_version=NOTICE_VERSION,
        notice_text="Tôi đồng ý để thông tin của tôi được chuyển tới các hệ thống đối tác của công ty.",
    ),
)

Days = Annotated[StrictInt, Field(ge=1, le=3650)]


class Retention(_Model):
    """How long each kind of personal data is kept, in days after it was last written."""

    leads_days: Days = 730
    submissions_days: Days = 90
    #: Delivery logs of webhooks and similar operational records.
    logs_days: Days = 30
    #: Click ids, referrers and landing URLs: treated as sensitive until counsel says otherwise.
    attribution_days: Days = 90
    keep_attribution: StrictBool = True
    #: How long the access audit is kept.
    audit_days: Days = 730

    @model_validator(mode="after")
    def _attribution_not_longer_than_the_lead(self) -> Retention:
        if self.attribution_days > self.leads_days:
            raise ValueError("attribution_days may not exceed leads_days")
        return self


class CallingHours(_Model):
    """When advertising calls may be offered, on the customer's clock (Decree 91/2020: 08:00-17:00
    unless the person agreed otherwise)."""

    start: LocalTime = time(8, 0)
    end: LocalTime = time(17, 0)

    @model_validator(mode="after")
    def _ordered(self) -> CallingHours:
        if self.start >= self.end:
            raise ValueError("start must be before end")
        return self


#: A webhook receiver's host name, as in its URL (lower case).
HostName = Annotated[str, StringConstraints(min_length=1, max_length=253, pattern=r"^[a-z0-9.:\[\]-]+$")]
#: An ISO 3166-1 alpha-2 country code (``VN``, ``SG``).
CountryCode = Annotated[str, StringConstraints(min_length=2, max_length=2, pattern=r"^[A-Z]{2}$")]


class PrivacySettings(_Model):
    purposes: list[Purpose] = Field(default_factory=lambda: list(DEFAULT_PURPOSES), max_length=20)
    retention: Retention = Field(default_factory=Retention)
    calling_hours: CallingHours = Field(default_factory=CallingHours)
    #: Where each webhook receiver processes what it is sent, as the tenant declares it (host → country):
    #: the processing inventory lists a receiver with no declaration as "unknown".
    recipient_countries: dict[HostName, CountryCode] = Field(default_factory=dict, max_length=100)

    @model_validator(mode="after")
    def _unique_purposes(self) -> PrivacySettings:
        keys = [p.key for p in self.purposes]
        if len(keys) != len(set(keys)):
            raise ValueError("each purpose key may appear once")
        return self

    def purpose(self, key: str) -> Purpose | None:
        return next((p for p in self.purposes if p.key == key), None)


def contact_digest(pepper: bytes, contact_key: str) -> str:
    """A contact kept without the contact: HMAC-SHA256 (hex) of its dedupe key (``phone#+84…`` or
    ``email#…``, ``domain.contacts.contact_keys``) under the tenant's secret pepper.

    Do-Not-Call lists, the advertising-call log and the erasure suppression list hold only these. A
    phone number has too few digits for a plain hash to hide it; the pepper, sealed with the stack's
    key and never stored in clear beside the digests, is what makes them unreadable.
    """
    return hmac.new(pepper, contact_key.encode("utf-8"), hashlib.sha256).hexdigest()
