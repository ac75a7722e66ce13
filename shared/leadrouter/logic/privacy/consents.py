"""Consent per purpose: the tenant's notices, the answers a lead carries, and their history.

The tenant (the controller) names its purposes and the notice text shown for each; every version of a
notice is archived when the settings that introduce it are saved, and a text may not change under a
version some record may already point at. An answer at intake (a form's box, the JSON API, an ad
platform's disclaimer) or recorded by staff becomes a ``ConsentRecord`` with the version, the SHA-256
of that version's exact text, the time, the source, the method and the stored submission as evidence.
A later answer replaces an earlier one per purpose (``domain.consent.merged``); each set of answers is
also a line of the lead's history, so what was said before stays visible. Routing reads
``Lead.consents`` on every sweep, so a withdrawal applies from the next one; the stream turns a grant
taken away into a ``ConsentWithdrawn`` event.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, StrictInt, ValidationInfo, field_validator

from leadrouter.clock import to_iso
from leadrouter.domain.consent import (
    CALL,
    AgreedHours,
    ArchivedNotice,
    ConsentMethod,
    ConsentRecord,
    Consents,
    ConsentStatus,
    Purpose,
    PurposeKey,
    merged,
    notice_digest,
)
from leadrouter.domain.errors import Conflict, InvalidInput
from leadrouter.domain.forms import FormSource
from leadrouter.domain.leads import Lead, LeadEvent
from leadrouter.domain.privacy import DEFAULT_PURPOSES, PrivacySettings
from leadrouter.domain.submissions import Channel, Submission
from leadrouter.domain.tenants import Tenant
from leadrouter.domain.users import Caller
from leadrouter.logic.ports import ConsentChanges, LeadHistory, LeadReads, Notices, Tenants

NoticeVersion = Annotated[str, Field(min_length=1, max_length=40)]
#: Attempts at writing a lead's consents while other writers (sweeps, edits) keep moving its revision.
SAVE_ATTEMPTS = 5
#: The history line's ``data`` keys (``<prefix><purpose>``): never a bare purpose key, which a tenant
#: could name like another key.
_STATUS, _VERSION, _DIGEST = "purpose.", "version.", "sha256."


class NoticePorts(Tenants, Notices, Protocol):
    """The tenant's settings and the archive of its notices."""


class ConsentPorts(NoticePorts, LeadReads, LeadHistory, ConsentChanges, Protocol):
    """The notices, and a lead's consents with their history."""


