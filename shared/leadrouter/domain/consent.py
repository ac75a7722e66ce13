"""Consent per purpose, kept so that it can be proven, and a lead's processing restriction.

Vietnam's personal data law (Law 91/2025/QH15, Decree 356/2025/ND-CP) asks that consent be given per
purpose, be provable (who, when, to which text and scope) and be withdrawable; silence and pre-ticked
boxes are not consent. So a lead carries, per purpose, the latest record of what the person said, and
``unknown`` is never read as granted. The tenant is the controller and names its purposes; leadrouter
(the processor) records and obeys them.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Mapping, Sequence
from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, Field, model_validator

from leadrouter.domain.base import Ident, LocalTime, Moment, Name, _Model
from leadrouter.domain.text import TEXT_PATTERN, accepted_text, check_text

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


class AgreedHours(_Model):
    """The hours a person agreed to be called at, on their own clock: Decree 91/2020 allows advertising
    calls outside 08:00-17:00 only when the person agreed to it."""

    start: LocalTime
    end: LocalTime

    @model_validator(mode="after")
    def _ordered(self) -> AgreedHours:
        if self.start >= self.end:
            raise ValueError("start must be before end")
        return self


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
    #: A granted ``call`` only: the hours the person agreed to be called at, instead of the tenant's.
    agreed_hours: AgreedHours | None = Field(default=None, exclude_if=lambda v: v is None)

    @model_validator(mode="after")
    def _hours_with_a_call_grant(self) -> ConsentRecord:
        if self.agreed_hours is not None and (
            self.purpose != CALL or self.status is not ConsentStatus.GRANTED
        ):
            raise ValueError("agreed_hours belong to a granted call consent only")
        return self


#: A lead's consents: the latest record per purpose.
Consents = dict[PurposeKey, ConsentRecord]


class Purpose(_Model):
    """A purpose a tenant asks consent for, and the notice its people are shown."""

    key: PurposeKey
    label: Name
    notice_version: Annotated[str, Field(min_length=1, max_length=40)]
    notice_text: Annotated[
        str,
        Field(min_length=1, max_length=4000),
        AfterValidator(check_text),
        accepted_text(TEXT_PATTERN, 4000),
    ]


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


def withdrawn(before: Mapping[str, ConsentRecord], after: Mapping[str, ConsentRecord]) -> list[str]:
    """The purposes granted in ``before`` and no longer granted in ``after`` (a withdrawal, or a later
    refusal a staff member recorded): what integrators must hear of, in purpose order."""
    return sorted(p for p in before if granted(before, p) and not granted(after, p))


def answered_by_person(record: ConsentRecord) -> bool:
    """Whether the person themselves gave the answer (a box, a platform's form, their system), as
    opposed to a staff member recording what they said or their withdrawal."""
    return record.method not in (ConsentMethod.STAFF, ConsentMethod.WITHDRAWAL)


class ArchivedNotice(_Model):
    """One version of a purpose's notice, kept for as long as a record may point at it: the exact words a
    person was shown, so ``notice_digest(text) == record.notice_sha256`` proves which text they saw."""

    purpose: PurposeKey
    version: Annotated[str, Field(min_length=1, max_length=40)]
    label: Name
    text: Annotated[str, Field(min_length=1, max_length=4000)]
    sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
    archived_at: Moment

    @classmethod
    def of(cls, purpose: Purpose, at: datetime) -> ArchivedNotice:
        return cls(
            purpose=purpose.key,
            version=purpose.notice_version,
            label=purpose.label,
            text=purpose.notice_text,
            sha256=notice_digest(purpose.notice_text),
            archived_at=at,
        )


#: A form's consent fields (the snippet writes them; names starting with ``_`` never become lead
#: fields): the box ``_consent_<purpose>``, unticked by default, and the hidden ``_notice_<purpose>``
#: holding the notice version shown beside it, which proves the box was there.
CONSENT_FIELD = "_consent_"
NOTICE_FIELD = "_notice_"
#: A box's values that mean "not ticked" (a browser sends nothing then; JSON senders may send these).
_UNTICKED = frozenset({"", "0", "false", "no", "off", "refused"})
_PURPOSE = re.compile(r"[a-z][a-z0-9_]{0,39}")


def form_answers(pairs: Sequence[tuple[str, str]]) -> list[tuple[str, ConsentStatus, str]]:
    """A form's consent answers as (purpose, granted/refused, notice version), in purpose order.

    A purpose whose notice version came with the form was shown: ticked is granted, left unticked is
    refused. A box without its version (an old or hand-written form) proves no text: nothing is
    recorded for it, so the purpose stays unknown.
    """
    versions: dict[str, str] = {}
    ticked: set[str] = set()
    for name, value in pairs:
        if name.startswith(NOTICE_FIELD):
            purpose = name.removeprefix(NOTICE_FIELD)
            if _PURPOSE.fullmatch(purpose) and value.strip():
                versions.setdefault(purpose, value.strip())
        elif name.startswith(CONSENT_FIELD) and value.strip().lower() not in _UNTICKED:
            ticked.add(name.removeprefix(CONSENT_FIELD))
    return [
        (p, ConsentStatus.GRANTED if p in ticked else ConsentStatus.REFUSED, versions[p])
        for p in sorted(versions)
    ]


def is_consent_field(name: str) -> bool:
    """A form's consent box or notice version: an answer, never a lead field."""
    return name.startswith((CONSENT_FIELD, NOTICE_FIELD))
