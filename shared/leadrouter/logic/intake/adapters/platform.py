"""What every platform webhook adapter shares: a JSON (or form) body stored as sent, no page to screen,
a 200 once stored, the key only in the URL.

A platform adapter is a subclass naming its ``kind``, its ``settings_model`` and what differs: how
the sender proves itself (``authenticate``, on the raw bytes, before anything is parsed), the
platform's own id for the delivery (``sender_id``: its retries and concurrent copies are one record,
one lead) and the mapping to the one intake request (``intake_request``).
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any, ClassVar

from leadrouter.domain.attribution import ATTRIBUTION_FIELDS, Touch, touch_from
from leadrouter.domain.consent import is_consent_field
from leadrouter.domain.errors import InvalidInput
from leadrouter.domain.forms import FormSource, SourceKind
from leadrouter.domain.submissions import Channel, Check, CheckResult, Submission
from leadrouter.logic.intake.adapters.base import (
    NO_HANDSHAKE,
    STORED,
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
from leadrouter.logic.intake.adapters.bodies import BodyError, decode_body
from leadrouter.logic.intake.adapters.web_form import bare_arrival
from leadrouter.logic.intake.new_leads import IntakeRequest

#: The one field a platform's delivery is stored under: its body as decoded, as canonical JSON.
BODY_FIELD = "body"


class PlatformAdapter:
    """A platform's lead webhook (subclasses: one per platform)."""

    kind: ClassVar[SourceKind]
    channel: ClassVar[Channel]
    settings_model: ClassVar[type[PlatformSettings]]

    # ---- reading
    def decode(self, request: DoorRequest) -> Decoded:
        if request.body is None:
            return Decoded(None, BodyError(400, "the body could not be read"))
        try:
            return Decoded(decode_body(request.headers.get("content-type"), request.body))
        except BodyError as error:
            return Decoded(None, error)

    def form_key(self, request: DoorRequest, decoded: Decoded) -> str | None:
        return request.path_key  # a platform is given the URL; a key in its body is not read

    def authenticate(self, source: FormSource, request: DoorRequest, secrets: SourceSecrets) -> bool:
        raise NotImplementedError

    def handshake(self, source: FormSource, request: DoorRequest, secrets: SourceSecrets) -> Reply:
        return NO_HANDSHAKE

    def acknowledgement(self) -> Reply | None:
        return STORED

    def arrival(self, request: DoorRequest, decoded: Decoded, *, form_key: str) -> Arrival:
        arrival = replace(bare_arrival(request, self.channel, form_key), sender_id=None)
        body = decoded.body
        if body is None:
            text = (request.body or b"")[:2000].decode("utf-8", errors="replace").replace("\x00", "\ufffd")
            message = decoded.failure.message if decoded.failure else "unreadable body"
            return replace(arrival, pairs=(("raw", text),), malformed=message)
        data: Any = body.data if body.kind == "json" else _pairs_as_object(body.pairs)
        return replace(arrival, pairs=((BODY_FIELD, canonical(data)),))

    def arrivals(self, request: DoorRequest, decoded: Decoded, *, form_key: str) -> list[Arrival]:
        return [self.arrival(request, decoded, form_key=form_key)]

    def as_configured(self, source: FormSource, arrival: Arrival) -> Arrival:
        return arrival

    def sender_id(self, arrival: Arrival) -> str | None:
        raise NotImplementedError

    def needs_fetch(self, record: Submission) -> bool:
        return False

    def fetch(
        self, source: FormSource, record: Submission, http: PlatformHttp, secrets: SourceSecrets
    ) -> tuple[tuple[str, str], ...]:
        raise NotImplementedError(f"a {self.kind} delivery carries its lead")

    def stored_fields(self, arrival: Arrival) -> tuple[tuple[str, str], ...]:
        return arrival.pairs

    # ---- screening: a platform's request has no page, origin, honeypot or CAPTCHA (its credential,
    # checked before it was stored, is its proof), so a replay has nothing left unverified
    def unscreened(self, source: FormSource) -> dict[Check, CheckResult]:
        return dict.fromkeys(Check, CheckResult.OFF)

    def screen(
        self, source: FormSource, record: Submission, arrival: Arrival, verifier: Verifier
    ) -> Screening:
        return Screening("passed", dict(record.checks))

    def intake_request(
        self, record: Submission, source: FormSource, referer: str | None, now: datetime
    ) -> tuple[IntakeRequest, Touch | None]:
        raise NotImplementedError

    # ---- for subclasses
    def settings(self, source: FormSource) -> PlatformSettings:
        """The source's settings as this kind's model reads them (its secrets still sealed)."""
        return self.settings_model.model_validate(source.platform)


