"""Any other system's webhook (Zapier, Make, n8n, Getfly's outbound webhook, another CRM): a JSON or
form body read by a declarative mapping of JMESPath expressions, optionally signed.

Each sender shapes its body its own way, so the admin maps it: name, phone, email, the sender's own id
(idempotency: its retries and concurrent copies are one record, one lead), a step, the lead's other
fields and its attribution, each a JMESPath expression (https://jmespath.org/specification.html;
``data.fullname``, or a literal such as ``'zapier'``). Expressions are compiled when the source is
saved (a 422 names the one that does not compile or calls an unknown function); one that fails on a
delivery rejects it, listed and replayable once the mapping is fixed.

Form bodies with bracketed names are nested first, as PHP and Getfly send them
(``data[phone]=…&data[tags][]=…`` → ``{"data": {"phone": …, "tags": [...]}}``): Getfly's webhook is
``application/x-www-form-urlencoded`` with ``event``, ``secret_key``, ``data[...]``, ``domain`` and
``uid`` (https://developer.getfly.vn/docs/6.1/webhook/intro, …/6.1/webhook/account; ``uid`` "to
avoid processing a request twice": its sender id). Getfly documents ``customer.created`` as carrying
only ``data[account_id]`` ("webhook only notifies", https://developer.getfly.vn/en/docs/webhook): a
lead needs the sender to put the contact in the body; this adapter does not call Getfly's API.

The signature check is optional and configurable because each sender signs differently: a header
(``X-Hub-Signature-256: sha256=<hex>`` GitHub-style, ``X-Webhook-Signature``…) holding an HMAC-SHA256
or HMAC-SHA1 of the raw body (or of ``<timestamp>.<body>``, Stripe-style, with the timestamp from a
header), hex or base64, after an optional prefix; or a plain shared token compared in constant time,
in a header (``Authorization: Bearer …``) or a top-level body field (Getfly's ``secret_key``). Not
covered (no sender named here needs it): several signatures in one header (``t=…,v1=…``), base64
secrets (``whsec_…``), a maximum age of the timestamp (it is signed, not checked for age; a replayed
delivery with a sender id is the same record anyway).

A token in the body is never stored, nor are fields named like secrets (``secret_key``, ``api_key``,
``token``, ``password`` …) at any depth: Getfly sends its key whether a check is set or not.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from dataclasses import replace
from datetime import datetime
from typing import Annotated, Any, ClassVar, Literal

import jmespath  # type: ignore[import-untyped]
from jmespath.exceptions import JMESPathError  # type: ignore[import-untyped]
from jmespath.functions import Functions  # type: ignore[import-untyped]
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from leadrouter.domain.attribution import ATTRIBUTION_FIELDS, Touch
from leadrouter.domain.errors import InvalidInput
from leadrouter.domain.forms import FormSource, SourceKind
from leadrouter.domain.leads import AttributeName
from leadrouter.domain.submissions import KEPT_HEADERS, Channel, Submission, without_secrets
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
    BODY_FIELD,
    PlatformAdapter,
    canonical,
    mapped_request,
    required_secret,
    signature_matches,
    stored_body,
    stored_object,
)
from leadrouter.logic.intake.new_leads import IntakeRequest

#: Body fields never stored, at any depth, whatever the settings: a sender's key or token.
NEVER_STORED = frozenset({"secret_key", "secret", "api_key", "apikey", "access_token", "token", "password"})
_FUNCTIONS: frozenset[str] = frozenset(Functions().FUNCTION_TABLE)
_HEADER = r"^[A-Za-z0-9!#$%&'*+.^_`|~-]+$"
_BRACKETS = re.compile(r"\[([^\[\]]*)\]")
_DIGESTS = {"hmac-sha256": hashlib.sha256, "hmac-sha1": hashlib.sha1}


def _compiles(text: str) -> str:
    """Checks that ``text`` is a JMESPath expression calling only functions JMESPath has."""
    try:
        parsed = jmespath.compile(text).parsed
    except JMESPathError as error:
        where = getattr(error, "lex_position", None)
        if where is None:
            where = getattr(error, "lexer_position", None)
        at = f" at column {where}" if isinstance(where, int) else ""
        raise ValueError(
            f"not a JMESPath expression{at} (for instance data.fullname; a form's data[phone] is data.phone)"
        ) from None
    unknown = sorted(_called(parsed) - _FUNCTIONS)
    if unknown:
        raise ValueError(f"JMESPath has no function {', '.join(unknown)}")
    return text


def _called(node: Any) -> set[str]:
    """The functions a parsed expression calls."""
    if not isinstance(node, dict):
        return set()
    names = {node["value"]} if node.get("type") == "function_expression" else set()
    for child in node.get("children") or []:
        names |= _called(child)
    return names


#: A JMESPath expression over the delivery's body (nested first when it is a form).
Expression = Annotated[
    str,
    Field(min_length=1, max_length=500, description="a JMESPath expression, e.g. data.fullname"),
    AfterValidator(_compiles),
]
HeaderName = Annotated[str, Field(min_length=1, max_length=64, pattern=_HEADER)]


class JsonWebhookMapping(BaseModel):
    """Where the lead is in the sender's body: one JMESPath expression per value."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: Expression | None = None
    phone: Expression | None = None
    email: Expression | None = None
    #: The sender's own id for the delivery (its retries become one lead); else ``Idempotency-Key``.
    sender_id: Expression | None = None
    step: Expression | None = None
    #: The lead's other fields: field name → expression.
    fields: Annotated[dict[AttributeName, Expression], Field(max_length=30)] = Field(default_factory=dict)
    #: Attribution (``utm_source``, ``campaign_id``, ``lead_platform`` …) → expression.
    attribution: Annotated[
        dict[Annotated[str, Field(min_length=1, max_length=64)], Expression],
        Field(max_length=len(ATTRIBUTION_FIELDS)),
    ] = Field(default_factory=dict)

    @field_validator("fields")
    @classmethod
    def _not_attribution(cls, value: dict[str, str]) -> dict[str, str]:
        clashing = sorted(set(value) & ATTRIBUTION_FIELDS)
        if clashing:
            raise ValueError(f"map {', '.join(clashing)} under attribution, not fields")
        return value

    @field_validator("attribution")
    @classmethod
    def _known_attribution(cls, value: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(value) - ATTRIBUTION_FIELDS)
        if unknown:
            raise ValueError(
                f"no attribution field {', '.join(unknown)}; use: {', '.join(sorted(ATTRIBUTION_FIELDS))}"
            )
        return value

    @model_validator(mode="after")
    def _reaches_someone(self) -> JsonWebhookMapping:
        if not self.phone and not self.email:
            raise ValueError("map phone or email: a lead needs one of them")
        return self


