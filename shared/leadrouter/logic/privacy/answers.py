"""A lead's consents as staff read and record them: ``GET``/``POST /leads/{lead_id}/consents``.

Staff record what a person said by phone or in person (method ``staff``, ``by`` the staff member) and
withdrawals (method ``withdrawal``): a withdrawal takes effect in routing from the next sweep, which
reads ``Lead.consents``, and the stream tells integrators (``ConsentWithdrawn``). Whoever may see the
lead may record its answers; the tenant comes from the caller, never from the body.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from leadrouter.domain.consent import (
    CALL,
    AgreedHours,
    ConsentMethod,
    ConsentRecord,
    ConsentStatus,
    PurposeKey,
)
from leadrouter.domain.errors import InvalidInput
from leadrouter.domain.privacy import PrivacySettings
from leadrouter.domain.users import Caller
from leadrouter.logic.leads.reading import get_lead
from leadrouter.logic.ports import Staff
from leadrouter.logic.privacy.consents import (
    ConsentAnswer,
    ConsentPorts,
    Evidence,
    NoticeText,
    NoticeVersion,
    consent_records,
    current_records,
    notice_texts,
    record_answers,
    records_of,
)

_IDENT = re.compile(r"[A-Za-z0-9_.:-]+")


class AnswerPorts(ConsentPorts, Staff, Protocol):
    """A lead the caller may see, its consents and their history, the tenant's notices."""


class ConsentChange(BaseModel):
    """What the person said about one purpose, as a staff member records it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    purpose: PurposeKey = Field(description="one of the tenant's purposes (GET /privacy/settings)")
    answer: Literal["granted", "refused", "withdrawn"] = Field(
        description="granted or refused: what the person said when asked; withdrawn: they took a "
        "consent back (stops the purpose from the next sweep, and tells integrators)"
    )
    notice_version: NoticeVersion | None = Field(
        default=None,
        description="for granted or refused: the notice version read to the person (default: the "
        "purpose's current one); not taken for withdrawn",
    )
    agreed_hours: AgreedHours | None = Field(
        default=None,
        description="a granted call only: the hours (on the person's clock) they agreed to be called at",
    )

    @field_validator("agreed_hours")
    @classmethod
    def _hours_with_a_call_grant(cls, hours: AgreedHours | None, info: ValidationInfo) -> AgreedHours | None:
        if hours is not None and (info.data.get("purpose") != CALL or info.data.get("answer") != "granted"):
            raise ValueError("agreed_hours go with a granted call only")
        return hours


class LeadConsents(BaseModel):
    lead_id: str
    consents: list[ConsentRecord] = Field(description="the latest answer per purpose; absent is unknown")
    history: list[ConsentRecord] = Field(description="every answer recorded, oldest first")
    notices: list[NoticeText] = Field(description="the exact text of every notice version named above")


def lead_consents(repo: AnswerPorts, caller: Caller, lead_id: str) -> LeadConsents:
    """The lead's consents, the history of answers and the notice texts they point at."""
    lead = get_lead(repo, caller, lead_id)
    history = [r for e in sorted(repo.lead_events(lead.tenant_id, lead.lead_id), key=lambda e: e.at)
               for r in records_of(e)]  # fmt: skip
    current = current_records(lead.consents)
    return LeadConsents(
        lead_id=lead.lead_id,
        consents=current,
        history=history,
        notices=notice_texts(repo, lead.tenant_id, [*current, *history]),
    )


def _recorder(caller: Caller) -> str | None:
    """Who recorded the answer: the caller's staff id (an admin without one: their user id)."""
    who = caller.staff_id or caller.subject
    return who if who and _IDENT.fullmatch(who) and len(who) <= 64 else None


def record_change(
    repo: AnswerPorts, caller: Caller, lead_id: str, change: ConsentChange, now: datetime
) -> LeadConsents:
    """Record what the person said (or their withdrawal) as of ``now``; 422 for a purpose the tenant
    does not have (a withdrawal also of one the lead holds) or a notice version never shown."""
    lead = get_lead(repo, caller, lead_id)
    by = _recorder(caller)
    if change.answer == "withdrawn":
        if change.notice_version is not None:
            raise InvalidInput("a withdrawal names no notice", {"notice_version": "leave it out"})
        tenant = repo.get_tenant(caller.tenant_id)
        settings = tenant.privacy if tenant is not None else PrivacySettings()
        if settings.purpose(change.purpose) is None and change.purpose not in lead.consents:
            raise InvalidInput("unknown purpose", {"purpose": "not one of this tenant's purposes"})
        evidence = Evidence(source="staff", method=ConsentMethod.WITHDRAWAL, at=now, by=by)
        record = ConsentRecord(
            purpose=change.purpose,
            status=ConsentStatus.REFUSED,
            at=now,
            method=ConsentMethod.WITHDRAWAL,
            source="staff",
            by=by,
        )
        records = {change.purpose: record}
    else:
        version = change.notice_version
        if version is None:
            tenant = repo.get_tenant(caller.tenant_id)
            purpose = (tenant.privacy if tenant is not None else PrivacySettings()).purpose(change.purpose)
            if purpose is None:
                raise InvalidInput("unknown purpose", {"purpose": "not one of this tenant's purposes"})
            version = purpose.notice_version
        evidence = Evidence(source="staff", method=ConsentMethod.STAFF, at=now, by=by)
        answer = ConsentAnswer(
            purpose=change.purpose,
            status=change.answer,
            notice_version=version,
            agreed_hours=change.agreed_hours,
        )
        try:
            records = consent_records(repo, caller.tenant_id, [answer], evidence)
        except InvalidInput as error:
            fields = {"notice_version" if "version" in v or "notice" in v else "purpose": v
                      for v in error.fields.values()}  # fmt: skip
            raise InvalidInput(str(error), fields) from error
    record_answers(repo, lead, records, evidence)
    return lead_consents(repo, caller, lead_id)
