"""The operator's API (the company hosting leadrouter): create a tenant and its first admin.

Authenticated by IAM on AWS (template.yaml: the route's ``Authorizer: AWS_IAM``), never by a tenant's
token; left out of the tenants' OpenAPI contract, which describes the Cognito-authenticated API.
The same use case runs from the command line: ``make tenant`` (``leadrouter_local.tenant``).
"""

from __future__ import annotations

from typing import cast

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent

from leadrouter.api.auth import operator_of
from leadrouter.logic.admin import tenants as logic
from leadrouter.observability import logger
from leadrouter.runtime import identity, repository

router = Router()


@router.post("/operator/tenants", include_in_schema=False)
def create_tenant(body: logic.NewTenant) -> Response[logic.TenantCreated]:
    """201 with the tenant and its invited admin; 409 (nothing written) if the tenant id or the e-mail
    exists."""
    operator = operator_of(cast(APIGatewayProxyEvent, router.current_event))
    created = logic.create_tenant(repository(), identity(), body)
    logger.info("tenant created", extra={"tenant_id": created.tenant_id, "operator": operator})
    return Response(status_code=201, content_type=content_types.APPLICATION_JSON, body=created)
