"""Distribution report: per rule and staff member, actual vs ideal share, reclaims, escalations, speed.

Everything is computed from the decision records written with each change of a lead (so the report
says what the rotation actually did), by a pure function over leads and rules; ``distribution_report``
only fetches them. Definitions:

* **assigned**: decisions with action "assigned", counted for the rule, version and staff member named
  in the decision (a lead released and assigned again counts twice: both were rotation turns).
* **ideal**: the rule's *current* weights: weight / W × the rule's assigned total; **deviation** =
  assigned − ideal. If the period spans several versions (``versions`` lists them), the current
  weights are the yardstick for all of them.
* **reclaims** / **escalations**: decisions with action "reclaimed" / "escalated", counted for the rule
  in the decision; per staff member, ``reclaimed_from`` counts leads taken back from them.
* **unrouted**: leads of the period still pending in a scope no open rule is in charge of, by reason
  (``no_rule``, ``window_closed``); **escalated_unrouted**: leads escalated for those reasons.
* **speed-to-lead**: seconds from ``received_at`` to the lead's first "assigned" or "manual" decision,
  over the leads that have one; a rule's figure covers the leads whose first assignment was its own.
  Median: ``statistics.median`` (mean of the two middle values for an even count). p95: nearest rank,
  the smallest measured value with at least 95 % of the values at or below it (always a real value).
"""

from __future__ import annotations

import math
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from fractions import Fraction

from pydantic import BaseModel, Field

from leadrouter.clock import utc_now
from leadrouter.data.repository import Repository
from leadrouter.domain.errors import InvalidInput
from leadrouter.domain.models import Caller, Decision, Lead, LeadStatus, Rule
from leadrouter.logic.unrouted import tenant_gaps

MAX_PERIOD = timedelta(days=92)
ASSIGNING_ACTIONS = frozenset({"assigned", "manual"})
P95_METHOD = "nearest-rank"


class Speed(BaseModel):
    leads: int = Field(description="how many leads were measured (those assigned at least once)")
    median_seconds: float | None
    p95_seconds: float | None = Field(description="nearest-rank 95th percentile")


class StaffDistribution(BaseModel):
    staff_id: str
    weight: int | None = Field(description="current weight in the rule; null if no longer in it")
    assigned: int
    ideal: float | None = Field(description="weight / W × the rule's assigned total (current weights)")
    ideal_share: float | None
    deviation: float | None = Field(description="assigned − ideal")
    reclaimed_from: int = Field(description="leads this rule took back from this staff member")


class RuleDistribution(BaseModel):
    rule_id: str
    name: str | None = Field(description="null when the rule has been deleted since")
    kind: str | None
    current_version: int | None
    versions: list[int] = Field(description="versions seen in this period's decisions")
    assigned: int
    reclaims: int
    escalations: int
    max_abs_deviation: float | None
    speed_to_lead: Speed
    staff: list[StaffDistribution]


class DistributionReport(BaseModel):
    received_from: datetime
    received_to: datetime
    rule_id: str | None
    leads: int = Field(description="leads received in [received_from, received_to)")
    speed_to_lead: Speed
    p95_method: str = P95_METHOD
    rules: list[RuleDistribution]
    unrouted: dict[str, int] = Field(
        default_factory=dict,
        description="pending leads no rule will assign now, by reason (no_rule, window_closed)",
    )
    escalated_unrouted: dict[str, int] = Field(
        default_factory=dict, description="leads escalated because no rule would assign them, by reason"
    )


def check_period(received_from: datetime, received_to: datetime) -> None:
    """Both bounds aware, ``to`` after ``from``, at most 92 days: InvalidInput naming the field otherwise."""
    problems: dict[str, str] = {}
    for name, value in (("received_from", received_from), ("received_to", received_to)):
        if value.tzinfo is None or value.utcoffset() is None:
            problems[name] = "give a time zone offset, e.g. 2026-11-01T00:00:00+07:00 or …Z"
    if not problems:
        if received_to <= received_from:
            problems["received_to"] = "must be after received_from"
        elif received_to - received_from > MAX_PERIOD:
            problems["received_to"] = f"the period is at most {MAX_PERIOD.days} days"
    if problems:
        raise InvalidInput("invalid report period", problems)


def distribution_report(
    repo: Repository,
    caller: Caller,
    received_from: datetime,
    received_to: datetime,
    rule_id: str | None = None,
    now: datetime | None = None,
) -> DistributionReport:
    """Fetch the period's leads (a key-range Query) and the tenant's rules, then compute."""
    check_period(received_from, received_to)
    leads = repo.leads_received_between(caller.tenant_id, received_from, received_to)
    unrouted = tenant_gaps(repo, caller.tenant_id, now or utc_now())
    return distribution(
        leads, repo.list_rules(caller.tenant_id), received_from, received_to, rule_id, unrouted
    )


