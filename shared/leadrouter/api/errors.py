"""Domain and validation errors → HTTP, in one place. Bad input is always a 4xx listing every field."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)

from leadrouter.domain.errors import (
    Conflict,
    ContactTaken,
    InvalidInput,
    NotAllowed,
    NotFound,
    RateLimited,
    Unavailable,
)
from leadrouter.observability import logger


def _json(status: int, body: dict[str, Any]) -> Response[dict[str, Any]]:
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=body)


def _field(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header"):
        parts = parts[1:] or parts
    return ".".join(parts) or "body"


def _problem(error: dict[str, Any]) -> dict[str, str]:
    if error.get("type") == "json_invalid":
        # a JSON syntax error's location is a character offset: name the body, and say what is wrong
        reason = (error.get("ctx") or {}).get("error")
        return {"field": "body", "message": f"invalid JSON: {reason}" if reason else "invalid JSON"}
    return {"field": _field(error.get("loc", ())), "message": str(error.get("msg", ""))}


def register(app: APIGatewayRestResolver) -> None:
    @app.exception_handler(RequestValidationError)
    def invalid_request(error: RequestValidationError) -> Response[dict[str, Any]]:
        return _json(422, {"message": "invalid request", "errors": [_problem(e) for e in error.errors()]})

    @app.exception_handler(RequestUnsupportedContentType)
    def unsupported_media_type(error: RequestUnsupportedContentType) -> Response[dict[str, Any]]:
        message = "send the body as application/json"
        return _json(415, {"message": message, "errors": [{"field": "body", "message": message}]})

    @app.exception_handler(InvalidInput)
    def invalid_input(error: InvalidInput) -> Response[dict[str, Any]]:
        errors = [{"field": f, "message": m} for f, m in error.fields.items()]
        return _json(422, {"message": str(error), "errors": errors})

    @app.exception_handler(NotFound)
    def not_found(error: NotFound) -> Response[dict[str, Any]]:
        return _json(404, {"message": str(error)})

    @app.exception_handler(NotAllowed)
    def not_allowed(error: NotAllowed) -> Response[dict[str, Any]]:
        return _json(403, {"message": str(error)})

    @app.exception_handler(Conflict)
    def conflict(error: Conflict) -> Response[dict[str, Any]]:
        logger.info("conflict", extra={"reason": str(error)})
        return _json(409, {"message": str(error)})

    @app.exception_handler(Unavailable)
    def unavailable(error: Unavailable) -> Response[dict[str, Any]]:
        return Response(
            status_code=503,
            content_type=content_types.APPLICATION_JSON,
            body={"message": str(error)},
            headers={"Retry-After": str(error.retry_after)},
        )

    @app.exception_handler(RateLimited)
    def rate_limited(error: RateLimited) -> Response[dict[str, Any]]:
        return Response(
            status_code=429,
            content_type=content_types.APPLICATION_JSON,
            body={"message": str(error)},
            headers={"Retry-After": str(error.retry_after)},
        )

    @app.exception_handler(ContactTaken)
    def contact_taken(error: ContactTaken) -> Response[dict[str, Any]]:
        logger.info("contact taken", extra={"field": error.field, "holder": error.holder})
        return _json(409, {"message": str(error), "errors": [{"field": error.field, "message": str(error)}]})
