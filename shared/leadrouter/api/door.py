"""The form door: a submission as a browser, a form plugin or a CRM sends it, answered in its terms.

The request goes to intake as it came (``logic.intake.reception``): finding the source, reading the
body, checks and storing are intake's, by the source type's adapter (``logic.intake.adapters``).
``POST /f/{form_key}`` is read as its source's kind says (a web form: urlencoded, multipart or a flat
JSON object); ``POST /intake/leads`` is the typed JSON API (a form body there is read as a web form).

The answer follows the caller: JSON for fetch/XHR and API clients, a 303 to a thank-you page (or
the built-in one) for a browser that navigated, and error pages in the form's own words. JSON to the
public key is a receipt (``api.forms.answers``); the lead's id and status only with the source's
secret. CORS answers echo the caller's origin when the source allows it (any origin while its
``allowed_origins`` is empty), on success and error alike.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router

from leadrouter.api.context import now
from leadrouter.api.contract import base_path
from leadrouter.api.forms.answers import SourceAnswer, SubmissionReceipt
from leadrouter.api.forms.negotiate import cors_headers, preflight_headers, redirect_target, wants_json
from leadrouter.api.forms.pages import error_page, thank_you_page
from leadrouter.api.screen import body_bytes
from leadrouter.domain.forms import FormSource, SourceKind
from leadrouter.domain.submissions import SubmissionStatus
from leadrouter.logic.intake.adapters.base import DoorRequest, Reply
from leadrouter.logic.intake.outcomes import Outcome
from leadrouter.logic.intake.reception import find_source, handshake, take
from leadrouter.runtime import (
    door_limits,
    door_repository,
    fetch_queue,
    intake_overflow,
    repository,
    secret_box,
)

THANKS_PATH = "/thanks"


def take_submission(
    router: Router, *, path_key: str | None, via: SourceKind | None, platforms_only: bool = False
) -> Response[Any]:
    """Hand one submission to intake (``via``: the adapter the URL names) and answer in the caller's
    terms."""
    event = router.current_event
    headers = {k.lower(): str(v) for k, v in (event.headers or {}).items()}
    as_json = wants_json(headers)
    request = DoorRequest(
        headers=headers,
        body=body_bytes(event.raw_event),  # API Gateway base64-encodes multipart (a binary media type)
        client_ip=_client_ip(event.raw_event),
        path_key=path_key,
        via=via,
        platforms_only=platforms_only,
    )
    taken = take(
        door_repository(),
        door_limits(),
        request,
        now(),
        secrets=secret_box(),
        fetches=fetch_queue(),
        overflow=intake_overflow(),
    )
    if taken.reply is not None:
        return _reply(taken.reply)
    allowed = taken.source.web_form.allowed_origins if taken.source is not None else None
    cors = cors_headers(headers.get("origin"), allowed) if allowed is not None else {}
    refusal = taken.refusal
    if refusal is not None:
        if refusal.retry_after is not None:
            cors = {**cors, "Retry-After": str(refusal.retry_after)}
        return _problem(refusal.status, refusal.message, refusal.problems, as_json, cors=cors)
    assert taken.outcome is not None
    assert taken.source is not None
    return _answer(router, taken.outcome, taken.source, as_json, cors, trusted=taken.trusted)


def _answer(
    router: Router,
    outcome: Outcome,
    source: FormSource,
    as_json: bool,
    cors: dict[str, str],
    *,
    trusted: bool,
) -> Response[Any]:
    """201 JSON (a receipt; the lead only for ``trusted``, the source's secret) or a 303 for a browser.

    A queued submission (its tenant's tables throttled; its lead is made in seconds) is answered as
    any other to a browser and to the public key; the source's own server, which is told the lead,
    gets 202 and the receipt instead: its lead is not made yet.
    """
    if outcome.queued and as_json:
        return Response(
            status_code=202 if trusted else 201,
            content_type=content_types.APPLICATION_JSON,
            body=SubmissionReceipt(submission_id=outcome.submission_id).model_dump_json(),
            headers=cors,
        )
    if outcome.status is SubmissionStatus.REJECTED or (outcome.answer is None and not outcome.queued):
        return _problem(outcome.http_status, outcome.message, outcome.problems, as_json, cors=cors)
    if as_json:
        assert outcome.answer is not None  # a queued one was answered above
        answer: SourceAnswer | SubmissionReceipt = (
            SourceAnswer(submission_id=outcome.submission_id, **outcome.answer.model_dump())
            if trusted
            else SubmissionReceipt(submission_id=outcome.submission_id)
        )
        return Response(
            status_code=201,
            content_type=content_types.APPLICATION_JSON,
            body=answer.model_dump_json(),
            headers=cors,
        )
    door = source.web_form
    target = redirect_target(outcome.redirect, door.thank_you_url, door.redirect_hosts)
    if target is None:
        target = base_path(router.current_event.raw_event) + THANKS_PATH
    return Response(
        status_code=303,
        content_type="text/html; charset=utf-8",
        body=thank_you_page(),
        headers={**cors, "Location": target},
    )


def _problem(
    status: int, message: str, problems: Mapping[str, str], as_json: bool, *, cors: dict[str, str]
) -> Response[Any]:
    if as_json:
        errors = [{"field": f, "message": m} for f, m in problems.items()] or [
            {"field": "body", "message": message}
        ]
        body = json.dumps({"message": message, "errors": errors}, ensure_ascii=False)
        return Response(
            status_code=status, content_type=content_types.APPLICATION_JSON, body=body, headers=cors
        )
    listed = list(problems.items()) or [("", message)]
    page = error_page(listed, status=status)
    return Response(status_code=status, content_type="text/html; charset=utf-8", body=page, headers=cors)


def preflight(router: Router, *, path_key: str | None) -> Response[str]:
    """A browser's CORS preflight of a door, answered per source: its key is in the path (``/f/{key}``);
    at ``/intake/leads`` it is in ``X-Form-Key``, whose value a preflight does not carry, so any
    well-formed origin passes there and the POST's own answer (no ACAO for an origin its source does
    not allow) decides."""
    headers = {k.lower(): str(v) for k, v in (router.current_event.headers or {}).items()}
    source = find_source(repository(), path_key) if path_key else None
    allowed = source.web_form.allowed_origins if source is not None else None
    return Response(
        status_code=204, content_type=None, body="", headers=preflight_headers(headers.get("origin"), allowed)
    )


def answer_handshake(router: Router, *, path_key: str) -> Response[str]:
    """A platform's GET at a source's webhook URL, answered by the source's adapter."""
    event = router.current_event
    request = DoorRequest(
        headers={k.lower(): str(v) for k, v in (event.headers or {}).items()},
        body=None,
        client_ip=_client_ip(event.raw_event),
        path_key=path_key,
        query={k: str(v) for k, v in (event.query_string_parameters or {}).items()},
    )
    return _reply(handshake(repository(), request, secrets=secret_box()))


def _reply(reply: Reply) -> Response[str]:
    return Response(status_code=reply.status, content_type=reply.content_type, body=reply.body)


def thanks_page() -> Response[str]:
    return Response(status_code=200, content_type="text/html; charset=utf-8", body=thank_you_page())


def _client_ip(raw_event: Mapping[str, Any]) -> str | None:
    identity = (raw_event.get("requestContext") or {}).get("identity") or {}
    ip = identity.get("sourceIp")
    return str(ip)[:64] if ip else None