class WebhookSignature(BaseModel):
    """How the sender proves itself: an HMAC of the body in a header, or a shared token."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    algorithm: Literal["hmac-sha256", "hmac-sha1", "token"]
    #: The header carrying the signature or token (never one stored with the delivery).
    header: HeaderName | None = None
    #: For ``token`` only, instead of a header: the top-level body field holding it (Getfly's
    #: ``secret_key``); it is never stored.
    body_field: AttributeName | None = None
    #: What the HMAC is of: the raw body, or ``<timestamp>.<raw body>`` (``timestamp_header``).
    signed: Literal["body", "timestamp.body"] = "body"
    timestamp_header: HeaderName | None = None
    encoding: Literal["hex", "base64"] = "hex"
    #: Sent before the signature or token (``sha256=``, ``Bearer ``); required when set.
    prefix: Annotated[str, Field(max_length=32)] = ""

    @model_validator(mode="after")
    def _consistent(self) -> WebhookSignature:
        if (self.header is None) == (self.body_field is None):
            raise ValueError("give the header the signature comes in, or (a token) its body_field")
        if self.body_field is not None and self.algorithm != "token":
            raise ValueError("only a token may come in a body field: an HMAC comes in a header")
        if (self.signed == "timestamp.body") != (self.timestamp_header is not None):
            raise ValueError("timestamp_header goes with signed: timestamp.body, and only with it")
        if self.algorithm == "token" and self.signed != "body":
            raise ValueError("a token signs nothing: leave signed as body")
        stored = sorted({h.lower() for h in (self.header, self.timestamp_header) if h} & set(KEPT_HEADERS))
        if stored:
            raise ValueError(f"{', '.join(stored)} is stored with each delivery: it cannot carry a secret")
        return self


class JsonWebhookSettings(PlatformSettings):
    """A generic webhook: the mapping of its body, and optionally the signature it must carry."""

    secret_fields: ClassVar[frozenset[str]] = frozenset({"secret"})

    kind: Literal["json_webhook"]
    mapping: JsonWebhookMapping
    signature: WebhookSignature | None = None
    #: The HMAC key or the shared token (write-only); needed once a signature check is set.
    secret: PlatformSecret | None = None

    def secrets_required(self) -> frozenset[str]:
        return frozenset({"secret"}) if self.signature is not None else frozenset()


class JsonWebhookAdapter(PlatformAdapter):
    kind: ClassVar[SourceKind] = "json_webhook"
    channel: ClassVar[Channel] = "json_webhook"
    settings_model: ClassVar[type[PlatformSettings]] = JsonWebhookSettings

    def authenticate(self, source: FormSource, request: DoorRequest, secrets: SourceSecrets) -> bool:
        check = _settings(source).signature
        if check is None:
            return False  # the URL's key alone: a sender like any other, limited per address
        where = check.header or check.body_field or "signature"
        secret = required_secret(secrets, "secret", where)
        if check.algorithm == "token":
            sent = _sent_token(check, request)
            if not signature_matches(secret, _after_prefix(sent, check.prefix)):
                raise NotAuthenticated(f"wrong or missing token in {where}", where)
            return True
        if request.body is None:
            raise NotAuthenticated("the body could not be read to check its signature", where)
        message = request.body
        if check.timestamp_header:
            stamp = request.headers.get(check.timestamp_header.lower(), "").strip()
            if not stamp:
                raise NotAuthenticated(f"missing {check.timestamp_header}", check.timestamp_header)
            message = stamp.encode() + b"." + message
        digest = hmac.new(secret.encode(), message, _DIGESTS[check.algorithm]).digest()
        given = _after_prefix(request.headers.get(where.lower()), check.prefix)
        if check.encoding == "hex":
            expected, given = digest.hex(), given.lower() if given else None
        else:
            expected = base64.b64encode(digest).decode("ascii")
        if not signature_matches(expected, given):
            raise NotAuthenticated(f"wrong or missing signature in {where}", where)
        return True

    def arrival(self, request: DoorRequest, decoded: Decoded, *, form_key: str) -> Arrival:
        arrival = super().arrival(request, decoded, form_key=form_key)
        body = decoded.body
        if body is not None:
            data = (body.data or {}) if body.kind == "json" else nested(body.pairs)
            kept = without_secrets(data, NEVER_STORED, arrival.secrets)
            arrival = replace(arrival, pairs=((BODY_FIELD, canonical(kept)),))
        sent_id = request.headers.get("idempotency-key", "").strip()
        return replace(arrival, sender_id=sent_id[:128] or None)

    def as_configured(self, source: FormSource, arrival: Arrival) -> Arrival:
        settings = _settings(source)
        data = stored_body(arrival.pairs)
        if not isinstance(data, dict):
            return arrival
        check = settings.signature
        if check is not None and check.body_field:  # the token is a secret: never stored
            data = without_secrets(data, frozenset({check.body_field.lower()}), ())
            arrival = replace(arrival, pairs=((BODY_FIELD, canonical(data)),))
        if settings.mapping.sender_id:
            try:
                sender = _text(jmespath.search(settings.mapping.sender_id, data))
            except JMESPathError:
                sender = None  # then the Idempotency-Key, or the content, tells copies apart
            if sender:
                arrival = replace(arrival, sender_id=sender[:128])
        return arrival

    def sender_id(self, arrival: Arrival) -> str | None:
        return arrival.sender_id

    def intake_request(
        self, record: Submission, source: FormSource, referer: str | None, now: datetime
    ) -> tuple[IntakeRequest, Touch | None]:
        mapping = _settings(source).mapping
        data = stored_object(record)
        contact = {
            name: _mapped(data, expression, f"mapping.{name}")
            for name, expression in (
                ("name", mapping.name),
                ("phone", mapping.phone),
                ("email", mapping.email),
            )
        }
        extra = {name: _mapped(data, e, f"mapping.fields.{name}") for name, e in mapping.fields.items()}
        attribution = {
            name: _mapped(data, e, f"mapping.attribution.{name}") for name, e in mapping.attribution.items()
        }
        step = _mapped(data, mapping.step, "mapping.step")
        return mapped_request(contact, extra, attribution, now=now, step=step)


def _settings(source: FormSource) -> JsonWebhookSettings:
    return JsonWebhookSettings.model_validate(source.platform)


def _sent_token(check: WebhookSignature, request: DoorRequest) -> str | None:
    if check.header:
        return request.headers.get(check.header.lower())
    try:
        body = decode_body(request.headers.get("content-type"), request.body or b"")
    except BodyError:
        return None
    if body.kind == "json":
        value = (body.data or {}).get(check.body_field or "")
        return value if isinstance(value, str) else None
    return next((v for k, v in body.pairs if k == check.body_field), None)


def _after_prefix(sent: str | None, prefix: str) -> str | None:
    """The signature or token after its prefix (compared case-insensitively); None without it."""
    if sent is None:
        return None
    sent = sent.strip()
    if prefix and sent[: len(prefix)].lower() != prefix.lower():
        return None
    return sent[len(prefix) :].strip()


def _mapped(data: dict[str, Any], expression: str | None, field: str) -> str | None:
    """The expression's value as text; one that fails on this body rejects it (replayable)."""
    if expression is None:
        return None
    try:
        return _text(jmespath.search(expression, data))
    except JMESPathError as error:
        problem = f"the expression failed on this delivery: {type(error).__name__}"
        raise InvalidInput("the mapping cannot read this delivery", {field: problem}) from error


