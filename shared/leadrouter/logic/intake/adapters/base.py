"""The one interface every source type implements: what differs between senders, and nothing more.

An adapter authenticates a request, decodes it, names the sender's own id (idempotency), screens it
(a web form's origin, honeypot and CAPTCHA) and maps it to the one ``IntakeRequest``. Storing first,
repeats, conflicts, duplicate linking and the lead are shared (``logic.intake.pipeline``). A record
names the adapter that read it (its ``channel``), so a replay maps it the same way.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any, ClassVar, Literal, Protocol

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, WithJsonSchema

from leadrouter.captcha import Verdict
from leadrouter.domain.attribution import Touch
from leadrouter.domain.errors import InvalidInput, LeadRouterError
from leadrouter.domain.forms import FormSource, SourceKind
from leadrouter.domain.secrets import SecretBox, given_within, reveal, source_secret_context
from leadrouter.domain.submissions import Channel, Check, CheckResult, Submission
from leadrouter.logic.intake.adapters.bodies import BodyError, FormBody
from leadrouter.logic.intake.new_leads import IntakeRequest

#: Checks a CAPTCHA token with its provider: ``(provider, secret, token, client_ip, **options)``.
Verifier = Callable[..., Verdict]


@dataclass(frozen=True)
class DoorRequest:
    """A request as the HTTP layer hands it over: nothing decided, nothing looked up."""

    #: Header names lower-cased.
    headers: Mapping[str, str]
    #: The body's bytes; None when the transport could not even give them (a non-UTF-8 text body).
    body: bytes | None
    client_ip: str | None = None
    #: The source's key when the URL carries it (``/f/{key}``).
    path_key: str | None = None
    #: The adapter the URL names (``/intake/leads``: the JSON API); None: the source's own kind.
    via: SourceKind | None = None
    #: The query string's parameters (a platform's subscription handshake is a GET with them).
    query: Mapping[str, str] = field(default_factory=dict)
    #: A platform's webhook URL (``/hooks/{key}``): only a platform source's key opens it.
    platforms_only: bool = False


@dataclass(frozen=True)
class Decoded:
    """A body as an adapter decoded it: the body, or why it could not be read (kept for the record)."""

    body: FormBody | None
    failure: BodyError | None = None


class NotAuthenticated(LeadRouterError):
    """The request does not prove it may post to the source (HTTP 401); ``field`` names what failed."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Arrival:
    """One request at a source's door, as its adapter decoded it (before anything is decided)."""

    channel: Channel
    #: The decoded body as (name, value) pairs; a typed JSON body is one pair ``("json", text)``.
    pairs: tuple[tuple[str, str], ...]
    content_type: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    client_ip: str | None = None
    origin: str | None = None
    referer: str | None = None
    #: ``Idempotency-Key`` header, if sent.
    sender_id: str | None = None
    #: Why the body could not be read (then ``pairs`` holds what there was, for the record).
    malformed: str | None = None
    #: Values never stored, wherever the body holds them (the form key the request came with).
    secrets: tuple[str, ...] = ()


@dataclass(frozen=True)
class HeldParts:
    """Parts of a submission its sender posted ahead of it, which the door held (``Screening`` ``held``):
    each record still held under one of ``sender_ids`` and received since ``since`` is linked to this
    submission's lead instead of ever becoming a lead of its own."""

    sender_ids: tuple[str, ...]
    since: datetime


