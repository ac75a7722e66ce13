"""The JSON API: a server (a CRM) posting the typed ``IntakeRequest`` for a source.

It is stored as sent (one ``json`` field holding the object) and validated as the typed request:
unknown top-level fields are refused, free-form ones go in ``fields``, attribution is read from
``fields``. Keys, secrets and screening are the web form's: a form's source takes its CRM's posts too,
and a source that asks for a CAPTCHA asks it of every sender (the token as a member of the object).
A form body sent to the API's door is read as the web form reads it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from leadrouter.domain.attribution import ATTRIBUTION_FIELDS, Touch, touch_from
from leadrouter.domain.errors import InvalidInput
from leadrouter.domain.forms import FormSource, SourceKind
from leadrouter.domain.submissions import Channel, Submission, without_secrets
from leadrouter.logic.intake.adapters.base import Arrival, Decoded, DoorRequest, validated_request
from leadrouter.logic.intake.adapters.web_form import SECRET_FIELDS, WebFormAdapter, bare_arrival
from leadrouter.logic.intake.new_leads import IntakeRequest

#: The one field a typed JSON submission is stored under (its body, verbatim after decoding).
JSON_FIELD = "json"


class JsonApiAdapter(WebFormAdapter):
    """The typed intake request in JSON; authenticated and screened as the web form is."""

    kind: SourceKind = "json_api"
    channel: Channel = "json"

    def arrival(self, request: DoorRequest, decoded: Decoded, *, form_key: str) -> Arrival:
        body = decoded.body
        if body is None or body.kind != "json":
            return super().arrival(request, decoded, form_key=form_key)
        text = json.dumps(body.data or {}, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        return replace(bare_arrival(request, "json", form_key), pairs=((JSON_FIELD, text),))

    def sender_id(self, arrival: Arrival) -> str | None:
        if arrival.sender_id:
            return arrival.sender_id
        value = (json_body(arrival.pairs) or {}).get("submission_id")
        return value.strip() or None if isinstance(value, str) else None

    def _stored_value(self, name: str, value: str, arrival: Arrival, secrets: tuple[str, ...]) -> str:
        if name != JSON_FIELD:
            return value
        try:
            data = json.loads(value)
        except ValueError:
            return value
        cleaned = without_secrets(data, SECRET_FIELDS, secrets)
        return json.dumps(cleaned, ensure_ascii=False, sort_keys=True, separators=(",", ":"))

    def _token(self, arrival: Arrival, name: str) -> str | None:
        """The CAPTCHA token as a member of the object."""
        token = super()._token(arrival, name)
        if token is None:
            value = (json_body(arrival.pairs) or {}).get(name)
            token = value if isinstance(value, str) else None
        return token

    def intake_request(
        self, record: Submission, source: FormSource, referer: str | None, now: datetime
    ) -> tuple[IntakeRequest, Touch | None]:
        """The object as the typed request; attribution from its ``fields`` (no page to read it from)."""
        data = json_body(record.fields)
        if data is None:
            raise InvalidInput("the body is not a JSON object", {"body": "send a JSON object"})
        request = validated_request(data, {})
        kept = {k: v for k, v in request.fields.items() if k not in ATTRIBUTION_FIELDS}
        touch = touch_from(request.fields, landing_url=None, referrer=None, at=now)
        return request.model_copy(update={"fields": kept}), touch


def json_body(pairs: Sequence[tuple[str, str]]) -> dict[str, Any] | None:
    text = next((v for k, v in pairs if k == JSON_FIELD), None)
    try:
        data = json.loads(text) if text is not None else None
    except ValueError:
        return None
    return data if isinstance(data, dict) else None
