"""Form sources as admins keep them: create (with its form key and secret), edit, rotate the secret, list.

A form key and a server secret are shown once, when issued; only their hashes are kept. A CAPTCHA
secret is sealed before it is stored.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import reduce
from operator import or_
from typing import TYPE_CHECKING, Annotated, Any, Protocol

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
)

from leadrouter.domain.base import Label, Name, omissible
from leadrouter.domain.errors import Conflict, InvalidInput, NotFound, Unavailable
from leadrouter.domain.forms import (
    CampaignLabel,
    CaptchaAction,
    CaptchaProvider,
    FieldTarget,
    FormDoor,
    FormFieldName,
    FormSource,
    Host,
    HttpUrlText,
    Origin,
    SourceKind,
    UtmValue,
)
from leadrouter.domain.ids import new_id
from leadrouter.domain.keys import hash_form_key, hash_source_secret, new_form_key, new_source_secret
from leadrouter.domain.secrets import (
    SecretBox,
    SecretContext,
    SecretsUnavailable,
    captcha_secret_context,
    is_sealed,
    source_secret_context,
)
from leadrouter.domain.source_health import SourceHealth
from leadrouter.domain.submissions import SubmissionStatus
from leadrouter.domain.users import Caller
from leadrouter.logic.intake.adapters import ADAPTERS
from leadrouter.logic.intake.adapters.base import PlatformSettings
from leadrouter.logic.intake.outcomes import resolved
from leadrouter.logic.ports import LeadReads, SourceHealthNotes, Sources, Submissions
from leadrouter.logic.validation import validated
from leadrouter.observability import logger

if TYPE_CHECKING:
    PlatformSettingsIn = PlatformSettings
else:  # one model per platform kind, told apart by its ``kind`` (each adapter brings its own)
    PlatformSettingsIn = Annotated[reduce(or_, ADAPTERS.settings_models()), Field(discriminator="kind")]


class FormSourceCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: Name
    kind: SourceKind = Field(
        default="web_form", description="who posts its leads: a web form, a CRM (json_api) or a platform"
    )
    platform: PlatformSettingsIn | None = Field(
        default=None, description="a platform source's settings (its kind's); secrets are write-only"
    )
    pool: Label
    step: Label = "new"
    steps: list[Label] = Field(default_factory=list, max_length=20, description="other steps a form may use")
    campaign: Label | None = Field(default=None, description="put every lead from this form into a campaign")
    rate_per_minute: StrictInt = Field(default=60, ge=1, le=6000)
    web_form: FormDoor = Field(default_factory=FormDoor, description="how its web form posts (all optional)")


class CaptchaEdit(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    provider: CaptchaProvider
    site_key: Annotated[str, Field(min_length=1, max_length=256)]
    secret: Annotated[str, Field(min_length=1, max_length=256)] | None = Field(
        default=None, description="write-only; omit to keep the stored secret"
    )
    min_score: float = Field(default=0.5, ge=0.0, le=1.0)
    action: CaptchaAction | None = Field(default=None, description="the action the page declares; checked")
    hostnames: list[Host] = Field(
        default_factory=list,
        max_length=20,
        description="hosts the widget may be solved on; empty: those of allowed_origins",
    )


class FormDoorEdit(BaseModel):
    """The web-form settings to change (the others keep their values); ``captcha: null`` turns it off.

    Only ``thank_you_url`` and ``captcha`` may be null (cleared); the others are a 422 when null, so the
    spec does not offer null for them (``SkipJsonSchema``).
    """

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    field_map: Annotated[dict[FormFieldName, FieldTarget], Field(max_length=30)] | None = omissible()
    allowed_origins: Annotated[list[Origin], Field(max_length=20)] | None = omissible()
    thank_you_url: HttpUrlText | None = None
    redirect_hosts: Annotated[list[Host], Field(max_length=20)] | None = omissible()
    honeypot_field: FormFieldName | None = omissible()
    captcha: CaptchaEdit | None = None
    campaign_map: Annotated[dict[UtmValue, CampaignLabel], Field(max_length=50)] | None = omissible()
    rate_per_ip_per_minute: Annotated[StrictInt, Field(ge=1, le=6000)] | None = omissible()


class FormSourceEdit(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    rev: StrictInt = Field(ge=0, le=10**12, description="the revision you read (409 if it changed since)")
    name: Name | None = omissible()
    step: Label | None = omissible()
    steps: Annotated[list[Label], Field(max_length=20)] | None = omissible()
    campaign: Label | None = None
    rate_per_minute: Annotated[StrictInt, Field(ge=1, le=6000)] | None = omissible()
    active: bool | None = omissible()
    web_form: FormDoorEdit | None = None
    platform: PlatformSettingsIn | None = Field(
        default=None, description="the platform settings, whole; a secret left out keeps its stored value"
    )


@dataclass(frozen=True)
class IssuedSource:
    """A new source with its form key and its secret: the one time either is seen (only hashes are kept)."""

    source: FormSource
    form_key: str
    secret: str


def create_form_source(
    repo: Sources, caller: Caller, body: FormSourceCreate, *, secrets: SecretBox
) -> IssuedSource:
    """A new source, its public form key and its server secret; a CAPTCHA secret is sealed first."""
    secret = new_source_secret()
    source_id = new_id("F")
    data = {
        "tenant_id": caller.tenant_id,
        "source_id": source_id,
        "secret_hash": hash_source_secret(secret),
        **body.model_dump(exclude={"platform"}),
        "platform": _platform(body.kind, body.platform, {}, caller.tenant_id, source_id, secrets),
    }
    captcha = data["web_form"].get("captcha")
    if captcha is not None:
        captcha["secret"] = _seal(secrets, captcha["secret"], caller.tenant_id, data["source_id"])
    source = validated(FormSource, data, "invalid form source")
    key = new_form_key()
    repo.put_form_source(source, hash_form_key(key))
    return IssuedSource(source, key, secret)


def rotate_source_secret(repo: Sources, caller: Caller, source_id: str) -> tuple[FormSource, str]:
    """A new server secret for a source; the old one stops working at once (containers within
    ``SETTINGS_TTL``). Written at the revision read, like any edit."""
    current = repo.get_form_source(caller.tenant_id, source_id)
    if current is None:
        raise NotFound(f"form source {source_id} not found")
    secret = new_source_secret()
    after = current.model_copy(update={"secret_hash": hash_source_secret(secret)})
    return repo.save_form_source(current, after), secret


def edit_form_source(
    repo: Sources, caller: Caller, source_id: str, edit: FormSourceEdit, *, secrets: SecretBox
) -> FormSource:
    """Change what the edit sends; validated as a whole source, written at the revision read.

    A CAPTCHA secret sent is sealed; a kept one stored in clear (before secrets were sealed) is sealed
    now, so every save leaves the source's secret sealed."""
    current = repo.get_form_source(caller.tenant_id, source_id)
    if current is None:
        raise NotFound(f"form source {source_id} not found")
    if edit.rev != current.rev:
        raise Conflict(f"form source {source_id} changed since you read it (rev {current.rev}); reload it")
    data = current.model_dump()
    sent = edit.model_dump(exclude_unset=True, exclude={"rev", "web_form", "platform"})
    data.update(sent)
    if edit.platform is not None:
        data["platform"] = _platform(
            current.kind, edit.platform, current.platform, caller.tenant_id, source_id, secrets
        )
    if edit.web_form is not None:
        door = edit.web_form.model_dump(exclude_unset=True)
        if "captcha" in door and door["captcha"] is not None:
            sent = door["captcha"].get("secret")
            kept = current.web_form.captcha.secret if current.web_form.captcha else None
            if sent:
                door["captcha"]["secret"] = _seal(secrets, sent, caller.tenant_id, source_id)
            elif kept:
                door["captcha"]["secret"] = kept
            else:
                raise InvalidInput(
                    "invalid form source", {"web_form.captcha.secret": "give the provider's secret"}
                )
        data["web_form"] = {**data["web_form"], **door}
    captcha = data["web_form"].get("captcha")
    if captcha is not None and not is_sealed(captcha["secret"]):
        captcha["secret"] = _seal(secrets, captcha["secret"], caller.tenant_id, source_id)
    after = validated(FormSource, data, "invalid form source")
    return repo.save_form_source(current, after)


