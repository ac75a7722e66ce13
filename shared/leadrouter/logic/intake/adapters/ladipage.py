"""LadiPage: a landing page's form posted to the source's URL by LadiPage's "Tích hợp API" (API URL).

LadiPage posts each submission from its servers as a flat object in the content type the admin picks
(``application/x-www-form-urlencoded``, ``multipart/form-data`` or ``application/json``; the base
class decodes all three into one canonical body). The form's own fields come under the names
the page's builder gave them (``name``, ``phone``, ``email``, or Vietnamese ones such as ``Họ và tên``,
``Số điện thoại``), beside LadiPage's own keys: ``link`` (the page), ``utm_*``, ``variant_url``,
``fbc``, ``fbp``/``fbq``, ``event_id``, ``ladi_form_id``, ``IP``, ``user-agent`` and ``status_send``.
Those with a place on the lead's touch go there (``link`` → ``landing_url``, ``ladi_form_id`` →
``form_id``); the others become the lead's fields.

The request proves itself by a header the admin adds in LadiPage's "API Request Header" (a JSON
object of headers): ``Authorization: Bearer <api_key>`` or the bare key, or under another header name
(``api_key_header``), compared in constant time with the source's sealed ``api_key``.

A post with ``status_send=capture`` is the partial lead LadiPage sends when a visitor leaves a form
half-filled. It is held (stored, not a lead) under a key made of its form and phone; the full
submission that follows from the same form and phone within ``capture_window_minutes`` links it to its
own lead, so one visitor is one lead carrying the full data. A capture nothing completes stays held:
listed, and an admin may let it in (replay); or, when the admin chose ``capture_becomes_lead``, it
becomes a lead on its own once the window is over (the fetch worker lets it in then, if still held).

Consent: LadiPage documents no consent field of its own; a page's form carries the same boxes as our
snippet (``_consent_<purpose>`` ticked or not, beside the hidden ``_notice_<purpose>`` version, pasted
from ``GET /privacy/settings``'s ``consent_fields``) and they are read as a web form's are.

LadiPage sends no id of its own for a submission as far as is known: ``event_id`` is used when
present, else a delivery is deduplicated by its content (``sender_id`` None).

Sources read:
- LadiFlow's API docs (the Ladi suite's own APIs take their key in an ``Api-Key`` header),
  https://ladipage-vietnam.gitbook.io/v5-ladiflow/tai-lieu-tich-hop-api/danh-sach-apis/tao-khach-hang
- LadiChat's help on its Webhook ("API URL" and "API Request Header" as a JSON object such as
  ``{"Api-Key": "…"}``), https://help.ladichat.vn/dong-bo-thong-tin-khach-hang-tu-ladichat-ve-ladiflow
LadiPage's own "Tích hợp API" page was not among what could be read: the key names above are the
issue's, the header's name is configurable, and the value of ``status_send`` that marks a capture is
read as ``capture`` (any case).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime, timedelta
from typing import Annotated, Any, ClassVar, Literal, cast

from pydantic import AfterValidator, Field, StrictInt

from leadrouter.domain.attribution import CLICK_ID_FIELDS, UTM_FIELDS, Touch
from leadrouter.domain.consent import form_answers, is_consent_field
from leadrouter.domain.contacts import normalise_phone
from leadrouter.domain.forms import DEFAULT_ALIASES, FieldTarget, FormFieldName, FormSource, SourceKind
from leadrouter.domain.submissions import KEPT_HEADERS, Channel, Submission
from leadrouter.logic.intake.adapters.base import (
    Arrival,
    DoorRequest,
    HeldParts,
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

STATUS_FIELD = "status_send"
CAPTURE = "capture"
#: LadiPage's keys that have a place on the lead's touch.
_ATTRIBUTION: dict[str, str] = {
    "link": "landing_url",
    "ladi_form_id": "form_id",
    "fbc": "fbc",
    "fbp": "fbp",
    "fbq": "fbp",
    **{name: name for name in (*UTM_FIELDS, *CLICK_ID_FIELDS)},
}
#: Names LadiPage's builder commonly gives contact fields beyond the shared ones (folded, see ``_folded``).
_ALIASES: dict[str, FieldTarget] = {
    "ten": "name",
    "ho_ten_khach_hang": "name",
    "ten_khach_hang": "name",
    "so_dt": "phone",
    "dien_thoai_lien_he": "phone",
    "dia_chi_email": "email",
}
#: Never a lead's field: how LadiPage marked the post.
_DROPPED = frozenset({STATUS_FIELD})
#: LadiPage's own keys, never the visitor's phone.
_NOT_A_PHONE = frozenset({*_ATTRIBUTION, "event_id", "IP", "user-agent", "variant_url", STATUS_FIELD})
_PHONE_LIKE = re.compile(r"\+?[0-9][0-9 .()-]{7,18}")
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,64}$")


def _header_name(value: str) -> str:
    if not _HEADER_NAME.fullmatch(value):
        raise ValueError("an HTTP header name, e.g. Authorization or X-Api-Key")
    if value.lower() in KEPT_HEADERS or value.lower() in ("host", "content-length", "cookie"):
        raise ValueError("a header of its own, e.g. Authorization or X-Api-Key (this one is not a key's)")
    return value


HeaderName = Annotated[str, Field(min_length=1, max_length=64), AfterValidator(_header_name)]


class LadiPageSettings(PlatformSettings):
    """A LadiPage form's "Tích hợp API": the key it sends in a header, its field names, its captures."""

    secret_fields: ClassVar[frozenset[str]] = frozenset({"api_key"})
    required_secrets: ClassVar[frozenset[str]] = frozenset({"api_key"})

    kind: Literal["ladipage"]
    #: The key set in LadiPage's "API Request Header" (write-only).
    api_key: PlatformSecret | None = None
    #: The header LadiPage sends it in, as ``Bearer <key>`` or the bare key.
    api_key_header: HeaderName = "Authorization"
    #: The form's own field names → what they are on the lead (added to the common names).
    field_map: dict[FormFieldName, FieldTarget] = Field(default_factory=dict, max_length=30)
    #: How long after a capture its full submission (same form, same phone) is awaited.
    capture_window_minutes: StrictInt = Field(default=30, ge=1, le=24 * 60)
    #: A capture nothing completes within the window becomes a lead on its own (else it waits, held,
    #: for an admin's replay).
    capture_becomes_lead: bool = False


