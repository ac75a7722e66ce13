"""Rules (admin only): create, read, list, replace (a new version), enable/disable, delete, preview.

Validation errors name the field (``staff.0.weight``, ``window.end``, ``staff.2.staff_id`` for a staff
member that was never created) and nothing is written. Editing a rule makes a new version whose
rotation cycle starts over; leads already assigned keep the version that assigned them.
"""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from pydantic import BaseModel

from leadrouter.api.context import PathIdent, caller_of, now
from leadrouter.api.contract import answers
from leadrouter.domain.rules import Rule
from leadrouter.logic.admin import rules as logic
from leadrouter.logic.reports.preview import PreviewRequest, RulePreview, preview_rule
from leadrouter.runtime import repository

router = Router()

_NO_RULE = "no such rule in the caller's tenant"
_CHANGED = "the rule changed since it was read (another admin's edit): read it again and retry"


class RuleList(BaseModel):
    items: list[Rule]


@router.post(
    "/rules",
    summary="Create a rule (version 1)",
    description="The tenant comes from the token; rule_id is generated (R…) when absent. 409 if it exists.",
    responses=answers("rule created", status=201, conflict="a rule with this rule_id exists"),
    tags=["rules"],
)
def create_rule(body: logic.RuleDraft) -> Response[Rule]:
    caller = caller_of(router, "admin")
    rule = logic.create_rule(repository(), caller, body)
    return Response(status_code=201, content_type=content_types.APPLICATION_JSON, body=rule)


@router.post(
    "/rules/preview",
    summary="Dry run: the next N assignees of a draft rule, the shares they converge to, and the clocks",
    description=(
        "Same body as POST /rules plus `count` (1..1000, default 24), `arrival` (when one lead arrives, "
        "with a time zone; default now) and, for reclaim rules, `owner` (who holds it; default the "
        "first in the rotation). `arrival_preview` answers from the real staff and the tenant's "
        "holidays: assign rules give delay_ends_at (wall clock), expected_assignment_at (next shift, "
        "after the morning hold), first_assignee and escalate_at (the team's working time after the "
        "delay); reclaim rules give reclaim_at (the owner's working time after arrival), first_assignee "
        "(who gets it then) and escalate_at. Fields that cannot be told are absent. Writes nothing."
    ),
    tags=["rules"],
)
def preview(body: PreviewRequest) -> RulePreview:
    caller = caller_of(router, "admin")
    return preview_rule(repository(), caller, body, now())


@router.get("/rules", summary="List the tenant's rules", tags=["rules"])
def list_rules() -> RuleList:
    caller = caller_of(router, "admin")
    return RuleList(items=logic.list_rules(repository(), caller))


@router.get(
    "/rules/<rule_id>",
    summary="One rule (current version)",
    responses=answers("the rule", not_found=_NO_RULE),
    tags=["rules"],
)
def get_rule(rule_id: PathIdent) -> Rule:
    caller = caller_of(router, "admin")
    return logic.get_rule(repository(), caller, rule_id)


@router.put(
    "/rules/<rule_id>",
    summary="Replace a rule: a new version whose rotation starts a fresh cycle",
    description=(
        "Same body as POST /rules without rule_id, plus optional expected_version (409 if the rule moved "
        "on). `active` keeps its value unless given. 404 if the rule does not exist."
    ),
    responses=answers(
        "the rule's new version",
        not_found=_NO_RULE,
        conflict=f"the rule is not at expected_version, or {_CHANGED.removeprefix('the rule ')}",
    ),
    tags=["rules"],
)
def replace_rule(rule_id: PathIdent, body: logic.RuleReplacement) -> Rule:
    caller = caller_of(router, "admin")
    return logic.replace_rule(repository(), caller, rule_id, body)


@router.post(
    "/rules/<rule_id>/enable",
    summary="Enable (same version: the rotation keeps its place)",
    responses=answers("the rule, enabled", not_found=_NO_RULE, conflict=_CHANGED),
    tags=["rules"],
)
def enable_rule(rule_id: PathIdent) -> Rule:
    caller = caller_of(router, "admin")
    return logic.set_rule_active(repository(), caller, rule_id, True)


@router.post(
    "/rules/<rule_id>/disable",
    summary="Disable (same version: no sweep runs it)",
    responses=answers("the rule, disabled", not_found=_NO_RULE, conflict=_CHANGED),
    tags=["rules"],
)
def disable_rule(rule_id: PathIdent) -> Rule:
    caller = caller_of(router, "admin")
    return logic.set_rule_active(repository(), caller, rule_id, False)


@router.delete(
    "/rules/<rule_id>",
    summary="Delete a rule (leads it assigned keep its id and version in their decisions)",
    responses=answers("deleted", status=204, not_found=_NO_RULE),
    tags=["rules"],
)
def delete_rule(rule_id: PathIdent) -> Response[None]:
    caller = caller_of(router, "admin")
    logic.delete_rule(repository(), caller, rule_id)
    return Response(status_code=204)
