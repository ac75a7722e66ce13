"""Form sources and data-pool settings (admin only).

A form source posts leads into one data pool with a form key. The key is returned once, when the source
is created, with the source's action URL, a copy-paste HTML snippet and the source's secret; only their
hashes are stored, so they can never be listed or read back. The secret (``X-Source-Secret``) is for
servers that need the lead's id and status in the answer; a new one replaces it at
``POST /form-sources/{source_id}/secret``. A CAPTCHA secret is write-only in the same way.
"""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from pydantic import BaseModel, Field
from pydantic.json_schema import SkipJsonSchema

from leadrouter.api.context import PathIdent, PathLabel, caller_of
from leadrouter.api.contract import answers, base_path
from leadrouter.api.forms.snippet import form_snippet
from leadrouter.domain.forms import CaptchaView, FormDoor, FormSource
from leadrouter.domain.pools import PoolSettings
from leadrouter.domain.source_health import SourceHealth
from leadrouter.logic.admin import pools, sources
from leadrouter.logic.privacy import consents
from leadrouter.runtime import repository, secret_box

router = Router()


class FormDoorOut(FormDoor):
    captcha: CaptchaView | None = None  # type: ignore[assignment]  # the secret never leaves


class FormSourceOut(FormSource):
    """A source as the API shows it: everything but its key and its CAPTCHA secret."""

    web_form: FormDoorOut = Field(default_factory=FormDoorOut)
    secret_hash: SkipJsonSchema[str | None] = Field(default=None, exclude=True)
    has_secret: bool = Field(
        default=False, description="whether a source secret is issued (POST /form-sources/{id}/secret)"
    )
    platform_secrets_set: list[str] = Field(
        default_factory=list, description="the platform secrets the source keeps (never shown)"
    )

    @classmethod
    def of(cls, source: FormSource) -> FormSourceOut:
        data = source.model_dump()
        data["has_secret"] = data.pop("secret_hash", None) is not None
        hidden = sources.platform_secret_names(source)
        data["platform"] = {k: v for k, v in source.platform.items() if k not in hidden}
        data["platform_secrets_set"] = sorted(k for k in hidden if source.platform.get(k))
        if source.web_form.captcha is not None:
            data["web_form"]["captcha"] = CaptchaView.model_validate(
                source.web_form.captcha.model_dump()
            ).model_dump()
        return cls.model_validate(data)


class NewFormSource(BaseModel):
    source: FormSourceOut
    form_key: str = Field(description="the source's key (X-Form-Key, or in action_url); shown only this once")
    action_url: str = Field(description="a plain HTML form's action: POST here, no JavaScript needed")
    webhook_url: str = Field(description="the URL to paste into a platform (Meta, Google Ads, Zalo OA …)")
    snippet: str = Field(description="copy-paste HTML form posting to action_url (works without JavaScript)")
    source_secret: str = Field(
        description=(
            "for servers only (a CRM), never in a page: sent as X-Source-Secret with the form key, the "
            "answer names the lead and its status; shown only this once"
        )
    )


class NewSourceSecret(BaseModel):
    source_id: str
    source_secret: str = Field(description="the new X-Source-Secret; the previous one no longer works")


class FormSourceList(BaseModel):
    items: list[FormSourceOut]


def _action_url(key: str, door: str = "f") -> str:
    event = router.current_event
    headers = {k.lower(): v for k, v in (event.headers or {}).items()}
    host = headers.get("host", "localhost")
    scheme = headers.get(
        "x-forwarded-proto", "https" if not host.startswith(("127.", "localhost")) else "http"
    )
    return f"{scheme}://{host}{base_path(event.raw_event)}/{door}/{key}"


