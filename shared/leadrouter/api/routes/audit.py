"""The tenant's privacy records for its admins: the access audit (paged, verified) and the processing
inventory (JSON, or CSV for Excel)."""

from __future__ import annotations

from typing import Annotated, Literal

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query
from pydantic import BaseModel, Field

from leadrouter.api.context import CURSOR_DOC, CURSOR_MAX_LENGTH, caller_of, now
from leadrouter.api.contract import answers
from leadrouter.domain.audit import AuditEntry, ChainHead, Verification
from leadrouter.domain.base import Ident
from leadrouter.logic.exports.writing import CSV_CONTENT_TYPE
from leadrouter.logic.privacy import audit, inventory
from leadrouter.runtime import hosting_region, repository

router = Router()

_ADMINS = ("admin",)


class AuditPage(BaseModel):
    items: list[AuditEntry]
    cursor: str | None = Field(description="pass back as ?cursor= for the next page; null at the end")


@router.get(
    "/privacy/audit",
    summary="The access audit: who read, listed, exported, changed or deleted which leads (admins)",
    description=(
        "Newest first; one entry per request, naming lead ids only (a listing names the page's ids, a "
        "download of an export its row count and the export's id). `lead_id` keeps the entries naming "
        "that lead, `actor` those of a user (their subject) or a staff id. Filters apply after the "
        "read, so a page may be short with a cursor. Entries are kept for the tenant's "
        "`privacy.retention.audit_days`."
    ),
    tags=["privacy"],
)
def list_audit(
    lead_id: Annotated[Ident | None, Query(description="only entries naming this lead")] = None,
    actor: Annotated[
        str | None, Query(max_length=128, description="only entries by this user (subject) or staff id")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=CURSOR_MAX_LENGTH, description=CURSOR_DOC)] = None,
) -> AuditPage:
    caller = caller_of(router, *_ADMINS)
    items, next_page = audit.list_entries(
        repository(), caller, now(), lead_id=lead_id, actor=actor, limit=limit, cursor=cursor
    )
    return AuditPage(items=items, cursor=next_page)


@router.get(
    "/privacy/audit/verify",
    summary="Verify the access audit's hash chain (admins): the first broken link, if any",
    description=(
        "Recomputes each entry's hash and its link to the one before, from the oldest entry kept (or "
        "`from_seq`), for up to `limit` entries; `next_from_seq` says where to continue. Entries that "
        "expired by the retention period are accepted as gaps; one missing before its expiry, an edited "
        "one or one out of order is reported. Keep the `head` it returns somewhere else and pass it "
        "back later as `anchor=<seq>:<hash>`: `anchor_matches` false means the chain was rewritten."
    ),
    tags=["privacy"],
)
def verify_audit(
    from_seq: Annotated[int | None, Query(ge=1, le=10**12, description="the first entry to check")] = None,
    limit: Annotated[int, Query(ge=1, le=audit.MAX_VERIFY)] = audit.MAX_VERIFY,
    anchor: Annotated[
        str | None,
        Query(
            max_length=77,
            pattern=r"^[0-9]{1,12}:[0-9a-f]{64}$",
            description="`<head.seq>:<head.hash>` of an earlier answer: is it still in the chain?",
        ),
    ] = None,
) -> Verification:
    caller = caller_of(router, *_ADMINS)
    kept = None
    if anchor is not None:
        seq, digest = anchor.split(":")
        kept = ChainHead(seq=int(seq), hash=digest)
    return audit.verify(repository(), caller, now(), from_seq=from_seq, limit=limit, anchor=kept)


@router.get(
    "/privacy/inventory",
    summary="The processing inventory of the tenant (admins): JSON, or CSV for Excel",
    description=(
        "Categories of personal data held and how long, purposes, sources, retention, recipients "
        "(webhook hosts and their countries as the tenant declares them in "
        "`privacy.recipient_countries`, else `unknown`), the hosting region as a transfer out of "
        "Vietnam, and sub-processors. `format=csv`: one table, UTF-8 with BOM."
    ),
    responses=answers("the inventory (`format=csv`: text/csv, UTF-8 with BOM)"),
    tags=["privacy"],
)
def get_inventory(
    format: Annotated[Literal["json", "csv"], Query(description="json (default) or csv")] = "json",
) -> Response[inventory.Inventory | str]:
    caller = caller_of(router, *_ADMINS)
    found = inventory.build_inventory(repository(), caller, hosting_region(), now())
    if format == "csv":
        name = f"inventory-{caller.tenant_id}-{found.generated_at:%Y%m%d}.csv"
        return Response(
            status_code=200,
            content_type=CSV_CONTENT_TYPE,
            body=inventory.inventory_csv(found).decode("utf-8"),
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
    return Response(status_code=200, content_type=content_types.APPLICATION_JSON, body=found)