@dataclass
class _Tally:
    assigned: Counter[str] = field(default_factory=Counter)
    reclaimed_from: Counter[str] = field(default_factory=Counter)
    versions: set[int] = field(default_factory=set)
    reclaims: int = 0
    escalations: int = 0
    speeds: list[float] = field(default_factory=list)


def distribution(
    leads: Iterable[Lead],
    rules: Sequence[Rule],
    received_from: datetime,
    received_to: datetime,
    rule_id: str | None = None,
    unrouted_scopes: Mapping[str, str] | None = None,
) -> DistributionReport:
    """Pure: the report over the leads received in [received_from, received_to).

    ``unrouted_scopes`` maps the scope keys no open rule is in charge of to the reason.
    """
    tallies: dict[str, _Tally] = defaultdict(_Tally)
    speeds: list[float] = []
    unrouted: Counter[str] = Counter()
    escalated_unrouted: Counter[str] = Counter()
    gaps_now = unrouted_scopes or {}
    count = 0
    for lead in leads:
        if not received_from <= lead.received_at < received_to:
            continue
        if rule_id is not None and not any(d.rule_id == rule_id for d in lead.decisions):
            continue
        count += 1
        if lead.status is LeadStatus.PENDING and lead.scope_key in gaps_now:
            unrouted[gaps_now[lead.scope_key]] += 1
        for decision in lead.decisions:
            if decision.rule_id is not None:
                _count(tallies[decision.rule_id], decision)
            elif decision.action == "escalated" and decision.reason:
                escalated_unrouted[decision.reason] += 1
        first = next((d for d in lead.decisions if d.action in ASSIGNING_ACTIONS), None)
        if first is not None:
            seconds = (first.at - lead.received_at).total_seconds()
            speeds.append(seconds)
            if first.action == "assigned" and first.rule_id is not None:
                tallies[first.rule_id].speeds.append(seconds)
    current = {r.rule_id: r for r in rules}
    wanted = [rule_id] if rule_id is not None else sorted(set(current) | set(tallies))
    rows = [_rule_row(rid, current.get(rid), tallies.get(rid, _Tally())) for rid in wanted]
    return DistributionReport(
        received_from=received_from,
        received_to=received_to,
        rule_id=rule_id,
        leads=count,
        speed_to_lead=speed(speeds),
        rules=rows,
        unrouted=dict(unrouted),
        escalated_unrouted=dict(escalated_unrouted),
    )


def _count(tally: _Tally, decision: Decision) -> None:
    if decision.rule_version is not None:
        tally.versions.add(decision.rule_version)
    if decision.action == "assigned" and decision.staff_id is not None:
        tally.assigned[decision.staff_id] += 1
    elif decision.action == "reclaimed":
        tally.reclaims += 1
        if decision.previous_owner is not None:
            tally.reclaimed_from[decision.previous_owner] += 1
    elif decision.action == "escalated":
        tally.escalations += 1


def _rule_row(rule_id: str, rule: Rule | None, tally: _Tally) -> RuleDistribution:
    weights = rule.weights if rule is not None else {}
    total_weight = sum(weights.values())
    total = sum(tally.assigned.values())
    ids = list(weights) + sorted((set(tally.assigned) | set(tally.reclaimed_from)) - set(weights))
    staff: list[StaffDistribution] = []
    for sid in ids:
        actual = tally.assigned[sid]
        if rule is None:
            ideal = share = None
        else:
            share = Fraction(weights.get(sid, 0), total_weight)
            ideal = share * total
        staff.append(
            StaffDistribution(
                staff_id=sid,
                weight=weights.get(sid),
                assigned=actual,
                ideal=None if ideal is None else float(ideal),
                ideal_share=None if share is None else float(share),
                deviation=None if ideal is None else float(actual - ideal),
                reclaimed_from=tally.reclaimed_from[sid],
            )
        )
    deviations = [abs(s.deviation) for s in staff if s.deviation is not None]
    return RuleDistribution(
        rule_id=rule_id,
        name=rule.name if rule else None,
        kind=rule.kind.value if rule else None,
        current_version=rule.version if rule else None,
        versions=sorted(tally.versions),
        assigned=total,
        reclaims=tally.reclaims,
        escalations=tally.escalations,
        max_abs_deviation=max(deviations) if deviations else None,
        speed_to_lead=speed(tally.speeds),
        staff=staff,
    )


def speed(seconds: Sequence[float]) -> Speed:
    """Median (``statistics.median``) and nearest-rank p95 of speed-to-lead samples, in seconds."""
    if not seconds:
        return Speed(leads=0, median_seconds=None, p95_seconds=None)
    ordered = sorted(seconds)
    p95 = ordered[math.ceil(0.95 * len(ordered)) - 1]
    return Speed(leads=len(ordered), median_seconds=float(statistics.median(ordered)), p95_seconds=p95)
