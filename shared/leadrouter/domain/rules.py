"""An admin's distribution rule (pydantic v2), and building a version of it (pure).

Validation errors carry the field's location (``staff.1.weight``, ``window.end``), so an admin who
writes a bad rule is told which field to fix. The rotation cycle is built once per version and stored;
loading a rule only checks it against the weights (O(W)), so no sweep or read ever rebuilds one.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal, Self

from pydantic import (
    Field,
    StrictInt,
    ValidationInfo,
    field_validator,
    model_validator,
)

from leadrouter.domain.base import Ident, Moment, Name, _Model
from leadrouter.domain.rotation import build_cycle, normalise_weights
from leadrouter.domain.scopes import Scope

#: A rule's rotation cycle has W = Σ(weights / gcd) slots; beyond this, building and storing it costs too
#: much (and no sales team needs finer shares than 1 in 5,000).
MAX_CYCLE_SLOTS = 5000


MAX_PRIORITY = 1_000_000


class RuleKind(StrEnum):
    """The seed's three kinds: "Chia cơ hội xoay vòng", "… theo tỷ trọng", "Thu hồi cơ hội"."""

    ROUND_ROBIN = "round_robin"
    WEIGHTED = "weighted"
    RECLAIM = "reclaim"


class RuleStaff(_Model):
    staff_id: Ident
    weight: StrictInt = Field(default=1, ge=1, le=1000)


class ScheduleWindow(_Model):
    """When the rule runs: between start and end (open-ended if absent), every ``interval_minutes``.

    ``interval_minutes = 0`` is the seed's "gán liên tục" (continuous: every scheduler tick).
    """

    start: Moment | None = None
    end: Moment | None = None
    interval_minutes: StrictInt = Field(default=0, ge=0, le=24 * 60)

    @field_validator("end")
    @classmethod
    def _after_start(cls, end: datetime | None, info: ValidationInfo) -> datetime | None:
        start = info.data.get("start")
        if end is not None and start is not None and end <= start:
            raise ValueError("end must be after start")
        return end

    def is_open(self, now: datetime) -> bool:
        return (self.start is None or self.start <= now) and (self.end is None or now < self.end)


def escalate_after_field() -> Any:
    """The working-time options of a rule, shared by ``Rule`` and the API's request models."""
    return Field(
        default=120,
        ge=1,
        le=30 * 24 * 60,
        description="minutes of the team's working time a due lead may wait for someone on shift and "
        "under their cap before it is escalated (pauses and caps do not stop this clock)",
    )


def backlog_hold_field() -> Any:
    return Field(
        default=30,
        ge=0,
        le=240,
        description="leads that gathered while the whole team was off wait, once the first shift "
        "starts, until every member whose shift starts within this many minutes is on; then the "
        "rotation shares them. 0: the first member on shift takes them as they come",
    )


def absence_field() -> Any:
    return Field(
        default=True,
        description="whether the owner's leave days and pauses stop the reclaim clock (else only "
        "shifts and holidays do)",
    )


