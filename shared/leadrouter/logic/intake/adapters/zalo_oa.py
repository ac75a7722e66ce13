"""Zalo Official Account: the OA webhook's ``user_submit_info`` event (a follower sharing their name and
phone through the OA's "request user info" card) as a lead.

Zalo posts every event of the OA's app to the one webhook URL: chat messages (``user_send_text`` …),
follows, and ``user_submit_info``. Only the last is a lead; the others are answered 200 and not stored
(they are conversations, not submissions: storing them would fill the submissions list with chat
text). Every event is signed: ``X-ZEvent-Signature: mac=<hex>``, the hex SHA-256 (a plain digest, not
an HMAC) of the app id, the raw body, the event's ``timestamp`` (taken from that body) and the OA
secret key, concatenated in that order. The OA secret key is the one of the app's link with the OA,
not the app's own secret.

What this relies on, as read (Zalo's own pages at developers.zalo.me were not among what could be
read, so these are second-hand):

* the signature: https://hainh.me/zalo-api-php-webhook-callback-official-account.html (the four parts
  in order, the timestamp from the body's JSON, the OA secret key and not the app secret; answer 200
  within 2 s or Zalo resends for up to 12 hours, then disables the webhook); the ``mac=`` prefix as
  public integrations read the header (a bare hex digest is accepted too);
* the event: ``app_id``, ``user_id_by_app``, ``event_name``, ``timestamp`` (milliseconds, a string),
  ``sender.id`` (the user, as the OA knows them), ``recipient.id`` (the OA), ``info`` with ``name``,
  ``phone`` (``84…``, no ``+``), ``address``, ``ward``, ``district``, ``city``: the webhook types of
  https://app.unpkg.com/@warriorteam/redai-zalo-sdk@1.32.17/files/dist/types/webhook.d.ts.

Not settled by what could be read: some integrations hash an ``X-ZEvent-Timestamp`` header instead of
the body's timestamp; when that header is sent and differs, a digest over it is accepted too (either
one still needs the OA secret). One integration reports an unsigned POST of ``{}`` when the URL is
saved in Zalo's console; it is answered 200 and writes nothing. The event carries no event id, so the
sender's id is the event, the user and the timestamp (Zalo's resends repeat all three).
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any, ClassVar, Literal

from pydantic import Field

from leadrouter.domain.attribution import Touch
from leadrouter.domain.errors import InvalidInput
from leadrouter.domain.forms import FormSource, SourceKind
from leadrouter.domain.submissions import Channel, Submission
from leadrouter.logic.intake.adapters.base import (
    Arrival,
    Decoded,
    DoorRequest,
    NotAuthenticated,
    PlatformSecret,
    PlatformSettings,
    SourceSecrets,
)
from leadrouter.logic.intake.adapters.bodies import BodyError, decode_body
from leadrouter.logic.intake.adapters.platform import (
    PlatformAdapter,
    mapped_request,
    required_secret,
    signature_matches,
    stored_body,
    stored_object,
)
from leadrouter.logic.intake.new_leads import IntakeRequest

SIGNATURE_HEADER = "X-ZEvent-Signature"
TIMESTAMP_HEADER = "x-zevent-timestamp"
#: The one event that is a lead.
LEAD_EVENT = "user_submit_info"
#: What the follower shared, besides the contact: the lead's fields, in this order.
_PLACE = ("address", "ward", "district", "city")
_CONTACT = ("name", "phone", "email")
#: Zalo's ids are int64 written as digits.
_ZALO_ID = r"^[0-9]{1,32}$"


class ZaloOaSettings(PlatformSettings):
    """A Zalo OA's webhook: the app it is set in, that app's OA secret key, and optionally the OA."""

    secret_fields: ClassVar[frozenset[str]] = frozenset({"oa_secret_key"})
    required_secrets: ClassVar[frozenset[str]] = frozenset({"oa_secret_key"})

    kind: Literal["zalo_oa"]
    app_id: str = Field(
        max_length=32,
        pattern=_ZALO_ID,
        description="the Zalo app's id (developers.zalo.me), signed into each event",
    )
    #: The OA secret key of the app's link with the OA (write-only; not the app's own secret).
    oa_secret_key: PlatformSecret | None = None
    oa_id: str | None = Field(
        default=None,
        max_length=32,
        pattern=_ZALO_ID,
        description="when set, an event for another OA is refused",
    )


class ZaloOaAdapter(PlatformAdapter):
    kind: ClassVar[SourceKind] = "zalo_oa"
    channel: ClassVar[Channel] = "zalo_oa"
    settings_model: ClassVar[type[PlatformSettings]] = ZaloOaSettings

    def decode(self, request: DoorRequest) -> Decoded:
        """Zalo's body is JSON whatever its content type says (a lead is not lost to a missing header)."""
        if request.body is None:
            return super().decode(request)
        try:
            return Decoded(decode_body("application/json", request.body))
        except BodyError as error:
            return Decoded(None, error)

    def authenticate(self, source: FormSource, request: DoorRequest, secrets: SourceSecrets) -> bool:
        sent = _mac(request.headers.get(SIGNATURE_HEADER.lower()))
        data = _json_object(request.body)
        if sent is None and data == {}:
            return False  # the console's unsigned probe of the URL: answered 200 (ignored), nothing written
        if sent is None:
            raise NotAuthenticated(f"missing {SIGNATURE_HEADER}", SIGNATURE_HEADER)
        settings = ZaloOaSettings.model_validate(source.platform)
        secret = required_secret(secrets, "oa_secret_key", SIGNATURE_HEADER)
        body = request.body or b""
        stamps = _timestamps(data, request.headers.get(TIMESTAMP_HEADER))
        digests = (_digest(settings.app_id, body, stamp, secret) for stamp in stamps)
        if not any(signature_matches(digest, sent) for digest in digests):
            message = f"wrong {SIGNATURE_HEADER} (check the source's app_id and OA secret key)"
            raise NotAuthenticated(message, SIGNATURE_HEADER)
        oa = _oa_id(data) if data is not None else None
        if settings.oa_id and oa is not None and oa != settings.oa_id:
            raise NotAuthenticated("the event is for another Zalo OA than the source's oa_id", "oa_id")
        return True

    def arrivals(self, request: DoorRequest, decoded: Decoded, *, form_key: str) -> list[Arrival]:
        """None for the OA's other events (chat, follows): answered 200, nothing stored."""
        body = decoded.body
        data = body.data if body is not None and body.kind == "json" else None
        if isinstance(data, dict) and data.get("event_name") != LEAD_EVENT:
            return []
        return [self.arrival(request, decoded, form_key=form_key)]  # unreadable though signed: stored

    def sender_id(self, arrival: Arrival) -> str | None:
        data = stored_body(arrival.pairs)
        if not isinstance(data, dict):
            return None
        user, stamp = _id(data.get("sender")), data.get("timestamp")
        if user is None or stamp in (None, ""):
            return None
        return f"{data.get('event_name')}:{user}:{stamp}"[:128]

    def intake_request(
        self, record: Submission, source: FormSource, referer: str | None, now: datetime
    ) -> tuple[IntakeRequest, Touch | None]:
        data = stored_object(record)
        event = data.get("event_name")
        if event != LEAD_EVENT:
            raise InvalidInput(f"not a {LEAD_EVENT} event", {"event_name": f"{event!r} is not a lead"})
        shared = data.get("info")
        info: dict[str, Any] = shared if isinstance(shared, dict) else {}
        contact: dict[str, str | None] = {k: _text(info.get(k)) for k in _CONTACT}
        extra: dict[str, Any] = {k: _text(info.get(k)) for k in _PLACE}
        extra.update({str(k): v for k, v in info.items() if k not in (*_CONTACT, *_PLACE) and _text(v)})
        extra["zalo_user_id_by_app"] = _text(data.get("user_id_by_app"))
        extra["submitted_at"] = _moment(data.get("timestamp"))
        attribution = {
            "lead_platform": "zalo",
            "platform_lead_id": _id(data.get("sender")),
            "platform_account_id": _oa_id(data),
        }
        return mapped_request(contact, extra, attribution, now=now)