@dataclass(frozen=True)
class Screening:
    """What an adapter's screen said: let in (``passed``), spam, refused, or its checker was down."""

    #: ``test``: a platform's test delivery, kept and never a lead; ``fetch``: the lead is to be read
    #: from the platform first (the record waits, ``received``, for the fetch worker); ``held``: a part
    #: sent ahead of its submission (a form left half-filled), kept and not a lead unless nothing
    #: completes it.
    verdict: Literal["passed", "spam", "refused", "unavailable", "test", "fetch", "held"]
    checks: dict[Check, CheckResult]
    #: For ``refused``: field → what is wrong, the HTTP status and the stored reason.
    problems: Mapping[str, str] = field(default_factory=dict)
    http_status: int = 422
    reason: str = ""
    #: For ``unavailable``: what the sender is told (it retries).
    message: str = ""
    #: For ``passed``: the held parts this submission completes (linked to its lead once it is made).
    completes: HeldParts | None = None
    #: For ``held``: when the part becomes a lead on its own if nothing has completed it (None: never,
    #: it waits for an admin).
    release_at: datetime | None = None


@dataclass(frozen=True)
class Reply:
    """What a platform's webhook is answered: its own status and body, not a page or a receipt."""

    status: int
    body: str = ""
    content_type: str = "text/plain; charset=utf-8"


#: What a platform is told once its delivery is stored, whatever it becomes: it keeps no copy to
#: fix, so a rejection is the admin's to see (listed, replayable), not the sender's to retry.
STORED = Reply(200, '{"ok":true}', "application/json")


def refused(status: int, message: str, field: str = "body") -> Reply:
    """A refusal in the API's error shape (``{"message", "errors": [{"field", "message"}]}``)."""
    body = json.dumps({"message": message, "errors": [{"field": field, "message": message}]})
    return Reply(status, body, "application/json")


#: A GET at a source's URL that the source's kind does not answer (only Meta's handshake is a GET).
NO_HANDSHAKE = refused(404, "this source has no subscription handshake: it takes POST only")

#: A secret as an admin gives it; stored sealed, which is longer.
MAX_PLATFORM_SECRET = 1024


#: A platform credential (app secret, page token, webhook key): write-only, sealed before it is stored.
PlatformSecret = Annotated[
    str,
    Field(min_length=1, max_length=8192),
    AfterValidator(given_within(MAX_PLATFORM_SECRET)),
    WithJsonSchema({"type": "string", "minLength": 1, "maxLength": MAX_PLATFORM_SECRET, "writeOnly": True}),
]


class PlatformSettings(BaseModel):
    """A platform source's settings, one model per kind (its ``kind`` names it). The fields listed in
    ``secret_fields`` are write-only: sealed for the source before they are stored, never shown; one
    left out of an edit keeps its stored value."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    secret_fields: ClassVar[frozenset[str]] = frozenset()
    #: Secrets without which the source cannot work (asked for when it is created).
    required_secrets: ClassVar[frozenset[str]] = frozenset()

    def secrets_required(self) -> frozenset[str]:
        """The secrets these settings cannot work without: ``required_secrets``, or more when a
        setting asks for one (an optional signature check needs its secret once it is turned on)."""
        return self.required_secrets


class PlatformHttp(Protocol):
    """Reads from a platform's API (``data.platform_http``; the base URL per platform is configured)."""

    def get_json(self, platform: str, path: str, params: Mapping[str, str]) -> tuple[int, Any]:
        """``GET <platform's base URL><path>?params``: the status and the JSON body (None if not JSON);
        ``FetchFailed`` when no answer came (refused connection, timeout)."""
        ...


class SourceSecrets:
    """A source's sealed secrets, opened only when an adapter asks (``SecretUnreadable`` or
    ``SecretsUnavailable`` when one cannot be had)."""

    def __init__(self, box: SecretBox, source: FormSource) -> None:
        self._box = box
        self._source = source

    def get(self, name: str) -> str | None:
        stored = self._source.platform.get(name)
        if not isinstance(stored, str) or not stored:
            return None
        context = source_secret_context(self._source.tenant_id, self._source.source_id, name)
        return reveal(self._box, stored, context)