def _platform(
    kind: SourceKind,
    sent: PlatformSettings | None,
    stored: Mapping[str, Any],
    tenant_id: str,
    source_id: str,
    secrets: SecretBox,
) -> dict[str, Any]:
    """The platform settings as stored: the kind's own model, each secret sent sealed for the source
    (and named), each one left out kept as stored; a source without a secret it needs is refused."""
    model = ADAPTERS.of_kind(kind).settings_model
    if model is None:
        if sent is not None:
            raise InvalidInput(
                "invalid form source", {"platform": f"a {kind} source has no platform settings"}
            )
        return {}
    if sent is None or not isinstance(sent, model):
        raise InvalidInput("invalid form source", {"platform": f"give the settings of a {kind} source"})
    data = sent.model_dump(mode="json", exclude_none=True)
    for name in model.secret_fields:
        if name in data:
            data[name] = _seal_as(secrets, data[name], source_secret_context(tenant_id, source_id, name))
        elif stored.get(name):
            data[name] = stored[name]
    missing = sorted(name for name in sent.secrets_required() if not data.get(name))
    if missing:
        raise InvalidInput("invalid form source", {f"platform.{name}": "give it" for name in missing})
    return data


def _seal(secrets: SecretBox, plaintext: str, tenant_id: str, source_id: str) -> str:
    return _seal_as(secrets, plaintext, captcha_secret_context(tenant_id, source_id))


