"""The working-time clocks of one rule's sweep, built once from what the sweep already holds.

Three clocks decide what a sweep does with a lead nobody takes at once:

- the **team clock** (the rule's members' shifts, leave and the tenant's holidays; pauses and caps do
  not stop it) decides escalation: a due lead is escalated after ``escalate_after_minutes`` of it;
- the **owner's clock** (their shifts and holidays; leave and pauses too unless the rule says not)
  decides reclaim: a lead is idle after ``reclaim_after_minutes`` of it since its last care activity;
- the **morning hold**: leads that gathered while the whole team was off wait, once the first shift
  starts, for the members who start within ``backlog_hold_minutes``, so the rotation shares them.

The delay ("Thời gian chia") stays wall-clock time from when the lead was received, as the seed says.
The tenant's calendar is read only when a sweep has leads to judge, so an idle rule reads nothing more.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cached_property
from typing import Protocol

from leadrouter.domain.eligibility import HOLIDAY, unavailability
from leadrouter.domain.holidays import HolidayCalendar, day_off
from leadrouter.domain.rules import Rule
from leadrouter.domain.staff import StaffMember
from leadrouter.domain.tenants import Tenant
from leadrouter.domain.worktime import HORIZON, AroundTheClock, MemberSchedule, Schedule, TeamSchedule
from leadrouter.logic.ports import Staff, Tenants


class ClockPorts(Staff, Tenants, Protocol):
    """The team's shifts and leave, and the tenant's holiday calendar."""


_TICK = timedelta(microseconds=1)


@dataclass
class RuleClocks:
    """Working time for one rule at one instant (``now``); each answer is computed once per sweep."""

    rule: Rule
    members: dict[str, StaffMember]
    day_off: Callable[[date], bool]
    now: datetime
    #: The tenant item the calendar came from (None: the tenant runs on defaults); the call checks
    #: read its calling hours and time zone from here, so a sweep reads the tenant once.
    tenant: Tenant | None = None
    _owners: dict[str | None, Schedule] = field(default_factory=dict)
    _cutoffs: dict[str | None, datetime | None] = field(default_factory=dict)

    @classmethod
    def of(
        cls,
        rule: Rule,
        members: Mapping[str, StaffMember],
        calendar: HolidayCalendar,
        now: datetime,
        tenant: Tenant | None = None,
    ) -> RuleClocks:
        return cls(rule=rule, members=dict(members), day_off=day_off(calendar), now=now, tenant=tenant)

    # ------------------------------------------------------------------ the team clock
    def member_schedule(self, member: StaffMember) -> MemberSchedule:
        """The member as the team clock counts them: shifts, leave and holidays (not pauses)."""
        return MemberSchedule(member, day_off=self.day_off, leave=True, pauses=False)

    @cached_property
    def team(self) -> TeamSchedule:
        return TeamSchedule(tuple(self.member_schedule(m) for m in self._team_members()))

    @cached_property
    def escalation_cutoff(self) -> datetime | None:
        """Leads due at or before this have waited ``escalate_after_minutes`` of team working time."""
        return self.team.before(self.now, timedelta(minutes=self.rule.escalate_after_minutes))

    def holidays_now(self) -> dict[str, str]:
        """Members out today for a holiday (the staff snapshot is taken before the calendar is read)."""
        return {
            staff_id: HOLIDAY
            for staff_id, member in self.members.items()
            if unavailability(member, self.now, self.day_off) == HOLIDAY
        }

    # ------------------------------------------------------------------ the morning hold
    def release_at(self, period_start: datetime) -> datetime:
        """When leads that gathered before ``period_start`` (the team coming on) are shared: when the
        last member whose shift starts within ``backlog_hold_minutes`` of it is on."""
        hold = timedelta(minutes=self.rule.backlog_hold_minutes)
        release = period_start
        for member in self._team_members():
            start = self.member_schedule(member).next_start(period_start)
            if start is not None and start <= period_start + hold:
                release = max(release, start)
        return release

    @cached_property
    def held_before(self) -> datetime | None:
        """Leads due before this instant wait for the team (the morning hold is on); None: no hold."""
        hold = timedelta(minutes=self.rule.backlog_hold_minutes)
        if hold <= timedelta(0):
            return None
        recent = self.team.intervals(self.now - hold, self.now + _TICK)
        if not recent or recent[-1][1] <= self.now:
            return None  # the team is off: nobody to hold for
        period_start = recent[-1][0]
        if period_start <= self.now - hold:
            return None  # on for longer than the hold already
        return period_start if self.now < self.release_at(period_start) else None

    def expected_assignment(self, due_at: datetime) -> datetime | None:
        """When a lead due at ``due_at`` is expected to be assigned, by the schedule (someone on shift,
        after the morning hold); None if nobody works within the horizon."""
        start = self.team.next_start(due_at)
        if start is None or start == due_at:
            return start
        return self.release_at(start) if self.rule.backlog_hold_minutes else start

    def _team_members(self) -> Iterable[StaffMember]:
        for s in self.rule.staff:
            member = self.members.get(s.staff_id)
            if member is not None and member.active:
                yield member

    # ------------------------------------------------------------------ the owner's clock
    def know(self, repo: Staff, owners: Iterable[str | None]) -> None:
        """Read the owners this sweep has not seen (an owner may be outside the rule's team)."""
        missing = sorted({o for o in owners if o is not None and o not in self.members})
        if missing:
            found = repo.get_staff(self.rule.tenant_id, missing)
            self.members.update(found)

    def owner(self, staff_id: str | None) -> Schedule:
        """The owner's reclaim clock; an owner no longer on file counts wall-clock time."""
        if staff_id not in self._owners:
            member = self.members.get(staff_id) if staff_id else None
            away = self.rule.absence_stops_reclaim_clock
            self._owners[staff_id] = (
                MemberSchedule(member, day_off=self.day_off, leave=away, pauses=away)
                if member is not None
                else AroundTheClock()
            )
        return self._owners[staff_id]

    def reclaim_cutoff(self, owner: str | None) -> datetime | None:
        """Leads of ``owner`` idle since at or before this have had ``reclaim_after_minutes`` of the
        owner's working time without care (None: not that much working time in the horizon)."""
        if owner not in self._cutoffs:
            limit = timedelta(minutes=self.rule.reclaim_after_minutes or 0)
            self._cutoffs[owner] = self.owner(owner).before(self.now, limit)
        return self._cutoffs[owner]

    def reclaim_due_at(self, owner: str | None, idle_since: datetime) -> datetime | None:
        """When the owner's clock reached ``reclaim_after_minutes`` for a lead idle since then."""
        limit = timedelta(minutes=self.rule.reclaim_after_minutes or 0)
        return self.owner(owner).after(idle_since, limit)

    def reclaim_time_left(
        self, owner: str | None, idle_since: datetime, due_at: datetime | None
    ) -> timedelta:
        """How much of ``reclaim_after_minutes`` of the owner's working time is left at ``now`` for a
        lead idle since ``idle_since`` and due (``reclaim_due_at``) at ``due_at``."""
        if due_at is not None and due_at <= self.now:
            return timedelta(0)
        limit = timedelta(minutes=self.rule.reclaim_after_minutes or 0)
        start = max(idle_since, self.now - HORIZON)  # past the horizon, the clock's arithmetic stops too
        return max(limit - self.owner(owner).working_time(start, self.now), timedelta(0))

    def owner_working(self, owner: str | None) -> bool:
        """Whether the owner's reclaim clock runs at ``now`` (on shift, not on holiday or away)."""
        return self.owner(owner).is_working(self.now)


def tenant_calendar(repo: Tenants, tenant_id: str) -> HolidayCalendar:
    """The tenant's holiday calendar (Vietnam's when the tenant set none)."""
    tenant = repo.get_tenant(tenant_id)
    return tenant.holidays if tenant is not None else HolidayCalendar()


def rule_clocks(repo: Tenants, rule: Rule, members: Mapping[str, StaffMember], now: datetime) -> RuleClocks:
    """One rule's clocks, for a sweep that already holds the rule's staff."""
    tenant = repo.get_tenant(rule.tenant_id)
    calendar = tenant.holidays if tenant is not None else HolidayCalendar()
    return RuleClocks.of(rule, members, calendar, now, tenant)


def clocks_of_rules(
    repo: ClockPorts, tenant_id: str, rules: Sequence[Rule], now: datetime
) -> dict[str, RuleClocks]:
    """Several rules' clocks (listings, reports), from one staff read and one calendar read."""
    if not rules:
        return {}
    members = repo.get_staff(tenant_id, sorted({s.staff_id for r in rules for s in r.staff}))
    calendar = tenant_calendar(repo, tenant_id)
    return {r.rule_id: RuleClocks.of(r, members, calendar, now) for r in rules}
