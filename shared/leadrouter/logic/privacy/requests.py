"""Data-subject requests as a tenant's admins record and answer them: create, list, get, extend, complete.

The deadlines are the domain's (``domain.privacy_requests``: working days on the tenant's calendar,
counted from the day it was received in the tenant's time zone). Completing a request does what its
kind asks (``logic.privacy.subject.FULFILMENT``) and then forgets the person: the record keeps the
contact's digests under the tenant's pepper, the outcome's counts and lead ids, never the contact.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal, Protocol
from zoneinfo import ZoneInfo

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool

from leadrouter.domain.audit import AuditAction
from leadrouter.domain.base import IsoDate, Name, PlausibleMoment
from leadrouter.domain.contacts import EMAIL_SCHEMA, PHONE_SCHEMA, contact_keys, normalise_email, read_phone
from leadrouter.domain.errors import Conflict, InvalidInput, NotAllowed, NotFound
from leadrouter.domain.files import ListedFiles
from leadrouter.domain.ids import new_id
from leadrouter.domain.privacy import contact_digest
from leadrouter.domain.privacy_requests import (
    STOPPING,
    Corrections,
    Extension,
    Outcome,
    PrivacyRequest,
    Refusal,
    RequestKind,
    RequestStatus,
    Subject,
    days_off,
    deadlines,
    due_soon,
    extension_due,
    listing_order,
)
from leadrouter.domain.tenants import Tenant
from leadrouter.domain.text import TEXT_PATTERN, accepted_text, check_text
from leadrouter.domain.users import Caller
from leadrouter.domain.zones import DEFAULT_TIME_ZONE
from leadrouter.logic.ports import ContactPeppers, PrivacyRequests, Tenants
from leadrouter.logic.privacy.audit import record_access
from leadrouter.logic.privacy.subject import FULFILMENT, SubjectPorts, subject_leads
from leadrouter.logic.validation import known_id, validated


class RequestPorts(Tenants, PrivacyRequests, Protocol):
    """The tenant's calendar and time zone, and its requests."""


class CompletePorts(RequestPorts, SubjectPorts, Protocol):
    """The requests, and the person's leads to act on."""


Phone = Annotated[str, Field(max_length=32, json_schema_extra=PHONE_SCHEMA)]
Email = Annotated[str, Field(max_length=254, json_schema_extra=EMAIL_SCHEMA)]


class CorrectionsIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: Name | None = None
    phone: Phone | None = None
    email: Email | None = None


