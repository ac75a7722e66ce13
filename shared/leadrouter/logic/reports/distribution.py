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
* **waited for working hours** (``working_hours_wait``), per rule, from its *current* team (active
  members' shifts, leave and the tenant's holidays: the escalation clock, ``RuleClocks.team``) and
  delay. Measured for each lead whose first "assigned" decision since it was last queued (``queued_at``:
  a lead released back keeps it, so its later turns are not waits) is this rule's: ``due_at`` =
  ``queued_at`` + delay (wall clock, ``logic.routing.assign.due_at``), **wall wait** = decision time − due_at,
  **working wait** = the team's working time over the same span. The lead *waited for working hours*
  when its due_at was outside the team's working time, or its wall wait exceeds its working wait by a
  minute or more (the team was off for part of the wait). p50 (median, as above) and nearest-rank p95
  of both waits are over the leads that waited. Rules no longer on file, or with nobody active on
  file, are not measured.
* **escalations**: every "escalated" decision on the period's leads, newest first (at most 200 listed),
  with its reason, rule (null: no rule was in charge) and the lead's status now; counted by reason.
* **by source / by campaign** (``attribution_rows``): the period's leads counted per form source
  (``Lead.source``) and per ``utm_campaign`` of their *first* touch, leads without one under null, each
  with speed-to-lead as above (received → first assigned or manual decision) over those assigned.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from fractions import Fraction
from typing import Protocol

from pydantic import BaseModel, Field

from leadrouter.clock import utc_now
from leadrouter.domain.errors import InvalidInput
from leadrouter.domain.leads import Decision, Lead, LeadStatus
from leadrouter.domain.rules import Rule
from leadrouter.domain.users import Caller
from leadrouter.domain.worktime import Schedule
from leadrouter.logic.ports import LeadReads
from leadrouter.logic.reports.speed import Speed, first_assignment, speed, speed_to_lead
from leadrouter.logic.routing.assign import due_at
from leadrouter.logic.routing.clocks import ClockPorts, clocks_of_rules
from leadrouter.logic.routing.unrouted import GapPorts, tenant_gaps


class DistributionPorts(LeadReads, ClockPorts, GapPorts, Protocol):
    """The period's leads, the rules' teams and clocks, and the scopes no rule covers."""


MAX_PERIOD = timedelta(days=92)
P95_METHOD = "nearest-rank"
#: A wait whose wall time exceeds its working time by this much spent part of it with the team off.
OFF_HOURS_SLACK = timedelta(minutes=1)


class WorkingHoursWait(BaseModel):
    """How many of a rule's leads waited for working hours, and for how long (see the module doc)."""

    measured: int = Field(
        default=0,
        description="leads whose wait was measured: the first assignment since the lead was queued was "
        "this rule's (rules no longer on file, or with nobody active, are not measured)",
    )
    waited: int = Field(
        default=0,
        description="of those, leads that waited for working hours: due (queued_at + delay) while the "
        "rule's team was off, or wall wait ≥ working wait + 1 minute",
    )
    wall_p50_seconds: float | None = Field(
        default=None, description="median wall-clock wait (assigned at − due at) of the leads that waited"
    )
    wall_p95_seconds: float | None = Field(default=None, description="nearest-rank 95th percentile")
    working_p50_seconds: float | None = Field(
        default=None,
        description="median of the team's working time between due at and assigned at, over the leads "
        "that waited",
    )
    working_p95_seconds: float | None = Field(default=None, description="nearest-rank 95th percentile")


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
    working_hours_wait: WorkingHoursWait = Field(
        default_factory=WorkingHoursWait,
        description="leads that waited for the rule's team to be on shift, and how long, in wall and "
        "in working time",
    )
    staff: list[StaffDistribution]


class SourceRow(BaseModel):
    source: str | None = Field(description="the form source's id; null: leads from no source (imports)")
    leads: int
    speed_to_lead: Speed


class CampaignRow(BaseModel):
    utm_campaign: str | None = Field(description="the first touch's utm_campaign; null: none")
    leads: int
    speed_to_lead: Speed


class EscalationRow(BaseModel):
    lead_id: str
    at: datetime = Field(description="when the lead was escalated")
    reason: str | None = Field(description="why: nobody eligible, reclaimed too often, no rule, ...")
    rule_id: str | None = Field(description="the rule that escalated it; null: no rule was in charge")
    previous_owner: str | None = None
    status: LeadStatus = Field(description="the lead's status now (an admin may have assigned it since)")


