"""Erasing a person from every store of the registry (``domain.personal_data``), with a receipt.

A person is a phone and/or an e-mail within a tenant. Their leads are those holding their contact
claims and any lead still carrying their phone or e-mail (a rotate pool's duplicates, deleted leads).
What is done, store by store (the receipt counts each under the registry's logical id):

* LeadsTable: each of their leads pseudonymised: name, phone, e-mail and form fields replaced by the
  erased placeholders, attribution cut to each touch's time and campaign tags (``campaign_only``). Its
  id, status, owner, assignees, decisions, rule, scope and times stay, so the rotation's history and
  the reports' counts do not move; so does the end of its retention period (an erasure is nobody's use
  of the lead: ``save_lead(renew=False)``). A lead still pending is marked deleted: the rotation would
  otherwise hand an empty lead to someone.
* EventsTable: the free text of their leads' history lines (notes, calls) replaced.
* ConfigTable: their contact claims deleted (the contact is the key); the preview of an import whose
  files held them emptied; their digests put on the suppression list.
* SubmissionsTable: every stored submission of their leads or holding their contact keeps its key,
  status and answer (it is the idempotency record of its sender's id) without body, headers or IP.
* FilesBucket: every file of an import any of whose files holds them (upload, chunks, outcomes,
  reports, and the per-file rows of its content) deleted; every export file holding them deleted.

What the registry says expires (queues, logs, the stream) is not touched: it is gone within its days.
The receipt (``receipts``) holds the request id, the time, the counts and the peppered digests only.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import Protocol

from leadrouter.domain.attribution import Attribution, Touch
from leadrouter.domain.erasure import ERASED, ErasureReceipt, Person, Suppression
from leadrouter.domain.errors import Conflict, InvalidInput
from leadrouter.domain.files import ListedFiles, tenant_key
from leadrouter.domain.leads import Lead, LeadStatus
from leadrouter.domain.privacy import contact_digest
from leadrouter.logic.imports.outcomes import contact_digest as outcome_digest
from leadrouter.logic.ports import (
    ContactPeppers,
    Contacts,
    Imports,
    LeadChanges,
    LeadReads,
    PepperCopies,
    PersonalData,
    Suppressions,
)
from leadrouter.logic.privacy import receipts
from leadrouter.logic.validation import changed

#: The registry's stores an erasure changes, which its receipt counts (the registry's test checks it).
COUNTED_STORES = ("LeadsTable", "EventsTable", "ConfigTable", "SubmissionsTable", "FilesBucket")
#: What an erased lead keeps of each touch: when, and which of the tenant's campaigns it came through.
CAMPAIGN_TAGS = ("at", "utm_source", "utm_medium", "utm_campaign")
#: How many of a tenant's latest import records have their preview looked through (their files expire
#: after FileRetentionDays; the record, and its first rows, stay).
IMPORTS_LOOKED_AT = 1000
#: Attempts at pseudonymising a lead that a sweep or a user changes meanwhile.
SAVE_ATTEMPTS = 5


class ErasurePorts(
    LeadReads,
    LeadChanges,
    Contacts,
    PersonalData,
    Suppressions,
    ContactPeppers,
    PepperCopies,
    Imports,
    Protocol,
):
    """The leads and their claims, the stores beyond them, the suppression list and the pepper."""


Counts = dict[str, dict[str, int]]


def erase_person(
    repo: ErasurePorts,
    files: ListedFiles,
    tenant_id: str,
    *,
    phone: str | None = None,
    email: str | None = None,
    request_id: str,
    by: str,
    now: datetime,
) -> ErasureReceipt:
    """Erase the person with this phone and/or e-mail from the tenant's stores; the stored receipt.

    ``tenant_id`` is the authenticated caller's; ``request_id`` names the data-subject request (the
    receipt is stored under it, and a repeat of the same request does the same again: every step is
    idempotent). InvalidInput when neither contact is given or one is not valid.
    """
    try:
        person = Person.named(phone, email)
    except ValueError as error:
        raise InvalidInput("the person to erase", {"contact": str(error)}) from error
    pepper = repo.contact_pepper(tenant_id)
    digests = [contact_digest(pepper, key) for key in person.contacts]
    # suppressed first: an import checking its rows meanwhile refuses the contact from now on
    repo.suppress_contacts(tenant_id, [Suppression(digest=d, at=now, request_id=request_id) for d in digests])
    counts = erase_stores(repo, files, tenant_id, person, now)
    counts.setdefault("ConfigTable", {})["suppressions"] = len(digests)
    receipt = ErasureReceipt(
        request_id=request_id, tenant_id=tenant_id, at=now, by=by, digests=digests, counts=counts
    )
    sealed = repo.sealed_pepper(tenant_id)
    if sealed is not None:
        receipts.keep_pepper(files, tenant_id, sealed)
    receipts.put_receipt(files, receipt)
    return receipt


def erase_stores(
    repo: ErasurePorts, files: ListedFiles, tenant_id: str, person: Person, now: datetime
) -> Counts:
    """Every store's erasure for ``person`` (the suppression list and the receipt aside): the counts."""
    counts: Counts = {store: {} for store in COUNTED_STORES}
    claims = repo.contact_claims(tenant_id, person.contacts)
    leads = {lead.lead_id: lead for lead in repo.leads_carrying(tenant_id, person.phone, person.email)}
    leads |= repo.leads_by_id(tenant_id, sorted({c.lead_id for c in claims.values()} - set(leads)))
    counts["LeadsTable"]["leads"] = sum(_pseudonymise(repo, lead, now) for lead in leads.values())
    counts["EventsTable"]["history_lines"] = sum(repo.erase_history_texts(tenant_id, i) for i in leads)
    counts["ConfigTable"]["claims"] = repo.delete_claims(tenant_id, person.contacts)
    erased = 0
    for record in repo.tenant_submissions(tenant_id):
        if not (record.fields or record.headers or record.client_ip):
            continue
        held = " ".join([*(f"{n} {v}" for n, v in record.fields), *record.headers.values()])
        if (record.lead_id in leads or person.in_text(held)) and repo.erase_submission(
            tenant_id, record.submission_id
        ):
            erased += 1
    counts["SubmissionsTable"]["submissions"] = erased
    found = person.with_also([outcome_digest(key) for key in person.contacts])
    imports, previews = _erase_import_files(repo, files, tenant_id, found)
    counts["FilesBucket"]["import_files"] = imports
    counts["ConfigTable"]["import_previews"] = previews
    counts["FilesBucket"]["export_files"] = _erase_files(
        files, found, files.keys(tenant_key("exports", tenant_id, ""))
    )
    return counts


