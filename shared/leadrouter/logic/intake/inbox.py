"""The admins' inbox: what a tenant's sources received (30 days), as it stands; replay what did not land.

A replay runs a stored record again with its source as it is now (a mapping fixed meanwhile), mapped
by the adapter that read it; it can only ever make the record's one lead.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Protocol

from leadrouter.data.cursors import Cursor
from leadrouter.domain.errors import Conflict, InvalidInput, NotFound
from leadrouter.domain.forms import FormSource
from leadrouter.domain.submissions import REPLAYABLE, Check, CheckResult, Submission, SubmissionStatus
from leadrouter.domain.users import Caller
from leadrouter.logic.intake.adapters import ADAPTERS, Adapters
from leadrouter.logic.intake.fetch_requests import NO_FETCHES, FetchRequests, request_fetch
from leadrouter.logic.intake.new_leads import NewLeadPorts, submit_lead
from leadrouter.logic.intake.outcomes import UNFINISHED, Outcome, resolved
from leadrouter.logic.ports import LeadReads, Sources, Submissions
from leadrouter.logic.privacy.consents import submission_evidence
from leadrouter.observability import logger


class InboxPorts(Submissions, LeadReads, Protocol):
    """Stored submissions and the leads they became."""


class LeadOfStoredPorts(Submissions, NewLeadPorts, Protocol):
    """A stored record, and the lead it becomes."""


class ReplayPorts(InboxPorts, NewLeadPorts, Sources, Protocol):
    """A stored submission taken in again through its source."""


def list_submissions(
    repo: InboxPorts,
    caller: Caller,
    *,
    status: SubmissionStatus | None,
    source_id: str | None,
    limit: int,
    start: Cursor | None = None,
) -> tuple[list[Submission], Cursor | None]:
    """A page of submissions as they stand (``resolved``): an accepted one may be stored as received."""
    stored: tuple[SubmissionStatus, ...] = ()
    if status in (SubmissionStatus.ACCEPTED, SubmissionStatus.LINKED):
        stored = (status, *UNFINISHED)
    elif status is not None:
        stored = (status,)
    records, last = repo.list_submissions(
        caller.tenant_id, statuses=stored, source_id=source_id, limit=limit, start=start
    )
    records = resolved(repo, records)
    return [r for r in records if status is None or r.status is status], last


def get_submission(repo: InboxPorts, caller: Caller, submission_id: str) -> Submission:
    record = repo.get_submission(caller.tenant_id, submission_id)
    if record is None:
        raise NotFound(f"submission {submission_id} not found")
    return resolved(repo, [record])[0]


def replay(
    repo: ReplayPorts,
    caller: Caller,
    submission_id: str,
    now: datetime,
    *,
    release_unverified: bool = False,
    adapters: Adapters = ADAPTERS,
    fetches: FetchRequests = NO_FETCHES,
) -> Outcome:
    """Run a stored submission again with its source as it is now (after a mapping fix).

    There is no request to check any more, so the origin, honeypot and CAPTCHA checks are not run:
    a submission that did not pass them all (spam, a failed CAPTCHA, one that crashed before its
    checks) is let in only when the admin says so (``release_unverified``), else ``InvalidInput``
    naming what was not verified; the outcome records them as ``released``. Exactly once: the
    submission's one lead id, and the outcome is written only if the record is still at the
    revision read (a concurrent replay gets a 409).
    """
    record = get_submission(repo, caller, submission_id)
    if record.status not in REPLAYABLE:
        raise Conflict(
            f"submission {submission_id} already became lead {(record.answer or {}).get('lead_id')}"
        )
    released = record.unverified_checks
    if released and not release_unverified:
        said = ", ".join(f"{c.value}: {record.checks.get(c, CheckResult.NOT_RUN).value}" for c in released)
        raise InvalidInput(
            f"submission {submission_id} did not pass the door's checks ({said})",
            {"release_unverified": f"not verified: {said}; send true to let it in anyway"},
        )
    source = repo.get_form_source(caller.tenant_id, record.source_id)
    if source is None:
        raise NotFound(f"form source {record.source_id} no longer exists")
    adapter = adapters.of_channel(record.channel)
    if adapter.needs_fetch(record):  # a platform's announced lead: fetched again, made by the worker
        request_fetch(fetches, record)
        logger.info("submission replayed: fetch queued", extra={"submission": submission_id})
        return Outcome(record.submission_id, SubmissionStatus.RECEIVED)
    checks = {c: CheckResult.RELEASED if c in released else r for c, r in record.checks.items()}
    checks |= {c: CheckResult.RELEASED for c in released if c not in checks}
    reason = "replayed" + (f"; released unverified: {', '.join(released)}" if released else "")
    try:
        outcome = lead_of_stored(repo, source, record, now, reason=reason, checks=checks, adapters=adapters)
    except InvalidInput as error:
        raise InvalidInput(f"{error} (fix the form source's field_map, then replay)", error.fields) from error
    logger.info(
        "submission replayed",
        extra={
            "submission": submission_id,
            "lead_id": outcome.answer.lead_id if outcome.answer else None,
            "released": list(released),
        },
    )
    return replace(outcome, released=tuple(released))


def lead_of_stored(
    repo: LeadOfStoredPorts,
    source: FormSource,
    record: Submission,
    now: datetime,
    *,
    reason: str,
    checks: dict[Check, CheckResult] | None = None,
    adapters: Adapters = ADAPTERS,
) -> Outcome:
    """Make a stored record's lead as its source maps it now, and write its outcome (``InvalidInput``
    if it cannot become a lead). Exactly once: the record's one lead id, and the outcome written only
    if the record is still at the revision read (``Conflict`` otherwise)."""
    adapter = adapters.of_channel(record.channel)
    request, touch = adapter.intake_request(record, source, record.headers.get("referer"), record.received_at)
    evidence = submission_evidence(source, record)
    result = submit_lead(
        repo, source, request, now, lead_id=record.lead_id, touch=touch, repeat=True, evidence=evidence
    )
    status = SubmissionStatus.LINKED if result.linked or result.duplicate_of else SubmissionStatus.ACCEPTED
    answer = result.model_dump(mode="json")
    repo.finish_submission(record, status, answer=answer, reason=reason, replayed=True, checks=checks)
    return Outcome(record.submission_id, status, answer=result)
