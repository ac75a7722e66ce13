"""TikTok Lead Generation: a TikTok webhook delivery (``client_key``, ``event``, ``create_time``,
``user_openid``, ``content``) whose ``content`` is itself a JSON *string*, parsed a second time.

What TikTok documents, and this adapter relies on:

- The envelope and ``content`` as "a serialized JSON string of event information"
  (https://developers.tiktok.com/doc/webhooks-events).
- The ``TikTok-Signature`` header, ``t=<unix seconds>,s=<hex>``: the hex HMAC-SHA256, keyed with the
  app's ``client_secret``, of ``"<t>.<raw body>"`` (https://developers.tiktok.com/doc/webhooks-verification).
  It is checked on the bytes as they came, in constant time, before anything is parsed. TikTok says
  an app *can* reject a valid signature whose timestamp is too old; it gives no window and does not
  say whether a retry is signed anew, so the check is off unless ``max_signature_age_seconds`` is set.
- Answer 200 at once; TikTok retries for up to 72 hours and delivers "at least once"
  (https://developers.tiktok.com/doc/webhooks-overview): copies are one record, one lead, by the
  lead's ``lead_id``.

What the documentation we could read does **not** settle: the lead event's name and its ``content``
fields. So an event is a lead when its content carries a ``lead_id`` (any event name); its answers are
read wherever they sit in the content (flat keys, nested objects, or ``[{"name"/"field_name",
"value"/"field_value"}]`` lists) and mapped to the contact by the source's ``field_map`` (defaults:
the names TikTok's instant forms use, ``full_name``, ``phone_number``, ``email`` …), so an admin can
fix a mapping and replay. Ids (``campaign_id``, ``adgroup_id``, ``ad_id``, ``form_id`` or ``page_id``,
``advertiser_id``) go to attribution, kept as strings; other answers become the lead's fields.

Every other event (``authorization.removed``, a ping) is stored as a test: listed, never a lead, so
no change to the shared pipeline is needed to answer it 200.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field

from leadrouter.domain.attribution import Touch
from leadrouter.domain.errors import InvalidInput
from leadrouter.domain.forms import FormSource, SourceKind
from leadrouter.domain.submissions import Channel, Submission
from leadrouter.logic.intake.adapters.base import (
    Arrival,
    DoorRequest,
    NotAuthenticated,
    PlatformSecret,
    PlatformSettings,
    Screening,
    SourceSecrets,
    Verifier,
)
from leadrouter.logic.intake.adapters.platform import (
    PlatformAdapter,
    mapped_request,
    required_secret,
    signature_matches,
    stored_body,
    stored_object,
)
from leadrouter.logic.intake.new_leads import IntakeRequest

SIGNATURE_HEADER = "tiktok-signature"
LEAD_ID = "lead_id"
#: Where a contact answer goes; a first and a last name are joined when no full name came.
ContactField = Literal["name", "first_name", "last_name", "phone", "email"]
#: The names TikTok's instant forms give their contact questions (matched case-insensitively).
DEFAULT_FIELD_MAP: dict[str, ContactField] = {
    "full_name": "name",
    "name": "name",
    "first_name": "first_name",
    "last_name": "last_name",
    "phone_number": "phone",
    "phone": "phone",
    "email": "email",
}
#: The content's ids and where a lead keeps them (TikTok's ad group is ``adgroup``; an instant form is
#: a "page").
_ATTRIBUTION = {
    "campaign_id": "campaign_id",
    "adgroup_id": "ad_group_id",
    "ad_group_id": "ad_group_id",
    "ad_id": "ad_id",
    "form_id": "form_id",
    "page_id": "form_id",
    "advertiser_id": "platform_account_id",
    LEAD_ID: "platform_lead_id",
}
#: Keys of one answer in a list of answers: its question, its value.
_ANSWER_NAMES = ("field_name", "name", "key", "label", "question")
_ANSWER_VALUES = ("field_value", "value", "values", "answer")
_MAX_DEPTH = 4
AnswerName = Annotated[str, Field(min_length=1, max_length=200)]


class TikTokSettings(PlatformSettings):
    """A TikTok app's webhook: its client secret, and how its lead answers map to a contact."""

    secret_fields: ClassVar[frozenset[str]] = frozenset({"client_secret"})
    required_secrets: ClassVar[frozenset[str]] = frozenset({"client_secret"})

    kind: Literal["tiktok"]
    #: The app's client secret from the TikTok developer portal, which signs deliveries (write-only).
    client_secret: PlatformSecret | None = None
    #: An answer's name (case-insensitive) → the contact field it fills; the others are the lead's
    #: fields. One given replaces the defaults (TikTok's documentation does not list the names).
    field_map: dict[AnswerName, ContactField] = Field(
        default_factory=lambda: dict(DEFAULT_FIELD_MAP), max_length=50
    )
    #: Refuse a signature whose timestamp is further than this from now (None: not checked, as
    #: TikTok leaves it to the app and does not say whether its retries are signed anew).
    max_signature_age_seconds: int | None = Field(default=None, ge=30, le=7 * 24 * 3600)


