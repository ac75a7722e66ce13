"""The overview (home screen): one day's leads in the tenant's time zone, and why pending leads wait.

The day's figures come from the day's leads (one key-range Query, as the distribution report):
received, and of those how many are assigned, pending, escalated or deleted now, with speed-to-lead
(``reports.speed``). **Waiting** covers every pending lead of the tenant now, whatever day it came
(a lead of last night waiting for the morning shift needs an admin's eye as much as today's): one
due-index Query per marked scope, at most ``MAX_WAITING`` leads read (``waiting_complete`` says
whether all were). Each is given the reason nobody assigns it at this moment:

* ``no_rule`` / ``window_closed``: no open assign rule is in charge of its scope (``logic.routing.unrouted``);
* ``delay``: its rule's delay ("Thời gian chia") has not ended yet;
* ``waiting_for_working_hours``: its rule's team is off, or the morning hold keeps it (as the
  unrouted listing says, with ``expected_at``);
* ``no_eligible_staff``: every member of the rule is out now (paused, inactive, on leave, off shift
  or on holiday; ``staff_out`` names who and why; caps are not read here);
* ``queued``: due, someone can take it: the next sweep assigns it.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, time, timedelta
from datetime import date as Day
from typing import Protocol
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field

from leadrouter.domain.eligibility import unavailable_staff
from leadrouter.domain.leads import Lead, LeadStatus
from leadrouter.domain.precedence import routing_gap, rules_in_charge
from leadrouter.domain.rules import Rule
from leadrouter.domain.users import Caller
from leadrouter.domain.zones import DEFAULT_TIME_ZONE
from leadrouter.logic.ports import LeadQueues, LeadReads, Rules, Scopes
from leadrouter.logic.reports.speed import Speed, speed, speed_to_lead
from leadrouter.logic.routing.assign import due_at
from leadrouter.logic.routing.clocks import ClockPorts, RuleClocks, clocks_of_rules
from leadrouter.logic.routing.unrouted import PAGE_SIZE, WAITING_FOR_WORKING_HOURS, waiting_for_hours


class PendingPorts(Scopes, LeadQueues, Protocol):
    """The tenant's marked scopes and the pending leads queued in each."""


class OverviewPorts(PendingPorts, ClockPorts, LeadReads, Rules, Protocol):
    """The day's leads, the pending ones, the rules, and the team's clocks."""


#: Pending leads read at most for the waiting figures (they are few: sweeps assign or escalate them).
MAX_WAITING = 2000
DELAY = "delay"
NO_ELIGIBLE_STAFF = "no_eligible_staff"
QUEUED = "queued"
#: Far enough ahead that every pending lead of a scope is "queued before" it.
_ANY_TIME = timedelta(days=3650)


class WaitingGroup(BaseModel):
    """Pending leads of one scope that wait for the same reason."""

    reason: str = Field(
        description="no_rule, window_closed, delay, waiting_for_working_hours, no_eligible_staff or queued"
    )
    scope_key: str
    pool: str | None
    step: str | None
    campaign: str | None
    rule_id: str | None = Field(description="the assign rule in charge of the scope; null: none")
    rule_name: str | None
    leads: int
    oldest_received_at: datetime
    expected_at: datetime | None = Field(
        default=None, description="waiting_for_working_hours: when they are expected to be assigned"
    )
    staff_out: dict[str, str] = Field(
        default_factory=dict,
        description="no_eligible_staff: each member of the rule and why they cannot take a lead now",
    )


class Overview(BaseModel):
    date: Day = Field(description="the day, in the tenant's time zone")
    time_zone: str
    received_from: datetime = Field(description="the day's start (inclusive)")
    received_to: datetime = Field(description="the day's end (exclusive)")
    received: int = Field(description="leads received that day")
    assigned: int = Field(description="of those, assigned now")
    pending: int = Field(description="of those, still pending now")
    escalated: int = Field(description="of those, escalated now (waiting for an admin)")
    deleted: int = Field(description="of those, deleted now")
    speed_to_lead: Speed = Field(description="received → first assigned or manual decision, that day's leads")
    waiting: int = Field(description="every pending lead of the tenant now, whatever day it came")
    waiting_by_reason: dict[str, int] = Field(description="the waiting leads counted by reason")
    waiting_groups: list[WaitingGroup] = Field(
        description="the waiting leads per scope and reason, most leads first"
    )
    waiting_complete: bool = Field(description=f"false: more than {MAX_WAITING} pending leads, not all read")


def day_bounds(day: date, zone: str) -> tuple[datetime, datetime]:
    """[start, end) of a calendar day in a time zone (23 or 25 hours on a DST change)."""
    tz = ZoneInfo(zone)
    start = datetime.combine(day, time(), tz).astimezone(UTC)
    return start, datetime.combine(day + timedelta(days=1), time(), tz).astimezone(UTC)


