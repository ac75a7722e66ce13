"""The intake use case: a raw request at the door → its source, its adapter, the limits, the pipeline.

The HTTP layer hands over the request untouched (headers, body bytes, the key in the URL, the client's
address) and answers what comes back in the caller's terms (JSON or pages, CORS). Which adapter reads
the request is the URL's (``via``: the JSON API at ``/intake/leads``) or, at a source's own URL
(``/f/{key}``), its source's ``kind``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from leadrouter.captcha import verify as verify_captcha
from leadrouter.data.outages import store_outages
from leadrouter.domain.errors import InvalidInput, StoreUnavailable, Unavailable
from leadrouter.domain.forms import PLATFORM_KINDS, FormSource, SourceKind
from leadrouter.domain.keys import MAX_FORM_KEY_CHARS, hash_form_key
from leadrouter.domain.secrets import NO_SECRETS, SecretBox, SecretsUnavailable, SecretUnreadable
from leadrouter.logic.intake.adapters import ADAPTERS, Adapters
from leadrouter.logic.intake.adapters.base import (
    Decoded,
    DoorRequest,
    NotAuthenticated,
    Reply,
    SourceSecrets,
    Verifier,
    refused,
)
from leadrouter.logic.intake.fetch_requests import NO_FETCHES, FetchRequests
from leadrouter.logic.intake.limits import DoorLimits
from leadrouter.logic.intake.outcomes import Outcome
from leadrouter.logic.intake.overflow import OverflowQueue
from leadrouter.logic.intake.pipeline import IntakePorts, receive
from leadrouter.logic.ports import SourceHealthNotes, Sources
from leadrouter.observability import logger


class ReceptionPorts(IntakePorts, Sources, SourceHealthNotes, Protocol):
    """The source a request names, and the intake it goes through."""


#: A door that names no adapter reads the body as a web form until the source's kind is known.
DEFAULT_KIND: SourceKind = "web_form"


@dataclass(frozen=True)
class Refusal:
    """A request refused before or after it was stored: the status, why, and per field."""

    status: int
    message: str
    problems: Mapping[str, str] = field(default_factory=dict)
    #: Seconds to wait before retrying (``Retry-After``), for 429 and 503.
    retry_after: int | None = None


@dataclass(frozen=True)
class Taken:
    """What the door answers: the outcome, or a refusal; ``source`` once the key named one."""

    source: FormSource | None
    outcome: Outcome | None = None
    refusal: Refusal | None = None
    #: The sender proved to be the source's own server: it is answered the lead, not a receipt.
    trusted: bool = False
    #: A platform's answer once stored (its adapter's ``acknowledgement``), instead of the door's own.
    reply: Reply | None = None


def take(
    repo: ReceptionPorts,
    limits: DoorLimits,
    request: DoorRequest,
    now: datetime,
    *,
    secrets: SecretBox = NO_SECRETS,
    verifier: Verifier = verify_captcha,
    adapters: Adapters = ADAPTERS,
    fetches: FetchRequests = NO_FETCHES,
    overflow: OverflowQueue | None = None,
) -> Taken:
    """Find the source, let its adapter authenticate and read the request, limit it, then store it
    first and decide (``pipeline.receive``). Every request with a valid key is stored, an unreadable
    one too (then refused as it was sent), but a platform's event that is never a lead (no arrival).
    One whose writes are throttled after its screen passed waits on ``overflow`` instead."""
    reader = adapters.of_kind(request.via or DEFAULT_KIND)
    decoded: Decoded | None = None
    key = request.path_key
    if key is None:  # in a header or the body: read as the door's adapter reads it
        decoded = reader.decode(request)
        key = reader.form_key(request, decoded)
    try:
        source = find_source(repo, key)
    except Unavailable as error:  # nothing stored yet: the sender retries
        return Taken(None, refusal=Refusal(503, str(error), retry_after=error.retry_after))
    if source is None or key is None:
        message = "missing form key" if not key else "unknown or disabled form key"
        return Taken(None, refusal=Refusal(401, message, {"form_key": message}))
    if request.platforms_only and source.kind not in PLATFORM_KINDS:
        message = "not a platform source's URL: a web form or a CRM posts to /f/{form_key}"
        return Taken(None, refusal=Refusal(404, message, {"form_key": message}))
    adapter = adapters.of_kind(request.via or source.kind)
    try:
        trusted = adapter.authenticate(source, request, SourceSecrets(secrets, source))
    except NotAuthenticated as error:
        _record_refusal(repo, source, error, now)
        return Taken(source, refusal=Refusal(401, str(error), {error.field: str(error)}))
    except (SecretsUnavailable, SecretUnreadable) as error:
        return Taken(source, refusal=_no_secret(source, error))
    if decoded is None or adapter is not reader:
        decoded = adapter.decode(request)
    arrivals = [adapter.as_configured(source, a) for a in adapter.arrivals(request, decoded, form_key=key)]
    acknowledgement = adapter.acknowledgement()
    if not arrivals and acknowledgement is not None:  # a platform's event that is never a lead
        return Taken(source, trusted=trusted, reply=acknowledgement)
    # Every sender is limited per IP, but the source's own server: a CRM posts from one address and is
    # held to the source's budget alone.
    wait = limits.admit(source, request.client_ip, now, ip_limited=not trusted)
    if wait is not None:
        return Taken(
            source, refusal=Refusal(429, "too many submissions; try again shortly", retry_after=wait)
        )
    outcome: Outcome | None = None
    try:
        for arrival in arrivals:  # a platform may batch several
            outcome = receive(
                repo,
                source,
                arrival,
                now,
                verifier=verifier,
                secrets=secrets,
                adapters=adapters,
                fetches=fetches,
                overflow=overflow,
            )
    except InvalidInput as error:
        return Taken(source, refusal=Refusal(422, str(error), error.fields), trusted=trusted)
    except Unavailable as error:
        return Taken(source, refusal=Refusal(503, str(error), retry_after=error.retry_after), trusted=trusted)
    if acknowledgement is not None:  # a platform: stored is all it needs to hear
        _note_delivery(repo, source, now)
        return Taken(source, outcome=outcome, trusted=trusted, reply=acknowledgement)
    assert outcome is not None  # a form's request is one arrival
    if decoded.failure is not None:  # stored as sent, refused as it was
        failure = decoded.failure
        refusal = Refusal(failure.status, failure.message, {failure.field: failure.message})
        return Taken(source, refusal=refusal, trusted=trusted)
    return Taken(source, outcome=outcome, trusted=trusted)


def handshake(
    repo: Sources, request: DoorRequest, *, secrets: SecretBox = NO_SECRETS, adapters: Adapters = ADAPTERS
) -> Reply:
    """A GET at a source's URL: its platform verifying the subscription (Meta), else not answered."""
    try:
        source = find_source(repo, request.path_key)
    except Unavailable as error:
        return refused(503, str(error))
    if source is None:
        return refused(404, "unknown or disabled form key", "form_key")
    try:
        return adapters.of_kind(source.kind).handshake(source, request, SourceSecrets(secrets, source))
    except (SecretsUnavailable, SecretUnreadable) as error:
        return refused(503, _no_secret(source, error).message)