class LadiPageAdapter(PlatformAdapter):
    kind: ClassVar[SourceKind] = "ladipage"
    channel: ClassVar[Channel] = "ladipage"
    settings_model: ClassVar[type[PlatformSettings]] = LadiPageSettings

    def authenticate(self, source: FormSource, request: DoorRequest, secrets: SourceSecrets) -> bool:
        header = self._settings(source).api_key_header
        expected = required_secret(secrets, "api_key", header)
        sent = request.headers.get(header.lower())
        bare = re.sub(r"^\s*bearer\s+", "", sent, flags=re.IGNORECASE) if sent is not None else None
        # both compared, always: a key that itself starts with "Bearer " still opens the door
        as_sent, as_bearer = signature_matches(expected, sent), signature_matches(expected, bare)
        if not (as_sent or as_bearer):
            raise NotAuthenticated(f"wrong or missing API key in the {header} header", header)
        return True

    def sender_id(self, arrival: Arrival) -> str | None:
        data = stored_body(arrival.pairs)
        if not isinstance(data, dict):
            return None
        if _is_capture(data):  # under its form and phone: the full submission finds it there
            return _capture_id(data, {})
        event_id = _text(data.get("event_id"))
        return event_id[:128] if event_id else None

    def screen(
        self, source: FormSource, record: Submission, arrival: Arrival, verifier: Verifier
    ) -> Screening:
        data = stored_body(record.fields)
        if not isinstance(data, dict):
            return Screening("passed", {})
        settings = self._settings(source)
        window = timedelta(minutes=settings.capture_window_minutes)
        if _is_capture(data):
            reason = f"ladipage capture: held for its full submission ({settings.capture_window_minutes} min)"
            release = record.received_at + window if settings.capture_becomes_lead else None
            return Screening("held", {}, reason=reason, release_at=release)
        # the capture's key as its sender_id made it (common names), and as this source names the phone
        candidates = {_capture_id(data, {}), _capture_id(data, settings.field_map)}
        sender_ids = tuple(sorted(c for c in candidates if c))
        completes = HeldParts(sender_ids, record.received_at - window) if sender_ids else None
        return Screening("passed", {}, completes=completes)

    def intake_request(
        self, record: Submission, source: FormSource, referer: str | None, now: datetime
    ) -> tuple[IntakeRequest, Touch | None]:
        data = stored_object(record)
        field_map = self._settings(source).field_map
        contact: dict[str, str | None] = {}
        extra: dict[str, Any] = {}
        attribution: dict[str, Any] = {"lead_platform": "ladipage"}
        for key, raw in data.items():
            value = _text(raw)
            if not value or key in _DROPPED or is_consent_field(key):
                continue
            target = _target(key, field_map)
            if target is not None and not contact.get(target):
                contact[target] = value
            elif key in _ATTRIBUTION:
                attribution.setdefault(_ATTRIBUTION[key], value)
            else:
                extra[key] = value
        consents = [
            {"purpose": p, "status": status.value, "notice_version": version}
            for p, status, version in form_answers([(k, _text(v)) for k, v in data.items()])
        ]
        return mapped_request(contact, extra, attribution, now=now, consents=consents)

    def _settings(self, source: FormSource) -> LadiPageSettings:
        return cast(LadiPageSettings, self.settings(source))


