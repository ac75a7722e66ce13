"""Form sources and data-pool settings (admin only).

A form source posts leads into one data pool with a form key. The key is returned once, when the source
is created; only its hash is stored, so it can never be listed or read back.
"""

from __future__ import annotations

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from pydantic import BaseModel, Field

from leadrouter.api.context import PathLabel, caller_of
from leadrouter.domain.models import FormSource, PoolSettings
from leadrouter.logic import admin as logic
from leadrouter.runtime import repository

router = Router()


class NewFormSource(BaseModel):
    source: FormSource
    form_key: str = Field(description="send as X-Form-Key on POST /intake/leads; shown only this once")


class FormSourceList(BaseModel):
    items: list[FormSource]


@router.post(
    "/form-sources",
    summary="Create a form source for a data pool; returns its form key once",
    responses={201: {"description": "source created; keep the form_key, it is not shown again"}},
    tags=["form sources"],
)
def create_source(body: logic.FormSourceCreate) -> Response[NewFormSource]:
    caller = caller_of(router, "admin")
    source, key = logic.create_form_source(repository(), caller, body)
    return Response(
        status_code=201,
        content_type=content_types.APPLICATION_JSON,
        body=NewFormSource(source=source, form_key=key),
    )


@router.get("/form-sources", summary="List form sources (never their keys)", tags=["form sources"])
def list_sources() -> FormSourceList:
    caller = caller_of(router, "admin")
    return FormSourceList(items=logic.list_form_sources(repository(), caller))


@router.get("/pools/<pool>", summary="A data pool's settings (defaults if never set)", tags=["form sources"])
def get_pool(pool: PathLabel) -> PoolSettings:
    caller = caller_of(router, "admin")
    return logic.get_pool_settings(repository(), caller, pool)


@router.put(
    "/pools/<pool>",
    summary="Set a data pool's settings: what a lead with a known phone/email does (link or rotate)",
    tags=["form sources"],
)
def put_pool(pool: PathLabel, body: logic.PoolSettingsIn) -> PoolSettings:
    caller = caller_of(router, "admin")
    return logic.put_pool_settings(repository(), caller, pool, body)