class PrivacyRequestIn(BaseModel):
    """A request as the person made it (by phone, e-mail, in person), recorded by an admin."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    kind: RequestKind
    phone: Phone | None = Field(default=None, description="the person's phone (this or email, or both)")
    email: Email | None = Field(default=None, description="the person's e-mail (this or phone, or both)")
    processor_must_stop: StrictBool = Field(
        default=False,
        description="restrict/object: a processor (an integration receiving the leads) must stop too, "
        "which gives 20 working days instead of 15",
    )
    corrections: CorrectionsIn | None = Field(
        default=None, description="correct requests only (and required for them): the corrected values"
    )
    received_at: PlausibleMoment | None = Field(
        default=None,
        description="when the person made the request, if before now (the deadlines count from that "
        "day); default now. Never in the future.",
    )


class ExtendIn(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: Annotated[
        str,
        Field(min_length=1, max_length=500),
        AfterValidator(check_text),
        accepted_text(TEXT_PATTERN, 500),
    ] = Field(description="why more time is needed (told to the person; no personal data)")


class CompleteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    result: Literal["fulfilled", "refused"] = "fulfilled"
    refusal: Refusal | None = Field(default=None, description="refused requests only (and required for them)")
    lift: StrictBool = Field(
        default=False,
        description="restrict/object only: lift the person's restriction instead of setting it",
    )


class RequestView(PrivacyRequest):
    #: The deadline that counts now (``PrivacyRequest.due``), and whether an open request is past it.
    next_due: IsoDate
    overdue: bool
    due_soon: bool


class RequestList(BaseModel):
    requests: list[RequestView]
    open: int
    due_soon: int


class Completion(BaseModel):
    request: RequestView
    data: dict[str, Any] | None = Field(
        default=None,
        description="access and export: what leadrouter holds about the person (given once, never kept)",
    )


def create_request(repo: RequestPorts, caller: Caller, body: PrivacyRequestIn, now: datetime) -> RequestView:
    """Record a request; its deadlines are fixed from the day it was received, on the tenant's calendar."""
    _admin(caller)
    received_at = body.received_at or now
    problems: dict[str, str] = {}
    if received_at > now:
        problems["received_at"] = "may not be in the future"
    subject = _subject(body.phone, body.email, problems)
    corrections = _corrections(body, problems)
    if body.processor_must_stop and body.kind not in STOPPING:
        problems["processor_must_stop"] = "only restrict and object requests have a stop deadline"
    if problems:
        raise InvalidInput("invalid privacy request", problems)
    tenant = _tenant(repo, caller)
    received_on = received_at.astimezone(ZoneInfo(tenant.time_zone)).date()
    due = deadlines(
        body.kind, received_on, days_off(tenant.holidays), processor_must_stop=body.processor_must_stop
    )
    request = validated(
        PrivacyRequest,
        {
            "tenant_id": caller.tenant_id,
            "request_id": new_id("PR", received_at),
            "kind": body.kind,
            "subject": subject,
            "corrections": corrections,
            "processor_must_stop": body.processor_must_stop,
            "received_at": received_at,
            "received_on": received_on,
            "answer_due": due.answer_due,
            "stop_due": due.stop_due,
            "created_by": caller.label,
        },
        "invalid privacy request",
    )
    repo.create_privacy_request(request)
    return _view(request, _today(tenant, now), tenant)


def list_requests(
    repo: RequestPorts, caller: Caller, now: datetime, status: RequestStatus | None = None, limit: int = 100
) -> RequestList:
    """The tenant's requests: open first, soonest due first (then the completed ones)."""
    _admin(caller)
    tenant = _tenant(repo, caller)
    today = _today(tenant, now)
    every = sorted(repo.list_privacy_requests(caller.tenant_id), key=listing_order)
    views = [_view(r, today, tenant) for r in every]
    shown = [v for v in views if status is None or v.status is status]
    return RequestList(
        requests=shown[:limit],
        open=sum(1 for v in views if v.is_open),
        due_soon=sum(1 for v in views if v.due_soon),
    )


def get_request(repo: RequestPorts, caller: Caller, request_id: str, now: datetime) -> RequestView:
    _admin(caller)
    tenant = _tenant(repo, caller)
    return _view(_load(repo, caller, request_id), _today(tenant, now), tenant)


def extend_request(
    repo: RequestPorts, caller: Caller, request_id: str, body: ExtendIn, now: datetime
) -> RequestView:
    """The one extension: 15 more working days past the stop deadline (restrict, object) or the
    answer deadline (the other kinds). A second one, or one on a completed request, is a 409."""
    _admin(caller)
    tenant = _tenant(repo, caller)
    request = _load(repo, caller, request_id)
    due = extension_due(request, days_off(tenant.holidays))
    extension = Extension(at=now, by=caller.label, reason=body.reason, due=due)
    saved = repo.save_privacy_request(request, request.model_copy(update={"extension": extension}))
    return _view(saved, _today(tenant, now), tenant)