def _is_capture(data: dict[str, Any]) -> bool:
    return _text(data.get(STATUS_FIELD)).lower() == CAPTURE


def _capture_id(data: dict[str, Any], field_map: dict[str, FieldTarget]) -> str | None:
    """A capture's key: its form and its phone (normalised), or None without a valid phone. The phone
    is the field named as one (``field_map``, common names), else the first value that is a phone
    number: a capture's key is made before its source's settings are known (``sender_id``)."""
    named = [_text(v) for k, v in data.items() if _target(k, field_map) == "phone"]
    unnamed = [_text(v) for k, v in data.items() if k not in _NOT_A_PHONE and _PHONE_LIKE.fullmatch(_text(v))]
    phone = next((p for p in map(_phone, [*named, *unnamed]) if p), None)
    return f"capture:{_text(data.get('ladi_form_id'))[:64]}:{phone}" if phone else None


def _phone(text: str) -> str | None:
    try:
        return normalise_phone(text) if text else None
    except ValueError:
        return None


def _target(key: str, field_map: dict[str, FieldTarget]) -> FieldTarget | None:
    """What a LadiPage field stands for: the source's map, the common names, then the folded name
    (``Số điện thoại`` → ``so_dien_thoai``)."""
    found = field_map.get(key) or DEFAULT_ALIASES.get(key.lower())
    if found is not None:
        return found
    folded = _folded(key)
    return DEFAULT_ALIASES.get(folded) or _ALIASES.get(folded)


def _folded(name: str) -> str:
    """A Vietnamese field name as ASCII words joined by ``_`` (marks dropped, đ → d, lower case)."""
    decomposed = unicodedata.normalize("NFD", name.replace("đ", "d").replace("Đ", "D"))
    ascii_only = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    return re.sub(r"[^a-z0-9]+", "_", ascii_only).strip("_")


def _text(value: Any) -> str:
    """A body's value as text: a name sent twice (a checkbox group) joined, numbers as written."""
    if value is None or isinstance(value, dict):
        return ""
    if isinstance(value, list):
        return ", ".join(t for t in (_text(v) for v in value) if t)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).strip()