# ------------------------------------------------------------------ answers as senders give them
class ConsentAnswer(BaseModel):
    """What the person answered for one purpose, as a form, the JSON API or an adapter says it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    purpose: PurposeKey = Field(description="one of the tenant's purposes (GET /privacy/settings)")
    status: Literal["granted", "refused"] = Field(
        description="granted only if the person ticked or said yes themselves; silence is not consent"
    )
    notice_version: NoticeVersion | None = Field(
        default=None,
        description="the version of the purpose's notice the person was shown; required for granted "
        "(except from an ad platform, whose form shows its own disclaimer)",
    )
    agreed_hours: AgreedHours | None = Field(
        default=None,
        description="a granted call only: the hours (on the person's clock) they agreed to be called "
        "at; without it, calls are offered in the tenant's calling hours (08:00-17:00 by default)",
    )

    @field_validator("agreed_hours")
    @classmethod
    def _hours_with_a_call_grant(cls, hours: AgreedHours | None, info: ValidationInfo) -> AgreedHours | None:
        if hours is not None and (info.data.get("purpose") != CALL or info.data.get("status") != "granted"):
            raise ValueError("agreed_hours go with a granted call only")
        return hours


@dataclass(frozen=True)
class Evidence:
    """Where a set of answers came from: the proof every record of the set carries."""

    source: str
    method: ConsentMethod
    at: datetime
    #: The stored submission that carried the answers.
    submission_id: str | None = None
    #: The staff member who recorded them (None: the person answered through a form or a platform).
    by: str | None = None


def method_of(channel: Channel) -> ConsentMethod:
    """How answers arriving on ``channel`` were given: a page's box, a system's API call, a platform."""
    if channel == "form":
        return ConsentMethod.CHECKBOX
    if channel == "json":
        return ConsentMethod.API
    return ConsentMethod.PLATFORM


def submission_evidence(source: FormSource, record: Submission) -> Evidence:
    """The proof a stored submission's answers carry: the record itself, when it arrived (a replay's
    answers keep that time), and how its channel asks."""
    return Evidence(
        source=source.source_id,
        method=method_of(record.channel),
        at=record.received_at,
        submission_id=record.submission_id,
    )


def consent_records(
    repo: NoticePorts, tenant_id: str, answers: Sequence[ConsentAnswer], evidence: Evidence
) -> Consents:
    """The answers as records pointing at archived notice text; ``InvalidInput`` (nothing recorded)
    for a purpose the tenant never had, a version never archived, a purpose answered twice, or a grant
    with no notice where the person must have been shown one."""
    if not answers:
        return {}
    tenant = repo.get_tenant(tenant_id)
    settings = tenant.privacy if tenant is not None else PrivacySettings()
    problems: dict[str, str] = {}
    seen: set[str] = set()
    wanted: set[tuple[str, str]] = set()
    for answer in answers:
        if answer.purpose in seen:
            problems[f"consents.{answer.purpose}"] = "answered more than once; send one answer per purpose"
        seen.add(answer.purpose)
        if answer.notice_version is not None:
            if _known_text(settings, answer.purpose, answer.notice_version) is None:
                wanted.add((answer.purpose, answer.notice_version))
        elif answer.status == "granted" and evidence.method is not ConsentMethod.PLATFORM:
            problems[f"consents.{answer.purpose}"] = "a grant needs the notice_version the person was shown"
        elif settings.purpose(answer.purpose) is None:
            problems[f"consents.{answer.purpose}"] = "not one of this tenant's purposes"
    archived = repo.archived_notices(tenant_id, wanted) if wanted else {}
    records: Consents = {}
    for answer in answers:
        digest: str | None = None
        if answer.notice_version is not None:
            ref = (answer.purpose, answer.notice_version)
            text = _known_text(settings, *ref)
            digest = notice_digest(text) if text is not None else None
            if digest is None and ref in archived:
                digest = archived[ref].sha256
            if digest is None:
                problems.setdefault(
                    f"consents.{answer.purpose}",
                    f"no notice {answer.notice_version!r} of this purpose was ever shown by this tenant",
                )
                continue
        records[answer.purpose] = ConsentRecord(
            purpose=answer.purpose,
            status=ConsentStatus(answer.status),
            at=evidence.at,
            method=evidence.method,
            source=evidence.source[:64],
            notice_version=answer.notice_version,
            notice_sha256=digest,
            submission_id=evidence.submission_id,
            by=evidence.by,
            agreed_hours=answer.agreed_hours,
        )
    if problems:
        raise InvalidInput("the consent answers name notices this tenant never showed", problems)
    return records


def _known_text(settings: PrivacySettings, purpose: str, version: str) -> str | None:
    """A notice's text without reading the archive: the tenant's current one, or a default that has
    never changed under its version (``DEFAULT_PURPOSES``; a test pins their digests)."""
    for candidate in (settings.purpose(purpose), *(p for p in DEFAULT_PURPOSES if p.key == purpose)):
        if candidate is not None and candidate.notice_version == version:
            return candidate.notice_text
    return None


# ------------------------------------------------------------------ a lead's consents
def history_event(records: Consents, evidence: Evidence) -> LeadEvent:
    """One line of the lead's history for one set of answers (no personal data: keys and digests)."""
    data: dict[str, str | int | None] = {
        "method": evidence.method.value,
        "source": evidence.source[:64],
        "submission_id": evidence.submission_id,
    }
    for purpose, record in sorted(records.items()):
        data[_STATUS + purpose] = record.status.value
        data[_VERSION + purpose] = record.notice_version
        data[_DIGEST + purpose] = record.notice_sha256
    return LeadEvent(at=evidence.at, kind="consent", by=evidence.by, data=data)


def event_slot(evidence: Evidence) -> str | None:
    """The history line's key for answers from a stored submission: one line per submission, however
    often it is replayed; None (a key of its own) for answers a staff member records."""
    if evidence.submission_id is None:
        return None
    return f"{to_iso(evidence.at)}#consent#{evidence.submission_id}"


def records_of(event: LeadEvent) -> list[ConsentRecord]:
    """The records one history line holds (``history_event`` read back); unreadable entries skipped."""
    if event.kind != "consent":
        return []
    data = event.data
    found: list[ConsentRecord] = []
    for key, value in data.items():
        if not key.startswith(_STATUS) or not isinstance(value, str):
            continue
        purpose = key.removeprefix(_STATUS)
        try:
            found.append(
                ConsentRecord.model_validate(
                    {
                        "purpose": purpose,
                        "status": value,
                        "at": event.at,
                        "method": data.get("method"),
                        "source": data.get("source"),
                        "notice_version": data.get(_VERSION + purpose),
                        "notice_sha256": data.get(_DIGEST + purpose),
                        "submission_id": data.get("submission_id"),
                        "by": event.by,
                    }
                )
            )
        except ValueError:
            continue
    return sorted(found, key=lambda r: r.purpose)


def record_answers(repo: ConsentPorts, lead: Lead, records: Consents, evidence: Evidence) -> Lead:
    """Merge ``records`` into the lead's consents (the latest answer per purpose wins) and write their
    history line. The write is on the revision read; a sweep or an edit moving it meanwhile makes
    this re-read and merge again, so neither loses the other's change."""
    current = lead
    for _ in range(SAVE_ATTEMPTS):
        consents = merged(current.consents, records)
        if consents == current.consents:
            break  # an older answer than those held: history only
        try:
            current = repo.save_consents(current, consents)
            break
        except Conflict:
            fresh = repo.get_lead(lead.tenant_id, lead.lead_id)
            if fresh is None:
                raise
            current = fresh
    else:
        raise Conflict(f"lead {lead.lead_id} kept changing; retry")
    repo.add_event(current, history_event(records, evidence), slot=event_slot(evidence))
    return current


