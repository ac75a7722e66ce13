"""Consent per purpose, kept so that it can be proven, and a lead's processing restriction.

Vietnam's personal data law (Law 91/2025/QH15, Decree 356/2025/ND-CP) asks that consent be given per
purpose, be provable (who, when, to which text and scope) and be withdrawable; silence and pre-ticked
boxes are not consent. So a lead carries, per purpose, the latest record of what the person said, and
``unknown`` is never read as granted. The tenant is the controller and names its purposes; leadrouter
(the processor) records and obeys them.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Mapping
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, Field

from leadrouter.domain.base import Ident, Moment, Name, _Model
from leadrouter.domain.text import check_text

#: A purpose's key: lower-case words joined by ``_`` (``call``, ``email_marketing``).
PurposeKey = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[a-z][a-z0-9_]*$")]

#: The purposes every tenant starts with (their notices: ``domain.privacy``); a tenant may add its own.
ENQUIRY = "enquiry"  # contact the person about the enquiry they made
CALL = "call"  # advertising calls (Decree 91/2020: prior consent, 08:00-17:00, once a day)
SMS = "sms"
EMAIL_MARKETING = "email_marketing"
SHARE_INTEGRATORS = "share_integrators"  # hand the lead to the tenant's integrations (webhooks)
DEFAULT_PURPOSE_KEYS: tuple[str, ...] = (ENQUIRY, CALL, SMS, EMAIL_MARKETING, SHARE_INTEGRATORS)


class ConsentStatus(StrEnum):
    GRANTED = "granted"
    REFUSED = "refused"
    #: Nothing was asked or nothing was said: never read as granted.
    UNKNOWN = "unknown"


class ConsentMethod(StrEnum):
    """How the person's answer reached leadrouter."""

    CHECKBOX = "checkbox"  # a web form's box, unticked by default
    API = "api"  # the tenant's system said so through the JSON API
    PLATFORM = "platform"  # an ad platform's form and its disclaimer
    IMPORT = "import"  # a customer list brought in by an admin
    STAFF = "staff"  # a staff member recorded what the person said (by phone, in person)
    WITHDRAWAL = "withdrawal"  # the person took a consent back


class ConsentRecord(_Model):
    """What one person said about one purpose, with its proof."""

    purpose: PurposeKey
    status: ConsentStatus
    at: Moment
    method: ConsentMethod
    #: The source (form, adapter, ``api``, ``import``) the answer came through.
    source: Annotated[str, Field(min_length=1, max_length=64)]
    #: The notice shown when the answer was given: its version, and the SHA-256 of its exact text.
    notice_version: Annotated[str, Field(min_length=1, max_length=40)] | None = None
    notice_sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")] | None = None
    #: The stored submission that carried the answer (the evidence), when there was one.
    submission_id: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    #: Who recorded it: a staff member's id, or None when the person themselves answered.
    by: Ident | None = None


#: A lead's consents: the latest record per purpose.
Consents = dict[PurposeKey, ConsentRecord]


class Purpose(_Model):
    """A purpose a tenant asks consent for, and the notice its people are shown."""

    key: PurposeKey
    label: Name
    notice_version: Annotated[str, Field(min_length=1, max_length=40)]
    notice_text: Annotated[str, Field(min_length=1, max_length=4000), AfterValidator(check_text)]


def notice_digest(text: str) -> str:
    """The SHA-256 (hex) of a notice's text, NFC-normalised so the same words give the same digest
    whichever way a browser or a platform composed the Vietnamese diacritics."""
    return hashlib.sha256(unicodedata.normalize("NFC", text).encode("utf-8")).hexdigest()


def status_of(consents: Mapping[str, ConsentRecord], purpose: str) -> ConsentStatus:
    """The person's answer for ``purpose``; no record is ``unknown``."""
    record = consents.get(purpose)
    return record.status if record is not None else ConsentStatus.UNKNOWN


def granted(consents: Mapping[str, ConsentRecord], purpose: str) -> bool:
    """Whether ``purpose`` may be pursued: only an explicit grant counts."""
    return status_of(consents, purpose) is ConsentStatus.GRANTED


def merged(current: Mapping[str, ConsentRecord], incoming: Mapping[str, ConsentRecord]) -> Consents:
    """The latest record per purpose: a later answer replaces an earlier one, an older one never does
    (a replayed submission does not undo a withdrawal made since)."""
    result: Consents = dict(current)
    for purpose, record in incoming.items():
        held = result.get(purpose)
        if held is None or record.at >= held.at:
            result[purpose] = record
    return result


class RestrictionKind(StrEnum):
    RESTRICT = "restrict"  # the person asked that processing be restricted
    OBJECT = "object"  # the person objected to processing


class Restriction(_Model):
    """A data-subject request that stops a lead being worked (no calls, no marketing events) until it
    is lifted."""

    kind: RestrictionKind
    since: Moment
    #: The privacy request that set it.
    request_id: Ident | None = None