def _record_refusal(
    repo: SourceHealthNotes, source: FormSource, error: NotAuthenticated, now: datetime
) -> None:
    """A platform delivery refused for its signature or key is counted on the source's health (the
    admin sees a misconfigured secret, or someone knocking); a failing count never hides the 401."""
    if source.kind not in PLATFORM_KINDS:
        return
    try:
        with store_outages():
            repo.note_source_refusal(source, f"{error.field}: {error}", now)
    except StoreUnavailable:
        logger.warning("source refusal not counted", extra={"source": source.source_id})


def _note_delivery(repo: SourceHealthNotes, source: FormSource, now: datetime) -> None:
    """The source's last delivery, for its health; the delivery is stored, so a failing note is
    logged, never answered as a failure (the platform would send it again for nothing)."""
    try:
        with store_outages():
            repo.note_source_delivery(source, now)
    except StoreUnavailable:
        logger.warning("source delivery not noted", extra={"source": source.source_id})


def _no_secret(source: FormSource, error: Exception) -> Refusal:
    """The source's secret could not be opened: a key outage (retry) or a secret to set again."""
    logger.error(
        "source secret not opened: set the source's secret again if this lasts",
        extra={"tenant_id": source.tenant_id, "source_id": source.source_id, "error": str(error)},
    )
    return Refusal(503, "this source cannot check its senders right now; try again", retry_after=30)


def find_source(repo: Sources, key: str | None) -> FormSource | None:
    """The active source this key opens; None for no key, an unknown or a disabled one.

    ``Unavailable`` when the config table does not answer (throttled, down): nothing was stored.
    """
    if not key or len(key) > MAX_FORM_KEY_CHARS:
        return None
    try:
        with store_outages():
            source = repo.form_source_by_key_hash(hash_form_key(key))
    except StoreUnavailable as error:
        raise Unavailable("this form cannot take submissions right now; try again") from error
    return source if source is not None and source.active else None
