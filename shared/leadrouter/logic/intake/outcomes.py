"""What a submission came to: the door's answer (``Outcome``), records as they stand, and writing an
outcome (finished, rejected, spam) on a record.

A new lead's submission is not finished with a second write (one write less per lead): the lead's
insert is its outcome, so a record still ``received`` whose chosen lead exists is read as accepted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from leadrouter.domain.errors import Conflict
from leadrouter.domain.leads import STATUS_LABELS_VI, LeadStatus
from leadrouter.domain.submissions import Check, CheckResult, Submission, SubmissionStatus
from leadrouter.logic.intake.new_leads import IntakeResult, current_answer
from leadrouter.logic.ports import LeadReads, Submissions
from leadrouter.observability import logger, metrics


@dataclass(frozen=True)
class Outcome:
    """What the door answers: a result (201), a spam result (answered like a success), or problems."""

    submission_id: str
    status: SubmissionStatus
    answer: IntakeResult | None = None
    #: field as the form names it → what is wrong (English; the door translates for its pages).
    problems: dict[str, str] = field(default_factory=dict)
    message: str = ""
    http_status: int = 201
    #: The form's own ``_next`` redirect request, if any (the door checks it against the allow-list).
    redirect: str | None = None
    #: A replay: the checks it was let in without passing (``release_unverified``).
    released: tuple[Check, ...] = ()
    #: Screened and put on the overflow queue (its write failed): its lead is made shortly.
    queued: bool = False


#: Stored statuses whose record may have become its lead without saying so.
UNFINISHED = (SubmissionStatus.RECEIVED, SubmissionStatus.FAILED)


def resolved(repo: LeadReads, records: Sequence[Submission]) -> list[Submission]:
    """Records as they stand: one still ``received`` (or ``failed``) whose chosen lead exists became it.

    A new lead's submission is not finished with a second write: the lead's insert is its outcome.
    A record whose lead does not exist is in flight, or its processing crashed: replayable.
    """
    unfinished = [r for r in records if r.status in UNFINISHED]
    if not unfinished:
        return list(records)
    leads = repo.leads_by_id(unfinished[0].tenant_id, [r.lead_id for r in unfinished])
    found: list[Submission] = []
    for record in records:
        lead = leads.get(record.lead_id) if record.status in UNFINISHED else None
        if lead is not None:
            answer = IntakeResult(
                lead_id=lead.lead_id,
                status=lead.status,
                status_label=lead.status_label,
                duplicate_of=lead.duplicate_of,
            )
            status = SubmissionStatus.LINKED if lead.duplicate_of else SubmissionStatus.ACCEPTED
            # its checks were not written back either: the door makes the lead only after they pass
            # (a replay writes its outcome, releases included)
            checks = {
                c: CheckResult.PASSED if r is CheckResult.NOT_RUN else r for c, r in record.checks.items()
            }
            update = {"status": status, "answer": answer.model_dump(mode="json"), "checks": checks}
            record = record.model_copy(update=update)
        found.append(record)
    return found


def stored_outcome(repo: LeadReads, record: Submission) -> Outcome:
    if record.status is SubmissionStatus.REJECTED:
        return rejected_outcome(record)
    answer = IntakeResult.model_validate(record.answer) if record.answer else None
    if answer is not None and record.status is not SubmissionStatus.SPAM:
        answer = current_answer(repo, record.tenant_id, answer)
    return Outcome(record.submission_id, record.status, answer=answer, redirect=redirect_of(record.fields))


def rejected_outcome(record: Submission) -> Outcome:
    saved = record.answer or {}
    problems = {str(k): str(v) for k, v in (saved.get("problems") or {}).items()}
    return Outcome(
        record.submission_id,
        SubmissionStatus.REJECTED,
        problems=problems,
        message=str(saved.get("message") or "this submission cannot become a lead as sent"),
        http_status=int(saved.get("http_status") or 422),
    )


def redirect_of(pairs: Sequence[tuple[str, str]]) -> str | None:
    """The sender's own ``_next`` redirect request (the door checks it against the allow-list)."""
    return next((v.strip() for k, v in pairs if k == "_next" and v.strip()), None)


def finish_record(
    repo: Submissions,
    record: Submission,
    status: SubmissionStatus,
    *,
    reason: str | None = None,
    answer: dict[str, Any] | None = None,
    checks: dict[Check, CheckResult] | None = None,
) -> Submission:
    """Write ``record``'s outcome; one another copy wrote first stands (it is the same lead)."""
    try:
        return repo.finish_submission(record, status, reason=reason, answer=answer, checks=checks)
    except Conflict:
        # another copy (or a replay) finished it first; its outcome stands, and ours is the same lead
        return record


def reject_record(
    repo: Submissions,
    record: Submission,
    problems: Mapping[str, str],
    http_status: int,
    reason: str,
    *,
    checks: dict[Check, CheckResult],
    message: str = "this submission cannot become a lead as sent",
) -> Outcome:
    answer = {"problems": dict(problems), "message": message, "http_status": http_status}
    finished = finish_record(
        repo, record, SubmissionStatus.REJECTED, reason=reason[:500], answer=answer, checks=checks
    )
    metrics.add_metric(name="SubmissionsRejected", unit="Count", value=1)
    logger.info("submission rejected", extra={"submission": record.submission_id, "reason": reason[:200]})
    return rejected_outcome(finished.model_copy(update={"answer": answer}))


def record_spam(
    repo: Submissions, record: Submission, checks: dict[Check, CheckResult], reason: str
) -> Outcome:
    """Answered exactly like a new pending lead (a bot learns nothing), stored as spam, never assigned."""
    answer = IntakeResult(
        lead_id=record.lead_id, status=LeadStatus.PENDING, status_label=STATUS_LABELS_VI[LeadStatus.PENDING]
    )
    finish_record(
        repo,
        record,
        SubmissionStatus.SPAM,
        reason=reason,
        answer=answer.model_dump(mode="json"),
        checks=checks,
    )
    metrics.add_metric(name="SubmissionsSpam", unit="Count", value=1)
    logger.info("submission is spam", extra={"submission": record.submission_id, "reason": reason})
    return Outcome(
        record.submission_id, SubmissionStatus.SPAM, answer=answer, redirect=redirect_of(record.fields)
    )