class TikTokAdapter(PlatformAdapter):
    kind: ClassVar[SourceKind] = "tiktok"
    channel: ClassVar[Channel] = "tiktok"
    settings_model: ClassVar[type[PlatformSettings]] = TikTokSettings

    def authenticate(self, source: FormSource, request: DoorRequest, secrets: SourceSecrets) -> bool:
        header = request.headers.get(SIGNATURE_HEADER)
        if not header:
            raise NotAuthenticated(f"missing {SIGNATURE_HEADER} header", SIGNATURE_HEADER)
        timestamp, signatures = _signature_parts(header)
        if timestamp is None or not signatures:
            raise NotAuthenticated(f"{SIGNATURE_HEADER} is not t=…,s=…", SIGNATURE_HEADER)
        secret = required_secret(secrets, "client_secret", SIGNATURE_HEADER)
        signed = timestamp.encode() + b"." + (request.body or b"")
        expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
        if not any(signature_matches(expected, s.lower()) for s in signatures):
            raise NotAuthenticated(f"wrong {SIGNATURE_HEADER}", SIGNATURE_HEADER)
        limit = TikTokSettings.model_validate(source.platform).max_signature_age_seconds
        if limit is not None and abs(time.time() - int(timestamp)) > limit:
            raise NotAuthenticated(f"{SIGNATURE_HEADER} timestamp is too old", SIGNATURE_HEADER)
        return True

    def sender_id(self, arrival: Arrival) -> str | None:
        lead_id = _lead_id(_content(stored_body(arrival.pairs)))
        return lead_id[:128] if lead_id else None

    def screen(
        self, source: FormSource, record: Submission, arrival: Arrival, verifier: Verifier
    ) -> Screening:
        data = stored_body(record.fields)
        if _lead_id(_content(data)) is None:
            event = data.get("event") if isinstance(data, dict) else None
            reason = f"tiktok event {str(event)[:100]!r}: not a lead"
            return Screening("test", dict(record.checks), reason=reason)
        return Screening("passed", dict(record.checks))

    def intake_request(
        self, record: Submission, source: FormSource, referer: str | None, now: datetime
    ) -> tuple[IntakeRequest, Touch | None]:
        data = stored_object(record)
        content = _content(data)
        if content is None:
            raise InvalidInput(
                "the delivery's content is not a JSON object", {"content": "not a JSON object"}
            )
        settings = TikTokSettings.model_validate(source.platform)
        field_map = {k.strip().casefold(): v for k, v in settings.field_map.items()}
        contact: dict[str, str | None] = {}
        names: dict[str, str] = {}
        extra: dict[str, Any] = {}
        attribution: dict[str, Any] = {"lead_platform": "tiktok"}
        for name, value in _answers(content):
            key = name.strip().casefold()
            if key in _ATTRIBUTION:
                attribution.setdefault(_ATTRIBUTION[key], value)
            elif key == "create_time":
                extra.setdefault("create_time", _moment(value))
            elif (target := field_map.get(key)) in ("first_name", "last_name"):
                names.setdefault(str(target), value.strip())
            elif target is not None and not contact.get(target):
                contact[target] = value
            else:
                extra.setdefault(name, value)
        if "create_time" not in extra and data.get("create_time") not in (None, ""):
            extra["create_time"] = _moment(str(data["create_time"]))  # the event's, when the lead has none
        if not contact.get("name") and names:
            contact["name"] = " ".join(names[k] for k in ("first_name", "last_name") if k in names)
        return mapped_request(contact, extra, attribution, now=now)


