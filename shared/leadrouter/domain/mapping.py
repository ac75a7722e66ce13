"""A web form's fields → the one intake request (pure): its own names, reserved fields, attribution.

Every door that carries name/value pairs (urlencoded, multipart, a flat JSON object, later the ad
platforms' payloads) comes through here, so the rules are the same whatever the encoding.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

from leadrouter.domain.forms import FormDoor
from leadrouter.domain.text import check_label

#: Fields that steer the submission itself; they never become lead fields.
CONTROL_FIELDS = frozenset({"form_key", "submission_id", "step"})
#: A form's own redirect target (honoured only for the source's ``redirect_hosts``).
REDIRECT_FIELD = "_next"
MAX_FIELDS = 30
MAX_VALUE = 1000
#: A form without a name field still makes a lead (many ad forms ask only for a phone).
UNNAMED = "Khách hàng (chưa có tên)"


@dataclass(frozen=True)
class MappedForm:
    #: What ``IntakeRequest`` validates: name, phone, email, step, submission_id, fields.
    request: dict[str, Any]
    #: Attribution fields as sent (utm_*, click ids, landing_url, referrer ...).
    attribution: dict[str, str]
    #: IntakeRequest field → the form's own field name, so errors speak the form's words.
    labels: dict[str, str]
    redirect: str | None = None
    #: Fields left out of the lead's ``fields`` (invalid names, past the bound); kept in the submission.
    dropped: list[str] = field(default_factory=list)


def _valid_field_name(name: str) -> bool:
    try:
        check_label(name)
    except ValueError:
        return False
    return 0 < len(name) <= 64


def map_form(
    pairs: Sequence[tuple[str, str]],
    door: FormDoor,
    *,
    attribution_fields: Collection[str],
    ignored: Collection[str] = (),
) -> MappedForm:
    """The intake request a form's pairs stand for. The first non-blank value of a field wins.

    ``ignored`` are fields consumed before mapping (the honeypot, CAPTCHA tokens): never lead fields.
    Names starting with ``_`` are reserved for the service and never become lead fields either.
    """
    request: dict[str, Any] = {}
    extra: dict[str, str] = {}
    attribution: dict[str, str] = {}
    labels: dict[str, str] = {}
    redirect: str | None = None
    dropped: list[str] = []
    for name, raw in pairs:
        value = raw.strip()
        if name == REDIRECT_FIELD:
            redirect = redirect or value or None
            continue
        if not value or name in ignored or name.startswith("_") or name == "form_key":
            continue
        target = door.target_of(name)
        if target is not None or name in ("step", "submission_id"):
            key = target or name
            if key not in request:
                request[key] = value
                labels[key] = name
        elif name in attribution_fields:
            attribution.setdefault(name, value)
        elif name in extra:
            continue
        elif len(extra) < MAX_FIELDS and _valid_field_name(name):
            extra[name] = value[:MAX_VALUE]
        else:
            dropped.append(name[:64])
    request.setdefault("name", UNNAMED)
    if extra:
        request["fields"] = extra
    return MappedForm(
        request=request, attribution=attribution, labels=labels, redirect=redirect, dropped=dropped
    )


def flatten_json(data: dict[str, Any]) -> list[tuple[str, str]]:
    """A flat JSON object as a form's pairs (nested ``fields`` spread out), so JSON maps like a form."""
    pairs: list[tuple[str, str]] = []
    for name, value in data.items():
        if name == "fields" and isinstance(value, dict):
            pairs.extend((str(k), _text(v)) for k, v in value.items())
        elif not isinstance(value, dict | list):
            pairs.append((str(name), _text(value)))
    return pairs


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