def canonical(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def stored_body(pairs: Sequence[tuple[str, str]]) -> Any:
    """A stored delivery's body, as decoded at the door (None if there is none or it was not JSON)."""
    text = next((v for k, v in pairs if k == BODY_FIELD), None)
    try:
        return json.loads(text) if text is not None else None
    except ValueError:
        return None


def delivery_id(pairs: Sequence[tuple[str, str]], name: str) -> str | None:
    """The platform's own id of a delivery (``name`` in its body): its retries are one record."""
    data = stored_body(pairs)
    value = data.get(name) if isinstance(data, dict) else None
    return str(value)[:128] if value not in (None, "") else None


def stored_object(record: Submission) -> dict[str, Any]:
    """The stored body as an object; ``InvalidInput`` (rejected, listed) when it is not one."""
    data = stored_body(record.fields)
    if not isinstance(data, dict):
        raise InvalidInput("the delivery is not a JSON object", {"body": "not a JSON object"})
    return data


def signature_matches(expected: str, given: str | None) -> bool:
    """Constant-time comparison of a computed signature with the one sent (absent: no match)."""
    return given is not None and hmac.compare_digest(expected.encode(), given.strip().encode())


def required_secret(secrets: SourceSecrets, name: str, field: str) -> str:
    """The source's secret ``name``; a source without it refuses every delivery (``NotAuthenticated``)."""
    secret = secrets.get(name)
    if not secret:
        raise NotAuthenticated(f"the source has no {name} set: set it, then send again", field)
    return secret


def mapped_request(
    contact: Mapping[str, str | None],
    extra: Mapping[str, Any],
    attribution: Mapping[str, Any],
    *,
    now: datetime,
    step: str | None = None,
    consents: Sequence[Mapping[str, str | None]] = (),
) -> tuple[IntakeRequest, Touch | None]:
    """A platform's lead as the one intake request: ``contact`` (name, phone, email), the platform's
    other answers as the lead's fields (bounded: those that do not fit are dropped, never the lead),
    ``attribution`` as its touch, ``consents`` the answers its form documents (``ConsentAnswer``)."""
    data: dict[str, Any] = {k: v for k, v in contact.items() if v}
    data.setdefault("name", contact.get("phone") or contact.get("email") or "")
    if step:
        data["step"] = step
    if consents:
        data["consents"] = [dict(c) for c in consents]
    fields = {
        str(k)[:64]: str(v)[:1000]
        for k, v in extra.items()
        if v not in (None, "") and str(k) not in ATTRIBUTION_FIELDS and not is_consent_field(str(k))
    }
    data["fields"] = dict(list(fields.items())[:30])
    request = validated_request(data, {})
    touch = touch_from(
        {k: str(v) for k, v in attribution.items() if v not in (None, "")},
        landing_url=None,
        referrer=None,
        at=now,
    )
    return request, touch


def _pairs_as_object(pairs: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """A form body as an object: a name sent twice keeps its values as a list."""
    data: dict[str, Any] = {}
    for name, value in pairs:
        if name in data:
            existing = data[name]
            data[name] = [*existing, value] if isinstance(existing, list) else [existing, value]
        else:
            data[name] = value
    return data
