"""Lead exports (admins and team leads): request a file of the filtered leads, follow it, download it.

The file is made in the background (ExportQueue → the export worker); every export is recorded, and the
records are the audit of who exported what, when, with which filters and how many rows.
"""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query
from pydantic import BaseModel, Field

from leadrouter.api.context import CURSOR_DOC, CURSOR_MAX_LENGTH, PathIdent, caller_of, now, request_id
from leadrouter.api.contract import answers
from leadrouter.domain.exports import Export, ExportRequest, ExportStatus
from leadrouter.logic.exports import jobs
from leadrouter.runtime import export_queue, files, repository

router = Router()

_EXPORTERS = ("admin", "team_lead")
_NO_EXPORT = "no such export in the caller's tenant, or (a team lead) not one they requested"


class ExportPage(BaseModel):
    items: list[Export]
    cursor: str | None = Field(description="pass back as ?cursor= for the next page; null at the end")


class ExportDetail(BaseModel):
    export: Export
    download_url: str | None = Field(
        default=None,
        description=f"when the export is done: a signed link to the file, valid {jobs.LINK_SECONDS // 60} "
        "minutes (ask again for a fresh one); null until then",
    )


@router.post(
    "/leads/exports",
    summary="Export the filtered leads to .xlsx or .csv (admins; team leads: their team's leads)",
    description=(
        "Takes the filters of `GET /leads` (`assignee` is the owner), a `format` (xlsx, csv) and a "
        "`language` (vi, en) for the headers and labels. The export is recorded and made in the "
        "background: follow it with `GET /leads/exports/{export_id}`, which gives a download link once "
        "it is done. Phones stay text (leading + or 0 kept), dates are in the tenant's time zone, a CSV "
        "is UTF-8 with BOM for Excel."
    ),
    responses=answers("the export, recorded and queued", status=202),
    tags=["exports"],
)
def request_export(body: ExportRequest) -> Response[Export]:
    caller = caller_of(router, *_EXPORTERS)
    export = jobs.request_export(repository(), export_queue(), caller, body, now())
    return Response(status_code=202, content_type=content_types.APPLICATION_JSON, body=export)


@router.get(
    "/leads/exports",
    summary="The exports made: who exported what, when, how many rows (admins all; team leads theirs)",
    tags=["exports"],
)
def list_exports(
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=CURSOR_MAX_LENGTH, description=CURSOR_DOC)] = None,
) -> ExportPage:
    caller = caller_of(router, *_EXPORTERS)
    items, next_page = jobs.list_exports(repository(), caller, limit, cursor)
    return ExportPage(items=items, cursor=next_page)


@router.get(
    "/leads/exports/<export_id>",
    summary="One export and, once it is done, its download link (15 minutes)",
    responses=answers("the export, with a download link when done", not_found=_NO_EXPORT),
    tags=["exports"],
)
def get_export(export_id: PathIdent) -> ExportDetail:
    caller = caller_of(router, *_EXPORTERS)
    repo = repository()
    export = jobs.get_export(repo, caller, export_id)
    url = None
    if export.status is ExportStatus.DONE:
        url = jobs.hand_out_link(repo, files(), caller, export, now(), request_id=request_id(router))
    return ExportDetail(export=export, download_url=url)
