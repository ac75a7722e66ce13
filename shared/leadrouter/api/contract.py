"""The OpenAPI contract: Powertools' generated schema, completed in one place.

Powertools derives paths, parameters and models from the routes; what it cannot know is added here,
once, for every operation (served at ``/openapi.json`` and ``/swagger``, committed as
``docs/openapi.json`` by ``make openapi``):

* who may call: a Cognito ID token as a bearer JWT everywhere, except ``POST /intake/leads``, which
  takes a form source's key in ``X-Form-Key`` (its ``Idempotency-Key`` header is a route parameter),
  and the form door; both take the source's secret (``X-Source-Secret``) too, from servers that need
  the lead in the answer;
* the error statuses every operation of a kind can answer (credentials, roles, validation, throttling,
  body size and type: ``error_statuses``), each with the error body the API really sends
  (``{"message", "errors": [{"field", "message"}]}``), instead of Powertools' ``detail`` list. What
  only some routes answer (404, 409) each route declares itself, with ``answers(...)`` on its decorator;
* bodiless 204s;
* the server URL the document was fetched through, so Swagger UI served from ``/Prod/swagger`` calls
  ``/Prod/...``.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse

from leadrouter.domain.keys import MAX_FORM_KEY_CHARS

BEARER = "cognito"
FORM_KEY = "formKey"
SOURCE_SECRET = "sourceSecret"  # noqa: S105 (the security scheme's name)
INTAKE = ("post", "/intake/leads")
FORM_DOOR = ("post", "/f/{form_key}")
#: A lead source's webhook URL (an ad platform's, LadiPage's, any system's): its key in the path, its
#: own credential (a signature, a key) checked by its adapter; GET is Meta's subscription handshake.
HOOK = ("post", "/hooks/{form_key}")
HOOK_HANDSHAKE = ("get", "/hooks/{form_key}")
#: Public routes that take no credentials at all (the door's key is in the path; a static page).
_KEYLESS = {FORM_DOOR, HOOK, HOOK_HANDSHAKE, ("get", "/thanks")}
_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}

SECURITY_SCHEMES: dict[str, Any] = {
    BEARER: {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": (
            "A Cognito ID token of the tenant's user pool (claims custom:tenant_id, custom:role, "
            "custom:staff_id, custom:team). Locally (`make run`) the demo tokens printed at start-up."
        ),
    },
    FORM_KEY: {
        "type": "apiKey",
        "in": "header",
        "name": "X-Form-Key",
        "description": (
            "A form source's key (POST /form-sources shows it once). Public by nature: it can only add "
            "leads to its source's data pool, and is rate-limited per key. Its answer is a receipt "
            "that says nothing about any lead."
        ),
    },
    SOURCE_SECRET: {
        "type": "apiKey",
        "in": "header",
        "name": "X-Source-Secret",
        "description": (
            "A form source's secret, for servers only (a CRM posting server to server; never in a web "
            "page): with the form key, the answer names the lead the submission became and its status. "
            "Shown once by POST /form-sources and POST /form-sources/{source_id}/secret (which replaces "
            "it); a wrong secret is a 401."
        ),
    },
}

FIELD_ERROR: dict[str, Any] = {
    "title": "FieldError",
    "type": "object",
    "required": ["field", "message"],
    "properties": {
        "field": {"type": "string", "description": "the offending field: `staff.1.weight`, `cursor`, `body`"},
        "message": {"type": "string"},
    },
}
ERROR: dict[str, Any] = {
    "title": "Error",
    "type": "object",
    "required": ["message"],
    "properties": {
        "message": {"type": "string"},
        "errors": {"type": "array", "items": {"$ref": "#/components/schemas/FieldError"}},
    },
}

_DESCRIPTIONS = {
    401: (
        "No valid credentials: a missing or invalid token, a missing or unknown form key, or a wrong "
        "source secret"
    ),
    403: "The token's role may not do this (or the token names an unknown role)",
    400: "The body could not be read (invalid UTF-8, a multipart body without its boundary)",
    413: "Request body over 64 KiB (or a form with too many fields)",
    503: "Stored, but a dependency failed: retry after Retry-After seconds (the same answer, one lead)",
    415: "The body is not UTF-8 JSON (send Content-Type: application/json)",
    422: "Invalid input: `errors` names every offending field; nothing was written",
    429: "Too many requests (the stage's throttle, or the form key's per-minute limit)",
    404: (
        "Unknown or disabled form key, or not a platform source's (a web form posts to /f/{form_key}); "
        "a GET: the source's kind has no subscription handshake (only Meta's has)"
    ),
}


#: Where a created resource's id can be used next (OpenAPI links): Swagger shows them, and stateful
#: testers (schemathesis) follow them to reach the routes behind an id.
LINKS: dict[tuple[str, str, str], tuple[str, str, list[tuple[str, str]]]] = {
    ("post", "/intake/leads", "201"): (
        "lead_id",
        "$response.body#/lead_id",
        [
            ("get", "/leads/{lead_id}"),
            ("patch", "/leads/{lead_id}"),
            ("delete", "/leads/{lead_id}"),
            ("post", "/leads/{lead_id}/activities"),
            ("post", "/leads/{lead_id}/assignees"),
            ("post", "/leads/{lead_id}/step"),
        ],
    ),
    ("post", "/rules", "201"): (
        "rule_id",
        "$response.body#/rule_id",
        [
            ("get", "/rules/{rule_id}"),
            ("put", "/rules/{rule_id}"),
            ("post", "/rules/{rule_id}/enable"),
            ("post", "/rules/{rule_id}/disable"),
            ("delete", "/rules/{rule_id}"),
        ],
    ),
    ("post", "/staff", "201"): (
        "staff_id",
        "$response.body#/staff_id",
        [("get", "/staff/{staff_id}"), ("patch", "/staff/{staff_id}")],
    ),
    ("post", "/webhooks", "201"): (
        "webhook_id",
        "$response.body#/webhook/webhook_id",
        [
            ("get", "/webhooks/{webhook_id}"),
            ("delete", "/webhooks/{webhook_id}"),
            ("get", "/webhooks/{webhook_id}/deliveries"),
            ("post", "/webhooks/{webhook_id}/test"),
        ],
    ),
}

#: Request bodies that work on the demo tenant of `make run` (staff A, B, C; pool web, step new): Swagger
#: UI pre-fills "Try it out" with them.
EXAMPLES: dict[tuple[str, str], dict[str, Any]] = {
    ("post", "/intake/leads"): {
        "name": "Nguyễn Văn An",
        "phone": "0912 345 678",
        "email": "an@example.com",
        "fields": {"utm_source": "facebook", "Sản phẩm quan tâm": "Căn hộ 2PN"},
    },
    ("post", "/rules"): {
        "name": "Chia lead Tết theo tỷ trọng",
        "kind": "weighted",
        "scope": {"campaign": "Tết 2027"},
        "staff": [
            {"staff_id": "A", "weight": 3},
            {"staff_id": "B", "weight": 4},
            {"staff_id": "C", "weight": 5},
        ],
    },
    ("post", "/rules/preview"): {
        "name": "Thử 3:4:5",
        "kind": "weighted",
        "scope": {"pool": "web", "step": "new"},
        "staff": [
            {"staff_id": "A", "weight": 3},
            {"staff_id": "B", "weight": 4},
            {"staff_id": "C", "weight": 5},
        ],
        "count": 12,
    },
    ("post", "/staff"): {"name": "Phạm Thu Dung", "team": "south", "max_open_leads": 50},
    ("post", "/form-sources"): {"name": "Landing page Tết", "pool": "web", "step": "new"},
    ("post", "/webhooks"): {
        "url": "https://crm.example.com/hooks/leadrouter",
        "event_types": ["LeadAssigned", "LeadEscalated"],
        "description": "CRM sync",
    },
    ("post", "/campaigns/{campaign}/leads"): {"filter": {"pool": "web", "status": "pending"}},
}


def error_statuses(method: str, path: str, operation: Mapping[str, Any]) -> list[int]:
    """The error statuses every operation of its kind can answer (one rule for all); a route's own
    404 and 409 are on its decorator (``answers``)."""
    if (method, path) == ("get", "/thanks"):
        return []
    statuses = [401, 422, 429]
    if (method, path) in (INTAKE, FORM_DOOR):
        statuses += [400, 403, 503]  # unreadable body; origin refused; stored, but retry
    elif (method, path) in (HOOK, HOOK_HANDSHAKE):
        # a handshake's token; an unknown key (or not a platform's); stored, but retry
        statuses += [403, 404, 503]
    else:
        statuses.append(403)
    if "requestBody" in operation:
        statuses += [413, 415]
    return sorted(set(statuses))


def answers(
    description: str, *, status: int = 200, not_found: str | None = None, conflict: str | None = None
) -> dict[int, OpenAPIResponse]:
    """A route's ``responses=``: its success, and the 404 and 409 only it can answer, each saying when.

    The success's body is the route's return type (Powertools fills it in); the errors carry the body
    every refusal has. The statuses every route shares are added by ``complete``.
    """
    responses: dict[int, OpenAPIResponse] = {status: {"description": description}}
    for code, when in ((404, not_found), (409, conflict)):
        if when is not None:
            responses[code] = {"description": when, "content": {"application/json": {"schema": _ERROR_REF}}}
    return responses


_ERROR_REF = {"$ref": "#/components/schemas/Error"}


def _error_body() -> dict[str, Any]:
    return {"content": {"application/json": {"schema": _ERROR_REF}}}


def _error_response(status: int) -> dict[str, Any]:
    return {"description": _DESCRIPTIONS[status], **_error_body()}


def complete(generated: Mapping[str, Any], server_url: str = "/") -> dict[str, Any]:
    """The generated document with security, error responses, headers and the server URL added."""
    document = copy.deepcopy(dict(generated))
    document["servers"] = [{"url": server_url or "/"}]
    document["security"] = [{BEARER: []}]
    components = document.setdefault("components", {})
    components["securitySchemes"] = SECURITY_SCHEMES
    schemas = components.setdefault("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError", "ResponseValidationError"):
        schemas.pop(unused, None)
    schemas["Error"] = ERROR
    schemas["FieldError"] = FIELD_ERROR
    _add_door_bodies(document)
    _key_patterns(schemas)
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method not in _METHODS:
                continue
            responses = operation.setdefault("responses", {})
            for status in error_statuses(method, path, operation):
                responses[str(status)] = _error_response(status)
            for status, response in responses.items():
                if status in ("204", "304"):
                    response.pop("content", None)
            if (method, path) == INTAKE:
                operation["security"] = [{FORM_KEY: []}, {FORM_KEY: [], SOURCE_SECRET: []}]
            if (method, path) in _KEYLESS:
                operation["security"] = []
            if (method, path) == FORM_DOOR:
                operation["security"] = [{}, {SOURCE_SECRET: []}]
            if (method, path) in EXAMPLES:
                operation["requestBody"]["content"]["application/json"]["example"] = EXAMPLES[(method, path)]
    _add_links(document)
    return document


#: What a web form posts: any of its fields (name/phone/email or the source's own names, utm_*, the
#: honeypot); values are text. The schema documents the common names; anything else is accepted.
WEB_FORM: dict[str, Any] = {
    "title": "WebForm",
    "type": "object",
    "properties": {
        "name": {"type": "string", "maxLength": 200, "example": "Nguyễn Thị Ánh"},
        "phone": {"type": "string", "maxLength": 32, "example": "0912 345 678"},
        "email": {"type": "string", "maxLength": 254},
        "form_key": {
            "type": "string",
            "maxLength": 128,
            "description": "the source's key (if not in the URL)",
        },
        "submission_id": {"type": "string", "maxLength": 128},
        "utm_source": {"type": "string", "maxLength": 256},
        "utm_campaign": {"type": "string", "maxLength": 256},
        "_gotcha": {"type": "string", "maxLength": 1000, "description": "the honeypot: leave empty"},
        "_next": {
            "type": "string",
            "maxLength": 2048,
            "description": "where to go after (allow-listed hosts)",
        },
    },
    "additionalProperties": {"type": "string", "maxLength": 1000},
    "propertyNames": {"maxLength": 128},
    "maxProperties": 200,
}


def _add_door_bodies(document: dict[str, Any]) -> None:
    """The door's request bodies (its routes read them raw) and its answers: JSON or a 303."""
    from leadrouter.api.forms.answers import SourceAnswer, SubmissionReceipt
    from leadrouter.logic.intake.new_leads import IntakeRequest

    schemas = document["components"]["schemas"]
    for model in (IntakeRequest, SubmissionReceipt, SourceAnswer):
        schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
        for name, definition in schema.pop("$defs", {}).items():
            schemas.setdefault(name, definition)
        schemas[model.__name__] = schema
    schemas["WebForm"] = WEB_FORM
    form = {"schema": {"$ref": "#/components/schemas/WebForm"}}
    bodies = {
        INTAKE: {"schema": {"$ref": "#/components/schemas/IntakeRequest"}},
        FORM_DOOR: form,
    }
    for (method, path), json_body in bodies.items():
        operation = document["paths"][path][method]
        operation["requestBody"] = {
            "required": True,
            "content": {
                "application/json": json_body,
                "application/x-www-form-urlencoded": form,
                "multipart/form-data": form,
            },
        }
        operation["responses"] = {
            "201": {
                "description": (
                    "stored and accepted (JSON for fetch/XHR and API clients): with the form key alone a "
                    "SubmissionReceipt, the same for a new and a known contact; with X-Source-Secret a "
                    "SourceAnswer naming the lead (created, or linked to the known one) and its status"
                ),
                "content": {
                    "application/json": {
                        "schema": {
                            "oneOf": [
                                {"$ref": "#/components/schemas/SubmissionReceipt"},
                                {"$ref": "#/components/schemas/SourceAnswer"},
                            ]
                        }
                    }
                },
            },
            "202": {
                "description": (
                    "to X-Source-Secret only, during a burst beyond the tenant's write capacity: accepted "
                    "and queued (a SubmissionReceipt); its lead is made within seconds and listed at "
                    "GET /intake/submissions/{id}. The form key alone is answered 201 or 303 as usual"
                ),
                "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/SubmissionReceipt"}}
                },
            },
            "303": {"description": "a browser's plain form post: go to the thank-you page (Location)"},
        }
    hook = document["paths"][HOOK[1]][HOOK[0]]
    hook["requestBody"] = {
        "required": False,
        "description": "the platform's own delivery, as it sends it (its adapter reads it)",
        "content": {
            "application/json": {"schema": {}},
            "application/x-www-form-urlencoded": {"schema": {"type": "object"}},
            "multipart/form-data": {"schema": {"type": "object"}},
        },
    }
    hook["responses"] = {
        "200": {
            "description": "stored (what it becomes is listed at GET /intake/submissions)",
            "content": {"application/json": {"schema": {"type": "object"}}},
        }
    }
    document["paths"][HOOK_HANDSHAKE[1]][HOOK_HANDSHAKE[0]]["responses"] = {
        "200": {
            "description": "the subscription's challenge, echoed (Meta's hub.challenge)",
            "content": {"text/plain": {"schema": {"type": "string"}}},
        }
    }
    # The key's bound is documented, not validated by the route: a longer key is an unknown key (the
    # door's 401, a page for a browser), not a validation error.
    for route in (FORM_DOOR, HOOK, HOOK_HANDSHAKE):
        for parameter in document["paths"][route[1]][route[0]].get("parameters", []):
            if parameter["in"] == "path" and parameter["name"] == "form_key":
                parameter["schema"]["maxLength"] = MAX_FORM_KEY_CHARS
    thanks = document["paths"]["/thanks"]["get"]
    thanks["responses"] = {
        "200": {"description": "the page", "content": {"text/html": {"schema": {"type": "string"}}}}
    }