#: Escalations listed in a report at most (newest first); ``escalations_by_reason`` counts them all.
MAX_ESCALATIONS_LISTED = 200


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
    escalations: list[EscalationRow] = Field(
        default_factory=list,
        description=f"the period's escalations with their reasons, newest first (at most "
        f"{MAX_ESCALATIONS_LISTED})",
    )
    escalations_by_reason: dict[str, int] = Field(
        default_factory=dict, description="every escalation of the period's leads, counted by reason"
    )
    by_source: list[SourceRow] = Field(
        default_factory=list, description="the period's leads per form source, most leads first"
    )
    by_campaign: list[CampaignRow] = Field(
        default_factory=list,
        description="the period's leads per utm_campaign of their first touch, most leads first",
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
    repo: DistributionPorts,
    caller: Caller,
    received_from: datetime,
    received_to: datetime,
    rule_id: str | None = None,
    now: datetime | None = None,
) -> DistributionReport:
    """Fetch the period's leads (a key-range Query), the tenant's rules, their staff (one batch read)
    and the holiday calendar, then compute. Nothing is read per lead."""
    check_period(received_from, received_to)
    at = now or utc_now()
    leads = repo.leads_received_between(caller.tenant_id, received_from, received_to)
    unrouted = tenant_gaps(repo, caller.tenant_id, at)
    rules = repo.list_rules(caller.tenant_id)
    measured = [r for r in rules if r.action == "assign" and rule_id in (None, r.rule_id)]
    return distribution(
        leads, rules, received_from, received_to, rule_id, unrouted, rule_teams(repo, measured, at)
    )


def rule_teams(repo: ClockPorts, rules: Sequence[Rule], now: datetime) -> dict[str, Schedule]:
    """Each rule's team clock (``RuleClocks.team``) from one staff read and the tenant's calendar;
    rules with nobody active on file have none."""
    if not rules:
        return {}
    clocks = clocks_of_rules(repo, rules[0].tenant_id, rules, now)
    return {rule_id: c.team for rule_id, c in clocks.items() if c.team.members}


@dataclass
class _Tally:
    assigned: Counter[str] = field(default_factory=Counter)
    reclaimed_from: Counter[str] = field(default_factory=Counter)
    versions: set[int] = field(default_factory=set)
    reclaims: int = 0
    escalations: int = 0
    speeds: list[float] = field(default_factory=list)
    waits_measured: int = 0
    wall_waits: list[float] = field(default_factory=list)
    working_waits: list[float] = field(default_factory=list)


def distribution(
    leads: Iterable[Lead],
    rules: Sequence[Rule],
    received_from: datetime,
    received_to: datetime,
    rule_id: str | None = None,
    unrouted_scopes: Mapping[str, str] | None = None,
    teams: Mapping[str, Schedule] | None = None,
) -> DistributionReport:
    """Pure: the report over the leads received in [received_from, received_to).

    ``unrouted_scopes`` maps the scope keys no open rule is in charge of to the reason; ``teams`` maps
    rule ids to their team clock (rules without one are not measured for working-hours waits).
    """
    current = {r.rule_id: r for r in rules}
    tallies: dict[str, _Tally] = defaultdict(_Tally)
    speeds: list[float] = []
    unrouted: Counter[str] = Counter()
    escalated_unrouted: Counter[str] = Counter()
    gaps_now = unrouted_scopes or {}
    kept: list[Lead] = []
    escalations: list[EscalationRow] = []
    for lead in leads:
        if not received_from <= lead.received_at < received_to:
            continue
        if rule_id is not None and not any(d.rule_id == rule_id for d in lead.decisions):
            continue
        kept.append(lead)
        if lead.status is LeadStatus.PENDING and lead.scope_key in gaps_now:
            unrouted[gaps_now[lead.scope_key]] += 1
        for decision in lead.decisions:
            if decision.action == "escalated":
                escalations.append(_escalation_row(lead, decision))
            if decision.rule_id is not None:
                _count(tallies[decision.rule_id], decision)
            elif decision.action == "escalated" and decision.reason:
                escalated_unrouted[decision.reason] += 1
        first = first_assignment(lead)
        if first is not None:
            seconds = (first.at - lead.received_at).total_seconds()
            speeds.append(seconds)
            if first.action == "assigned" and first.rule_id is not None:
                tallies[first.rule_id].speeds.append(seconds)
        _measure_wait(lead, current, teams or {}, tallies)
    wanted = [rule_id] if rule_id is not None else sorted(set(current) | set(tallies))
    rows = [_rule_row(rid, current.get(rid), tallies.get(rid, _Tally())) for rid in wanted]
    by_source, by_campaign = attribution_rows(kept)
    return DistributionReport(
        received_from=received_from,
        received_to=received_to,
        rule_id=rule_id,
        leads=len(kept),
        by_source=by_source,
        by_campaign=by_campaign,
        speed_to_lead=speed(speeds),
        rules=rows,
        unrouted=dict(unrouted),
        escalated_unrouted=dict(escalated_unrouted),
        escalations=sorted(escalations, key=lambda e: (e.at, e.lead_id), reverse=True)[
            :MAX_ESCALATIONS_LISTED
        ],
        escalations_by_reason=dict(Counter(e.reason or "unknown" for e in escalations)),
    )


