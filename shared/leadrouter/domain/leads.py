"""A lead, the decisions that moved it, and the lines of its history ("Tab Hệ thống").

Models are storage-agnostic: the data layer adds index attributes and maps them to and from items.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    Field,
)

from leadrouter.domain.attribution import Attribution
from leadrouter.domain.base import Ident, Label, Moment, Name, _Model
from leadrouter.domain.consent import Consents, Restriction
from leadrouter.domain.scopes import scope_key
from leadrouter.domain.text import LABEL_PATTERN, accepted_text, check_label


class LeadStatus(StrEnum):
    PENDING = "pending"
    ASSIGNED = "assigned"
    ESCALATED = "escalated"
    DELETED = "deleted"


#: The labels the seed users know (CRMOnline "Tình trạng chăm sóc").
STATUS_LABELS_VI: dict[LeadStatus, str] = {
    LeadStatus.PENDING: "Lead gán tự động",
    LeadStatus.ASSIGNED: "Lead đã được gán",
    LeadStatus.ESCALATED: "Cần xử lý thủ công",
    LeadStatus.DELETED: "Đã xóa",
}
#: The same in English (the export's English option; an import reads both back).
STATUS_LABELS_EN: dict[LeadStatus, str] = {
    LeadStatus.PENDING: "Awaiting assignment",
    LeadStatus.ASSIGNED: "Assigned",
    LeadStatus.ESCALATED: "Needs manual handling",
    LeadStatus.DELETED: "Deleted",
}


class SkipRecord(_Model):
    staff_id: str
    reason: str


DecisionAction = Literal["assigned", "reclaimed", "escalated", "manual", "released"]


class Decision(_Model):
    """Why a lead went where it went: written in the same conditional write as the change itself."""

    at: Moment
    action: DecisionAction
    rule_id: str | None = None
    rule_version: int | None = None
    slot: int | None = None
    staff_id: str | None = None
    previous_owner: str | None = None
    skipped: list[SkipRecord] = Field(default_factory=list)
    reason: str | None = None
    by: str | None = None
    #: Whether the new owner may make an advertising call (``domain.calling``); None on decisions that
    #: give the lead to nobody, and on those written before calls were checked. False: hand it out for
    #: follow-up that is not a call; ``call_reason`` says why, ``call_allowed_from`` when (if only time
    #: stands in the way: the 24 hours since the last call, the calling hours).
    call_allowed: bool | None = None
    call_reason: str | None = None
    call_allowed_from: Moment | None = None


AttributeName = Annotated[
    str,
    Field(min_length=1, max_length=64),
    AfterValidator(check_label),
    accepted_text(LABEL_PATTERN, 64),
]


AttributeValue = Annotated[str, Field(max_length=1000)]


#: Free-form form fields kept on a lead (utm_source, "Sản phẩm quan tâm", …): bounded in count and size.
Attributes = Annotated[dict[AttributeName, AttributeValue], Field(max_length=30)]


class Lead(_Model):
    tenant_id: Ident
    lead_id: Ident
    name: Name
    phone: Annotated[str, Field(max_length=32)] | None = None
    #: The phone as it was typed when it was an old 11-digit mobile number converted to ``phone``
    #: (``read_phone``), so a colleague can match it with older records; None otherwise.
    phone_as_typed: Annotated[str, Field(max_length=32)] | None = None
    email: Annotated[str, Field(max_length=254)] | None = None
    pool: Label
    step: Label
    campaign: Label | None = None
    source: str | None = None
    attributes: Attributes = Field(default_factory=dict)
    #: Where the lead came from (UTM tags, click ids, landing page): first touch kept, latest updated.
    attribution: Attribution | None = None
    #: What the person said per purpose (``domain.consent``): the latest record each; none is ``unknown``.
    consents: Consents = Field(default_factory=dict, exclude_if=lambda v: not v)
    #: Set while a data-subject request restricts or objects to processing: no calls, no marketing.
    restriction: Restriction | None = Field(default=None, exclude_if=lambda v: v is None)
    status: LeadStatus = LeadStatus.PENDING
    owner: str | None = None
    assignees: list[str] = Field(default_factory=list)
    held_by: list[str] = Field(default_factory=list)
    received_at: Moment
    #: When the lead entered its current scope while pending; the rule's delay counts from here.
    queued_at: Moment
    assigned_at: Moment | None = None
    idle_since: Moment | None = None
    last_activity_at: Moment | None = None
    escalated_at: Moment | None = None
    deleted_at: Moment | None = None
    reclaim_count: int = 0
    #: Bumped by every write; API edits are conditioned on the revision they read.
    rev: int = 0
    duplicate_of: str | None = None
    rule_id: str | None = None
    rule_version: int | None = None
    decisions: list[Decision] = Field(default_factory=list)
    #: Sweep writes on this lead that raised (not lost races); after a few it is quarantined (escalated).
    failed_attempts: int = 0
    last_failure: str | None = None
    #: Set only on read: stored fields that failed validation and were read as placeholders. Saving
    #: the lead (PATCH) writes valid values back; never stored itself.
    damaged_fields: list[str] = Field(default_factory=list, exclude_if=lambda v: not v)

    @property
    def scope_key(self) -> str:
        return scope_key(pool=self.pool, step=self.step, campaign=self.campaign)

    @property
    def status_label(self) -> str:
        return STATUS_LABELS_VI[self.status]


class LeadEvent(_Model):
    """One line of a lead's history ("Tab Hệ thống"): care activities and manual changes.

    Rotation decisions live on the lead itself (written with the change); these are everything else.
    """

    at: Moment
    kind: Literal[
        "note",
        "call",
        "step_change",
        "edited",
        "manual_assign",
        "deleted",
        "restored",
        "resubmitted",
        "campaign",
        "released",
        "consent",
    ]
    by: str | None = None
    text: str | None = None
    data: dict[str, str | int | None] = Field(default_factory=dict)