# ------------------------------------------------------------------ the tenant's settings
class PrivacySettingsIn(PrivacySettings):
    """The whole privacy settings: what is sent replaces what was there."""

    expected_revision: StrictInt | None = Field(
        default=None,
        ge=0,
        le=2**31,
        description="the revision you read (GET /privacy/settings): if the tenant's settings moved on "
        "meanwhile the answer is 409 and nothing is written",
    )


class PrivacySettingsView(BaseModel):
    settings: PrivacySettings = Field(description="what PUT /privacy/settings replaces")
    revision: StrictInt = Field(description="the settings' revision; send it back as expected_revision")


def get_settings(repo: Tenants, caller: Caller) -> PrivacySettingsView:
    """The tenant's purposes, notices, retention and calling hours (defaults if never set)."""
    tenant = repo.get_tenant(caller.tenant_id)
    return _view(tenant)


def form_purposes(repo: Tenants, caller: Caller) -> list[Purpose]:
    """The purposes a new form asks about, each with its current notice (the snippet's boxes)."""
    tenant = repo.get_tenant(caller.tenant_id)
    return list((tenant.privacy if tenant is not None else PrivacySettings()).purposes)


def _view(tenant: Tenant | None) -> PrivacySettingsView:
    return PrivacySettingsView(
        settings=tenant.privacy if tenant is not None else PrivacySettings(),
        revision=tenant.rev if tenant is not None else 0,
    )


def replace_settings(
    repo: NoticePorts, caller: Caller, body: PrivacySettingsIn, now: datetime
) -> PrivacySettingsView:
    """Replace the privacy settings, archiving every notice version they show (and those the tenant
    showed until now, defaults included), in one write conditioned on the revision read.

    A notice whose text differs from what its version already said is a 422 (give it a new version):
    records point at a version, and a version's words never change. 409 when ``expected_revision`` is
    not the stored one or the settings changed meanwhile.
    """
    settings = PrivacySettings.model_validate(body.model_dump(exclude={"expected_revision"}))
    current = repo.get_tenant(caller.tenant_id)
    revision = current.rev if current is not None else 0
    if body.expected_revision is not None and body.expected_revision != revision:
        raise Conflict(f"the privacy settings are at revision {revision}, not {body.expected_revision}")
    shown_before = current.privacy.purposes if current is not None else list(DEFAULT_PURPOSES)
    refs = {(p.key, p.notice_version) for p in [*settings.purposes, *shown_before]}
    archived = repo.archived_notices(caller.tenant_id, refs)
    problems: dict[str, str] = {}
    earlier = {(p.key, p.notice_version): p.notice_text for p in [*DEFAULT_PURPOSES, *shown_before]}
    for index, purpose in enumerate(settings.purposes):
        ref = (purpose.key, purpose.notice_version)
        before = archived[ref].text if ref in archived else earlier.get(ref)
        if before is not None and notice_digest(before) != notice_digest(purpose.notice_text):
            problems[f"purposes.{index}.notice_version"] = (
                f"the notice of {purpose.key!r} changed but its version {purpose.notice_version!r} did not: "
                "give the new text a new version"
            )
    if problems:
        raise InvalidInput("a notice's text changed without a new version", problems)
    to_archive: dict[tuple[str, str], ArchivedNotice] = {}
    for purpose in [*shown_before, *settings.purposes]:
        ref = (purpose.key, purpose.notice_version)
        if ref not in archived:
            to_archive[ref] = ArchivedNotice.of(purpose, now)
    if current is not None and current.privacy == settings and not to_archive:
        return _view(current)
    after = (
        current.model_copy(update={"privacy": settings})
        if current is not None
        else Tenant(tenant_id=caller.tenant_id, name=caller.tenant_id, privacy=settings)
    )
    stored = repo.save_privacy(current, after, list(to_archive.values()))
    return _view(stored)


# ------------------------------------------------------------------ views
class NoticeText(BaseModel):
    """The exact words a record points at: ``sha256`` is their digest (NFC, UTF-8)."""

    purpose: str
    version: str
    text: str
    sha256: str


def notice_texts(repo: NoticePorts, tenant_id: str, records: Sequence[ConsentRecord]) -> list[NoticeText]:
    """The notice text of each version ``records`` point at (archived, current or a default)."""
    refs = {(r.purpose, r.notice_version) for r in records if r.notice_version is not None}
    if not refs:
        return []
    tenant = repo.get_tenant(tenant_id)
    settings = tenant.privacy if tenant is not None else PrivacySettings()
    archived = repo.archived_notices(tenant_id, refs)
    found: list[NoticeText] = []
    for purpose, version in sorted(refs):
        text = archived[(purpose, version)].text if (purpose, version) in archived else None
        text = text if text is not None else _known_text(settings, purpose, version)
        if text is not None:
            found.append(NoticeText(purpose=purpose, version=version, text=text, sha256=notice_digest(text)))
    return found


def current_records(consents: Mapping[str, ConsentRecord]) -> list[ConsentRecord]:
    return [consents[k] for k in sorted(consents)]
