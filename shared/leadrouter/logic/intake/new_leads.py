"""Form intake: validate, normalise, dedupe by contact, store as pending ("Lead gán tự động")."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Protocol

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    field_validator,
    model_validator,
)

from leadrouter.clock import utc_now
from leadrouter.domain.attribution import Touch, merged
from leadrouter.domain.base import Label, Name
from leadrouter.domain.consent import ConsentMethod
from leadrouter.domain.contacts import (
    EMAIL_SCHEMA,
    PHONE_SCHEMA,
    PhoneReading,
    contact_keys,
    normalise_email,
    normalise_phone,
    read_phone,
)
from leadrouter.domain.errors import Conflict, InvalidInput
from leadrouter.domain.forms import FormSource
from leadrouter.domain.ids import new_id
from leadrouter.domain.leads import Attributes, Lead, LeadEvent, LeadStatus
from leadrouter.logic.leads.claims import settle, sort_holders
from leadrouter.logic.ports import Contacts, LeadChanges, LeadHistory, LeadReads, Pools
from leadrouter.logic.privacy.consents import (
    ConsentAnswer,
    ConsentPorts,
    Evidence,
    consent_records,
    event_slot,
    history_event,
    record_answers,
)


class NewLeadPorts(LeadChanges, Contacts, Pools, ConsentPorts, Protocol):
    """The lead's insert, its contacts' claims, the pool's settings, and the consents it carries."""


class IntakeRequest(BaseModel):
    """What a form or CRM posts. Unknown top-level fields are refused; free-form extras go in ``fields``."""

    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "anyOf": [{"required": [c], "properties": {c: {"type": "string"}}} for c in ("phone", "email")]
        },
    )

    name: Name
    phone: Annotated[str, Field(max_length=32, json_schema_extra=PHONE_SCHEMA)] | None = None
    email: Annotated[str, Field(max_length=254, json_schema_extra=EMAIL_SCHEMA)] | None = Field(
        default=None, validate_default=True
    )
    #: The form's default step when absent; otherwise its source's default step or one of its ``steps``.
    step: Label | None = None
    submission_id: Annotated[str, Field(min_length=1, max_length=128)] | None = None
    #: Free-form form fields, checked like the lead's ``attributes`` they become (so none can fail later).
    fields: Attributes = Field(default_factory=dict)
    #: What the person answered per purpose (``logic.privacy.consents``); a purpose left out is unknown.
    consents: list[ConsentAnswer] = Field(
        default_factory=list,
        max_length=20,
        description="the person's answer per purpose of the tenant, with the notice version shown; a "
        "purpose or version the tenant never had is a 422 and nothing is written",
    )
    #: How ``phone`` was read: what was typed, and whether an old 11-digit number was converted.
    _phone_reading: PhoneReading | None = PrivateAttr(default=None)

    @property
    def phone_reading(self) -> PhoneReading | None:
        return self._phone_reading

    @property
    def phone_as_typed(self) -> str | None:
        """The phone as typed when it was an old mobile number converted to ``phone`` (else None)."""
        reading = self._phone_reading
        return reading.as_typed if reading is not None and reading.converted else None

    @model_validator(mode="wrap")
    @classmethod
    def _keep_phone_as_typed(cls, data: object, handler: ValidatorFunctionWrapHandler) -> IntakeRequest:
        # Not a check: the one place the phone as sent is still seen, kept beside its normalised form
        # (``phone`` itself stays the E.164 number every caller dedupes by).
        request: IntakeRequest = handler(data)
        typed = data.get("phone") if isinstance(data, dict) else None
        if isinstance(typed, str) and request.phone is not None:
            request._phone_reading = read_phone(typed)
        return request

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        return normalise_phone(value) if value else None

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None, info: ValidationInfo) -> str | None:
        # (an invalid phone is absent from info.data and already has its own error)
        if not value and "phone" in info.data and not info.data["phone"]:
            raise ValueError("give a phone number or an email address")
        return normalise_email(value) if value else None


