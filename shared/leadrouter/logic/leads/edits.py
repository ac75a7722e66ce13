"""Editing a lead's record: its name, contacts and attributes, a soft delete, and its undoing.

Every change reads the lead, builds the new state with the domain model (validated: ``changed``),
and saves it conditioned on the revision it read (``LeadChanges.save_lead``), together with its
history event and the contact claims it moves. Each saved change is recorded in the access audit
(``change``, ``delete``; lead ids only).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Protocol

from pydantic import BaseModel, ConfigDict, Field

from leadrouter.domain.audit import AuditAction
from leadrouter.domain.base import Name, omissible
from leadrouter.domain.contacts import (
    EMAIL_SCHEMA,
    PHONE_SCHEMA,
    contact_keys,
    normalise_email,
    read_phone,
)
from leadrouter.domain.errors import Conflict, ContactTaken, InvalidInput, NotAllowed, NotFound
from leadrouter.domain.leads import Attributes, Decision, Lead, LeadEvent, LeadStatus
from leadrouter.domain.users import Caller
from leadrouter.logic.leads.claims import Holders, contact_field, sort_holders
from leadrouter.logic.leads.reading import ReadPorts, get_lead, visible
from leadrouter.logic.ports import Contacts, LeadChanges
from leadrouter.logic.privacy.audit import AuditPorts, record_access
from leadrouter.logic.validation import changed


class EditPorts(ReadPorts, LeadChanges, Contacts, AuditPorts, Protocol):
    """A visible lead, saved with the contacts it claims or releases, and the change audited."""


class LeadEdit(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: Name | None = omissible()  # (null is refused: a lead keeps a name)
    phone: Annotated[str, Field(max_length=32, json_schema_extra=PHONE_SCHEMA)] | None = None
    email: Annotated[str, Field(max_length=254, json_schema_extra=EMAIL_SCHEMA)] | None = None
    attributes: Attributes | None = omissible()


def edit_lead(
    repo: EditPorts,
    caller: Caller,
    lead_id: str,
    edit: LeadEdit,
    now: datetime,
    *,
    request_id: str | None = None,
) -> Lead:
    """Edit name, contacts or attributes; a changed phone/email moves its claim in the same write.

    The old claim is freed (if this lead held it) and the new one taken, in one transaction with the
    revision-checked lead: a contact another live lead holds is a 409 naming the field.
    """
    lead = get_lead(repo, caller, lead_id)
    changes: dict[str, Any] = edit.model_dump(exclude_unset=True)
    problems: dict[str, str] = {}
    typed: dict[str, str | None] = {}  # what was typed goes with the phone it was read as
    if changes.get("phone"):
        try:
            reading = read_phone(changes["phone"])
        except ValueError as error:
            problems["phone"] = str(error)
        else:
            changes["phone"] = reading.e164
            typed["phone_as_typed"] = reading.as_typed if reading.converted else None
    elif "phone" in changes:
        typed["phone_as_typed"] = None
    if changes.get("email"):
        try:
            changes["email"] = normalise_email(changes["email"])
        except ValueError as error:
            problems["email"] = str(error)
    if problems:
        raise InvalidInput("invalid contact fields", problems)
    after = changed(lead, **changes, **typed)
    if not (after.phone or after.email):
        raise InvalidInput("a lead needs a phone number or an email", {"phone": "required if no email"})
    before_keys = contact_keys(lead.phone, lead.email)
    after_keys = contact_keys(after.phone, after.email)
    gone = [c for c in before_keys if c not in after_keys]
    added = [c for c in after_keys if c not in before_keys]
    held = repo.contact_claims(lead.tenant_id, gone + added) if gone or added else {}
    found = sort_holders(repo, lead.tenant_id, {c: held[c] for c in added if c in held}, lead.lead_id)
    taken = next(iter(found.live.items()), None)
    if taken is not None:
        raise ContactTaken(contact_field(taken[0]), taken[1].lead_id)
    _refuse_in_flight(found)
    event = LeadEvent(at=now, kind="edited", by=caller.label, data={"fields": ",".join(sorted(changes))})
    saved = repo.save_lead(
        lead,
        after,
        event,
        claim=added,
        release=[c for c in gone if c in held and held[c].lead_id == lead.lead_id],
        replacing=found.stale,
    )
    record_access(repo, caller, AuditAction.CHANGE, [lead.lead_id], now, request_id=request_id)
    return saved


def _refuse_in_flight(found: Holders) -> None:
    """A contact a new submission is claiming this very moment: its lead may be about to exist."""
    if found.in_flight:
        contact = next(iter(found.in_flight))
        raise Conflict(f"a new submission with this {contact_field(contact)} is being stored now; retry")


def delete_lead(
    repo: EditPorts, caller: Caller, lead_id: str, now: datetime, *, request_id: str | None = None
) -> Lead:
    """Soft delete (admins, team leads): the lead leaves every queue and listing; record and history stay.

    Its contact claims are released in the same write, so the customer's next enquiry is a new lead
    that rotation assigns, instead of a link to a lead nobody works. ``restore_lead`` undoes it.
    """
    if caller.role == "staff":
        raise NotAllowed("only an admin or a team lead can delete a lead")
    lead = get_lead(repo, caller, lead_id)
    held = repo.contact_holders(lead.tenant_id, contact_keys(lead.phone, lead.email))
    mine = [c for c, holder in held.items() if holder == lead.lead_id]
    after = changed(lead, status=LeadStatus.DELETED, deleted_at=now)
    data: dict[str, str | int | None] = {"released": ",".join(contact_field(c) for c in mine)}
    event = LeadEvent(at=now, kind="deleted", by=caller.label, data=data)
    saved = repo.save_lead(lead, after, event, release=mine)
    record_access(repo, caller, AuditAction.DELETE, [lead.lead_id], now, request_id=request_id)
    return saved


def restore_lead(
    repo: EditPorts, caller: Caller, lead_id: str, now: datetime, *, request_id: str | None = None
) -> Lead:
    """Undo a delete (admins, team leads): pending again, queued now, and its contacts claimed again.

    One transaction; a contact that a newer lead took meanwhile is a 409 naming it (the newer lead is
    the customer's current one: merge by hand). A lead that entered as a rotate duplicate of a lead
    that still holds the contact stays a duplicate of it.
    """
    if caller.role == "staff":
        raise NotAllowed("only an admin or a team lead can restore a lead")
    lead = repo.get_lead(caller.tenant_id, lead_id)
    if lead is None or not visible(repo, caller, lead):
        raise NotFound(f"lead {lead_id} not found")
    if lead.status is not LeadStatus.DELETED:
        raise Conflict(f"lead {lead_id} is not deleted")
    contacts = contact_keys(lead.phone, lead.email)
    found = sort_holders(repo, lead.tenant_id, repo.contact_claims(lead.tenant_id, contacts), lead.lead_id)
    taken = next(((c, h) for c, h in found.live.items() if h.lead_id != lead.duplicate_of), None)
    if taken is not None:
        raise ContactTaken(contact_field(taken[0]), taken[1].lead_id)
    _refuse_in_flight(found)
    decisions = list(lead.decisions)
    if lead.owner:  # its former owner's hold ends here: the rule in charge assigns it afresh
        decisions.append(
            Decision(at=now, action="released", previous_owner=lead.owner, reason="restored", by=caller.label)
        )
    after = changed(
        lead,
        status=LeadStatus.PENDING,
        owner=None,
        assignees=[],
        idle_since=None,
        escalated_at=None,
        deleted_at=None,
        queued_at=now,
        decisions=decisions,
    )
    event = LeadEvent(at=now, kind="restored", by=caller.label)
    claim = [c for c in contacts if c not in found.live]
    saved = repo.save_lead(lead, after, event, claim=claim, replacing=found.stale)
    record_access(repo, caller, AuditAction.CHANGE, [lead.lead_id], now, request_id=request_id)
    return saved
