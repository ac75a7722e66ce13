"""What is done for each kind of data-subject request, on the person's leads.

The person's leads are found through the contact claims (one lead per normalised phone or e-mail in a
tenant: ``data.contacts``): the leads holding the request's phone or e-mail, deleted ones left out.
Each kind is one entry of ``FULFILMENT``:

* access: what leadrouter holds about the person (each lead, its history, consents and the stored
  submissions its consents name as evidence), as JSON in the answer;
* export: the same document, marked as the machine-readable export, also in the answer (see
  ``subject_document`` for why it is not written to the files bucket);
* correct: the name, phone or e-mail corrected through the lead edit use case, so claims move with them;
* restrict / object: ``Lead.restriction`` set on every lead (routing then stops calls and events), or
  lifted (a later request completed with ``lift``);
* erase: the erasure use case (``logic.privacy.erasure``): the person out of every store of the
  registry, history kept pseudonymous, a receipt and the suppression list.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from leadrouter.domain.consent import Restriction
from leadrouter.domain.contacts import contact_keys
from leadrouter.domain.errors import Conflict
from leadrouter.domain.files import ListedFiles
from leadrouter.domain.leads import Lead, LeadEvent, LeadStatus
from leadrouter.domain.privacy_requests import STOPPING, Outcome, PrivacyRequest, RequestKind, Subject
from leadrouter.domain.users import Caller
from leadrouter.logic.leads.edits import EditPorts, LeadEdit, edit_lead
from leadrouter.logic.leads.reading import history
from leadrouter.logic.ports import LeadHistory, Submissions
from leadrouter.logic.privacy.erasure import ErasurePorts, erase_person
from leadrouter.logic.validation import changed

#: The document's format name and version (access and export), so a reader can tell what it holds.
DOCUMENT_FORMAT = "leadrouter.subject-data"
DOCUMENT_VERSION = 1
#: Lead fields that describe leadrouter's own bookkeeping, not the person (decisions are in the history).
_INTERNAL_LEAD_FIELDS = {"decisions", "rev", "failed_attempts", "last_failure", "damaged_fields"}
#: Submission fields that are bookkeeping (hashes, counters, the first answer), not what the person sent.
_INTERNAL_SUBMISSION_FIELDS = {"payload_hash", "rev", "answer", "replays", "expires_at", "checks"}
#: Attempts at one lead's restriction write when a concurrent edit wins the revision.
_SAVE_ATTEMPTS = 3


class SubjectPorts(EditPorts, LeadHistory, Submissions, ErasurePorts, Protocol):
    """The person's leads (through the claims), their history and submissions, the lead edits, and
    every store an erasure reaches."""


@dataclass
class Fulfilment:
    outcome: Outcome
    #: The access or export document (answered once, never stored).
    data: dict[str, Any] | None = None


class Fulfil(Protocol):
    def __call__(
        self,
        repo: SubjectPorts,
        caller: Caller,
        request: PrivacyRequest,
        leads: Sequence[Lead],
        now: datetime,
        *,
        lift: bool,
        files: ListedFiles,
    ) -> Fulfilment: ...


def subject_leads(repo: SubjectPorts, tenant_id: str, subject: Subject) -> list[Lead]:
    """The person's live leads, by id: those holding the subject's phone or e-mail claim, and those
    carrying it without a claim (a duplicate rotated as a lead of its own), as erasure finds them."""
    claims = repo.contact_claims(tenant_id, contact_keys(subject.phone, subject.email))
    ids = {claim.lead_id for claim in claims.values()}
    found = repo.leads_by_id(tenant_id, sorted(ids)) if ids else {}
    found |= {lead.lead_id: lead for lead in repo.leads_carrying(tenant_id, subject.phone, subject.email)}
    return [found[i] for i in sorted(found) if found[i].status is not LeadStatus.DELETED]


def subject_document(
    repo: SubjectPorts, request: PrivacyRequest, leads: Sequence[Lead], now: datetime, *, export: bool
) -> dict[str, Any]:
    """What leadrouter holds about the person, as one JSON document.

    Export answers it inline too, rather than through the lead export's files: those are written to
    the files bucket and kept ``FileRetentionDays``, a further copy of the person's data that outlives
    the request, that erasure would then have to find, and that a signed link could leak. The admin
    saves the answer's ``data`` as the file handed to the person.
    """
    return {
        "format": DOCUMENT_FORMAT,
        "version": DOCUMENT_VERSION,
        "kind": "export" if export else "access",
        "tenant_id": request.tenant_id,
        "request_id": request.request_id,
        "generated_at": now.isoformat(),
        "leads": [_lead_entry(repo, lead) for lead in leads],
    }


def _lead_entry(repo: SubjectPorts, lead: Lead) -> dict[str, Any]:
    submission_ids = sorted({r.submission_id for r in lead.consents.values() if r.submission_id})
    submissions = [repo.get_submission(lead.tenant_id, sid) for sid in submission_ids]
    return {
        "lead": lead.model_dump(mode="json", exclude=_INTERNAL_LEAD_FIELDS, exclude_none=True),
        "consents": {k: r.model_dump(mode="json", exclude_none=True) for k, r in lead.consents.items()},
        "history": history(repo, lead),
        "submissions": [
            s.model_dump(mode="json", exclude=_INTERNAL_SUBMISSION_FIELDS, exclude_none=True)
            for s in submissions
            if s is not None
        ],
    }


def _access(
    repo: SubjectPorts,
    caller: Caller,
    request: PrivacyRequest,
    leads: Sequence[Lead],
    now: datetime,
    *,
    lift: bool,
    files: ListedFiles,
) -> Fulfilment:
    document = subject_document(repo, request, leads, now, export=request.kind is RequestKind.EXPORT)
    submissions = sum(len(entry["submissions"]) for entry in document["leads"])
    return Fulfilment(
        outcome=_fulfilled(leads, leads=len(leads), submissions=submissions),
        data=document,
    )


def _correct(
    repo: SubjectPorts,
    caller: Caller,
    request: PrivacyRequest,
    leads: Sequence[Lead],
    now: datetime,
    *,
    lift: bool,
    files: ListedFiles,
) -> Fulfilment:
    """Each lead edited through ``edit_lead`` (its claims move in the same write): the name on every
    lead; a contact on the leads that hold the one the person was named by (all of them when the
    request did not name that kind of contact). A contact another person's lead holds is a 409."""
    corrections, subject = request.corrections, request.subject
    if corrections is None or subject is None:  # the model guarantees both while open
        raise Conflict(f"privacy request {request.request_id} has nothing to correct")
    corrected = []
    for lead in leads:
        changes: dict[str, str] = {}
        if corrections.name and lead.name != corrections.name:
            changes["name"] = corrections.name
        if (
            corrections.phone
            and lead.phone != corrections.phone
            and (not subject.phone or lead.phone == subject.phone)
        ):
            changes["phone"] = corrections.phone
        if (
            corrections.email
            and lead.email != corrections.email
            and (not subject.email or lead.email == subject.email)
        ):
            changes["email"] = corrections.email
        if changes:
            edit_lead(repo, caller, lead.lead_id, LeadEdit.model_validate(changes), now)
            corrected.append(lead)
    return Fulfilment(outcome=_fulfilled(corrected, leads=len(leads), leads_corrected=len(corrected)))


