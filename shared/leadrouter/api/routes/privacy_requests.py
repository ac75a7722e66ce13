"""Data-subject requests (admins only): record one, list what is due when, extend it once, complete it."""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query

from leadrouter.api.context import PathIdent, caller_of, now
from leadrouter.api.contract import answers
from leadrouter.domain.privacy_requests import RequestStatus
from leadrouter.logic.privacy import requests as logic
from leadrouter.runtime import files, repository

router = Router()

_NO_REQUEST = "no such privacy request in the caller's tenant"
_DEADLINES = (
    "Deadlines are in Vietnamese working days on the tenant's holiday calendar (weekends and holidays, "
    "Tết included, do not count), from the day after the request was received in the tenant's time "
    "zone: an answer within 2; for restrict and object, processing stopped within 15 (20 when a "
    "processor must stop too); one extension of 15. `next_due` is the deadline that counts now: the "
    "answer's, or the extended one."
)


@router.post(
    "/privacy/requests",
    summary="Record a data-subject request (access, export, correct, erase, restrict, object)",
    description=(
        "The person is named by phone and/or e-mail within the tenant; their leads are those holding "
        "that phone or e-mail. A correct request carries the corrected values. A bad field is a 422 "
        f"naming it and nothing is written. {_DEADLINES}"
    ),
    responses=answers("the request as recorded, with its deadlines", status=201),
    tags=["privacy"],
)
def create_request(body: logic.PrivacyRequestIn) -> Response[logic.RequestView]:
    caller = caller_of(router, "admin")
    created = logic.create_request(repository(), caller, body, now())
    return Response(status_code=201, content_type=content_types.APPLICATION_JSON, body=created)


@router.get(
    "/privacy/requests",
    summary="The tenant's data-subject requests: open first, soonest due first",
    description=f"With `status`, only open or only completed ones. {_DEADLINES}",
    tags=["privacy"],
)
def list_requests(
    status: Annotated[RequestStatus | None, Query(description="open or completed; default both")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> logic.RequestList:
    caller = caller_of(router, "admin")
    return logic.list_requests(repository(), caller, now(), status, limit)


@router.get(
    "/privacy/requests/<request_id>",
    summary="One data-subject request and its deadlines",
    responses=answers("the request", not_found=_NO_REQUEST),
    tags=["privacy"],
)
def get_request(request_id: PathIdent) -> logic.RequestView:
    caller = caller_of(router, "admin")
    return logic.get_request(repository(), caller, request_id, now())


@router.post(
    "/privacy/requests/<request_id>/extend",
    summary="Extend a request's deadline once, by 15 working days, with a reason",
    description=(
        "Restrict and object: past the stop deadline; the other kinds: past the answer deadline. "
        "A second extension, or one of a completed request, is a 409."
    ),
    responses=answers(
        "the request with its extension",
        not_found=_NO_REQUEST,
        conflict="already extended once, completed, or changed meanwhile",
    ),
    tags=["privacy"],
)
def extend_request(request_id: PathIdent, body: logic.ExtendIn) -> logic.RequestView:
    caller = caller_of(router, "admin")
    return logic.extend_request(repository(), caller, request_id, body, now())


@router.post(
    "/privacy/requests/<request_id>/complete",
    summary="Complete a request: do what it asks (or refuse it), then keep only the contact's digests",
    description=(
        "access/export: the answer's `data` is what leadrouter holds about the person (leads, history, "
        "consents, submissions), given once and never kept. correct: the corrections are applied to "
        "the person's leads (their contact claims move with them). restrict/object: every lead of the "
        "person carries the restriction (routing stops calls and events), or loses it with `lift`. "
        "erase: the erasure of every store. After completion the request keeps no phone or e-mail."
    ),
    responses=answers(
        "the completed request, with the person's data for access and export",
        not_found=_NO_REQUEST,
        conflict="already completed, a corrected contact belongs to another lead, or erasure (or the "
        "contact digests) not available on this stack yet: nothing was done, the request stays open",
    ),
    tags=["privacy"],
)
def complete_request(request_id: PathIdent, body: logic.CompleteIn) -> logic.Completion:
    caller = caller_of(router, "admin")
    return logic.complete_request(repository(), repository(), caller, request_id, body, now(), files())