def _signature_parts(header: str) -> tuple[str | None, list[str]]:
    """``t=…,s=…`` as TikTok sends it: the timestamp (digits) and each signature given."""
    timestamp: str | None = None
    signatures: list[str] = []
    for element in header.split(","):
        prefix, _, value = element.strip().partition("=")
        if prefix == "t" and value.isdigit() and len(value) <= 13:
            timestamp = value
        elif prefix == "s" and value:
            signatures.append(value.strip())
    return timestamp, signatures


def _content(data: Any) -> dict[str, Any] | None:
    """The delivery's ``content``: a JSON string parsed a second time (an object sent as is is read too)."""
    content = data.get("content") if isinstance(data, dict) else None
    if isinstance(content, str):
        try:
            content = json.loads(content)
        except ValueError:
            return None
    return content if isinstance(content, dict) else None


def _lead_id(content: dict[str, Any] | None) -> str | None:
    """The lead's id in TikTok, wherever the content holds it (None: the event is not a lead)."""
    if content is None:
        return None
    found = next((v.strip() for k, v in _answers(content) if k.strip().casefold() == LEAD_ID), "")
    return found or None


def _answers(data: Any, depth: int = 0) -> Iterator[tuple[str, str]]:
    """Every (name, value) in a content, in order: flat keys, nested objects, lists of answers."""
    if depth > _MAX_DEPTH or not isinstance(data, dict):
        return
    for key, value in data.items():
        if isinstance(value, dict):
            yield from _answers(value, depth + 1)
        elif isinstance(value, list):
            if value and all(isinstance(item, dict) for item in value):
                for item in value:  # answers; other objects kept whole (their keys are not answers)
                    if not _is_answer(item):
                        yield str(key), json.dumps(item, ensure_ascii=False, sort_keys=True)
                    elif (answer := _answer(item)) is not None:
                        yield answer
            elif text := _text(value):
                yield str(key), text
        elif (text := _text(value)) is not None:
            yield str(key), text


def _is_answer(item: dict[str, Any]) -> bool:
    """An answer in a list: ``{"field_name": …, "field_value": …}`` and its like."""
    named = any(isinstance(item.get(k), str) and item[k].strip() for k in _ANSWER_NAMES)
    return named and any(k in item for k in _ANSWER_VALUES)


def _answer(item: dict[str, Any]) -> tuple[str, str] | None:
    """An answer's question and value (None: left empty)."""
    name = next(item[k] for k in _ANSWER_NAMES if isinstance(item.get(k), str) and item[k].strip())
    value = next((_text(item[k]) for k in _ANSWER_VALUES if k in item), None)
    return (name, value) if value is not None else None


def _text(value: Any) -> str | None:
    """An answer as text: ids (int64) exactly, a multi-value answer joined; None for an empty one."""
    if isinstance(value, list):
        parts = [t for t in (_text(v) for v in value if not isinstance(v, (dict, list))) if t]
        return ", ".join(parts) or None
    if value is None or isinstance(value, dict) or value == "":
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _moment(value: str) -> str:
    """A TikTok ``create_time`` (epoch seconds, or milliseconds) as ISO-8601 UTC; as sent if not one."""
    if not value.isdigit():
        return value
    seconds = int(value) / 1000 if len(value) > 11 else int(value)
    try:
        return datetime.fromtimestamp(seconds, UTC).isoformat()
    except (OverflowError, OSError, ValueError):
        return value