class IntakeResult(BaseModel):
    lead_id: str
    status: LeadStatus
    status_label: str
    duplicate_of: str | None = None
    #: True when the submission was attached to an existing lead instead of creating one.
    linked: bool = False


#: Attempts at claiming a contact that keeps changing hands (stale claims taken over, races lost to
#: submissions that then released their claims). Each lost race waits for the winner (``settle``), so
#: this bounds work, not time; 3 was too few for 8 racers sharing phones and emails on a loaded machine.
CLAIM_ATTEMPTS = 8
#: A known lead records at most one resubmission (event and latest touch) per window: ``resubmit_slot``.
RESUBMIT_WINDOW = timedelta(hours=1)


def submit_lead(
    repo: NewLeadPorts,
    source: FormSource,
    request: IntakeRequest,
    now: datetime,
    *,
    lead_id: str | None = None,
    touch: Touch | None = None,
    repeat: bool = False,
    evidence: Evidence | None = None,
) -> IntakeResult:
    """Create the lead, or link it to the live lead that already has this phone/email (per pool setting).

    With ``on_duplicate: rotate`` a duplicate is created too, unclaimed and ``duplicate_of`` the holder,
    so every answer names a lead that exists. A claim left by a deleted lead is taken over: the
    customer's new enquiry becomes a new lead.

    ``lead_id`` is the id its submission record chose: a repeat or a replay of one submission runs this
    again with the same id (``repeat``), and the insert's condition lets only one of them create the
    lead. A linked submission updates the known lead's latest ``touch``; its first touch is kept.

    The request's consent answers become records with ``evidence`` (the stored submission, how they
    were given; default: the JSON API's, at ``now``), checked against the tenant's notices before
    anything is written; a linked submission's answers replace the known lead's, per purpose.
    """
    lead_id = lead_id or new_id("L", now)
    if repeat and (already := repo.get_lead(source.tenant_id, lead_id)) is not None:
        return _result(already, duplicate_of=already.duplicate_of)
    evidence = evidence or Evidence(
        source=source.source_id, method=ConsentMethod.API, at=now, submission_id=request.submission_id
    )
    consents = consent_records(repo, source.tenant_id, request.consents, evidence)
    lead = Lead(
        tenant_id=source.tenant_id,
        lead_id=lead_id,
        name=request.name,
        phone=request.phone,
        phone_as_typed=request.phone_as_typed,
        email=request.email,
        pool=source.pool,
        step=allowed_step(source, request.step),
        campaign=campaign_of(source, touch),
        source=source.source_id,
        attributes=request.fields,
        attribution=merged(None, touch),
        consents=consents,
        received_at=now,
        queued_at=now,
    )
    contacts = contact_keys(request.phone, request.email)
    rotate = repo.get_pool_settings(source.tenant_id, source.pool, cached=True).on_duplicate == "rotate"
    # a rotate pool expects duplicates: one read is cheaper than a refused claim
    holders = repo.contact_claims(source.tenant_id, contacts) if rotate else {}
    stale: dict[str, str] = {}
    for _ in range(CLAIM_ATTEMPTS):
        found = settle(
            repo, source.tenant_id, sort_holders(repo, source.tenant_id, holders, lead.lead_id), lead_id
        )
        stale |= found.stale
        existing = next(iter(found.live.values()), None)
        if existing is not None and rotate:
            duplicate = Lead.model_validate({**lead.model_dump(), "duplicate_of": existing.lead_id})
            try:
                repo.put_new_lead(duplicate)
            except Conflict:
                return _created_meanwhile(repo, duplicate)
            _consent_history(repo, duplicate, evidence)
            return _result(duplicate, duplicate_of=existing.lead_id)
        if existing is not None:
            data: dict[str, str | int | None] = {"fields": len(request.fields)}
            event = LeadEvent(at=now, kind="resubmitted", by=source.source_id, data=data)
            # Anyone with a public form key can post a known phone: what that writes on the known lead
            # is bounded to one event and one latest touch per RESUBMIT_WINDOW (copies of a submission
            # too); every submission itself is stored and listed.
            if repo.add_event(existing, event, slot=resubmit_slot(now)) and touch is not None:
                repo.record_touch(existing.tenant_id, existing.lead_id, touch)
            if consents:  # the person's latest answers, one history line per submission
                record_answers(repo, existing, consents, evidence)
            return _result(existing, duplicate_of=existing.lead_id, linked=True)
        # claim first, then insert: two plain conditional puts instead of one transaction at twice
        # the price. The claim is stamped with the wall clock (not ``now``, a replay's logical time).
        lost = repo.claim_contacts(lead, contacts, utc_now(), replacing=stale)
        if lost is not None:
            holders = lost
            continue
        try:
            # If this fails the claims stay: a copy or replay of this submission passes them (they are
            # its own), others wait for them and retry, and after CLAIM_GRACE they are stale. Released
            # here, a concurrent copy's lead could be left without them.
            repo.put_new_lead(lead)
        except Conflict:
            return _created_meanwhile(repo, lead)  # another copy of this submission inserted it
        _consent_history(repo, lead, evidence)
        return _result(lead)
    raise Conflict("this phone or email changed hands several times meanwhile; retry")


