"""The form door: a submission as a browser, a form plugin or a CRM sends it, answered in its terms.

One adapter per source type turns a request into an ``Arrival`` (``logic.submissions``); everything
after that (stored first, checks, mapping, duplicate linking, the lead) is shared. Today's adapters:

* web forms: ``application/x-www-form-urlencoded``, ``multipart/form-data`` or a flat JSON object,
  at ``POST /f/{form_key}`` (or ``/intake/leads`` with the key in ``X-Form-Key`` or a hidden
  ``form_key`` field);
* the typed JSON API: ``POST /intake/leads`` with an ``IntakeRequest`` body.

The answer follows the caller: JSON for fetch/XHR and API clients, a 303 to a thank-you page (or
the built-in one) for a browser that navigated, and error pages in the form's own words. JSON to the
public key is a receipt (``api.forms.answers``); the lead's id and status only with the source's
secret. CORS answers echo the caller's origin when the source allows it (any origin while its
``allowed_origins`` is empty), on success and error alike.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from botocore.exceptions import BotoCoreError, ClientError

from leadrouter.api.context import now
from leadrouter.api.contract import MAX_FORM_KEY_CHARS, base_path
from leadrouter.api.forms.answers import SourceAnswer, SubmissionReceipt
from leadrouter.api.forms.bodies import BodyError, FormBody, decode_body
from leadrouter.api.forms.negotiate import cors_headers, preflight_headers, redirect_target, wants_json
from leadrouter.api.forms.pages import error_page, thank_you_page
from leadrouter.api.screen import body_bytes
from leadrouter.domain.errors import InvalidInput, Unavailable
from leadrouter.domain.forms import FormSource
from leadrouter.domain.keys import hash_form_key, source_secret_matches
from leadrouter.domain.mapping import flatten_json
from leadrouter.domain.submissions import SubmissionStatus, kept_headers
from leadrouter.logic.intake.submissions import JSON_FIELD, Arrival, Outcome, receive
from leadrouter.runtime import door_limits, repository, secret_box

FORM_KEY_FIELD = "form_key"
SECRET_HEADER = "x-source-secret"  # noqa: S105 (a header name)
THANKS_PATH = "/thanks"
#: How much of an unreadable body is kept with its submission record (to see what a sender sent).
KEPT_RAW = 2000


def take_submission(router: Router, *, path_key: str | None, typed_json: bool) -> Response[Any]:
    """Answer one submission at a source's door (``typed_json``: the JSON API's ``IntakeRequest``)."""
    event = router.current_event
    headers = {k.lower(): str(v) for k, v in (event.headers or {}).items()}
    as_json = wants_json(headers)
    raw = body_bytes(event.raw_event)  # API Gateway base64-encodes multipart (a binary media type)
    body: FormBody | None = None
    failure: BodyError | None = None
    if raw is None:
        failure = BodyError(400, "the body could not be read")
    else:
        try:
            body = decode_body(headers.get("content-type"), raw)
        except BodyError as error:
            failure = error
    key = path_key or headers.get("x-form-key") or _key_field(body)
    try:
        source = _source(key)
    except Unavailable as error:  # nothing stored yet: the sender retries
        return _problem(503, str(error), {}, as_json, cors={"Retry-After": str(error.retry_after)})
    if source is None:
        message = "missing form key" if not key else "unknown or disabled form key"
        return _problem(401, message, {"form_key": message}, as_json, cors={})
    cors = cors_headers(headers.get("origin"), source.web_form.allowed_origins)
    secret = headers.get(SECRET_HEADER)
    if secret is not None and not source_secret_matches(secret, source.secret_hash):
        message = "wrong source secret"
        return _problem(401, message, {"X-Source-Secret": message}, as_json, cors=cors)
    client_ip = _client_ip(event.raw_event)
    # Every sender is limited per IP, but the source's own server (its secret checked above): a CRM
    # posts from one address and is held to the source's budget alone.
    wait = door_limits().admit(source, client_ip, now(), ip_limited=secret is None)
    if wait is not None:
        refused = {**cors, "Retry-After": str(wait)}
        return _problem(429, "too many submissions; try again shortly", {}, as_json, cors=refused)
    arrival = replace(_arrival(body, failure, raw, headers, client_ip, typed_json), secrets=(key or "",))
    try:
        outcome = receive(repository(), source, arrival, now(), secrets=secret_box())
    except InvalidInput as error:
        return _problem(422, str(error), error.fields, as_json, cors=cors)
    except Unavailable as error:
        retry_headers = {**cors, "Retry-After": str(error.retry_after)}
        return _problem(503, str(error), {}, as_json, cors=retry_headers)
    if failure is not None:
        return _problem(failure.status, failure.message, {failure.field: failure.message}, as_json, cors=cors)
    return _answer(router, outcome, source, as_json, cors, trusted=secret is not None)


def _arrival(
    body: FormBody | None,
    failure: BodyError | None,
    raw: bytes | None,
    headers: Mapping[str, str],
    client_ip: str | None,
    typed_json: bool,
) -> Arrival:
    common: dict[str, Any] = {
        "content_type": headers.get("content-type"),
        "headers": kept_headers(dict(headers)),
        "client_ip": client_ip,
        "origin": headers.get("origin"),
        "referer": headers.get("referer"),
        "sender_id": headers.get("idempotency-key") or None,
    }
    if body is None:
        text = (raw or b"")[:KEPT_RAW].decode("utf-8", errors="replace").replace("\x00", "\ufffd")
        message = failure.message if failure else "unreadable body"
        return Arrival(channel="form", pairs=(("raw", text),), malformed=message, **common)
    if body.kind == "json" and typed_json:
        text = json.dumps(body.data or {}, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        return Arrival(channel="json", pairs=((JSON_FIELD, text),), **common)
    pairs = tuple(flatten_json(body.data or {})) if body.kind == "json" else body.pairs
    return Arrival(channel="form", pairs=pairs, **common)


def _answer(
    router: Router,
    outcome: Outcome,
    source: FormSource,
    as_json: bool,
    cors: dict[str, str],
    *,
    trusted: bool,
) -> Response[Any]:
    """201 JSON (a receipt; the lead only for ``trusted``, the source's secret) or a 303 for a browser."""
    if outcome.status is SubmissionStatus.REJECTED or outcome.answer is None:
        return _problem(outcome.http_status, outcome.message, outcome.problems, as_json, cors=cors)
    if as_json:
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
    source = _source(path_key) if path_key else None
    allowed = source.web_form.allowed_origins if source is not None else None
    return Response(
        status_code=204, content_type=None, body="", headers=preflight_headers(headers.get("origin"), allowed)
    )


def thanks_page() -> Response[str]:
    return Response(status_code=200, content_type="text/html; charset=utf-8", body=thank_you_page())


def _source(key: str | None) -> FormSource | None:
    if not key or len(key) > MAX_FORM_KEY_CHARS:
        return None
    try:
        source = repository().form_source_by_key_hash(hash_form_key(key))
    except (ClientError, BotoCoreError) as error:  # the config table throttled or down
        raise Unavailable("this form cannot take submissions right now; try again") from error
    return source if source is not None and source.active else None


def _key_field(body: FormBody | None) -> str | None:
    if body is None:
        return None
    if body.kind == "json":
        value = (body.data or {}).get(FORM_KEY_FIELD)
        return value if isinstance(value, str) else None
    return next((v for k, v in body.pairs if k == FORM_KEY_FIELD and v), None)


def _client_ip(raw_event: Mapping[str, Any]) -> str | None:
    identity = (raw_event.get("requestContext") or {}).get("identity") or {}
    ip = identity.get("sourceIp")
    return str(ip)[:64] if ip else None