def _pseudonymise(repo: ErasurePorts, lead: Lead, now: datetime) -> bool:
    """The lead without the person (ids, status, owners, decisions and times kept); False if it had
    nothing of them left."""
    for _ in range(SAVE_ATTEMPTS):
        update: dict[str, object] = {
            "name": ERASED,
            "phone": None,
            "phone_as_typed": None,
            "email": None,
            "attributes": {},
            "attribution": campaign_only(lead.attribution),
        }
        if lead.status is LeadStatus.PENDING:
            update |= {"status": LeadStatus.DELETED, "deleted_at": now}
        after = changed(lead, **update)
        if after.model_dump(exclude={"rev"}) == lead.model_dump(exclude={"rev"}):
            return False
        try:
            repo.save_lead(lead, after, renew=False)  # it ends when it would have: erasing is no use
            return True
        except Conflict:
            fresh = repo.get_lead(lead.tenant_id, lead.lead_id)
            if fresh is None:
                return False
            lead = fresh
    raise Conflict(f"lead {lead.lead_id} kept changing during the erasure; run it again")


def campaign_only(attribution: Attribution | None) -> Attribution | None:
    """A lead's attribution without the person: each touch's time and campaign tags (the tenant's
    campaign, which the reports count leads by), without search terms, click ids, cookies, referrer,
    landing page or the platform's ids of them."""
    if attribution is None:
        return None

    def kept(touch: Touch) -> Touch:
        return Touch.model_validate({name: getattr(touch, name) for name in CAMPAIGN_TAGS})

    return Attribution(first=kept(attribution.first), latest=kept(attribution.latest))


def _erase_files(files: ListedFiles, person: Person, keys: Iterable[str]) -> int:
    """Delete each of ``keys`` whose file holds ``person``; how many."""
    deleted = 0
    for key in list(keys):
        if _holds(files, key, person):
            files.delete(key)
            deleted += 1
    return deleted


def _holds(files: ListedFiles, key: str, person: Person) -> bool:
    try:
        body = files.open(key)
    except FileNotFoundError:
        return False
    try:
        return person.in_file(body)
    finally:
        body.close()


def _erase_import_files(
    repo: ErasurePorts, files: ListedFiles, tenant_id: str, person: Person
) -> tuple[int, int]:
    """Every file of each import holding ``person`` deleted, its preview emptied: (files, previews).

    An import's files are one whole: its upload, chunks, outcome files and reports all derive from the
    same rows, so when any of them holds the person all go, with what imports of the same content
    (``files/<sha256>/``) did with its rows.
    """
    folders: dict[str, list[str]] = defaultdict(list)
    root = tenant_key("imports", tenant_id, "")
    for key in files.keys(root):
        parts = key[len(root) :].split("/")
        folder = "/".join(parts[:2]) if parts[0] == "files" else parts[0]
        folders[folder].append(key)
    doomed: set[str] = set()
    previews = 0
    for folder, keys in folders.items():
        if folder.startswith("files/") or not any(_holds(files, key, person) for key in keys):
            continue
        doomed.add(folder)
        record = repo.get_import(tenant_id, folder)
        if record is not None:
            previews += repo.erase_import_preview(tenant_id, folder)
            if record.sha256:
                doomed.add(f"files/{record.sha256}")
    for record in repo.list_imports(tenant_id, limit=IMPORTS_LOOKED_AT):  # files expired, record kept
        if record.import_id not in doomed and person.in_text(json.dumps(record.preview, ensure_ascii=False)):
            previews += repo.erase_import_preview(tenant_id, record.import_id)
    for folder, keys in folders.items():  # rows of a content whose import record is gone
        if (
            folder.startswith("files/")
            and folder not in doomed
            and any(_holds(files, k, person) for k in keys)
        ):
            doomed.add(folder)
    deleted = 0
    for folder in doomed:
        for key in folders.get(folder, []):
            files.delete(key)
            deleted += 1
    return deleted, previews