def _escalation_row(lead: Lead, decision: Decision) -> EscalationRow:
    return EscalationRow(
        lead_id=lead.lead_id,
        at=decision.at,
        reason=decision.reason,
        rule_id=decision.rule_id,
        previous_owner=decision.previous_owner,
        status=lead.status,
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


def _measure_wait(
    lead: Lead, rules: Mapping[str, Rule], teams: Mapping[str, Schedule], tallies: dict[str, _Tally]
) -> None:
    """Tally the wait of the lead's first assignment since it was queued, if its rule can be measured."""
    turn = next((d for d in lead.decisions if d.action == "assigned" and d.at >= lead.queued_at), None)
    if turn is None or turn.rule_id is None or turn.rule_id not in rules:
        return
    team = teams.get(turn.rule_id)
    if team is None:
        return
    due = due_at(rules[turn.rule_id], lead)
    wall = max(turn.at - due, timedelta(0))
    working = team.working_time(due, turn.at)
    tally = tallies[turn.rule_id]
    tally.waits_measured += 1
    if not team.is_working(due) or wall - working >= OFF_HOURS_SLACK:
        tally.wall_waits.append(wall.total_seconds())
        tally.working_waits.append(working.total_seconds())


def working_hours_wait(measured: int, wall: Sequence[float], working: Sequence[float]) -> WorkingHoursWait:
    """The counts and p50/p95 of the waits of the leads that waited for working hours."""
    walls, workings = speed(wall), speed(working)
    return WorkingHoursWait(
        measured=measured,
        waited=len(wall),
        wall_p50_seconds=walls.median_seconds,
        wall_p95_seconds=walls.p95_seconds,
        working_p50_seconds=workings.median_seconds,
        working_p95_seconds=workings.p95_seconds,
    )


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
        working_hours_wait=working_hours_wait(tally.waits_measured, tally.wall_waits, tally.working_waits),
        staff=staff,
    )


# ------------------------------------------------------------------ per source and campaign
def attribution_rows(leads: Iterable[Lead]) -> tuple[list[SourceRow], list[CampaignRow]]:
    """Pure: lead counts and speed-to-lead per form source and per first-touch utm_campaign.

    Rows are ordered by most leads first, then by key, the null key (no source / no campaign) last.
    """
    sources: dict[str | None, list[Lead]] = defaultdict(list)
    campaigns: dict[str | None, list[Lead]] = defaultdict(list)
    for lead in leads:
        sources[lead.source].append(lead)
        first = lead.attribution.first if lead.attribution else None
        campaigns[first.utm_campaign if first else None].append(lead)

    def figures(group: Mapping[str | None, list[Lead]]) -> list[tuple[str | None, int, Speed]]:
        order = sorted(group, key=lambda k: (-len(group[k]), k is None, k or ""))
        return [
            (key, len(group[key]), speed([s for s in map(speed_to_lead, group[key]) if s is not None]))
            for key in order
        ]

    return (
        [SourceRow(source=k, leads=n, speed_to_lead=v) for k, n, v in figures(sources)],
        [CampaignRow(utm_campaign=k, leads=n, speed_to_lead=v) for k, n, v in figures(campaigns)],
    )