def _key_patterns(node: Any) -> None:
    """pydantic states a map's key pattern as ``patternProperties``, which leaves other keys free; the
    server refuses them, so the pattern is stated as ``propertyNames`` (every key must match)."""
    if isinstance(node, list):
        for item in node:
            _key_patterns(item)
        return
    if not isinstance(node, dict):
        return
    patterns = node.get("patternProperties")
    if isinstance(patterns, dict) and len(patterns) == 1 and "additionalProperties" not in node:
        ((pattern, values),) = patterns.items()
        del node["patternProperties"]
        node["propertyNames"] = {**node.get("propertyNames", {}), "pattern": pattern}
        node["additionalProperties"] = values
    for value in node.values():
        _key_patterns(value)


def _add_links(document: dict[str, Any]) -> None:
    def operation_id(method: str, path: str) -> str:
        return str(document["paths"][path][method]["operationId"])

    for (method, path, status), (parameter, source, targets) in LINKS.items():
        response = document["paths"][path][method]["responses"][status]
        response["links"] = {
            operation_id(m, p): {"operationId": operation_id(m, p), "parameters": {parameter: source}}
            for m, p in targets
        }


def base_path(event: Mapping[str, Any]) -> str:
    """The prefix API Gateway's URL has before the resource path: ``/Prod`` on the stage's own URL, a
    custom domain's base-path mapping, or nothing (local, or a custom domain mapped at the root)."""
    full = str((event.get("requestContext") or {}).get("path") or "")
    resource = str(event.get("path") or "")
    if resource and full.endswith(resource):
        return full[: -len(resource)].rstrip("/")
    return ""
