"""Meta Lead Ads (Facebook and Instagram lead forms): the Page's ``leadgen`` webhook, then the Graph API.

Meta's webhook announces a lead (``leadgen_id``, ``form_id``, ``page_id``, ``ad_id``, ``created_time``)
and carries none of its answers; it keeps no copy and gives up after 36 hours of failed deliveries.
So each ``changes[]`` entry is stored first and answered 200 at once, and the answers are read from the
Graph API (``GET /{version}/{leadgen_id}`` with the Page's token) by the fetch worker
(``logic.intake.fetches``) behind a queue: a Graph outage delays the lead, never loses it.

What Meta documents and this relies on (developers.facebook.com, Webhooks "Getting Started" and
Lead Ads "Retrieving Leads"): the subscription handshake is a GET with ``hub.mode=subscribe``,
``hub.verify_token`` and ``hub.challenge`` (echoed as text); every POST carries
``X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body with the app secret>``; a lead's
``field_data`` is a list of ``{name, values[]}``, and ``custom_disclaimer_responses`` a list of
``{checkbox_key, is_checked}`` for the form's custom disclaimer checkboxes (mapped to the tenant's
purposes by ``consent_checkboxes``: consent per purpose). Graph errors: code 190 (an expired or invalid
token), 10 and 200–299 (a permission withdrawn, including "CRM access has been revoked from Leads
Access Manager") refuse us the lead until an admin fixes the source; 4, 17, 32, 613 and 80005 are
rate limits (retried later).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field

from leadrouter.domain.attribution import Touch
from leadrouter.domain.consent import PurposeKey
from leadrouter.domain.errors import InvalidInput
from leadrouter.domain.fetches import FetchFailed, FetchRefused
from leadrouter.domain.forms import FieldTarget, FormSource, SourceKind
from leadrouter.domain.submissions import Channel, Submission
from leadrouter.logic.intake.adapters.base import (
    Arrival,
    Decoded,
    DoorRequest,
    NotAuthenticated,
    PlatformHttp,
    PlatformSecret,
    PlatformSettings,
    Reply,
    Screening,
    SourceSecrets,
    Verifier,
    refused,
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

SIGNATURE_HEADER = "x-hub-signature-256"
#: The field a fetched lead is added to its record under (Graph's answer, as canonical JSON).
LEAD_FIELD = "lead"
#: What is asked of the Graph API for a lead.
LEAD_FIELDS = (
    "created_time,field_data,custom_disclaimer_responses,"
    "ad_id,adset_id,campaign_id,form_id,is_organic,platform"
)
#: Graph error codes that refuse us the lead until the source is fixed (token, permissions).
_REFUSING = frozenset({190, 102, 10, *range(200, 300)})
#: Graph error codes that are rate limits (retried later, by the queue's schedule).
_THROTTLED = frozenset({4, 17, 32, 613, 80005, 80001, 80004})
#: Meta's own field names for the contact (a form's custom questions keep their own names).
DEFAULT_FIELDS: dict[str, FieldTarget] = {
    "full_name": "name",
    "phone_number": "phone",
    "email": "email",
    "work_email": "email",
    "work_phone_number": "phone",
}
_PLATFORMS = {"fb": "facebook", "ig": "instagram", "msg": "messenger", "wa": "whatsapp"}


class MetaLeadAdsSettings(PlatformSettings):
    """A Page's lead ads, read with the app's secret and the Page's token."""

    secret_fields: ClassVar[frozenset[str]] = frozenset({"app_secret", "verify_token", "page_access_token"})
    required_secrets: ClassVar[frozenset[str]] = secret_fields

    kind: Literal["meta_lead_ads"]
    #: The Meta app's secret: signs every webhook POST (write-only).
    app_secret: PlatformSecret | None = None
    #: The token typed in the app's Webhooks settings, checked by the subscription handshake.
    verify_token: PlatformSecret | None = None
    #: A Page access token with ``leads_retrieval`` (a long-lived or system-user token).
    page_access_token: PlatformSecret | None = None
    #: A form's own question names → what they are on the lead (added to Meta's standard names).
    field_map: dict[Annotated[str, Field(min_length=1, max_length=100)], FieldTarget] = Field(
        default_factory=dict, max_length=30
    )
    #: The form's custom disclaimer checkboxes (their ``checkbox_key``) → the tenant's purpose each asks
    #: consent for. A checkbox not named here records nothing.
    consent_checkboxes: dict[
        Annotated[str, Field(min_length=1, max_length=100, pattern=r"\S")], PurposeKey
    ] = Field(default_factory=dict, max_length=20)
    #: The Graph API version to read leads with (Meta retires each after about two years).
    graph_version: Annotated[str, Field(max_length=8, pattern=r"^v[0-9]{1,3}\.[0-9]{1,2}$")] = "v21.0"


