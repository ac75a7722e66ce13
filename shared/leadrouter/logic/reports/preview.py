"""Rule preview (dry run): who would get the next leads under a draft rule, and how fair that is,
and what the working-time clocks would do with one lead arriving at a given time.

Nothing is written: the draft is validated like a real rule (including that its staff exist), then the
pure rotation is asked for the first ``count`` slots of a fresh counter with nobody unavailable. The
arrival is answered from the real staff (shifts, leave, pauses as they are now) and the tenant's
holiday calendar, by the same clocks the sweeps use (``logic.routing.clocks``). Caps are not counted: how
many leads someone holds at a future instant is not known.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from fractions import Fraction

from pydantic import BaseModel, Field, StrictInt

from leadrouter.clock import utc_now
from leadrouter.domain.base import Ident, Moment, PlausibleMoment
from leadrouter.domain.eligibility import HELD_BEFORE, unavailability
from leadrouter.domain.errors import InvalidInput
from leadrouter.domain.rotation import allocate_block, max_prefix_deviation
from leadrouter.domain.rules import Rule, RuleKind
from leadrouter.domain.users import Caller
from leadrouter.logic.admin.rules import RuleDraft, build_rule
from leadrouter.logic.routing.clocks import ClockPorts, RuleClocks, rule_clocks

PREVIEW_RULE_ID = "preview"


class PreviewRequest(RuleDraft):
    count: StrictInt = Field(default=24, ge=1, le=1000, description="how many upcoming leads to show")
    arrival: PlausibleMoment | None = Field(
        default=None,
        description="when the lead of `arrival_preview` arrives (with a time zone; default: now). For a "
        "reclaim rule: when its owner got it",
    )
    owner: Ident | None = Field(
        default=None,
        description="reclaim rules: who holds the lead (a staff member on file; default: the first "
        "member of the rotation)",
    )


class ArrivalPreview(BaseModel):
    """What the clocks would do with one lead arriving at ``arrival_at`` (absent fields: not known)."""

    arrival_at: Moment
    delay_ends_at: Moment | None = Field(
        default=None,
        exclude_if=lambda v: v is None,
        description="assign rules: arrival + delay_minutes, wall-clock time (the lead is due then)",
    )
    expected_assignment_at: Moment | None = Field(
        default=None,
        exclude_if=lambda v: v is None,
        description="assign rules: when the lead is expected to be assigned, by the schedule: at "
        "delay_ends_at if someone is on shift then, else when the team's next shift starts (after "
        "the morning hold); absent if nobody works within a year",
    )
    first_assignee: str | None = Field(
        default=None,
        exclude_if=lambda v: v is None,
        description="who the rotation (a fresh cycle, slot 0) gives it to then: the first in the cycle "
        "on shift and not on leave, paused or out for a holiday (reclaim rules: who it is reclaimed "
        "to, never the owner); absent if nobody could take it",
    )
    owner: str | None = Field(
        default=None, exclude_if=lambda v: v is None, description="reclaim rules: whose clock is used"
    )
    reclaim_at: Moment | None = Field(
        default=None,
        exclude_if=lambda v: v is None,
        description="reclaim rules: when the lead is taken back if untouched: reclaim_after_minutes "
        "of the owner's working time (shifts and holidays; leave and pauses too when "
        "absence_stops_reclaim_clock) after arrival",
    )
    escalate_at: Moment | None = Field(
        default=None,
        exclude_if=lambda v: v is None,
        description="when it is escalated if nobody can take it: escalate_after_minutes of the team's "
        "working time after delay_ends_at (reclaim rules: after reclaim_at)",
    )


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
    arrival_preview: ArrivalPreview | None = Field(
        default=None, description="what the working-time clocks would do with one lead arriving at `arrival`"
    )


def preview_rule(
    repo: ClockPorts, caller: Caller, request: PreviewRequest, now: datetime | None = None
) -> RulePreview:
    rule = build_rule(repo, caller.tenant_id, request.rule_id or PREVIEW_RULE_ID, request, version=1)
    arrival = request.arrival or now or utc_now()
    ids = [s.staff_id for s in rule.staff]
    owner = request.owner
    if owner is not None and rule.kind is not RuleKind.RECLAIM:
        raise InvalidInput("invalid preview", {"owner": "only a reclaim rule runs an owner's clock"})
    members = repo.get_staff(caller.tenant_id, ids + ([owner] if owner and owner not in ids else []))
    if owner is not None and owner not in members:
        raise InvalidInput("unknown owner", {"owner": f"unknown staff member {owner!r}"})
    result = preview(rule, request.count)
    result.arrival_preview = arrival_preview(rule_clocks(repo, rule, members, arrival), owner)
    return result


def arrival_preview(clocks: RuleClocks, owner: str | None = None) -> ArrivalPreview:
    """Pure: the clocks' answers for one lead arriving at ``clocks.now`` (see ``ArrivalPreview``)."""
    rule, arrival = clocks.rule, clocks.now
    escalate_after = timedelta(minutes=rule.escalate_after_minutes)
    if rule.reclaim_after_minutes is None:
        due = arrival + timedelta(minutes=rule.delay_minutes)
        expected = clocks.expected_assignment(due)
        return ArrivalPreview(
            arrival_at=arrival,
            delay_ends_at=due,
            expected_assignment_at=expected,
            first_assignee=_first_pick(clocks, expected),
            escalate_at=clocks.team.after(due, escalate_after),
        )
    holder = owner or rule.cycle[0]
    reclaim_at = clocks.owner(holder).after(arrival, timedelta(minutes=rule.reclaim_after_minutes))
    return ArrivalPreview(
        arrival_at=arrival,
        owner=holder,
        reclaim_at=reclaim_at,
        first_assignee=_first_pick(clocks, reclaim_at, holder),
        escalate_at=None if reclaim_at is None else clocks.team.after(reclaim_at, escalate_after),
    )


def _first_pick(clocks: RuleClocks, at: datetime | None, held_by: str | None = None) -> str | None:
    """Slot 0's pick at ``at`` with everyone out then skipped (caps unknown, so not counted)."""
    if at is None:
        return None
    ids = [s.staff_id for s in clocks.rule.staff]
    out = {
        sid: reason
        for sid in ids
        if (reason := unavailability(clocks.members.get(sid), at, clocks.day_off)) is not None
    }
    excluded = [{held_by: HELD_BEFORE}] if held_by is not None else None
    (pick,) = allocate_block(clocks.rule.cycle, 0, 1, out, excluded=excluded)
    return pick.staff_id


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