def _text(value: Any) -> str | None:
    """A JSON value as one text: a list's values joined (a multi-choice answer), an object as JSON."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, int | float):
        return json.dumps(value)
    if isinstance(value, list):
        return ", ".join(t for t in (_text(v) for v in value) if t) or None
    return canonical(value) if value else None


def nested(pairs: tuple[tuple[str, str], ...]) -> dict[str, Any]:
    """A form body's pairs as an object, bracketed names nested: ``a[b][c]=v`` → ``{"a": {"b": {"c":
    "v"}}}``, ``a[]=v`` appends to a list, a name sent twice keeps its values as a list. A name that
    clashes with one already placed (``a=1`` then ``a[b]=2``) is kept flat, as sent."""
    data: dict[str, Any] = {}
    for name, value in pairs:
        path = _path(name)
        if path is None or not _place(data, path, value):
            _add(data, name, value)
    return data


def _path(name: str) -> list[str] | None:
    """``a[b][c]`` → ``["a", "b", "c"]`` (``a[]`` → ``["a", ""]``); None for a plain or odd name."""
    head, bracket, rest = name.partition("[")
    if not bracket or not head:
        return None
    keys, position, rest = [head], 0, bracket + rest
    for found in _BRACKETS.finditer(rest):
        if found.start() != position:
            return None
        keys.append(found.group(1))
        position = found.end()
    if position != len(rest) or "" in keys[:-1]:
        return None  # text after the brackets, or ``a[][b]``: kept as sent
    return keys


def _place(data: dict[str, Any], path: list[str], value: str) -> bool:
    *parents, last = path
    if last == "":  # a[]=v: the list at its parent's key
        *parents, last = parents
    node = data
    for key in parents:
        child = node.setdefault(key, {})
        if not isinstance(child, dict):
            return False
        node = child
    existing = node.get(last)
    if isinstance(existing, dict):
        return False
    if path[-1] == "":
        if existing is None:
            node[last] = [value]
            return True
        if not isinstance(existing, list):
            return False
        existing.append(value)
        return True
    _add(node, last, value)
    return True


def _add(data: dict[str, Any], name: str, value: str) -> None:
    if name in data:
        existing = data[name]
        data[name] = [*existing, value] if isinstance(existing, list) else [existing, value]
    else:
        data[name] = value