class MetaLeadAdsAdapter(PlatformAdapter):
    kind: ClassVar[SourceKind] = "meta_lead_ads"
    channel: ClassVar[Channel] = "meta_lead_ads"
    settings_model: ClassVar[type[PlatformSettings]] = MetaLeadAdsSettings

    def handshake(self, source: FormSource, request: DoorRequest, secrets: SourceSecrets) -> Reply:
        query = request.query
        token = secrets.get("verify_token")
        challenge = query.get("hub.challenge", "")
        if query.get("hub.mode") != "subscribe" or not token or not challenge:
            return refused(403, "not a subscription request for this source", "hub.mode")
        if not signature_matches(token, query.get("hub.verify_token")):
            return refused(403, "wrong verify token", "hub.verify_token")
        return Reply(200, challenge[:200], "text/plain; charset=utf-8")

    def authenticate(self, source: FormSource, request: DoorRequest, secrets: SourceSecrets) -> bool:
        app_secret = required_secret(secrets, "app_secret", "X-Hub-Signature-256")
        digest = hmac.new(app_secret.encode(), request.body or b"", hashlib.sha256).hexdigest()
        if not signature_matches(f"sha256={digest}", request.headers.get(SIGNATURE_HEADER)):
            raise NotAuthenticated("wrong or missing X-Hub-Signature-256", "X-Hub-Signature-256")
        return True

    def arrivals(self, request: DoorRequest, decoded: Decoded, *, form_key: str) -> list[Arrival]:
        """One arrival per ``leadgen`` change (Meta batches them); none for other fields."""
        whole = self.arrival(request, decoded, form_key=form_key)
        data = stored_body(whole.pairs)
        if whole.malformed or not isinstance(data, dict):
            return [whole]  # stored as sent, refused as it was
        found: list[Arrival] = []
        for entry in data.get("entry") or []:
            for change in (entry.get("changes") or []) if isinstance(entry, dict) else []:
                value = change.get("value") if isinstance(change, dict) else None
                if change.get("field") != "leadgen" or not isinstance(value, dict):
                    continue
                announced = {**value, "page_id": str(value.get("page_id") or entry.get("id") or "")}
                found.append(replace(whole, pairs=((BODY_FIELD, canonical(announced)),)))
        return found

    def sender_id(self, arrival: Arrival) -> str | None:
        return delivery_id(arrival.pairs, "leadgen_id")

    def screen(
        self, source: FormSource, record: Submission, arrival: Arrival, verifier: Verifier
    ) -> Screening:
        return Screening("fetch", {}) if self.needs_fetch(record) else Screening("passed", {})

    def needs_fetch(self, record: Submission) -> bool:
        return not any(name == LEAD_FIELD for name, _ in record.fields)

    def fetch(
        self, source: FormSource, record: Submission, http: PlatformHttp, secrets: SourceSecrets
    ) -> tuple[tuple[str, str], ...]:
        announced = stored_object(record)
        lead_id = str(announced.get("leadgen_id") or "")
        if not lead_id.isdigit():
            raise FetchRefused("the delivery names no leadgen_id")
        token = secrets.get("page_access_token")
        if not token:
            raise FetchRefused("the source has no page access token: set it, then replay")
        path = f"/{source.platform.get('graph_version') or GRAPH_VERSION}/{lead_id}"
        status, answer = http.get_json("meta", path, {"access_token": token, "fields": LEAD_FIELDS})
        if status == 200 and isinstance(answer, dict) and isinstance(answer.get("field_data"), list):
            return ((LEAD_FIELD, canonical(answer)),)
        raise _graph_error(status, answer)

    def intake_request(
        self, record: Submission, source: FormSource, referer: str | None, now: datetime
    ) -> tuple[IntakeRequest, Touch | None]:
        announced = stored_object(record)
        text = next((v for k, v in record.fields if k == LEAD_FIELD), None)
        lead = stored_body([(BODY_FIELD, text)]) if text is not None else None
        if not isinstance(lead, dict):
            raise FetchNeeded()
        mapping = {**DEFAULT_FIELDS, **source.platform.get("field_map", {})}
        contact: dict[str, str | None] = {}
        names: dict[str, str] = {}
        extra: dict[str, Any] = {}
        for answer in lead.get("field_data") or []:
            if not isinstance(answer, dict):
                continue
            name = str(answer.get("name") or "")
            values = [str(v) for v in answer.get("values") or [] if v not in (None, "")]
            if not name or not values:
                continue
            value = ", ".join(values)  # a multiple-choice answer keeps every choice
            target = mapping.get(name)
            if target and not contact.get(target):
                contact[target] = value
            elif name in ("first_name", "last_name"):
                names[name] = value
            else:
                extra[name] = value
        if not contact.get("name") and names:
            contact["name"] = " ".join(names[k] for k in ("first_name", "last_name") if k in names)
        attribution = {
            "ad_id": lead.get("ad_id") or announced.get("ad_id"),
            "ad_group_id": lead.get("adset_id") or announced.get("adgroup_id"),
            "campaign_id": lead.get("campaign_id"),
            "form_id": lead.get("form_id") or announced.get("form_id"),
            "lead_platform": _PLATFORMS.get(str(lead.get("platform") or ""), "facebook"),
            "platform_lead_id": announced.get("leadgen_id"),
            "platform_account_id": announced.get("page_id"),
            "is_organic": None if lead.get("is_organic") is None else str(bool(lead["is_organic"])).lower(),
        }
        answers = disclaimer_answers(lead, source.platform.get("consent_checkboxes") or {})
        return mapped_request(contact, extra, attribution, now=now, consents=answers)


