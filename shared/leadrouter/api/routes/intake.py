"""The form door's routes: ``POST /intake/leads`` (JSON or forms), ``POST /f/{form_key}``, ``GET /thanks``,
and the two POST routes' CORS preflights (``OPTIONS``), answered per form source.

Both POST routes take the body raw (intake's adapters decode JSON, urlencoded and multipart
themselves, UTF-8 throughout): Powertools' parser would refuse a form, or crash on a Vietnamese
multipart part.
Their request bodies are documented in ``api.contract``.
"""

from __future__ import annotations

from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Header, Path

from leadrouter.api.door import answer_handshake, preflight, take_submission, thanks_page

router = Router()
IDEMPOTENCY_HEADER = "idempotency-key"

IDEMPOTENCY_DOC = (
    "Up to 128 characters naming this submission (e.g. the CRM's record id). The same key from the same "
    "form source within 30 days gets the first answer back and creates nothing; the same key with "
    "different content is a 422. Without a key, the body's submission_id is the key, else the content "
    "itself for 10 minutes (double clicks, a re-posted form)."
)
_COMMON = (
    " Every request with a valid key is stored first (GET /intake/submissions lists them), then "
    "checked (allowed origins, honeypot, CAPTCHA), mapped (the source's field_map) and submitted. "
    "A phone/email already known in the tenant links to the existing lead (configurable per pool). "
    "JSON answers (201) go to fetch/XHR and API clients: with the form key alone a receipt "
    '(submission_id, status "received"), the same whether the contact is new or known; with the '
    "source's secret in X-Source-Secret (servers only) the lead's id and status. A browser that posted "
    "a plain form is redirected (303) to the source's thank-you page or the built-in one; errors are "
    "pages for it too. Bodies over 64 KiB are refused (413)."
)
#: Not bounded by the route's validation: a browser posting an over-long key must get the door's 401
#: page (an unknown key), not a validation error in JSON.
KEY_DOC = "the form source's key (any other, a longer one too, is unknown: 401)"
SenderId = Annotated[
    str | None,
    Header(alias="Idempotency-Key", min_length=1, max_length=128, description=IDEMPOTENCY_DOC),
]


@router.post(
    "/intake/leads",
    cors=False,
    summary="Submit a lead from a CRM (JSON) or a web form (X-Form-Key or a hidden form_key field)",
    description=(
        "A JSON body is the typed intake request (unknown top-level fields are refused); a form body "
        "(urlencoded or multipart) is mapped like POST /f/{form_key}. The form source's key comes in "
        "X-Form-Key or a form_key field. Rate-limited per source and per client IP (429, Retry-After)."
        + _COMMON
    ),
    responses={
        201: {"description": "stored and accepted: a receipt (the lead only with X-Source-Secret)"},
        303: {"description": "see the thank-you page"},
    },
    tags=["intake"],
)
def post_lead(idempotency_key: SenderId = None) -> Response[Any]:
    return take_submission(router, path_key=None, via="json_api")


@router.post(
    "/f/<form_key>",
    cors=False,
    summary="A web form's action URL: post a lead as any HTML form does, no JavaScript needed",
    description=(
        "The form source's key is in the path, so a plain <form method=post> works as it is. The body "
        "may be urlencoded, multipart or a flat JSON object; the source's field_map and common names "
        "(ho_ten, so_dien_thoai, your-email …) give name, phone and email; other fields become the "
        "lead's fields, utm_*/click ids its attribution; fields starting with _ are reserved." + _COMMON
    ),
    responses={
        201: {"description": "stored and accepted: a receipt (the lead only with X-Source-Secret)"},
        303: {"description": "see the thank-you page"},
    },
    tags=["intake"],
)
def post_form(
    form_key: Annotated[str, Path(min_length=1, description=KEY_DOC)], idempotency_key: SenderId = None
) -> Response[Any]:
    return take_submission(router, path_key=form_key, via=None)


@router.post(
    "/hooks/<form_key>",
    cors=False,
    summary="A lead source's webhook URL: Meta Lead Ads, Google Ads, TikTok, Zalo OA, LadiPage, any system",
    description=(
        "Paste this URL into the platform. The delivery is read as the source's kind says, its "
        "credential checked first (Meta's X-Hub-Signature-256, Google's google_key, TikTok's and "
        "Zalo's signatures, LadiPage's API key, a JSON webhook's configured signature): a wrong one is "
        "a 401, counted on the source's health, and nothing is stored. Every delivery with a good one "
        "is stored first and answered 200 at once; what it becomes (a lead, a link to a known lead, a "
        "test, a rejection) is listed at GET /intake/submissions and replayable."
    ),
    tags=["intake"],
)
def post_hook(form_key: Annotated[str, Path(min_length=1, description=KEY_DOC)]) -> Response[Any]:
    return take_submission(router, path_key=form_key, via=None, platforms_only=True)


@router.get(
    "/hooks/<form_key>",
    summary="A platform's subscription check of a webhook URL (Meta: hub.mode, hub.verify_token)",
    description=(
        "Meta calls it when the URL is subscribed: with hub.mode=subscribe and the source's verify "
        "token, hub.challenge is echoed as text; a wrong token is a 403. Other kinds answer 404."
    ),
    tags=["intake"],
)
def get_hook(form_key: Annotated[str, Path(min_length=1, description=KEY_DOC)]) -> Response[str]:
    return answer_handshake(router, path_key=form_key)


@router.route("/intake/leads", method="OPTIONS", cors=False, include_in_schema=False)
def preflight_lead() -> Response[str]:
    return preflight(router, path_key=None)


@router.route("/f/<form_key>", method="OPTIONS", cors=False, include_in_schema=False)
def preflight_form(form_key: str) -> Response[str]:
    return preflight(router, path_key=form_key)


@router.get("/thanks", summary="The built-in thank-you page forms land on", tags=["intake"])
def thanks() -> Response[str]:
    return thanks_page()
