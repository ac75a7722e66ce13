"""Submissions (admin): everything a form source received, stored first; replay what did not land."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body, Query
from pydantic import BaseModel, Field

from leadrouter.api.context import CURSOR_DOC, CURSOR_MAX_LENGTH, PathSubmissionId, caller_of, now
from leadrouter.api.contract import answers
from leadrouter.domain.base import Ident
from leadrouter.domain.submissions import Check, Submission, SubmissionStatus
from leadrouter.logic.intake import inbox as logic
from leadrouter.logic.intake.new_leads import IntakeResult
from leadrouter.runtime import fetch_queue, repository

router = Router()

SubmissionId = PathSubmissionId


class SubmissionPage(BaseModel):
    items: list[Submission]
    cursor: str | None = Field(description="pass back as ?cursor= for the next page; null at the end")


class ReplayOptions(BaseModel):
    release_unverified: bool = Field(
        default=False,
        description=(
            "let in a submission that did not pass the door's checks (its `unverified_checks`: spam, "
            "a failed or unchecked CAPTCHA, a refused origin); without it such a replay is a 422"
        ),
    )


class Replayed(BaseModel):
    submission_id: str
    status: SubmissionStatus
    result: IntakeResult | None = Field(
        default=None, description="the lead; none yet while a platform's lead is fetched again (received)"
    )
    unverified_checks: list[Check] = Field(
        description="the checks it was let in without passing (empty: it had passed them all)"
    )


@router.get(
    "/intake/submissions",
    summary="List what form sources received (30 days): rejected, spam, failed or any status",
    description=(
        "Each record holds the decoded form (personal data: admins only), kept headers, a status and "
        "a reason. status=rejected lists what could not become a lead as sent (no phone or email after "
        "mapping, CAPTCHA failed, origin refused, malformed, too large, or `conflict:` a submission_id "
        "or Idempotency-Key reused with other content); spam the honeypot's catches; failed and "
        "received what a crash left unfinished. A page may hold fewer than `limit` items and still "
        "have a cursor (the filter runs over the tenant's records). `checks` says what each of the "
        "door's checks said, `unverified_checks` which it did not pass (a replay must release them)."
    ),
    tags=["intake"],
)
def list_submissions(
    status: Annotated[SubmissionStatus | None, Query()] = None,
    source: Annotated[Ident | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Annotated[str | None, Query(max_length=CURSOR_MAX_LENGTH, description=CURSOR_DOC)] = None,
) -> SubmissionPage:
    caller = caller_of(router, "admin")
    items, last = logic.list_submissions(
        repository(), caller, status=status, source_id=source, limit=limit, start=cursor
    )
    return SubmissionPage(items=items, cursor=last)


@router.get(
    "/intake/submissions/<submission_id>",
    summary="One submission, as stored",
    responses=answers("the submission", not_found="no such submission in the caller's tenant (kept 30 days)"),
    tags=["intake"],
)
def get_submission(submission_id: SubmissionId) -> Submission:
    caller = caller_of(router, "admin")
    return logic.get_submission(repository(), caller, submission_id)


@router.post(
    "/intake/submissions/<submission_id>/replay",
    summary="Run a stored submission again (after fixing the source's field_map); releases spam",
    description=(
        "For rejected, failed, unfinished (received) and spam submissions. Uses the source's settings as "
        "they are now; the origin, honeypot and CAPTCHA checks cannot run again. A submission that did "
        "not pass them all (its `unverified_checks`: spam, a failed or unchecked CAPTCHA, a refused "
        'origin) is a 422 unless the body says `{"release_unverified": true}`; the answer lists what '
        "was let in unverified. Exactly once: a submission can only ever make its one lead; replaying "
        "one that already became a lead is a 409."
    ),
    responses=answers(
        "the replay's outcome: the submission's new status and the intake answer",
        not_found="no such submission in the caller's tenant, or its form source no longer exists",
        conflict="the submission already became a lead (or is being replayed right now)",
    ),
    tags=["intake"],
)
def replay(
    submission_id: SubmissionId, options: Annotated[ReplayOptions | None, Body()] = None
) -> Response[Replayed]:
    caller = caller_of(router, "admin")
    release = options.release_unverified if options is not None else False
    outcome = logic.replay(
        repository(), caller, submission_id, now(), release_unverified=release, fetches=fetch_queue()
    )
    body = Replayed(
        submission_id=outcome.submission_id,
        status=outcome.status,
        result=outcome.answer,
        unverified_checks=list(outcome.released),
    )
    return Response(status_code=200, content_type=content_types.APPLICATION_JSON, body=body)