def disclaimer_answers(lead: dict[str, Any], checkboxes: Mapping[str, str]) -> list[dict[str, str | None]]:
    """A lead's ``custom_disclaimer_responses`` (``[{checkbox_key, is_checked}]``, as Meta documents
    them under "Retrieving Leads") as consent answers for the purposes the admin mapped the
    checkboxes to: checked is granted, unchecked refused. The disclaimer's text lives in Meta's form,
    so no notice version is named; the stored delivery with Meta's answer is the evidence."""
    found: dict[str, dict[str, str | None]] = {}
    for response in lead.get("custom_disclaimer_responses") or []:
        if not isinstance(response, dict):
            continue
        purpose = checkboxes.get(str(response.get("checkbox_key") or ""))
        if purpose is None or purpose in found:
            continue
        checked = str(response.get("is_checked", "")).strip().lower() in ("1", "true")
        found[purpose] = {"purpose": purpose, "status": "granted" if checked else "refused"}
    return [found[p] for p in sorted(found)]


#: The Graph API version asked (a source may name another: ``platform.graph_version``).
GRAPH_VERSION = "v21.0"


class FetchNeeded(InvalidInput):
    """The record announces a lead not fetched yet (the fetch worker maps it once it has it)."""

    def __init__(self) -> None:
        super().__init__("the lead is not fetched from Meta yet", {"lead": "not fetched yet"})


def _graph_error(status: int, answer: Any) -> Exception:
    """A Graph error as the worker acts on it: refused (fix the source) or failed (retry)."""
    error = answer.get("error") if isinstance(answer, dict) else None
    code = int(error.get("code") or 0) if isinstance(error, dict) else 0
    message = str(error.get("message") or "")[:200] if isinstance(error, dict) else ""
    if code in _THROTTLED:
        return FetchFailed(f"Graph API rate limit (code {code})")
    if code in _REFUSING or "revoked" in message.lower():
        return FetchRefused(f"Graph API refused the lead (code {code}): {message}")
    return FetchFailed(f"Graph API answered {status}" + (f" (code {code})" if code else ""))
