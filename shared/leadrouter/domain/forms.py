"""How a web form posts into a source: its own field names, who may post, where the visitor goes next.

Everything a landing page, WordPress plugin or hand-made form needs to send a lead without JavaScript.
A form key is public (it sits in the page's HTML), so nothing here lets a form choose more than its
admin allowed: field names map only onto name/phone/email, a campaign only through ``campaign_map``,
a redirect only to ``redirect_hosts``.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictInt, WithJsonSchema

from leadrouter.domain.base import Ident, Label, Name, _Model
from leadrouter.domain.secrets import given_within
from leadrouter.domain.text import LABEL_PATTERN, accepted_text, check_label

#: What a form field may stand for on the lead.
FieldTarget = Literal["name", "phone", "email"]
#: A form's own field name (``ho_ten``, ``your-email``): what its HTML says, bounded.
FormFieldName = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[^\x00-\x1f\x7f]+$")]
CaptchaProvider = Literal["turnstile", "hcaptcha", "recaptcha_v3"]
#: Who sends a source's leads, which says how its requests are read (``logic.intake.adapters``, one
#: adapter each): ``web_form`` a page's form (and the servers posting for it); ``json_api`` a server
#: speaking the typed intake request; the others an ad platform's or another system's lead webhook.
SourceKind = Literal[
    "web_form", "json_api", "meta_lead_ads", "google_ads", "tiktok", "zalo_oa", "ladipage", "json_webhook"
]
#: The kinds whose senders are platforms posting webhooks (answered 200 once stored), not pages.
PLATFORM_KINDS: frozenset[str] = frozenset(
    {"meta_lead_ads", "google_ads", "tiktok", "zalo_oa", "ladipage", "json_webhook"}
)
DEFAULT_HONEYPOT = "_gotcha"

#: Field names forms and plugins commonly use, understood without any mapping (Contact Form 7's
#: ``your-name``, Vietnamese ``ho_ten``/``so_dien_thoai``...). A source's ``field_map`` adds to these.
DEFAULT_ALIASES: dict[str, FieldTarget] = {
    "name": "name",
    "full_name": "name",
    "fullname": "name",
    "your-name": "name",
    "ho_ten": "name",
    "hoten": "name",
    "ho_va_ten": "name",
    "phone": "phone",
    "phone_number": "phone",
    "tel": "phone",
    "mobile": "phone",
    "your-phone": "phone",
    "your-tel": "phone",
    "so_dien_thoai": "phone",
    "sodienthoai": "phone",
    "sdt": "phone",
    "dien_thoai": "phone",
    "email": "email",
    "your-email": "email",
    "e-mail": "email",
}

#: URL grammar shared by the validators and the OpenAPI patterns (one source of truth). Printable ASCII
#: only: no whitespace, no control characters, no backslash (browsers read it as '/'), no user info.
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOST_NAME = rf"{_LABEL}(?:\.{_LABEL})*"
_PORT = r"(?::(?:6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3}))?"
#: https for any host; plain http only for this machine (a developer's page), never over the internet.
_SCHEME_AND_HOST = rf"(?:https://{_HOST_NAME}|http://(?:localhost|127\.0\.0\.1|\[::1\]))"
ORIGIN_PATTERN = rf"^{_SCHEME_AND_HOST}{_PORT}/?$"
URL_PATTERN = rf"^{_SCHEME_AND_HOST}{_PORT}(?:[/?#][!-\[\]-~]*)?$"
HOST_PATTERN = rf"^{_HOST_NAME}$"
_ORIGIN = re.compile(ORIGIN_PATTERN)
_URL = re.compile(URL_PATTERN)
_HOST = re.compile(HOST_PATTERN)
_LOCAL_RULE = "https, or http only for localhost, 127.0.0.1 or [::1]"


def _origin(value: str) -> str:
    if value == "*":
        return value
    if not _ORIGIN.fullmatch(value):
        raise ValueError(
            f"an origin is scheme://host[:port], e.g. https://landing.example.vn ({_LOCAL_RULE})"
        )
    return value.lower().rstrip("/")


def _host(value: str) -> str:
    if not _HOST.fullmatch(value):
        raise ValueError("a host name, e.g. landing.example.vn")
    return value.lower()


def _http_url(value: str) -> str:
    if not _URL.fullmatch(value):
        raise ValueError(
            f"an absolute URL ({_LOCAL_RULE}) without spaces, control characters, backslashes, user "
            "names or non-ASCII characters (percent-encode them), e.g. https://landing.example.vn/cam-on"
        )
    return value


Origin = Annotated[
    str,
    Field(max_length=300, json_schema_extra={"anyOf": [{"pattern": ORIGIN_PATTERN}, {"const": "*"}]}),
    AfterValidator(_origin),
]
Host = Annotated[
    str, Field(max_length=253, json_schema_extra={"pattern": HOST_PATTERN}), AfterValidator(_host)
]
HttpUrlText = Annotated[
    str, Field(max_length=2048, json_schema_extra={"pattern": URL_PATTERN}), AfterValidator(_http_url)
]
#: A value of ``utm_campaign`` as ad platforms send it (any text, bounded).
UtmValue = Annotated[str, Field(min_length=1, max_length=256)]
#: A campaign as admins name it (the models' ``Label``; not imported, models import this module).
CampaignLabel = Annotated[
    str,
    Field(min_length=1, max_length=64),
    AfterValidator(check_label),
    accepted_text(LABEL_PATTERN, 64),
]
#: A CAPTCHA action as a page declares it (reCAPTCHA v3 ``execute(..., {action})``, Turnstile
#: ``data-action``): letters, digits, ``_``, ``-`` and ``/``.
CaptchaAction = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_/-]+$")]


#: A provider's secret as an admin gives it; stored sealed (``domain.secrets``), which is longer.
MAX_CAPTCHA_SECRET = 256


CaptchaSecret = Annotated[
    str,
    Field(min_length=1, max_length=4096),
    AfterValidator(given_within(MAX_CAPTCHA_SECRET)),
    WithJsonSchema({"type": "string", "minLength": 1, "maxLength": MAX_CAPTCHA_SECRET, "writeOnly": True}),
]


class CaptchaSettings(BaseModel):
    """Server-side CAPTCHA check for a source. ``secret`` is write-only: sealed for the source before
    it is stored, opened only to verify a token, never listed or returned."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    provider: CaptchaProvider
    site_key: Annotated[str, Field(min_length=1, max_length=256)]
    secret: CaptchaSecret = Field(repr=False)
    #: reCAPTCHA v3 only: scores below this are refused (Google suggests 0.5).
    min_score: float = Field(default=0.5, ge=0.0, le=1.0)
    #: Turnstile and reCAPTCHA v3: the action the page declares (the snippet's v3 script uses
    #: ``submit``); a token minted for another action is refused. None: not checked.
    action: CaptchaAction | None = None
    #: Hosts the widget may be solved on (the provider's answer names it). Empty: the hosts of the
    #: source's ``allowed_origins``; with neither, not checked.
    hostnames: list[Host] = Field(default_factory=list, max_length=20)


