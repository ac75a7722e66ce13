"""Rule preview (dry run): who would get the next leads under a draft rule, and how fair that is.

Nothing is written: the draft is validated like a real rule (including that its staff exist), then the
pure rotation is asked for the first ``count`` slots of a fresh counter with nobody unavailable.
"""

from __future__ import annotations

from collections import Counter
from fractions import Fraction

from pydantic import BaseModel, Field, StrictInt

from leadrouter.data.repository import Repository
from leadrouter.domain.models import Caller, Rule
from leadrouter.domain.rotation import allocate_block, max_prefix_deviation
from leadrouter.logic.admin import RuleDraft, build_rule

PREVIEW_RULE_ID = "preview"


class PreviewRequest(RuleDraft):
    count: StrictInt = Field(default=24, ge=1, le=1000, description="how many upcoming leads to show")


class StaffPreview(BaseModel):
    staff_id: str
    weight: int
    ideal_share: float = Field(description="weight / W: the share of leads this member converges to")
    ideal_share_fraction: str = Field(description="the same share as an exact fraction, e.g. 1/4")
    in_preview: int = Field(description="how many of the previewed leads this member gets")
    ideal_in_preview: float = Field(description="ideal_share × count")


class RulePreview(BaseModel):
    count: int
    cycle_length: int = Field(description="W: after this many leads everyone has had exactly their weight")
    cycle: list[str]
    assignees: list[str] = Field(description="who gets each of the next `count` leads, in order")
    totals: dict[str, int]
    staff: list[StaffPreview]
    max_prefix_deviation: float = Field(
        description="the cycle's worst gap, at any point, between anyone's count and their ideal share"
        " (in leads; the smallest any ordering achieves)"
    )
    max_prefix_deviation_fraction: str


def preview_rule(repo: Repository, caller: Caller, request: PreviewRequest) -> RulePreview:
    rule = build_rule(repo, caller.tenant_id, request.rule_id or PREVIEW_RULE_ID, request, version=1)
    return preview(rule, request.count)


def preview(rule: Rule, count: int) -> RulePreview:
    """Pure: the first ``count`` picks from slot 0 of the rule's cycle, with everyone available."""
    picks = allocate_block(rule.cycle, 0, count, unavailable={})
    assignees = [p.staff_id for p in picks if p.staff_id is not None]
    totals = Counter(assignees)
    weights = [s.weight for s in rule.staff]
    total_weight = sum(weights)
    index = {s.staff_id: i for i, s in enumerate(rule.staff)}
    deviation = max_prefix_deviation([index[sid] for sid in rule.cycle], weights)
    staff = []
    for entry in rule.staff:
        share = Fraction(entry.weight, total_weight)
        staff.append(
            StaffPreview(
                staff_id=entry.staff_id,
                weight=entry.weight,
                ideal_share=float(share),
                ideal_share_fraction=str(share),
                in_preview=totals[entry.staff_id],
                ideal_in_preview=float(share * count),
            )
        )
    return RulePreview(
        count=count,
        cycle_length=len(rule.cycle),
        cycle=list(rule.cycle),
        assignees=assignees,
        totals={s.staff_id: totals[s.staff_id] for s in rule.staff},
        staff=staff,
        max_prefix_deviation=float(deviation),
        max_prefix_deviation_fraction=str(deviation),
    )
