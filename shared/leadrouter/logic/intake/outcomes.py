"""What a submission came to: the door's answer (``Outcome``), and records as they stand.

A new lead's submission is not finished with a second write (one write less per lead): the lead's
insert is its outcome, so a record still ``received`` whose chosen lead exists is read as accepted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from leadrouter.domain.submissions import Check, CheckResult, Submission, SubmissionStatus
from leadrouter.logic.intake.new_leads import IntakeResult, current_answer
from leadrouter.logic.ports import LeadReads


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