def _seal_as(secrets: SecretBox, plaintext: str, context: SecretContext) -> str:
    try:
        return secrets.seal(plaintext, context)
    except SecretsUnavailable as error:
        logger.warning(
            "source secret not sealed", extra={"error": str(error), "purpose": str(context.purpose)}
        )
        raise Unavailable("the form source could not be saved right now; try again") from error


def list_form_sources(repo: Sources, caller: Caller) -> list[FormSource]:
    return repo.list_form_sources(caller.tenant_id)


def platform_secret_names(source: FormSource) -> frozenset[str]:
    """The settings of ``source`` that are secrets (never shown)."""
    model = ADAPTERS.of_kind(source.kind).settings_model
    return model.secret_fields if model is not None else frozenset()


class SourceHealthPorts(Sources, SourceHealthNotes, Submissions, LeadReads, Protocol):
    """A source, its health, and its deliveries still open."""


#: Pages of 100 deliveries read per status for a health view at most (a filtered Query reads the
#: source's whole partition; a busy web form's records stay ``received`` once their lead exists).
MAX_PAGES = 10


def source_health(repo: SourceHealthPorts, caller: Caller, source_id: str) -> SourceHealth:
    """The source's health, with its open deliveries counted: pending (stored, not yet a lead: a
    platform's lead waiting to be fetched) and failed (replayable)."""
    if repo.get_form_source(caller.tenant_id, source_id) is None:
        raise NotFound(f"form source {source_id} not found")
    health = repo.source_health(caller.tenant_id, source_id)
    counts = {status: 0 for status in (SubmissionStatus.RECEIVED, SubmissionStatus.FAILED)}
    complete = True
    for status in counts:
        cursor = None
        for _ in range(MAX_PAGES):
            page, cursor = repo.list_submissions(
                caller.tenant_id, statuses=[status], source_id=source_id, limit=100, start=cursor
            )
            counts[status] += sum(1 for r in resolved(repo, page) if r.status is status)
            if cursor is None:
                break
        complete = complete and cursor is None
    return health.model_copy(
        update={
            "pending": counts[SubmissionStatus.RECEIVED],
            "failed": counts[SubmissionStatus.FAILED],
            "counts_complete": complete,
        }
    )