@router.post(
    "/form-sources",
    summary="Create a form source for a data pool; returns its form key, action URL and HTML snippet once",
    responses={201: {"description": "source created; keep the form_key, it is not shown again"}},
    tags=["form sources"],
)
def create_source(body: sources.FormSourceCreate) -> Response[NewFormSource]:
    caller = caller_of(router, "admin")
    issued = sources.create_form_source(repository(), caller, body, secrets=secret_box())
    source, key = issued.source, issued.form_key
    action = _action_url(key)
    captcha = source.web_form.captcha
    snippet = form_snippet(
        action,
        honeypot_field=source.web_form.honeypot_field,
        captcha=(captcha.provider, captcha.site_key) if captcha else None,
        purposes=consents.form_purposes(repository(), caller),
    )
    return Response(
        status_code=201,
        content_type=content_types.APPLICATION_JSON,
        body=NewFormSource(
            source=FormSourceOut.of(source),
            form_key=key,
            action_url=action,
            webhook_url=_action_url(key, "hooks"),
            snippet=snippet,
            source_secret=issued.secret,
        ),
    )


@router.post(
    "/form-sources/<source_id>/secret",
    summary="Issue a new source secret (X-Source-Secret); the previous one stops working",
    description=(
        "The secret lets a server (a CRM posting to POST /intake/leads) be answered with the lead's id "
        "and status; the form key alone gets a receipt. Shown only in this answer; only its hash is "
        "stored. Containers pick the change up within 30 seconds."
    ),
    responses=answers(
        "the new secret; keep it, it is not shown again",
        status=201,
        not_found="no such form source in the caller's tenant",
        conflict="the source changed meanwhile: retry",
    ),
    tags=["form sources"],
)
def rotate_secret(source_id: PathIdent) -> Response[NewSourceSecret]:
    caller = caller_of(router, "admin")
    source, secret = sources.rotate_source_secret(repository(), caller, source_id)
    return Response(
        status_code=201,
        content_type=content_types.APPLICATION_JSON,
        body=NewSourceSecret(source_id=source.source_id, source_secret=secret),
    )


@router.get(
    "/form-sources", summary="List form sources (never their keys or CAPTCHA secrets)", tags=["form sources"]
)
def list_sources() -> FormSourceList:
    caller = caller_of(router, "admin")
    return FormSourceList(
        items=[FormSourceOut.of(s) for s in sources.list_form_sources(repository(), caller)]
    )


@router.patch(
    "/form-sources/<source_id>",
    summary="Edit a form source (field map, origins, thank-you page, honeypot, CAPTCHA, campaigns, limits)",
    description=(
        "Only the fields sent change; `rev` must be the revision read (409 otherwise). Containers pick "
        "the change up within 30 seconds. A CAPTCHA given without `secret` keeps the stored secret."
    ),
    responses=answers(
        "the source as saved",
        not_found="no such form source in the caller's tenant",
        conflict="the source changed since it was read (`rev` is not its revision): read it again",
    ),
    tags=["form sources"],
)
def edit_source(source_id: PathIdent, body: sources.FormSourceEdit) -> FormSourceOut:
    caller = caller_of(router, "admin")
    edited = sources.edit_form_source(repository(), caller, source_id, body, secrets=secret_box())
    return FormSourceOut.of(edited)


@router.get(
    "/form-sources/<source_id>/health",
    summary="How a source's deliveries are going: last delivery, last error, refused deliveries",
    responses=answers("the source's health", not_found="no such form source in the caller's tenant"),
    tags=["form sources"],
)
def get_source_health(source_id: PathIdent) -> SourceHealth:
    caller = caller_of(router, "admin")
    return sources.source_health(repository(), caller, source_id)


@router.get("/pools/<pool>", summary="A data pool's settings (defaults if never set)", tags=["form sources"])
def get_pool(pool: PathLabel) -> PoolSettings:
    caller = caller_of(router, "admin")
    return pools.get_pool_settings(repository(), caller, pool)


@router.put(
    "/pools/<pool>",
    summary="Set a data pool's settings: what a lead with a known phone/email does (link or rotate)",
    responses=answers("the pool's settings as saved", conflict="the settings changed meanwhile: retry"),
    tags=["form sources"],
)
def put_pool(pool: PathLabel, body: pools.PoolSettingsIn) -> PoolSettings:
    caller = caller_of(router, "admin")
    return pools.put_pool_settings(repository(), caller, pool, body)
