"""POST /intake/leads: forms and CRMs hand in leads with a per-source form key (X-Form-Key)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from functools import cache
from typing import Annotated, Any, cast

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Header
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)

from leadrouter.api.auth import FORM_KEY_HEADER, form_source
from leadrouter.api.context import now
from leadrouter.domain.models import FormSource
from leadrouter.logic.intake import IntakeRequest, IntakeResult, submit_lead
from leadrouter.observability import logger, mask_email, mask_phone, metrics
from leadrouter.runtime import repository
from leadrouter.settings import Settings

router = Router()
IDEMPOTENCY_HEADER = "idempotency-key"
#: A form re-posted within a day (double click, flaky mobile network) gets the first answer back.
IDEMPOTENCY_SECONDS = 24 * 3600
#: Module-level so the handler can register the Lambda context (remaining time) on it.
IDEMPOTENCY_CONFIG = IdempotencyConfig(expires_after_seconds=IDEMPOTENCY_SECONDS)
IDEMPOTENCY_DOC = (
    "Up to 128 characters naming this submission (e.g. the CRM's record id). The same key from the same "
    "form source within 24 hours gets the first answer back and creates nothing; without a key, an "
    "identical payload counts as the same submission."
)


@cache
def _idempotent_submit(table_name: str) -> Callable[..., dict[str, Any]]:
    persistence = DynamoDBPersistenceLayer(table_name=table_name)

    @idempotent_function(
        data_keyword_argument="submission", persistence_store=persistence, config=IDEMPOTENCY_CONFIG
    )
    def submit(submission: dict[str, str], request: IntakeRequest, source: FormSource) -> dict[str, Any]:
        result = submit_lead(repository(), source, request, now())
        metrics.add_metric(
            name="LeadsLinked" if result.linked else "LeadsReceived", unit=MetricUnit.Count, value=1
        )
        logger.info(
            "lead received",
            extra={
                "lead_id": result.lead_id,
                "linked": result.linked,
                "source": source.source_id,
                "phone": mask_phone(request.phone),
                "email": mask_email(request.email),
            },
        )
        return result.model_dump(mode="json")

    return cast(Callable[..., dict[str, Any]], submit)


def _idempotency_key(header: str | None, request: IntakeRequest) -> str:
    if header:
        return header[:128]
    canonical = json.dumps(request.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


@router.post(
    "/intake/leads",
    summary="Submit a lead from a form or CRM",
    description=(
        "Authenticated by the form source's key in X-Form-Key (public by nature: it can only add leads to "
        "its own data pool, and is rate-limited per key). Idempotent: the same Idempotency-Key header, or "
        "the same payload without one, returns the first answer. A phone/email already known in the "
        "tenant links to the existing lead (configurable per pool)."
    ),
    responses={201: {"description": "lead created or linked"}},
    tags=["intake"],
)
def post_lead(
    body: IntakeRequest,
    idempotency_key: Annotated[  # validated and documented here; read below by _idempotency_key
        str | None,
        Header(alias="Idempotency-Key", min_length=1, max_length=128, description=IDEMPOTENCY_DOC),
    ] = None,
) -> Response[IntakeResult]:
    source = form_source(repository(), _header(FORM_KEY_HEADER), now())
    key = _idempotency_key(_header(IDEMPOTENCY_HEADER), body)
    submit = _idempotent_submit(Settings.from_env().idempotency_table)
    result = submit(
        submission={"tenant": source.tenant_id, "source": source.source_id, "key": key},
        request=body,
        source=source,
    )
    return Response(
        status_code=201,
        content_type=content_types.APPLICATION_JSON,
        body=IntakeResult.model_validate(result),
    )


def _header(name: str) -> str | None:
    headers = router.current_event.headers or {}
    return next((v for k, v in headers.items() if k.lower() == name), None)
