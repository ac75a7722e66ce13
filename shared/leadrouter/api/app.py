"""The API: one resolver, one Router per resource, OpenAPI at /openapi.json and Swagger UI at /swagger."""

from __future__ import annotations

import os
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, CORSConfig, Response, content_types
from aws_lambda_powertools.event_handler.middlewares import NextMiddleware

from leadrouter.api import errors
from leadrouter.api.routes import campaigns, intake, leads, reports, rules, sources, staff

MAX_BODY_BYTES = 64 * 1024
TITLE = "leadrouter"
VERSION = "1.0.0"
SUMMARY = "Fair, fast, exactly-once lead distribution: intake, leads, rules, staff, reports."


def _limit_body(app: APIGatewayRestResolver, next_middleware: NextMiddleware) -> Response[Any]:
    body = app.current_event.body or ""
    if len(body.encode()) > MAX_BODY_BYTES:
        return Response(
            status_code=413,
            content_type=content_types.APPLICATION_JSON,
            body={"message": f"request body over {MAX_BODY_BYTES} bytes"},
        )
    return next_middleware(app)


def create_app() -> APIGatewayRestResolver:
    origins = [o.strip() for o in os.environ.get("ALLOWED_ORIGINS", "*").split(",") if o.strip()]
    app = APIGatewayRestResolver(
        enable_validation=True,
        cors=CORSConfig(
            allow_origin=origins[0],
            extra_origins=origins[1:],
            allow_headers=["Content-Type", "Authorization", "X-Form-Key", "Idempotency-Key"],
            max_age=600,
        ),
    )
    app.use(middlewares=[_limit_body])
    app.configure_openapi(title=TITLE, version=VERSION, summary=SUMMARY)
    app.enable_swagger(path="/swagger", title=TITLE, version=VERSION)
    for module in ROUTERS:
        app.include_router(module.router)
    errors.register(app)

    @app.get("/openapi.json", include_in_schema=False)
    def openapi_json() -> Response[str]:
        return Response(
            status_code=200, content_type=content_types.APPLICATION_JSON, body=app.get_openapi_json_schema()
        )

    return app


ROUTERS = [intake, leads, campaigns, rules, staff, reports, sources]
