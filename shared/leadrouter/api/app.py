"""The API: one resolver, one Router per resource, OpenAPI at /openapi.json and Swagger UI at /swagger."""

from __future__ import annotations

import functools
import json
import os
from pathlib import Path
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, CORSConfig, Response, content_types
from aws_lambda_powertools.event_handler.openapi.swagger_ui.html import generate_swagger_html
from aws_lambda_powertools.utilities.typing import LambdaContext

from leadrouter.api import contract, errors, screen
from leadrouter.api.forms.negotiate import wants_json
from leadrouter.api.forms.pages import error_page
from leadrouter.api.routes import (
    alerts,
    campaigns,
    exports,
    holidays,
    imports,
    intake,
    leads,
    operator,
    reports,
    rules,
    sources,
    staff,
    submissions,
    users,
    webhooks,
)
from leadrouter.domain.bodies import parse_json

TITLE = "leadrouter"
VERSION = "1.0.0"
SUMMARY = "Fair, fast, exactly-once lead distribution: intake, leads, rules, staff, reports."
_SWAGGER_ASSETS = Path(generate_swagger_html.__code__.co_filename).parent


def _refused(status: int, message: str, event: dict[str, Any]) -> dict[str, Any]:
    """A proxy response written without the resolver (it never saw the request): JSON, or a page for
    a browser that navigated (``Accept: text/html``), as the form door answers."""
    headers = {k.lower(): str(v) for k, v in (event.get("headers") or {}).items()}
    if wants_json(headers):
        content_type = content_types.APPLICATION_JSON
        body = json.dumps({"message": message, "errors": [{"field": "body", "message": message}]})
    else:
        content_type, body = "text/html; charset=utf-8", error_page([("body", message)], status=status)
    return {
        "statusCode": status,
        "headers": {"Content-Type": content_type, "Access-Control-Allow-Origin": _origins()[0]},
        "body": body,
        "isBase64Encoded": False,
    }


def reject_oversized(event: dict[str, Any]) -> dict[str, Any] | None:
    """413 for bodies over MAX_BODY_BYTES, 415 for bodies that are not UTF-8 JSON: before any parsing.

    Powertools validates the body before any middleware runs, so this sits in front of ``resolve``
    (the resolver itself calls it too, so a caller of ``resolve`` cannot skip it).
    """
    refused = screen.refusal(event)
    return _refused(*refused, event) if refused else None


class LeadRouterResolver(APIGatewayRestResolver):
    """Powertools' REST resolver with the body screen in front and our JSON parser behind it."""

    def resolve(self, event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:  # type: ignore[override]
        return reject_oversized(event) or super().resolve(event, context)


def _origins() -> list[str]:
    return [o.strip() for o in os.environ.get("ALLOWED_ORIGINS", "*").split(",") if o.strip()] or ["*"]


def create_app() -> LeadRouterResolver:
    origins = _origins()
    app = LeadRouterResolver(
        enable_validation=True,
        json_body_deserializer=parse_json,
        cors=CORSConfig(
            allow_origin=origins[0],
            extra_origins=origins[1:],
            allow_headers=["Content-Type", "Authorization", "X-Form-Key", "Idempotency-Key"],
            max_age=600,
        ),
    )
    app.configure_openapi(title=TITLE, version=VERSION, summary=SUMMARY)
    for module in ROUTERS:
        app.include_router(module.router)
    errors.register(app)

    @functools.cache
    def generated() -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads(app.get_openapi_json_schema())
        return loaded

    def served_document() -> str:
        """The contract, with the base path this request came through (``/Prod`` on API Gateway)."""
        server = contract.base_path(app.current_event.raw_event)
        return json.dumps(contract.complete(generated(), server), ensure_ascii=False)

    @app.get("/openapi.json", include_in_schema=False)
    def openapi_json() -> Response[str]:
        return Response(status_code=200, content_type=content_types.APPLICATION_JSON, body=served_document())

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> Response[str]:
        """No icon, said so a browser accepts (a 204, cached for a day) instead of API Gateway's 403."""
        cached = {"Cache-Control": "max-age=86400"}
        return Response(status_code=204, content_type=None, body="", headers=cached)

    @app.get("/swagger", include_in_schema=False)
    def swagger() -> Response[str]:
        """Swagger UI over the same contract: "Authorize" takes a bearer token and/or a form key."""
        document = served_document()
        if (app.current_event.query_string_parameters or {}).get("format") == "json":
            return Response(status_code=200, content_type=content_types.APPLICATION_JSON, body=document)
        html = generate_swagger_html(
            document.replace("</", "<\\/"),  # the spec is inlined in a <script>
            (_SWAGGER_ASSETS / "swagger-ui-bundle.min.js").read_text(encoding="utf-8"),
            (_SWAGGER_ASSETS / "swagger-ui.min.css").read_text(encoding="utf-8"),
            "",
            None,
            False,
        )
        return Response(status_code=200, content_type="text/html", body=html)

    return app


ROUTERS = [intake, submissions, leads, campaigns, rules, staff, holidays, reports, sources, webhooks, alerts]
ROUTERS += [users, operator, exports, imports]
