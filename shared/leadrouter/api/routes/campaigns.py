"""Campaigns: CRMOnline's mass update puts leads into a campaign for its rule to split."""

from __future__ import annotations

from typing import Annotated, Any, Self

from aws_lambda_powertools.event_handler.api_gateway import Router
from pydantic import BaseModel, ConfigDict, Field, model_validator

from leadrouter.api.context import PathLabel, caller_of, now, request_id
from leadrouter.domain.base import Ident, Label, omissible
from leadrouter.domain.leads import LeadStatus
from leadrouter.logic.leads import campaigns, reading
from leadrouter.runtime import repository

router = Router()


class LeadFilter(BaseModel):
    model_config = ConfigDict(extra="forbid")
    pool: Label | None = None
    step: Label | None = None
    status: LeadStatus | None = None
    assignee: Ident | None = None


class CampaignMembers(BaseModel):
    """Either explicit lead ids or a filter (resolved to at most 500 leads)."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"oneOf": [{"required": ["lead_ids"]}, {"required": ["filter"]}]}
    )
    lead_ids: Annotated[list[Ident], Field(min_length=1, max_length=campaigns.MAX_BATCH)] | None = omissible()
    filter: LeadFilter | None = omissible()

    @model_validator(mode="after")
    def _one_of(self) -> Self:
        if (self.lead_ids is None) == (self.filter is None):
            raise ValueError("give either lead_ids or filter")
        return self


class MassUpdateResult(BaseModel):
    campaign: str
    updated: int
    lead_ids: list[str]
    skipped: list[dict[str, str]]


@router.post(
    "/campaigns/<campaign>/leads",
    summary="Mass update: put leads into a campaign as pending (Lead gán tự động)",
    tags=["campaigns"],
)
def add_to_campaign(campaign: PathLabel, body: CampaignMembers) -> MassUpdateResult:
    caller = caller_of(router)
    repo = repository()
    ids = body.lead_ids
    if ids is None:
        assert body.filter is not None
        wanted: dict[str, Any] = body.filter.model_dump(exclude_none=True, mode="json")
        if "assignee" in wanted:
            wanted["owner"] = wanted.pop("assignee")
        leads, _ = reading.list_leads(repo, caller, wanted, None, None, campaigns.MAX_BATCH, None)
        ids = [x.lead_id for x in leads]
    moved = campaigns.put_in_campaign(repo, caller, campaign, ids, now(), request_id=request_id(router))
    return MassUpdateResult.model_validate(moved)
