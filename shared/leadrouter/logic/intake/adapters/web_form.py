"""Web forms: what a page's ``<form>`` (or ``fetch``) posts, in any of a browser's encodings.

The key is public (it sits in the page), so it comes in the URL (``/f/{key}``), in ``X-Form-Key`` or
in a hidden ``form_key`` field; a server posting for the form proves itself with the source's secret
(``X-Source-Secret``). Fields map through the source's ``field_map`` and the common aliases; a flat JSON
object maps like a form. A page's request is screened before it can become a lead: its origin against
the source's ``allowed_origins``, the honeypot field, and the CAPTCHA token with its provider.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime

from leadrouter.captcha import TOKEN_FIELDS
from leadrouter.domain.attribution import ATTRIBUTION_FIELDS, Touch, touch_from
from leadrouter.domain.consent import form_answers
from leadrouter.domain.forms import FormSource, SourceKind
from leadrouter.domain.keys import source_secret_matches
from leadrouter.domain.mapping import flatten_json, map_form
from leadrouter.domain.spam import ANY_ORIGIN, honeypot_hit, origin_allowed
from leadrouter.domain.submissions import (
    REDACTED,
    Channel,
    Check,
    CheckResult,
    Submission,
    kept_headers,
    without_secrets,
)
from leadrouter.logic.intake.adapters.base import (
    NO_HANDSHAKE,
    Arrival,
    Decoded,
    DoorRequest,
    NotAuthenticated,
    PlatformHttp,
    PlatformSettings,
    Reply,
    Screening,
    SourceSecrets,
    Verifier,
    validated_request,
)
from leadrouter.logic.intake.adapters.bodies import BodyError, FormBody, decode_body
from leadrouter.logic.intake.new_leads import IntakeRequest

FORM_KEY_FIELD = "form_key"
KEY_HEADER = "x-form-key"
SECRET_HEADER = "x-source-secret"  # noqa: S105 (a header name)
#: How much of an unreadable body is kept with its submission record (to see what a sender sent).
KEPT_RAW = 2000
#: Fields never stored with a submission, whatever the encoding (and at any depth of a JSON body):
#: the key, and one-time CAPTCHA tokens.
SECRET_FIELDS = frozenset({FORM_KEY_FIELD, *TOKEN_FIELDS.values()})
#: A secret field in an unreadable body kept as text: ``name=value`` (urlencoded), ``"name": "value"``
#: (JSON) or a multipart part named so (its headers, a blank line, the value).
_RAW_SECRET = re.compile(
    r"(?i)((?:" + "|".join(re.escape(n) for n in sorted(SECRET_FIELDS)) + r")"
    r"(?:=|\"\s*:\s*\"|\"[^\r\n]*(?:\r?\n[^\r\n]+)*\r?\n\r?\n))[^&\"\r\n]*"
)
#: How long a visitor waits on the CAPTCHA provider before the submission is "failed, retry" (503).
CAPTCHA_TIMEOUT_SECONDS = 3.0


class WebFormAdapter:
    """A page's form: urlencoded, multipart or a flat JSON object, screened for bots and other sites."""

    kind: SourceKind = "web_form"
    channel: Channel = "form"
    settings_model: type[PlatformSettings] | None = None

    def decode(self, request: DoorRequest) -> Decoded:
        if request.body is None:
            return Decoded(None, BodyError(400, "the body could not be read"))
        try:
            return Decoded(decode_body(request.headers.get("content-type"), request.body))
        except BodyError as error:
            return Decoded(None, error)

    def form_key(self, request: DoorRequest, decoded: Decoded) -> str | None:
        return request.path_key or request.headers.get(KEY_HEADER) or _key_field(decoded.body)

    def authenticate(self, source: FormSource, request: DoorRequest, secrets: SourceSecrets) -> bool:
        secret = request.headers.get(SECRET_HEADER)
        if secret is not None and not source_secret_matches(secret, source.secret_hash):
            raise NotAuthenticated("wrong source secret", "X-Source-Secret")
        return secret is not None

    def handshake(self, source: FormSource, request: DoorRequest, secrets: SourceSecrets) -> Reply:
        return NO_HANDSHAKE

    def acknowledgement(self) -> Reply | None:
        return None

    def arrival(self, request: DoorRequest, decoded: Decoded, *, form_key: str) -> Arrival:
        arrival = bare_arrival(request, "form", form_key)
        body = decoded.body
        if body is None:
            raw = (request.body or b"")[:KEPT_RAW]
            text = raw.decode("utf-8", errors="replace").replace("\x00", "\ufffd")
            message = decoded.failure.message if decoded.failure else "unreadable body"
            return replace(arrival, pairs=(("raw", text),), malformed=message)
        pairs = tuple(flatten_json(body.data or {})) if body.kind == "json" else body.pairs
        return replace(arrival, pairs=pairs)

    def arrivals(self, request: DoorRequest, decoded: Decoded, *, form_key: str) -> list[Arrival]:
        return [self.arrival(request, decoded, form_key=form_key)]

    def needs_fetch(self, record: Submission) -> bool:
        return False

    def fetch(
        self, source: FormSource, record: Submission, http: PlatformHttp, secrets: SourceSecrets
    ) -> tuple[tuple[str, str], ...]:
        raise NotImplementedError("a form's submission carries its lead")

    def as_configured(self, source: FormSource, arrival: Arrival) -> Arrival:
        return arrival

    def sender_id(self, arrival: Arrival) -> str | None:
        return arrival.sender_id or next(
            (v.strip() for k, v in arrival.pairs if k == "submission_id" and v.strip()), None
        )

    def stored_fields(self, arrival: Arrival) -> tuple[tuple[str, str], ...]:
        """No form key or CAPTCHA token, by name at any depth, nor the key's value."""
        secrets = tuple(s for s in arrival.secrets if s)
        pairs: list[tuple[str, str]] = []
        for name, value in arrival.pairs:
            if name.lower() in SECRET_FIELDS:
                continue
            kept = self._stored_value(name, value, arrival, secrets)
            pairs.append(
                (without_secrets(name, SECRET_FIELDS, secrets), without_secrets(kept, SECRET_FIELDS, secrets))
            )
        return tuple(pairs)

    def _stored_value(self, name: str, value: str, arrival: Arrival, secrets: tuple[str, ...]) -> str:
        if arrival.malformed:
            return _RAW_SECRET.sub(lambda m: m.group(1) + REDACTED, value)
        return value

    def unscreened(self, source: FormSource) -> dict[Check, CheckResult]:
        door = source.web_form
        origin_on = bool(door.allowed_origins) and ANY_ORIGIN not in door.allowed_origins
        return {
            Check.ORIGIN: CheckResult.NOT_RUN if origin_on else CheckResult.OFF,
            Check.HONEYPOT: CheckResult.NOT_RUN,
            Check.CAPTCHA: CheckResult.NOT_RUN if door.captcha is not None else CheckResult.OFF,
        }

    def screen(
        self, source: FormSource, record: Submission, arrival: Arrival, verifier: Verifier
    ) -> Screening:
        """Origin, honeypot, CAPTCHA, in that order; each result kept for the record."""
        door = source.web_form
        checks = dict(record.checks)
        allowed = origin_allowed(arrival.origin, arrival.referer, door.allowed_origins)
        if checks.get(Check.ORIGIN) is not CheckResult.OFF:
            checks[Check.ORIGIN] = CheckResult.PASSED if allowed else CheckResult.FAILED
        if not allowed:
            problem = {"origin": "this page may not post to this form"}
            return Screening("refused", checks, problem, 403, "origin")
        if honeypot_hit(record.fields, door.honeypot_field):
            checks[Check.HONEYPOT] = CheckResult.FAILED
            return Screening("spam", checks, reason="honeypot")
        checks[Check.HONEYPOT] = CheckResult.PASSED
        if door.captcha is None:
            checks[Check.CAPTCHA] = CheckResult.OFF
            return Screening("passed", checks)
        verdict = verifier(
            door.captcha.provider,
            door.captcha.secret,
            self._token(arrival, TOKEN_FIELDS[door.captcha.provider]),
            arrival.client_ip,
            min_score=door.captcha.min_score,
            action=door.captcha.action,
            hostnames=door.captcha_hostnames(),
            timeout=CAPTCHA_TIMEOUT_SECONDS,
        )
        if not verdict.ok and verdict.reason == "unavailable":
            checks[Check.CAPTCHA] = CheckResult.NOT_RUN
            message = "the CAPTCHA check is unavailable right now; try again"
            return Screening("unavailable", checks, reason="captcha_unavailable", message=message)
        checks[Check.CAPTCHA] = CheckResult.PASSED if verdict.ok else CheckResult.FAILED
        if not verdict.ok:
            problem = {"captcha": f"verification {verdict.reason}; please try again"}
            return Screening("refused", checks, problem, 422, f"captcha_{verdict.reason}")
        return Screening("passed", checks)

    def _token(self, arrival: Arrival, name: str) -> str | None:
        """The CAPTCHA token as the request carried it (a form field)."""
        return next((v for k, v in arrival.pairs if k == name), None)

    def intake_request(
        self, record: Submission, source: FormSource, referer: str | None, now: datetime
    ) -> tuple[IntakeRequest, Touch | None]:
        """The stored fields through the source's map; attribution from the UTM fields and the page;
        the consent boxes the page showed (``domain.consent.form_answers``)."""
        door = source.web_form
        ignored = {door.honeypot_field, *TOKEN_FIELDS.values()}
        mapped = map_form(record.fields, door, attribution_fields=ATTRIBUTION_FIELDS, ignored=ignored)
        answers = [
            {"purpose": p, "status": status.value, "notice_version": version}
            for p, status, version in form_answers(record.fields)
        ]
        data = {**mapped.request, "consents": answers} if answers else mapped.request
        request = validated_request(data, mapped.labels)
        touch = touch_from(mapped.attribution, landing_url=referer, referrer=None, at=now)
        return request, touch


def bare_arrival(request: DoorRequest, channel: Channel, form_key: str) -> Arrival:
    """What every request at the door carries besides its body (kept headers, origin, the sender's id)."""
    headers = request.headers
    return Arrival(
        channel=channel,
        pairs=(),
        content_type=headers.get("content-type"),
        headers=kept_headers(dict(headers)),
        client_ip=request.client_ip,
        origin=headers.get("origin"),
        referer=headers.get("referer"),
        sender_id=headers.get("idempotency-key") or None,
        secrets=(form_key,),
    )


def _key_field(body: FormBody | None) -> str | None:
    if body is None:
        return None
    if body.kind == "json":
        value = (body.data or {}).get(FORM_KEY_FIELD)
        return value if isinstance(value, str) else None
    return next((v for k, v in body.pairs if k == FORM_KEY_FIELD and v), None)
