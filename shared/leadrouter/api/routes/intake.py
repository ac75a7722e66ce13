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
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyValidationError,
)
from aws_lambda_powertools.utilities.idempotency.persistence.datarecord import DataRecord

from leadrouter.api.auth import FORM_KEY_HEADER, form_source
from leadrouter.api.context import now
from leadrouter.domain.errors import Conflict, InvalidInput
from leadrouter.domain.models import FormSource
from leadrouter.logic.intake import IntakeRequest, IntakeResult, current_answer, submit_lead
from leadrouter.observability import logger, mask_email, mask_phone, metrics
from leadrouter.runtime import repository
from leadrouter.settings import Settings

router = Router()
IDEMPOTENCY_HEADER = "idempotency-key"
#: A form re-posted within a day (double click, flaky mobile network) gets the first answer back.
IDEMPOTENCY_SECONDS = 24 * 3600
#: Marks an answer served from the idempotency store (stripped before it leaves the API).
_REPLAYED = "_replayed"


def _mark_replayed(response: Any, idempotent_data: DataRecord) -> Any:
    """The stored first answer, marked so the route can refresh the lead's status in it."""
    return {**response, _REPLAYED: True} if isinstance(response, dict) else response


#: Keyed per tenant + form source + key; the payload's hash is checked, so a key reused for a different
#: submission is refused instead of answered with another person's lead. Module-level so the handler
#: can register the Lambda context (remaining time) on it.
IDEMPOTENCY_CONFIG = IdempotencyConfig(
    event_key_jmespath="[tenant, source, key]",
    payload_validation_jmespath="payload",
    expires_after_seconds=IDEMPOTENCY_SECONDS,
    response_hook=_mark_replayed,
)
IDEMPOTENCY_DOC = (
    "Up to 128 characters naming this submission (e.g. the CRM's record id). The same key with the same "
    "content from the same form source within 24 hours gets the first answer back and creates nothing; "
    "the same key with different content is a 422. Without a key, the body's submission_id, else the "
    "content itself, is the key."
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


def _payload_hash(request: IntakeRequest) -> str:
    """The submission's content after validation (so "0912 345 678" and "0912345678" are one)."""
    canonical = json.dumps(request.model_dump(mode="json"), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _idempotency_key(header: str | None, request: IntakeRequest, payload: str) -> tuple[str, str]:
    """(key, named by): the sender's own id (the header, else the body's submission_id), else the content."""
    if header:
        return header, "Idempotency-Key"  # 1..128 characters, validated with the route's parameters
    if request.submission_id:
        return request.submission_id, "submission_id"
    return payload, "body"


@router.post(
    "/intake/leads",
    summary="Submit a lead from a form or CRM",
    description=(
        "Authenticated by the form source's key in X-Form-Key (public by nature: it can only add leads to "
        "its own data pool and steps, and is rate-limited per key). Idempotent for 24 h per form source: "
        "the same Idempotency-Key header (else the body's submission_id, else the same content) returns "
        "the first answer, with the lead's current status; a key reused with a different payload is a "
        "422. A phone/email already known in the tenant links to the existing lead (configurable per "
        "pool); one of a deleted lead starts a new lead."
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
    repo = repository()
    source = form_source(repo, _header(FORM_KEY_HEADER), now())
    payload = _payload_hash(body)
    key, named_by = _idempotency_key(_header(IDEMPOTENCY_HEADER), body, payload)
    submit = _idempotent_submit(Settings.from_env().idempotency_table)
    submission = {"tenant": source.tenant_id, "source": source.source_id, "key": key, "payload": payload}
    try:
        result = submit(submission=submission, request=body, source=source)
    except IdempotencyValidationError as error:
        raise InvalidInput(
            f"this {named_by} was already used for a different submission",
            {named_by: "already used with another payload in the last 24 h; send a new one"},
        ) from error
    except IdempotencyAlreadyInProgressError as error:
        raise Conflict("the same submission is being processed right now; retry in a moment") from error
    answer = IntakeResult.model_validate(result)
    if result.get(_REPLAYED):  # a retry: the same lead, with its status as it is now
        answer = current_answer(repo, source.tenant_id, answer)
    return Response(status_code=201, content_type=content_types.APPLICATION_JSON, body=answer)


def _header(name: str) -> str | None:
    headers = router.current_event.headers or {}
    return next((v for k, v in headers.items() if k.lower() == name), None)