class SourceAdapter(Protocol):
    """One source type's side of intake (``logic.intake.adapters`` keeps them by kind)."""

    @property
    def kind(self) -> SourceKind: ...

    @property
    def channel(self) -> Channel: ...

    @property
    def settings_model(self) -> type[PlatformSettings] | None:
        """The settings a source of this kind keeps (None: the web form's own)."""
        ...

    def decode(self, request: DoorRequest) -> Decoded:
        """The body, or why it cannot be read (never raises: an unreadable body is stored too)."""
        ...

    def form_key(self, request: DoorRequest, decoded: Decoded) -> str | None:
        """The source's key, wherever this kind of sender puts it."""
        ...

    def authenticate(self, source: FormSource, request: DoorRequest, secrets: SourceSecrets) -> bool:
        """True when the sender proved to be the source's own server (it is answered the lead);
        False for a public sender; ``NotAuthenticated`` when a credential it sent is wrong. Runs
        before the body is read: a signature is checked on the bytes as they came."""
        ...

    def handshake(self, source: FormSource, request: DoorRequest, secrets: SourceSecrets) -> Reply:
        """A GET at the source's URL (a platform verifying a subscription)."""
        ...

    def acknowledgement(self) -> Reply | None:
        """What a stored delivery is answered (a platform's 200); None: the door's own answers."""
        ...

    def arrivals(self, request: DoorRequest, decoded: Decoded, *, form_key: str) -> list[Arrival]:
        """The request as the pipeline stores it (``form_key`` is never stored): one arrival, or one
        per delivery when a platform batches several in one request (Meta's ``changes``), or none for
        a platform's event that can never be a lead (a chat message, a follow): answered, not stored."""
        ...

    def as_configured(self, source: FormSource, arrival: Arrival) -> Arrival:
        """The arrival as its source's settings read it, before it is stored: a sender id or a secret
        field that the settings name (a generic webhook's); most kinds return it unchanged."""
        ...

    def sender_id(self, arrival: Arrival) -> str | None:
        """The sender's own id for this submission (idempotency), if it gave one."""
        ...

    def stored_fields(self, arrival: Arrival) -> tuple[tuple[str, str], ...]:
        """The body as stored: every secret (keys, one-time tokens) taken out."""
        ...

    def unscreened(self, source: FormSource) -> dict[Check, CheckResult]:
        """The checks a new record starts with: ``NOT_RUN`` for each the screen will run, else ``OFF``."""
        ...

    def screen(
        self,
        source: FormSource,
        record: Submission,
        arrival: Arrival,
        verifier: Verifier,
    ) -> Screening:
        """Checks that need the live request (a replay cannot run them again)."""
        ...

    def intake_request(
        self, record: Submission, source: FormSource, referer: str | None, now: datetime
    ) -> tuple[IntakeRequest, Touch | None]:
        """The stored record as the one intake request and its marketing touch; ``InvalidInput`` if
        it cannot become a lead as sent."""
        ...

    def needs_fetch(self, record: Submission) -> bool:
        """True while the record only announces its lead (Meta): the lead is fetched, not mapped."""
        ...

    def fetch(
        self, source: FormSource, record: Submission, http: PlatformHttp, secrets: SourceSecrets
    ) -> tuple[tuple[str, str], ...]:
        """The fields to add to the record, read from the platform (``FetchRefused``, ``FetchFailed``)."""
        ...


def validated_request(data: dict[str, Any], labels: Mapping[str, str]) -> IntakeRequest:
    """``data`` as an intake request; problems named as the sender named its fields (``labels``)."""
    try:
        return IntakeRequest.model_validate(data)
    except ValidationError as error:
        problems: dict[str, str] = {}
        for problem in error.errors():
            loc = [str(p) for p in problem["loc"]] or ["body"]
            name = labels.get(loc[0], loc[0]) or "(empty field name)"  # {"": …}: stored as a map key
            if loc[0] == "email" and "phone or an email" in problem["msg"]:
                name = " / ".join(labels.get(k, k) for k in ("phone", "email"))
            problems[".".join([name, *loc[1:]])] = problem["msg"].removeprefix("Value error, ")
        raise InvalidInput("this submission cannot become a lead as sent", problems) from error