def _restrict(
    repo: SubjectPorts,
    caller: Caller,
    request: PrivacyRequest,
    leads: Sequence[Lead],
    now: datetime,
    *,
    lift: bool,
    files: ListedFiles,
) -> Fulfilment:
    """Set (or lift) the restriction on every lead of the person, each write on the revision read."""
    kind = STOPPING[request.kind]
    touched = []
    for lead in leads:
        current: Lead | None = lead
        for _ in range(_SAVE_ATTEMPTS):
            if current is None:
                break
            if lift:
                wanted = None
            elif current.restriction is not None and current.restriction.kind is kind:
                wanted = current.restriction  # already stopped for this reason: kept as it was
            else:
                wanted = Restriction(kind=kind, since=now, request_id=request.request_id)
            if wanted == current.restriction:
                break
            data: dict[str, str | int | None] = {
                "fields": "restriction",
                "restriction": "lifted" if wanted is None else kind.value,
                "request_id": request.request_id,
            }
            event = LeadEvent(at=now, kind="edited", by=caller.label, data=data)
            try:
                repo.save_lead(current, changed(current, restriction=wanted), event)
            except Conflict:  # someone edited the lead meanwhile: read it again and decide again
                current = repo.get_lead(current.tenant_id, current.lead_id)
                continue
            touched.append(current)
            break
        else:
            raise Conflict(f"lead {lead.lead_id} kept changing; complete the request again")
    if lift:
        return Fulfilment(
            outcome=Outcome(
                result="lifted", lead_ids=[x.lead_id for x in leads], counts={"leads_lifted": len(touched)}
            )
        )
    return Fulfilment(outcome=_fulfilled(leads, leads=len(leads), leads_restricted=len(touched)))


def _erase(
    repo: SubjectPorts,
    caller: Caller,
    request: PrivacyRequest,
    leads: Sequence[Lead],
    now: datetime,
    *,
    lift: bool,
    files: ListedFiles,
) -> Fulfilment:
    """The person erased from every store (``logic.privacy.erasure``); the outcome counts per store."""
    assert request.subject is not None  # an open request holds its subject (checked by the caller)
    receipt = erase_person(
        repo,
        files,
        caller.tenant_id,
        phone=request.subject.phone,
        email=request.subject.email,
        request_id=request.request_id,
        by=caller.label,
        now=now,
    )
    counts = {
        f"{store}.{part}"[:40]: n for store, parts in receipt.counts.items() for part, n in parts.items()
    }
    return Fulfilment(outcome=_fulfilled(leads, **dict(sorted(counts.items())[:20])))


def _fulfilled(acted_on: Sequence[Lead], **counts: int) -> Outcome:
    return Outcome(result="fulfilled", lead_ids=[lead.lead_id for lead in acted_on], counts=counts)


#: What completing a request does, per kind. The erase entry is the one place erasure is plugged in.
FULFILMENT: dict[RequestKind, Fulfil] = {
    RequestKind.ACCESS: _access,
    RequestKind.EXPORT: _access,
    RequestKind.CORRECT: _correct,
    RequestKind.RESTRICT: _restrict,
    RequestKind.OBJECT: _restrict,
    RequestKind.ERASE: _erase,
}
