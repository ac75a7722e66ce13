"""The API: one resolver, one Router per resource, OpenAPI at /openapi.json and Swagger UI at /swagger."""

from __future__ import annotations

import json
import os
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, CORSConfig, Response, content_types

from leadrouter.api import errors
from leadrouter.api.routes import campaigns, intake, leads, reports, rules, sources, staff

MAX_BODY_BYTES = 64 * 1024
TITLE = "leadrouter"
VERSION = "1.0.0"
SUMMARY = "Fair, fast, exactly-once lead distribution: intake, leads, rules, staff, reports."


def reject_oversized(event: dict[str, Any]) -> dict[str, Any] | None:
    """413 for bodies over MAX_BODY_BYTES, checked before anything parses them.

    Powertools validates the body before any middleware runs, so this sits in front of ``resolve``.
    """
    body = event.get("body") or ""
    if len(body.encode()) <= MAX_BODY_BYTES:
        return None
    return {
        "statusCode": 413,
        "headers": {
            "Content-Type": content_types.APPLICATION_JSON,
            "Access-Control-Allow-Origin": _origins()[0],
        },
        "body": json.dumps({"message": f"request body over {MAX_BODY_BYTES} bytes"}),
        "isBase64Encoded": False,
    }


def _origins() -> list[str]:
    return [o.strip() for o in os.environ.get("ALLOWED_ORIGINS", "*").split(",") if o.strip()] or ["*"]


def create_app() -> APIGatewayRestResolver:
    origins = _origins()
    app = APIGatewayRestResolver(
        enable_validation=True,
        cors=CORSConfig(
            allow_origin=origins[0],
            extra_origins=origins[1:],
            allow_headers=["Content-Type", "Authorization", "X-Form-Key", "Idempotency-Key"],
            max_age=600,
        ),
    )
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