def overview(repo: OverviewPorts, caller: Caller, day: date | None, now: datetime) -> Overview:
    """Read the day's leads, the pending leads of every marked scope, the rules and their staff."""
    tenant = repo.get_tenant(caller.tenant_id)
    zone = tenant.time_zone if tenant is not None else DEFAULT_TIME_ZONE
    day = day or now.astimezone(ZoneInfo(zone)).date()
    start, end = day_bounds(day, zone)
    leads = list(repo.leads_received_between(caller.tenant_id, start, end))
    rules = repo.list_rules(caller.tenant_id)
    pending, complete = pending_leads(repo, caller.tenant_id, now)
    in_charge = scopes_in_charge(rules)
    open_rules = [r for r in in_charge.values() if routing_gap(r, now) is None]
    clocks = clocks_of_rules(repo, caller.tenant_id, open_rules, now)
    groups = waiting_groups(pending, in_charge, clocks, now)
    return day_figures(leads, day, zone, start, end, groups, complete)


def pending_leads(repo: PendingPorts, tenant_id: str, now: datetime) -> tuple[list[Lead], bool]:
    """Every pending lead of the tenant's marked scopes, up to ``MAX_WAITING`` (and whether all)."""
    found: list[Lead] = []
    for scope in sorted(repo.tenant_scopes(tenant_id)):
        start = None
        while True:
            if len(found) >= MAX_WAITING:
                return found, False
            size = min(PAGE_SIZE, MAX_WAITING - len(found))
            page, start = repo.due_leads(tenant_id, scope, now + _ANY_TIME, size, start)
            found += page
            if start is None:
                break
    return found, True


def scopes_in_charge(rules: Iterable[Rule]) -> dict[str, Rule]:
    """Pure: scope key → the active assign rule in charge of it (window open or not)."""
    in_charge, _ = rules_in_charge(r for r in rules if r.active and r.action == "assign")
    return {r.scope.key: r for r in in_charge}


def waiting_reason(lead: Lead, rule: Rule, clocks: RuleClocks, staff_out: Mapping[str, str]) -> str:
    """Pure: why an open rule has not assigned this pending lead at ``clocks.now``."""
    due = due_at(rule, lead)
    if due > clocks.now:
        return DELAY
    hold = waiting_for_hours(clocks)
    if hold is not None and due < hold[0]:
        return WAITING_FOR_WORKING_HOURS
    if rule.staff and len(staff_out) == len(rule.staff):
        return NO_ELIGIBLE_STAFF
    return QUEUED


def members_out(rule: Rule, clocks: RuleClocks) -> dict[str, str]:
    """Pure: the rule's members who cannot take a lead now, and why (holidays included)."""
    out = unavailable_staff((s.staff_id for s in rule.staff), clocks.members, clocks.now)
    for staff_id, reason in clocks.holidays_now().items():
        if staff_id in {s.staff_id for s in rule.staff}:
            out.setdefault(staff_id, reason)
    return out


def waiting_groups(
    pending: Iterable[Lead], in_charge: Mapping[str, Rule], clocks: Mapping[str, RuleClocks], now: datetime
) -> list[WaitingGroup]:
    """Pure: pending leads grouped per scope and reason, most leads first."""
    grouped: dict[tuple[str, str], list[Lead]] = defaultdict(list)
    outs: dict[str, dict[str, str]] = {}
    for lead in pending:
        rule = in_charge.get(lead.scope_key)
        gap = routing_gap(rule, now)
        if gap is not None or rule is None:
            reason = gap or "no_rule"
        else:
            rule_clocks = clocks[rule.rule_id]
            if rule.rule_id not in outs:
                outs[rule.rule_id] = members_out(rule, rule_clocks)
            reason = waiting_reason(lead, rule, rule_clocks, outs[rule.rule_id])
        grouped[(lead.scope_key, reason)].append(lead)
    groups = []
    for (scope, reason), leads in grouped.items():
        rule = in_charge.get(scope)
        first = leads[0]
        hold = waiting_for_hours(clocks[rule.rule_id]) if rule and rule.rule_id in clocks else None
        groups.append(
            WaitingGroup(
                reason=reason,
                scope_key=scope,
                pool=first.pool,
                step=first.step,
                campaign=first.campaign,
                rule_id=rule.rule_id if rule else None,
                rule_name=rule.name if rule else None,
                leads=len(leads),
                oldest_received_at=min(x.received_at for x in leads),
                expected_at=hold[1] if hold and reason == WAITING_FOR_WORKING_HOURS else None,
                staff_out=outs.get(rule.rule_id, {}) if rule and reason == NO_ELIGIBLE_STAFF else {},
            )
        )
    return sorted(groups, key=lambda g: (-g.leads, g.scope_key, g.reason))


def day_figures(
    leads: Iterable[Lead],
    day: date,
    zone: str,
    start: datetime,
    end: datetime,
    groups: list[WaitingGroup],
    complete: bool,
) -> Overview:
    """Pure: the day's counts by status now, its speed-to-lead, and the waiting groups' totals."""
    kept = [x for x in leads if start <= x.received_at < end]
    status = Counter(x.status for x in kept)
    by_reason: Counter[str] = Counter()
    for group in groups:
        by_reason[group.reason] += group.leads
    return Overview(
        date=day,
        time_zone=zone,
        received_from=start,
        received_to=end,
        received=len(kept),
        assigned=status[LeadStatus.ASSIGNED],
        pending=status[LeadStatus.PENDING],
        escalated=status[LeadStatus.ESCALATED],
        deleted=status[LeadStatus.DELETED],
        speed_to_lead=speed([s for s in map(speed_to_lead, kept) if s is not None]),
        waiting=sum(by_reason.values()),
        waiting_by_reason=dict(by_reason),
        waiting_groups=groups,
        waiting_complete=complete,
    )
