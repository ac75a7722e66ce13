"""Form intake: validate, normalise, dedupe by contact, store as pending ("Lead gán tự động")."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from leadrouter.data.repository import Repository
from leadrouter.domain.contacts import contact_keys, normalise_email, normalise_phone
from leadrouter.domain.ids import new_id
from leadrouter.domain.models import FormSource, Ident, Lead, LeadEvent, LeadStatus, Name

FieldName = Annotated[str, Field(min_length=1, max_length=64)]
FieldValue = Annotated[str, Field(max_length=1000)]


class IntakeRequest(BaseModel):
    """What a form or CRM posts. Unknown top-level fields are refused; free-form extras go in ``fields``."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: Name
    phone: Annotated[str, Field(max_length=32)] | None = None
    email: Annotated[str, Field(max_length=254)] | None = Field(default=None, validate_default=True)
    step: Ident | None = None
    submission_id: Annotated[str, Field(min_length=1, max_length=128)] | None = None
    fields: dict[FieldName, FieldValue] = Field(default_factory=dict, max_length=30)

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


def submit_lead(repo: Repository, source: FormSource, request: IntakeRequest, now: datetime) -> IntakeResult:
    """Create the lead, or link it to the lead that already has this phone/email (per pool setting)."""
    lead = Lead(
        tenant_id=source.tenant_id,
        lead_id=new_id("L", now),
        name=request.name,
        phone=request.phone,
        email=request.email,
        pool=source.pool,
        step=request.step or source.step,
        campaign=source.campaign,
        source=source.source_id,
        attributes=request.fields,
        received_at=now,
        queued_at=now,
    )
    contacts = contact_keys(request.phone, request.email)
    if repo.get_pool_settings(source.tenant_id, source.pool).on_duplicate == "rotate":
        holder = next((h for c in contacts if (h := repo.contact_holder(source.tenant_id, c))), None)
        lead = lead.model_copy(update={"duplicate_of": holder})
        repo.create_lead(lead, contacts, claim_contacts=holder is None)
        return _result(lead, duplicate_of=holder)
    holder = repo.create_lead(lead, contacts, claim_contacts=True)
    if holder is None:
        return _result(lead)
    existing = repo.get_lead(source.tenant_id, holder)
    if existing is None:  # the contact claim outlived its lead (should not happen): keep the new one
        raise RuntimeError(f"contact claim points at missing lead {holder}")
    repo.add_event(
        existing,
        LeadEvent(at=now, kind="resubmitted", by=source.source_id, data={"fields": len(request.fields)}),
    )
    return _result(existing, duplicate_of=existing.lead_id, linked=True)


def _result(lead: Lead, duplicate_of: str | None = None, linked: bool = False) -> IntakeResult:
    return IntakeResult(
        lead_id=lead.lead_id,
        status=lead.status,
        status_label=lead.status_label,
        duplicate_of=duplicate_of,
        linked=linked,
    )
