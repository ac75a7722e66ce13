"""Do-Not-Call lists (admin only): add numbers, count them, remove one. Numbers travel in bodies,
never in paths or query strings (which access logs keep)."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.api_gateway import Response, Router

from leadrouter.api.context import caller_of, now
from leadrouter.api.contract import answers
from leadrouter.logic.privacy import do_not_call as logic
from leadrouter.runtime import repository

router = Router()

_WHAT_THEY_DO = (
    "A number on either list is never offered as an advertising call: the rotation still hands its lead "
    "out, with call_allowed false and the reason in the decision and the LeadAssigned event. Numbers are "
    "kept only as a keyed hash (HMAC under the tenant's secret pepper), never in clear."
)


@router.post(
    "/privacy/do-not-call",
    summary="Add numbers to a Do-Not-Call list (the tenant's own, or the national register)",
    description=(
        f"Up to {logic.MAX_UPLOAD} numbers per request, written as on a lead (0912345678, +84912345678, "
        "old 11-digit mobiles). If any line is not a valid phone number the answer is a 422 naming each "
        f"such line and nothing is written. A number already listed keeps its date. {_WHAT_THEY_DO}"
    ),
    responses=answers("how many distinct numbers the upload put on the list"),
    tags=["privacy"],
)
def post_do_not_call(body: logic.DoNotCallUpload) -> logic.DoNotCallAdded:
    caller = caller_of(router, "admin")
    return logic.add_numbers(repository(), caller, body, now())


@router.get(
    "/privacy/do-not-call",
    summary="How many numbers each Do-Not-Call list holds",
    description=f"The lists cannot be read back as numbers: only counted. {_WHAT_THEY_DO}",
    tags=["privacy"],
)
def get_do_not_call() -> logic.DoNotCallCounts:
    caller = caller_of(router, "admin")
    return logic.count_numbers(repository(), caller)


@router.post(
    "/privacy/do-not-call/remove",
    summary="Take one number off a Do-Not-Call list",
    description="204 when it was on the list; 404 when it was not (on that list).",
    responses=answers("the number is off the list", status=204, not_found="the number is not on that list"),
    tags=["privacy"],
)
def remove_do_not_call(body: logic.DoNotCallRemoval) -> Response[None]:
    caller = caller_of(router, "admin")
    logic.remove_number(repository(), caller, body)
    return Response(status_code=204)