class Rule(_Model):
    """An admin's distribution rule. Editing it makes a new ``version`` with a fresh cycle."""

    tenant_id: Ident
    rule_id: Ident
    name: Name
    kind: RuleKind
    scope: Scope
    delay_minutes: StrictInt = Field(default=0, ge=0, le=30 * 24 * 60)
    staff: list[RuleStaff] = Field(min_length=1, max_length=200)
    reclaim_after_minutes: StrictInt | None = Field(
        default=None, ge=1, le=365 * 24 * 60, validate_default=True
    )
    max_reclaims: StrictInt = Field(default=2, ge=0, le=100)
    escalate_after_minutes: StrictInt = escalate_after_field()
    backlog_hold_minutes: StrictInt = backlog_hold_field()
    absence_stops_reclaim_clock: bool = absence_field()
    active: bool = True
    priority: StrictInt = Field(default=0, ge=-MAX_PRIORITY, le=MAX_PRIORITY)
    window: ScheduleWindow = Field(default_factory=ScheduleWindow)
    version: StrictInt = Field(default=1, ge=1)
    #: Bumped by every write (edit, enable, disable); writes are conditioned on the revision read.
    rev: int = 0
    #: Staff ids in rotation order, one per slot: built once per version (``domain.rules.new_rule``)
    #: and stored; loading a rule only checks it against the weights.
    cycle: tuple[str, ...] = Field(min_length=1, max_length=MAX_CYCLE_SLOTS)

    @field_validator("staff")
    @classmethod
    def _staff_fit_kind(cls, staff: list[RuleStaff], info: ValidationInfo) -> list[RuleStaff]:
        ids = [s.staff_id for s in staff]
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if repeated:
            raise ValueError(f"each staff member may appear once (repeated: {', '.join(repeated)})")
        if info.data.get("kind") is RuleKind.ROUND_ROBIN and any(s.weight != 1 for s in staff):
            raise ValueError("a round_robin rule gives everyone weight 1; use kind 'weighted' for weights")
        slots = sum(normalise_weights([s.weight for s in staff]))
        if slots > MAX_CYCLE_SLOTS:
            raise ValueError(
                f"these weights make a rotation cycle of {slots} slots (at most {MAX_CYCLE_SLOTS});"
                " use smaller weights (3:4:5 and 300:400:500 split leads the same way)"
            )
        return staff

    @field_validator("reclaim_after_minutes")
    @classmethod
    def _reclaim_fits_kind(cls, minutes: int | None, info: ValidationInfo) -> int | None:
        kind = info.data.get("kind")
        if kind is RuleKind.RECLAIM and minutes is None:
            raise ValueError("a reclaim rule needs the idle time (minutes) after which leads are taken back")
        if kind is not None and kind is not RuleKind.RECLAIM and minutes is not None:
            raise ValueError("only a reclaim rule takes leads back; create a rule of kind 'reclaim'")
        return minutes

    @model_validator(mode="after")
    def _cycle_fits_weights(self, info: ValidationInfo) -> Self:
        """Check (never rebuild) the stored cycle: each member appears weight/gcd times, nobody else."""
        if info.context == {"cycle": "build"}:
            return self
        expected = dict(
            zip(
                (s.staff_id for s in self.staff),
                normalise_weights([s.weight for s in self.staff]),
                strict=True,
            )
        )
        counts: dict[str, int] = {}
        for staff_id in self.cycle:
            counts[staff_id] = counts.get(staff_id, 0) + 1
        if counts != expected:
            raise ValueError(
                "cycle does not match the weights; it is built from them (domain.rules.new_rule)"
            )
        return self

    @property
    def weights(self) -> dict[str, int]:
        return {s.staff_id: s.weight for s in self.staff}

    @property
    def action(self) -> Literal["assign", "reclaim"]:
        """Which sweep runs this rule: the assign Lambda or the reclaim Lambda."""
        return "reclaim" if self.kind is RuleKind.RECLAIM else "assign"


#: Validation context under which ``Rule`` skips its cycle check (the cycle is about to be built).
BUILDING = {"cycle": "build"}


def draft_rule(data: Mapping[str, Any]) -> Rule:
    """Every field checked (types, bounds, repeated staff, Σweights ≤ MAX_CYCLE_SLOTS), no cycle yet.

    Raises pydantic's ValidationError naming each field. Costs no CPU worth mentioning, so callers run
    their own cheap checks (unknown staff) on the draft before paying for the cycle.
    """
    fields = {k: v for k, v in data.items() if k != "cycle"}
    return Rule.model_validate({**fields, "cycle": ("-",)}, context=BUILDING)


def with_cycle(draft: Rule) -> Rule:
    """The draft with its rotation cycle built from the weights (the one expensive step)."""
    order = build_cycle([s.weight for s in draft.staff])
    cycle = tuple(draft.staff[i].staff_id for i in order)
    return Rule.model_validate({**draft.model_dump(), "cycle": cycle})


def new_rule(data: Mapping[str, Any]) -> Rule:
    """A complete rule version from its fields (without ``cycle``)."""
    return with_cycle(draft_rule(data))


def rule_with(rule: Rule, **changes: Any) -> Rule:
    """The same rule version with some fields changed, validated again (never ``model_copy``)."""
    return Rule.model_validate({**rule.model_dump(), **changes})
