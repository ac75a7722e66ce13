"""The API: one resolver, one Router per resource, OpenAPI at /openapi.json and Swagger UI at /swagger.

A container imports only the resolver; each resource's routes (and the use cases and models behind
them) are imported the first time a request's path needs them, so a form's POST never loads the
admin screens' code (``create_app(lazy=True)``, the Lambda handler's). Everything else builds them all.
"""

from __future__ import annotations

import functools
import importlib
import json
import os
import threading
from collections.abc import Iterable
from pathlib import Path
from types import ModuleType
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, CORSConfig, Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Route
from aws_lambda_powertools.utilities.typing import LambdaContext

from leadrouter.api import contract, errors, screen
from leadrouter.api.forms.negotiate import wants_json
from leadrouter.api.forms.pages import error_page
from leadrouter.domain.bodies import parse_json

TITLE = "leadrouter"
VERSION = "1.0.0"
SUMMARY = "Fair, fast, exactly-once lead distribution: intake, leads, rules, staff, reports."

#: Each route group (a module of ``leadrouter.api.routes``) with the first path segments of its routes,
#: in registration order: when two groups have a route matching one path (``/leads/<lead_id>`` and
#: ``/leads/exports/<export_id>``), the earlier group's wins, however late it was loaded.
#: ``tests/unit/test_cold_start.py`` checks this table against the routers themselves.
ROUTE_GROUPS: tuple[tuple[str, frozenset[str]], ...] = (
    ("intake", frozenset({"f", "hooks", "intake", "thanks"})),
    ("submissions", frozenset({"intake"})),
    ("leads", frozenset({"leads"})),
    ("campaigns", frozenset({"campaigns"})),
    ("rules", frozenset({"rules"})),
    ("staff", frozenset({"staff"})),
    ("holidays", frozenset({"holidays"})),
    ("reports", frozenset({"reports"})),
    ("sources", frozenset({"form-sources", "pools"})),
    ("webhooks", frozenset({"webhooks"})),
    ("alerts", frozenset({"settings"})),
    ("users", frozenset({"me", "users"})),
    ("operator", frozenset({"operator"})),
    ("exports", frozenset({"leads"})),
    ("imports", frozenset({"imports"})),
    ("calling", frozenset({"privacy"})),
    ("privacy_requests", frozenset({"privacy"})),
    ("consents", frozenset({"privacy", "leads"})),
    ("audit", frozenset({"privacy"})),
)
GROUP_NAMES = tuple(name for name, _ in ROUTE_GROUPS)


def groups_for(path: str) -> list[str]:
    """The route groups that may serve ``path``, in registration order."""
    first = path.strip("/").split("/", 1)[0]
    return [name for name, segments in ROUTE_GROUPS if first in segments]


def route_module(name: str) -> ModuleType:
    return importlib.import_module(f"leadrouter.api.routes.{name}")


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
    """Powertools' REST resolver with the body screen in front, our JSON parser behind it, and the
    route groups a request's path needs included before it is routed."""

    def __init__(self, *, enable_validation: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # Validation on, its middlewares (and the OpenAPI models they import) made on first use
        self._enable_validation = enable_validation
        self.included: list[str] = []
        self._rank: dict[int, tuple[int, int]] = {}
        self._including = threading.Lock()

    def _make_validation(self) -> None:
        """The validation middlewares, as Powertools' resolver makes them when built validating."""
        if not self._enable_validation or hasattr(self, "_request_validation_middleware"):
            return
        from aws_lambda_powertools.event_handler.middlewares.openapi_validation import (
            OpenAPIRequestValidationMiddleware,
            OpenAPIResponseValidationMiddleware,
        )

        self._request_validation_middleware = OpenAPIRequestValidationMiddleware()
        self._response_validation_middleware = OpenAPIResponseValidationMiddleware(
            validation_serializer=None, has_response_validation_error=self._has_response_validation_error
        )

    def include_groups(self, names: Iterable[str]) -> None:
        """Include these route groups (those not included yet), keeping the registration order.

        Safe while other threads route (the local stack, tests): one includes at a time, and the
        routes are re-ordered into a new list that replaces the old one whole."""
        wanted = set(names)
        validating = not self._enable_validation or hasattr(self, "_request_validation_middleware")
        if validating and wanted.issubset(self.included):
            return
        with self._including:
            self._make_validation()
            missing = [n for n in GROUP_NAMES if n in wanted and n not in self.included]
            for name in missing:
                self.include_router(route_module(name).router)
                for route in self._dynamic_routes:
                    self._rank.setdefault(id(route), (GROUP_NAMES.index(name), len(self._rank)))
                self._dynamic_routes = sorted(self._dynamic_routes, key=self._order)
                self.included.append(name)

    def include_all(self) -> None:
        self.include_groups(GROUP_NAMES)

    def _order(self, route: Route) -> tuple[int, int]:
        return self._rank.get(id(route), (len(GROUP_NAMES), 0))

    def resolve(self, event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:  # type: ignore[override]
        refused = reject_oversized(event)
        if refused:
            return refused
        self.include_groups(groups_for(str(event.get("path") or "/")))
        return super().resolve(event, context)


def _origins() -> list[str]:
    return [o.strip() for o in os.environ.get("ALLOWED_ORIGINS", "*").split(",") if o.strip()] or ["*"]


def create_app(*, lazy: bool = False) -> LeadRouterResolver:
    """The API with every route group included, or (``lazy``) each included on its first request."""
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
    if not lazy:
        app.include_all()
    errors.register(app)

    @functools.cache
    def generated() -> dict[str, Any]:
        app.include_all()
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
        from aws_lambda_powertools.event_handler.openapi.swagger_ui.html import generate_swagger_html

        assets = Path(generate_swagger_html.__code__.co_filename).parent
        document = served_document()
        if (app.current_event.query_string_parameters or {}).get("format") == "json":
            return Response(status_code=200, content_type=content_types.APPLICATION_JSON, body=document)
        html = generate_swagger_html(
            document.replace("</", "<\\/"),  # the spec is inlined in a <script>
            (assets / "swagger-ui-bundle.min.js").read_text(encoding="utf-8"),
            (assets / "swagger-ui.min.css").read_text(encoding="utf-8"),
            "",
            None,
            False,
        )
        return Response(status_code=200, content_type="text/html", body=html)

    return app