def complete_request(
    repo: CompletePorts,
    peppers: ContactPeppers,
    caller: Caller,
    request_id: str,
    body: CompleteIn,
    now: datetime,
    files: ListedFiles,
) -> Completion:
    """Do what the request asks on the person's leads (or record its refusal), then keep only the
    contact's digests. A failure while acting leaves the request open, to be completed again: every
    kind's action can be repeated (an edit or a restriction already made is not made twice)."""
    _admin(caller)
    tenant = _tenant(repo, caller)
    request = _load(repo, caller, request_id)
    if not request.is_open or request.subject is None:
        raise Conflict(f"privacy request {request_id} is already completed")
    problems: dict[str, str] = {}
    if (body.result == "refused") != (body.refusal is not None):
        problems["refusal"] = "required when the request is refused, and only then"
    if body.lift and (request.kind not in STOPPING or body.result != "fulfilled"):
        problems["lift"] = "only a fulfilled restrict or object request can lift a restriction"
    if problems:
        raise InvalidInput("invalid completion", problems)
    pepper = peppers.contact_pepper(caller.tenant_id)  # before acting: no digest, no completion
    data: dict[str, Any] | None = None
    if body.result == "refused":
        outcome = Outcome(result="refused", refusal=body.refusal)
    else:
        leads = subject_leads(repo, caller.tenant_id, request.subject)
        done = FULFILMENT[request.kind](repo, caller, request, leads, now, lift=body.lift, files=files)
        outcome, data = done.outcome, done.data
    keys = contact_keys(request.subject.phone, request.subject.email)
    completed = PrivacyRequest.model_validate(
        {
            **request.model_dump(),
            "status": RequestStatus.COMPLETED,
            "subject": None,
            "corrections": None,
            "subject_digests": [contact_digest(pepper, key) for key in keys],
            "completed_at": now,
            "completed_by": caller.label,
            "outcome": outcome,
        }
    )
    saved = repo.save_privacy_request(request, completed)
    action = AuditAction.ERASE if request.kind is RequestKind.ERASE else AuditAction.PRIVACY_REQUEST
    record_access(repo, caller, action, outcome.lead_ids, now, ref=request_id)
    return Completion(request=_view(saved, _today(tenant, now), tenant), data=data)


# ------------------------------------------------------------------ helpers


def _admin(caller: Caller) -> None:
    if caller.role != "admin":
        raise NotAllowed("only an admin can handle privacy requests")


def _tenant(repo: Tenants, caller: Caller) -> Tenant:
    tenant = repo.get_tenant(caller.tenant_id)
    return tenant if tenant is not None else Tenant(tenant_id=caller.tenant_id, name=caller.tenant_id)


def _today(tenant: Tenant, now: datetime) -> date:
    return now.astimezone(ZoneInfo(tenant.time_zone or DEFAULT_TIME_ZONE)).date()


def _load(repo: PrivacyRequests, caller: Caller, request_id: str) -> PrivacyRequest:
    request = repo.get_privacy_request(caller.tenant_id, known_id(request_id, "privacy request"))
    if request is None:
        raise NotFound(f"privacy request {request_id} not found")
    return request


def _view(request: PrivacyRequest, today: date, tenant: Tenant) -> RequestView:
    return RequestView.model_validate(
        {
            **request.model_dump(),
            "next_due": request.due,
            "overdue": request.is_open and request.due < today,
            "due_soon": due_soon(request, today, days_off(tenant.holidays)),
        }
    )


def _subject(phone: str | None, email: str | None, problems: dict[str, str]) -> Subject | None:
    if not (phone or email):
        problems["phone"] = "a phone number or an e-mail is required"
        return None
    normal_phone = _phone(phone, "phone", problems) if phone else None
    normal_email = _email(email, "email", problems) if email else None
    return Subject(phone=normal_phone, email=normal_email) if (normal_phone or normal_email) else None


def _corrections(body: PrivacyRequestIn, problems: dict[str, str]) -> Corrections | None:
    if body.kind is not RequestKind.CORRECT:
        if body.corrections is not None:
            problems["corrections"] = "only correct requests carry corrections"
        return None
    given = body.corrections
    if given is None or not (given.name or given.phone or given.email):
        problems["corrections"] = "a correct request names the corrected name, phone or e-mail"
        return None
    phone = _phone(given.phone, "corrections.phone", problems) if given.phone else None
    email = _email(given.email, "corrections.email", problems) if given.email else None
    if (given.phone and phone is None) or (given.email and email is None):
        return None
    return Corrections(name=given.name, phone=phone, email=email)


def _phone(raw: str, where: str, problems: dict[str, str]) -> str | None:
    try:
        return read_phone(raw).e164
    except ValueError as error:
        problems[where] = str(error)
        return None


def _email(raw: str, where: str, problems: dict[str, str]) -> str | None:
    try:
        return normalise_email(raw)
    except ValueError as error:
        problems[where] = str(error)
        return None
