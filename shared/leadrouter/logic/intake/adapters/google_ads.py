"""Google Ads lead forms: the lead form extension's webhook (Google's ``WebhookLead`` JSON).

Google posts each lead once with the key the advertiser typed beside the URL (``google_key``, in the
body), and retries a delivery that was not answered 200. The key is compared with the source's in
constant time; Google's "send test data" (``is_test``, possibly with no columns and an empty key) is
stored as a test and never becomes a lead. Columns map by ``column_id`` (``FULL_NAME``,
``PHONE_NUMBER`` …), else by ``column_name``; the others become the lead's fields. Ids are int64:
kept as strings.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime
from typing import Any, ClassVar, Literal

from leadrouter.domain.attribution import Touch
from leadrouter.domain.forms import FormSource, SourceKind
from leadrouter.domain.submissions import Channel, Submission
from leadrouter.logic.intake.adapters.base import (
    Arrival,
    Decoded,
    DoorRequest,
    NotAuthenticated,
    PlatformSecret,
    PlatformSettings,
    Screening,
    SourceSecrets,
    Verifier,
)
from leadrouter.logic.intake.adapters.platform import (
    BODY_FIELD,
    PlatformAdapter,
    canonical,
    delivery_id,
    mapped_request,
    required_secret,
    signature_matches,
    stored_body,
    stored_object,
)
from leadrouter.logic.intake.new_leads import IntakeRequest

KEY_FIELD = "google_key"
#: Google's column ids for the contact (the others are the lead's fields, by id).
_CONTACT: dict[str, str] = {
    "FULL_NAME": "name",
    "PHONE_NUMBER": "phone",
    "EMAIL": "email",
    "WORK_PHONE": "phone",
    "WORK_EMAIL": "email",
}
#: Column names Google's UI shows when a column comes without its id.
_CONTACT_NAMES: dict[str, str] = {
    "full name": "name",
    "user phone": "phone",
    "phone number": "phone",
    "user email": "email",
    "email": "email",
}
_ATTRIBUTION = {
    "gcl_id": "gclid",
    "campaign_id": "campaign_id",
    "form_id": "form_id",
    "adgroup_id": "ad_group_id",
    "creative_id": "creative_id",
    "asset_group_id": "asset_group_id",
}


class GoogleAdsSettings(PlatformSettings):
    """A Google Ads lead form's webhook: the key typed in Google Ads beside the URL."""

    secret_fields: ClassVar[frozenset[str]] = frozenset({"google_key"})
    required_secrets: ClassVar[frozenset[str]] = frozenset({"google_key"})

    kind: Literal["google_ads"]
    #: The webhook key set in Google Ads (write-only).
    google_key: PlatformSecret | None = None


class GoogleAdsAdapter(PlatformAdapter):
    kind: ClassVar[SourceKind] = "google_ads"
    channel: ClassVar[Channel] = "google_ads"
    settings_model: ClassVar[type[PlatformSettings]] = GoogleAdsSettings

    def authenticate(self, source: FormSource, request: DoorRequest, secrets: SourceSecrets) -> bool:
        data = _json_object(request.body)
        sent = data.get(KEY_FIELD) if data is not None else None
        if data is not None and data.get("is_test") is True and not sent:
            return False  # Google's "send test data" may come without the key: kept as a test only
        expected = required_secret(secrets, "google_key", KEY_FIELD)
        if not signature_matches(expected, sent if isinstance(sent, str) else None):
            raise NotAuthenticated("wrong or missing google_key", KEY_FIELD)
        return True

    def arrival(self, request: DoorRequest, decoded: Decoded, *, form_key: str) -> Arrival:
        arrival = super().arrival(request, decoded, form_key=form_key)
        data = stored_body(arrival.pairs)
        if isinstance(data, dict) and KEY_FIELD in data:  # the key is a secret: never stored
            kept = {k: v for k, v in data.items() if k != KEY_FIELD}
            arrival = replace(arrival, pairs=((BODY_FIELD, canonical(kept)),))
        return arrival

    def sender_id(self, arrival: Arrival) -> str | None:
        return delivery_id(arrival.pairs, "lead_id")

    def screen(
        self, source: FormSource, record: Submission, arrival: Arrival, verifier: Verifier
    ) -> Screening:
        data = stored_body(record.fields)
        if isinstance(data, dict) and data.get("is_test") is True:
            return Screening("test", {}, reason="google_ads test lead")
        return Screening("passed", {})

    def intake_request(
        self, record: Submission, source: FormSource, referer: str | None, now: datetime
    ) -> tuple[IntakeRequest, Touch | None]:
        data = stored_object(record)
        contact: dict[str, str | None] = {}
        first_last: dict[str, str] = {}
        extra: dict[str, Any] = {}
        for column in data.get("user_column_data") or []:
            if not isinstance(column, dict):
                continue
            column_id = str(column.get("column_id") or "").strip()
            name = str(column.get("column_name") or "").strip()
            value = column.get("string_value")
            if not isinstance(value, str) or not value.strip():
                continue
            target = _CONTACT.get(column_id) or (None if column_id else _CONTACT_NAMES.get(name.lower()))
            if target and not contact.get(target):
                contact[target] = value
            elif column_id in ("FIRST_NAME", "LAST_NAME"):
                first_last[column_id] = value.strip()
            else:
                extra[column_id or name or "column"] = value
        if not contact.get("name") and first_last:
            contact["name"] = " ".join(first_last[k] for k in ("FIRST_NAME", "LAST_NAME") if k in first_last)
        if data.get("lead_submit_time"):
            extra["lead_submit_time"] = data["lead_submit_time"]
        attribution: dict[str, Any] = {
            touch_name: str(data[google_name])
            for google_name, touch_name in _ATTRIBUTION.items()
            if data.get(google_name) not in (None, "")
        }
        attribution["lead_platform"] = "google_ads"
        if data.get("lead_id"):
            attribution["platform_lead_id"] = str(data["lead_id"])
        return mapped_request(contact, extra, attribution, now=now)


def _json_object(body: bytes | None) -> dict[str, Any] | None:
    try:
        data = json.loads(body or b"")
    except ValueError:
        return None
    return data if isinstance(data, dict) else None
