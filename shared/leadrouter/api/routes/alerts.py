"""The tenant's escalation alerts (admin only): who is told when a lead needs a person."""

from __future__ import annotations

from aws_lambda_powertools.event_handler.api_gateway import Router

from leadrouter.api.context import caller_of
from leadrouter.api.contract import answers
from leadrouter.logic.events import alerts as logic
from leadrouter.runtime import repository
from leadrouter.settings import Settings

router = Router()

_WHAT_THEY_DO = (
    "A lead is escalated when no rule can give it to anyone (nobody eligible or on shift, reclaimed too "
    "often) or when it waited `escalate_after_minutes` in a scope no rule is in charge of. Each webhook "
    "named gets every `LeadEscalated` event (signed and retried like any delivery), whether or not it "
    "subscribes to that type; each address gets an e-mail when the stack has an SES sender "
    "(`email_enabled`). Alerts carry ids and reasons, never the lead's name, phone or email."
)


@router.get(
    "/settings/alerts",
    summary="Who is told when a lead is escalated",
    description=_WHAT_THEY_DO,
    tags=["alerts"],
)
def get_alerts() -> logic.AlertsView:
    caller = caller_of(router, "admin")
    return logic.get_alerts(repository(), caller, email_enabled=bool(Settings.from_env().alert_sender))


@router.put(
    "/settings/alerts",
    summary="Replace the escalation alert settings (webhooks, e-mail addresses)",
    description=(
        "The body replaces the settings whole; a webhook that is not the tenant's, an invalid or repeated "
        "address is a 422 naming it, and nothing is written. 409 if the settings changed meanwhile (or "
        f"are not at `expected_revision`). {_WHAT_THEY_DO}"
    ),
    responses=answers(
        "the settings as saved",
        conflict="the settings changed since they were read (or are not at expected_revision)",
    ),
    tags=["alerts"],
)
def put_alerts(body: logic.AlertsIn) -> logic.AlertsView:
    caller = caller_of(router, "admin")
    return logic.put_alerts(repository(), caller, body, email_enabled=bool(Settings.from_env().alert_sender))