def _mac(header: str | None) -> str | None:
    """The hex digest the header carries (``mac=<hex>``, or bare), lower-cased; None if there is none."""
    if header is None:
        return None
    value = header.strip()
    if value[:4].lower() == "mac=":
        value = value[4:].strip()
    return value.lower() or None


def _digest(app_id: str, body: bytes, timestamp: str, secret: str) -> str:
    return hashlib.sha256(app_id.encode() + body + timestamp.encode() + secret.encode()).hexdigest()


def _timestamps(data: dict[str, Any] | None, header: str | None) -> list[str]:
    """The timestamps a digest may have been made over: the body's, then a differing header's."""
    stamps: list[str] = []
    stamp = data.get("timestamp") if data is not None else None
    if isinstance(stamp, str | int) and not isinstance(stamp, bool) and str(stamp):
        stamps.append(str(stamp))
    if header and header.strip() and header.strip() not in stamps:
        stamps.append(header.strip())
    return stamps


def _oa_id(data: dict[str, Any]) -> str | None:
    """The OA an event is for: the recipient of a user's event, the sender of the OA's own, else ``oa_id``."""
    event = str(data.get("event_name") or "")
    if event.startswith("user_"):
        return _id(data.get("recipient"))
    if event.startswith("oa_"):
        return _id(data.get("sender"))
    return _text(data.get("oa_id"))


def _id(party: Any) -> str | None:
    return _text(party.get("id")) if isinstance(party, dict) else None


def _text(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    return str(value).strip() or None


def _moment(stamp: Any) -> str | None:
    """Zalo's millisecond timestamp as an ISO moment (None when it is not one)."""
    try:
        return datetime.fromtimestamp(int(stamp) / 1000, UTC).isoformat()
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def _json_object(body: bytes | None) -> dict[str, Any] | None:
    try:
        data = json.loads(body or b"")
    except ValueError:
        return None
    return data if isinstance(data, dict) else None