class CaptchaView(BaseModel):
    """A source's CAPTCHA settings as the API shows them (the secret stays server-side)."""

    provider: CaptchaProvider
    site_key: str
    min_score: float
    action: str | None = None
    hostnames: list[str] = Field(default_factory=list)


class FormDoor(BaseModel):
    """A form source's web-form settings (all optional; defaults work for a plain HTML form)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    #: The form's own field names → what they are on the lead (added to ``DEFAULT_ALIASES``).
    field_map: dict[FormFieldName, FieldTarget] = Field(default_factory=dict, max_length=30)
    #: Origins whose pages may post here (and read the answer, CORS). Empty: any (server-to-server).
    allowed_origins: list[Origin] = Field(default_factory=list, max_length=20)
    #: Where a browser goes after a successful post (303); else a built-in thank-you page.
    thank_you_url: HttpUrlText | None = None
    #: Hosts a form's own ``_next`` redirect may point at; any other target is ignored.
    redirect_hosts: list[Host] = Field(default_factory=list, max_length=20)
    #: A field humans never see; a bot that fills it is answered like a success and stored as spam.
    honeypot_field: FormFieldName = DEFAULT_HONEYPOT
    captcha: CaptchaSettings | None = None
    #: ``utm_campaign`` values that put a lead into one of the admin's campaigns. Unmapped values
    #: are only attribution: a public form must not pick a campaign rule by what it sends.
    campaign_map: dict[UtmValue, CampaignLabel] = Field(default_factory=dict, max_length=50)
    #: Posts per minute from one client IP (IPv6: one /64) to this source, checked first on every post.
    rate_per_ip_per_minute: StrictInt = Field(default=10, ge=1, le=6000)

    def captcha_hostnames(self) -> list[str]:
        """Hosts a CAPTCHA token must have been solved on: the set ones, else the allowed origins'."""
        if self.captcha is None or self.captcha.hostnames:
            return list(self.captcha.hostnames) if self.captcha else []
        hosts = (urlsplit(origin).hostname for origin in self.allowed_origins if "://" in origin)
        return sorted({host for host in hosts if host})

    def target_of(self, field: str) -> FieldTarget | None:
        """What a posted field stands for (the source's map first, then the common aliases)."""
        return self.field_map.get(field) or DEFAULT_ALIASES.get(field.lower())

    def label_of(self, target: str) -> str:
        """The form's own name for ``target`` (for error pages in the form's wording)."""
        return next((name for name, to in self.field_map.items() if to == target), target)


class FormSource(_Model):
    """A web form or CRM that posts leads into one data pool with a public (non-secret) form key."""

    tenant_id: Ident
    source_id: Ident
    name: Name
    #: How its own URL (``/f/{key}``) reads a request; ``POST /intake/leads`` is the typed JSON API
    #: for every kind.
    kind: SourceKind = "web_form"
    pool: Label
    step: Label = "new"
    #: Other steps a form may ask for (its ``step`` field); any other step is refused, so a public form
    #: key can only route leads into scopes its admin chose.
    steps: list[Label] = Field(default_factory=list, max_length=20)
    #: Set by the admin (an ad campaign's form); a form cannot pick a campaign, or a rule, itself.
    campaign: Label | None = None
    #: Posts per calendar minute to this source from all its senders, counted across containers.
    rate_per_minute: StrictInt = Field(default=60, ge=1, le=6000)
    active: bool = True
    #: How its web form posts: field names, origins, thank-you page, honeypot, CAPTCHA, campaigns.
    web_form: FormDoor = Field(default_factory=FormDoor)
    #: A platform source's own settings, as its adapter's settings model checks them (secrets sealed).
    platform: dict[str, Any] = Field(default_factory=dict)
    #: SHA-256 of the source's secret (``domain.keys``): with it, a server is answered the lead's id and
    #: status; with the public key alone, only a receipt. None: no secret issued yet (rotate to get one).
    secret_hash: str | None = Field(default=None, repr=False, pattern=r"^[0-9a-f]{64}$")
    #: Bumped by every edit; an edit is conditioned on the revision it read.
    rev: int = 0