def _consent_history(repo: LeadHistory, lead: Lead, evidence: Evidence) -> None:
    """A new lead's answers as the first line of their history (one per submission: keyed by it)."""
    if lead.consents:
        repo.add_event(lead, history_event(lead.consents, evidence), slot=event_slot(evidence))


def resubmit_slot(at: datetime) -> str:
    """The window a resubmission at ``at`` falls in: a known lead takes one resubmission event per window."""
    seconds = int(RESUBMIT_WINDOW.total_seconds())
    start = datetime.fromtimestamp(int(at.timestamp()) // seconds * seconds, UTC)
    return f"{start:%Y-%m-%dT%H:%M:%SZ}#resubmitted"


def _created_meanwhile(repo: LeadReads, lead: Lead) -> IntakeResult:
    """Another copy of the same submission created this lead a moment ago: answer with it."""
    created = repo.get_lead(lead.tenant_id, lead.lead_id)
    if created is None:
        raise Conflict(f"lead {lead.lead_id} is being created by another request; retry")
    return _result(created, duplicate_of=created.duplicate_of)


def campaign_of(source: FormSource, touch: Touch | None) -> str | None:
    """The source's campaign, unless its admin mapped this ``utm_campaign`` value to another one.

    An unmapped ``utm_campaign`` is only attribution: a public form cannot pick a campaign rule.
    """
    utm = touch.utm_campaign if touch else None
    if utm and utm in source.web_form.campaign_map:
        return source.web_form.campaign_map[utm]
    return source.campaign


def allowed_step(source: FormSource, step: str | None) -> str:
    """The step a form asked for, if its source allows it (its default step or one of ``steps``).

    A form key is public: without this, anyone holding it could route leads into any rule's scope.
    """
    if step is None or step == source.step:
        return source.step
    if step in source.steps:
        return step
    allowed = ", ".join([source.step, *source.steps])
    raise InvalidInput("this form cannot send leads to that step", {"step": f"use one of: {allowed}"})


def current_answer(repo: LeadReads, tenant_id: str, answer: IntakeResult) -> IntakeResult:
    """A repeated submission's first answer with its lead's status as it is now (assigned, deleted...)."""
    lead = repo.get_lead(tenant_id, answer.lead_id)
    if lead is None:
        return answer
    return IntakeResult.model_validate(
        {**answer.model_dump(), "status": lead.status, "status_label": lead.status_label}
    )


def _result(lead: Lead, duplicate_of: str | None = None, linked: bool = False) -> IntakeResult:
    return IntakeResult(
        lead_id=lead.lead_id,
        status=lead.status,
        status_label=lead.status_label,
        duplicate_of=duplicate_of,
        linked=linked,
    )
