"""Working hours, end to end on DynamoDB Local: the scheduled sweeps over simulated days.

Every test seeds a tenant whose staff keep office hours (Monday–Friday 08:00–17:00, Asia/Ho_Chi_Minh)
and then runs the scheduled ticks of both Lambdas, one per tick instant, as EventBridge Scheduler would
every minute: the assign tick (``run_sweeps`` with ``sweep_due_leads``, then the unrouted scopes its
plan found), then the reclaim tick (``run_sweeps`` with ``sweep_idle_leads``). Each is what the tick's
invocation for the tenant's dispatch shard does on AWS; the other fifteen shards hold no tenant here.

Ticks are every minute around each asserted instant (an arrival, where a wall clock would have
escalated or reclaimed, the morning a backlog is released, the minutes before an escalation). Across
long spans in which nobody of the team is on shift (nights, weekends, Tết) they are every ``SPARSE``
minutes: there no member is eligible and the team clock stands still, so a sweep at any minute of the
span decides what the sweep at the next sparse tick decides. Whatever a sweep does to a lead (assign,
escalate, reclaim) is a persistent change carrying a decision stamped with the tick's instant, so a
coarser tick can only delay a wrong move, never hide it: each test asserts a lead's whole decision
history, and the instants asserted (assigned at 08:00:00, escalated at 10:00:00) are reached by minute
ticks, with a minute tick just before them at which the lead was still waiting.

Dates are chosen off the holiday calendar: the week of Monday 2026-12-07 has no public holiday in
Vietnam (``tests.support.builders.NOW``, 2026-11-24, is one), and Tết 2027 is 2027-02-04..10.
"""

from __future__ import annotations

import time as wall_clock
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from leadrouter.data.repository import PageKey, Repository
from leadrouter.domain.dispatch import shard_of
from leadrouter.domain.holidays import HolidayCalendar, holidays_in
from leadrouter.domain.leads import Lead, LeadStatus
from leadrouter.domain.rules import RuleKind
from leadrouter.domain.staff import StaffMember, WorkingHours
from leadrouter.domain.tenants import Tenant
from leadrouter.logic.routing.assign import sweep_due_leads
from leadrouter.logic.routing.reclaim import sweep_idle_leads
from leadrouter.logic.routing.unrouted import escalate_unrouted
from leadrouter.runtime import new_repository
from tests.support.builders import TENANT, lead, rule, seed, staff
from tests.support.ticks import RunReport, run_sweeps

ZONE = ZoneInfo("Asia/Ho_Chi_Minh")
LEASE = timedelta(minutes=3)
MINUTE = timedelta(minutes=1)
SPARSE = timedelta(minutes=60)
OFFICE = [WorkingHours(days=[1, 2, 3, 4, 5], start=time(8), end=time(17))]
TEAM = ("A", "B", "C")
#: The dispatch shard whose invocation lists the tenant's rules and scopes.
SHARD = shard_of(TENANT)

FRI, SAT, SUN = date(2026, 12, 4), date(2026, 12, 5), date(2026, 12, 6)
MON, TUE, WED = date(2026, 12, 7), date(2026, 12, 8), date(2026, 12, 9)
TET = [date(2027, 2, 4) + timedelta(days=n) for n in range(7)]  # Thu 4 … Wed 10 February 2027
AFTER_TET = date(2027, 2, 11)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    """The UTC instant of a wall time in Ho Chi Minh City."""
    return datetime.combine(day, time(hour, minute), ZONE).astimezone(UTC)


def local(instant: datetime) -> str:
    return instant.astimezone(ZONE).strftime("%a %Y-%m-%d %H:%M:%S")


def office(staff_id: str, **fields: Any) -> StaffMember:
    return staff(staff_id, working_hours=fields.pop("working_hours", OFFICE), **fields)


def minutes(start: datetime, end: datetime, every: timedelta = MINUTE) -> list[datetime]:
    """Tick instants from ``start`` (included) to ``end`` (excluded)."""
    found, now = [], start
    while now < end:
        found.append(now)
        now += every
    return found


def schedule(*spans: Iterable[datetime]) -> list[datetime]:
    return sorted(set().union(*spans))


@dataclass
class Tick:
    at: datetime
    assign: RunReport
    reclaim: RunReport

    def total(self, key: str) -> int:
        return self.assign.totals()[key] + self.reclaim.totals()[key]


@dataclass
class Simulation:
    """Runs the scheduled ticks of both Lambdas over simulated time; leads arrive on their own time."""

    repo: Repository
    arriving: list[Lead] = field(default_factory=list)
    ticks: list[Tick] = field(default_factory=list)
    #: (tick, items) for every page the assign sweeps read from the due index.
    due_reads: list[tuple[datetime, int]] = field(default_factory=list)
    now: datetime | None = None

    def __post_init__(self) -> None:
        real = self.repo.due_leads

        def counted(*args: Any, **kwargs: Any) -> tuple[list[Lead], PageKey]:
            page = real(*args, **kwargs)
            assert self.now is not None
            self.due_reads.append((self.now, len(page[0])))
            return page

        self.repo.due_leads = counted  # type: ignore[method-assign]

    def arrive(self, leads: Iterable[Lead]) -> None:
        self.arriving.extend(leads)
        self.arriving.sort(key=lambda x: x.received_at)

    def run(self, instants: Sequence[datetime]) -> None:
        for now in instants:
            self.tick(now)

    def tick(self, now: datetime) -> Tick:
        self.now = now
        landed = [x for x in self.arriving if x.received_at <= now]
        if landed:
            self.repo.import_leads(landed)
            self.arriving = self.arriving[len(landed) :]
        assign = run_sweeps(self.repo, "assign", sweep_due_leads, now, LEASE, shard=SHARD)
        escalate_unrouted(self.repo, assign.unrouted, now)
        reclaim = run_sweeps(self.repo, "reclaim", sweep_idle_leads, now, LEASE, shard=SHARD)
        assert not assign.failed and not reclaim.failed and not assign.busy and not reclaim.busy
        self.ticks.append(Tick(now, assign, reclaim))
        return self.ticks[-1]

    def when(self, key: str) -> list[datetime]:
        """The ticks at which the sweeps counted ``key`` (assigned, escalated, …)."""
        return [t.at for t in self.ticks if t.total(key)]

    def leads(self) -> list[Lead]:
        return sorted(self.repo.tenant_leads(TENANT), key=lambda x: x.received_at)


@pytest.fixture
def repo(ddb_tables: dict[str, str]) -> Repository:
    return new_repository()


@pytest.fixture
def sim(repo: Repository) -> Iterator[Simulation]:
    started = wall_clock.perf_counter()
    simulation = Simulation(repo)
    yield simulation
    print(f"\n{len(simulation.ticks)} ticks in {wall_clock.perf_counter() - started:.1f}s")


def actions(x: Lead) -> list[tuple[str, str, str | None]]:
    """A lead's decisions as (action, local instant, staff) — its whole history of sweep outcomes."""
    return [(d.action, local(d.at), d.staff_id) for d in x.decisions]


def test_the_calendar_these_scenarios_rely_on() -> None:
    # Given the default calendar (Vietnam's), when we look up the dates used below
    days = holidays_in(HolidayCalendar(), 2026) | holidays_in(HolidayCalendar(), 2027)
    # Then the week of 2026-12-07 is free of holidays, Tết 2027 is 4–10 February, and the 11th is a Thursday
    assert not [d for d in days if FRI <= d <= WED]
    assert [d for d in days if date(2027, 2, 1) <= d <= date(2027, 2, 28)] == TET
    assert AFTER_TET.isoweekday() == 4 and MON.isoweekday() == 1


# ---------------------------------------------------------------------- 1. the Friday-evening lead


def test_friday_evening_lead_waits_for_monday_and_is_assigned_at_eight(
    repo: Repository, sim: Simulation
) -> None:
    # Given three staff on Monday–Friday 08:00–17:00, a round-robin rule, default escalation (120)
    seed(repo, rule("r-web", weights=dict.fromkeys(TEAM, 1)), [office(s) for s in TEAM])
    # …and a lead from a landing page on Friday at 18:30
    sim.arrive([lead(received_at=at(FRI, 18, 30))])
    # When the scheduled ticks run every minute from 18:30 to 18:40 and 20:20 to 20:45 (the issue saw
    # it escalated at 20:31), every SPARSE minutes over the weekend, every minute Monday 07:30–08:10
    sim.run(
        schedule(
            minutes(at(FRI, 18, 30), at(FRI, 18, 40)),
            minutes(at(FRI, 20, 20), at(FRI, 20, 45)),
            minutes(at(FRI, 19, 0), at(MON, 7, 30), SPARSE),
            minutes(at(MON, 7, 30), at(MON, 8, 10)),
        )
    )
    # Then it waited at every tick until Monday 07:59, was never escalated, and was assigned at 08:00:00
    [stored] = sim.leads()
    assert actions(stored) == [("assigned", "Mon 2026-12-07 08:00:00", "A")]
    assert stored.status is LeadStatus.ASSIGNED and stored.assigned_at == at(MON, 8)
    assert sim.when("escalated") == []
    assert sim.when("assigned") == [at(MON, 8)]
    assert all(t.total("waiting") == 1 for t in sim.ticks if t.at < at(MON, 8))


# ---------------------------------------------------------------------- 2. the Tuesday 16:50 lead


def test_lead_assigned_at_ten_to_five_is_reclaimed_next_morning_at_twenty_past_eight(
    repo: Repository, sim: Simulation
) -> None:
    # Given the same team, its round-robin rule and a reclaim rule with 30 minutes
    seed(repo, rule("r-web", weights=dict.fromkeys(TEAM, 1)), [office(s) for s in TEAM])
    repo.create_rule(
        rule("r-idle", weights=dict.fromkeys(TEAM, 1), kind=RuleKind.RECLAIM, reclaim_after_minutes=30)
    )
    # …and a lead that arrives on Tuesday at 16:50 and goes to A
    sim.arrive([lead(received_at=at(TUE, 16, 50))])
    sim.tick(at(TUE, 16, 50))
    assert [x.owner for x in sim.leads()] == ["A"]
    # When nobody cares for it, and the ticks run every minute until 17:30 (a wall-clock reclaim
    # would fire at 17:20) and from 19:15 to 19:30 (the issue saw it escalated at 19:21), every
    # SPARSE minutes overnight, and every minute on Wednesday from 07:50 to 08:30
    sim.run(
        schedule(
            minutes(at(TUE, 16, 51), at(TUE, 17, 30)),
            minutes(at(TUE, 19, 15), at(TUE, 19, 30)),
            minutes(at(TUE, 18, 0), at(WED, 7, 50), SPARSE),
            minutes(at(WED, 7, 50), at(WED, 8, 30)),
        )
    )
    # Then it stayed with A overnight and was reclaimed on Wednesday at 08:20:00, to B or C
    [stored] = sim.leads()
    assert [(a, when) for a, when, _ in actions(stored)] == [
        ("assigned", "Tue 2026-12-08 16:50:00"),
        ("reclaimed", "Wed 2026-12-09 08:20:00"),
    ]
    reclaimed = stored.decisions[-1]
    assert (
        reclaimed.previous_owner == "A" and stored.owner in {"B", "C"} and stored.owner == reclaimed.staff_id
    )
    assert stored.reclaim_count == 1 and stored.idle_since == at(WED, 8, 20)
    assert sim.when("escalated") == []
    # …and the reclaim sweep judged it "not due yet" whenever it looked before that (from 17:20 on)
    not_due = sim.when("not_due")
    assert not_due[0] == at(TUE, 17, 20) and all(t < at(WED, 8, 20) for t in not_due)
    # …looking only when something could be due: a new assignment's 30 minutes after each sweep, or
    # the lead's own 08:20, never at 08:19 (the rule was idle: no lease, no staff read, no write)
    swept = [t.at for t in sim.ticks if t.reclaim.swept]
    assert at(TUE, 17, 21) not in swept and at(WED, 8, 19) not in swept and at(WED, 8, 20) in swept
    assert len(swept) < len(sim.ticks) / 3


# ---------------------------------------------------------------------- 3. the weekend backlog

BACKLOG = 200
WEIGHTS = {"3:4:5": {"A": 3, "B": 4, "C": 5}, "1:1:1": {"A": 1, "B": 1, "C": 1}}


def weekend_leads(count: int = BACKLOG) -> list[Lead]:
    """``count`` leads spread evenly over Saturday and Sunday (one every 14 min 24 s for 200)."""
    start, span = at(SAT, 0), at(MON, 0) - at(SAT, 0)
    return [lead(received_at=start + span * i / count) for i in range(count)]


def weekend_then_monday(release: datetime, end: datetime | None = None) -> list[datetime]:
    """SPARSE ticks from Saturday 00:00 while the team is off, every minute from 07:30 to ``end``."""
    return schedule(
        minutes(at(SAT, 0), at(MON, 7, 30), SPARSE),
        minutes(at(MON, 7, 30), end or release + timedelta(minutes=5)),
    )


def assert_shared_by_weights(leads: Sequence[Lead], weights: dict[str, int]) -> Counter[str | None]:
    counts = Counter(x.owner for x in leads)
    total = sum(weights.values())
    assert set(counts) == set(weights)
    for staff_id, weight in weights.items():
        assert abs(counts[staff_id] - len(leads) * weight / total) <= 1, (staff_id, counts)
    return counts


def assert_oldest_first(leads: Sequence[Lead]) -> None:
    """Assignment order follows arrival: by arrival, the leads took consecutive rotation slots."""
    slots = [x.decisions[0].slot for x in sorted(leads, key=lambda x: x.received_at)]
    assert slots == list(range(len(leads)))


def weekend_due_reads(sim: Simulation, until: datetime) -> tuple[int, int, int]:
    """(ticks, due-index pages, items read) of the assign sweeps before ``until``."""
    reads = [(t, n) for t, n in sim.due_reads if t < until]
    ticks = [t for t in sim.ticks if t.at < until]
    return len(ticks), len(reads), sum(n for _, n in reads)


@pytest.mark.parametrize("weights", WEIGHTS.values(), ids=WEIGHTS.keys())
def test_weekend_backlog_is_shared_by_the_weights_on_monday_oldest_first(
    repo: Repository, sim: Simulation, weights: dict[str, int]
) -> None:
    # Given the office team on a rule with these weights, and 200 leads over Saturday and Sunday
    seed(repo, rule("r-web", weights=weights), [office(s) for s in TEAM])
    sim.arrive(weekend_leads())
    # When the ticks run over the weekend and into Monday morning
    sim.run(weekend_then_monday(at(MON, 8)))
    # Then nothing moved over the weekend; at 08:00:00 all 200 were assigned, each within one lead
    # of its weight, by arrival order
    leads = sim.leads()
    assert sim.when("escalated") == [] and sim.when("assigned") == [at(MON, 8)]
    assert {tuple(actions(x)[0][:2]) for x in leads} == {("assigned", "Mon 2026-12-07 08:00:00")}
    assert all(len(x.decisions) == 1 for x in leads)
    counts = assert_shared_by_weights(leads, weights)
    assert_oldest_first(leads)
    # …and while the team was off each tick read one page of the due index, no more
    ticks, pages, items = weekend_due_reads(sim, at(MON, 8))
    assert pages == len([t for t in sim.ticks if t.at < at(MON, 8) and t.at >= leads[0].received_at])
    print(f"\ncounts {dict(counts)}; before 08:00: {ticks} ticks, {pages} due pages, {items} items read")


def test_weekend_backlog_within_caps_oldest_first_and_the_rest_escalates_after_two_working_hours(
    repo: Repository, sim: Simulation
) -> None:
    # Given the office team on 3:4:5 with at most 40 open leads each, and 200 weekend leads
    members = [office(s, max_open_leads=40) for s in TEAM]
    seed(repo, rule("r-web", weights=WEIGHTS["3:4:5"]), members)
    sim.arrive(weekend_leads())
    # When the ticks run over the weekend, every minute 07:30–08:05, every 5 minutes until 09:45
    # (an escalation then would show as a decision before 10:00) and every minute until 10:05
    sim.run(
        schedule(
            weekend_then_monday(at(MON, 8)),
            minutes(at(MON, 8, 5), at(MON, 9, 45), timedelta(minutes=5)),
            minutes(at(MON, 9, 45), at(MON, 10, 5)),
        )
    )
    # Then at 08:00 the 120 oldest went out, 40 each (nobody over their cap), by arrival order…
    leads = sim.leads()
    assigned, rest = leads[:120], leads[120:]
    assert {x.status for x in assigned} == {LeadStatus.ASSIGNED}
    assert {x.decisions[0].at for x in assigned} == {at(MON, 8)}
    assert Counter(x.owner for x in assigned) == {"A": 40, "B": 40, "C": 40}
    assert_oldest_first(assigned)
    # …and the other 80 waited two working hours, with everyone at cap, and were escalated at 10:00:00
    assert {x.status for x in rest} == {LeadStatus.ESCALATED}
    assert {(d.action, local(d.at), d.reason) for x in rest for d in x.decisions} == {
        ("escalated", "Mon 2026-12-07 10:00:00", "waited_too_long")
    }
    assert sim.when("escalated") == [at(MON, 10)]


@pytest.mark.parametrize("weights", WEIGHTS.values(), ids=WEIGHTS.keys())
def test_early_starter_does_not_take_the_backlog_it_waits_for_the_team_until_eight(
    repo: Repository, sim: Simulation, weights: dict[str, int]
) -> None:
    # Given A starts at 07:45, B and C at 08:00, the rule's default backlog_hold_minutes (30)
    early = [WorkingHours(days=[1, 2, 3, 4, 5], start=time(7, 45), end=time(17))]
    members = [office("A", working_hours=early), office("B"), office("C")]
    the_rule = seed(repo, rule("r-web", weights=weights), members)
    assert the_rule.backlog_hold_minutes == 30
    sim.arrive(weekend_leads())
    # When the ticks run over the weekend and every minute from Monday 07:30
    sim.run(weekend_then_monday(at(MON, 8)))
    # Then from 07:45 to 07:59 the whole backlog was held (A on, the team not yet), and at 08:00:00 it
    # was shared within one lead of the weights, by arrival order
    held = {t.at: t.total("held") for t in sim.ticks if at(MON, 7, 30) <= t.at < at(MON, 8)}
    assert held == {t: (BACKLOG if t >= at(MON, 7, 45) else 0) for t in held}
    leads = sim.leads()
    assert sim.when("assigned") == [at(MON, 8)] and sim.when("escalated") == []
    assert {x.decisions[0].at for x in leads} == {at(MON, 8)}
    counts = assert_shared_by_weights(leads, weights)
    assert_oldest_first(leads)
    print(f"\ncounts {dict(counts)}")


def test_early_starter_takes_the_whole_backlog_when_the_rule_does_not_hold_it(
    repo: Repository, sim: Simulation
) -> None:
    # Given A starts at 07:45, B and C at 08:00, and a rule with backlog_hold_minutes 0
    early = [WorkingHours(days=[1, 2, 3, 4, 5], start=time(7, 45), end=time(17))]
    members = [office("A", working_hours=early), office("B"), office("C")]
    seed(repo, rule("r-web", weights=WEIGHTS["3:4:5"], backlog_hold_minutes=0), members)
    sim.arrive(weekend_leads())
    # When the ticks run over the weekend and every minute from Monday 07:30
    sim.run(weekend_then_monday(at(MON, 7, 45)))
    # Then A, the only one on shift, took all 200 at 07:45:00 (that is what "no hold" means), oldest first
    leads = sim.leads()
    assert sim.when("assigned") == [at(MON, 7, 45)]
    assert {(x.owner, x.decisions[0].at) for x in leads} == {("A", at(MON, 7, 45))}
    assert {(s.staff_id, s.reason) for x in leads for s in x.decisions[0].skipped} == {
        ("B", "off_shift"),
        ("C", "off_shift"),
    }
    assert_oldest_first(leads)


# ---------------------------------------------------------------------- 4. a member on leave on Monday


def test_member_on_leave_on_monday_gets_none_of_the_backlog(repo: Repository, sim: Simulation) -> None:
    # Given C (weight 5 of 3:4:5) is on leave on Monday, and 200 weekend leads
    members = [office("A"), office("B"), office("C", leave_dates=[MON])]
    seed(repo, rule("r-web", weights=WEIGHTS["3:4:5"]), members)
    sim.arrive(weekend_leads())
    # When the ticks run over the weekend and every minute from Monday 07:30
    sim.run(weekend_then_monday(at(MON, 8)))
    # Then at 08:00:00 all 200 went to A and B, by arrival order, none to C (skipped: on leave)
    leads = sim.leads()
    assert sim.when("assigned") == [at(MON, 8)] and sim.when("escalated") == []
    counts = Counter(x.owner for x in leads)
    assert set(counts) == {"A", "B"} and counts.total() == BACKLOG
    assert_oldest_first(leads)
    assert {(s.staff_id, s.reason) for x in leads for s in x.decisions[0].skipped} == {("C", "on_leave")}
    print(f"\ncounts with C on leave {dict(counts)}")


def test_member_on_leave_on_monday_the_others_share_the_backlog_by_their_weights(
    repo: Repository, sim: Simulation
) -> None:
    # Given C is on leave on Monday, and 200 weekend leads on 3:4:5
    members = [office("A"), office("B"), office("C", leave_dates=[MON])]
    seed(repo, rule("r-web", weights=WEIGHTS["3:4:5"]), members)
    sim.arrive(weekend_leads())
    # When the ticks run into Monday morning
    sim.run(weekend_then_monday(at(MON, 8)))
    # Then A and B share all 200 within one lead of 3:4 (85.7 / 114.3), not 66 / 134: C's turns go
    # round the rotation of those available, not to whoever follows C in the cycle
    leads = sim.leads()
    assert len(leads) == 200
    counts = assert_shared_by_weights(leads, {"A": 3, "B": 4})
    assert counts["A"] + counts["B"] == 200


# ---------------------------------------------------------------------- 5. the Tết week


def tet_leads() -> list[Lead]:
    """A lead at 10:00 and one at 20:00 on each day of Tết 2027."""
    return [lead(received_at=at(day, hour)) for day in TET for hour in (10, 20)]


def test_leads_of_the_tet_week_wait_and_are_assigned_on_the_first_working_day_after(
    repo: Repository, sim: Simulation
) -> None:
    # Given the default calendar (Vietnam's), the office team on a round-robin rule, and 14 leads
    # during Tết (10:00 and 20:00, Thursday 4 to Wednesday 10 February 2027)
    seed(repo, rule("r-web", weights=dict.fromkeys(TEAM, 1)), [office(s) for s in TEAM])
    sim.arrive(tet_leads())
    # When the ticks run every minute 10:00–10:05 and 11:55–12:05 on the 4th (a wall clock would
    # escalate the first lead at 12:00), every SPARSE minutes through Tết, and every minute on
    # Thursday 11 February 07:30–08:05
    sim.run(
        schedule(
            minutes(at(TET[0], 10), at(TET[0], 10, 5)),
            minutes(at(TET[0], 11, 55), at(TET[0], 12, 5)),
            minutes(at(TET[0], 13), at(AFTER_TET, 7, 30), SPARSE),
            minutes(at(AFTER_TET, 7, 30), at(AFTER_TET, 8, 5)),
        )
    )
    # Then none was escalated, and all 14 were assigned on Thursday 11 February at 08:00:00, by arrival
    leads = sim.leads()
    assert len(leads) == 14 and sim.when("escalated") == []
    assert {tuple(actions(x)) for x in leads} == {
        (("assigned", "Thu 2027-02-11 08:00:00", x.owner),) for x in leads
    }
    assert_oldest_first(leads)
    assert Counter(x.owner for x in leads) == {"A": 5, "B": 5, "C": 4}


def test_a_tet_day_the_tenant_removed_from_its_calendar_is_a_working_day(
    repo: Repository, sim: Simulation
) -> None:
    # Given the tenant removed Monday 8 February 2027 (Mùng ba) from its calendar
    seed(repo, rule("r-web", weights=dict.fromkeys(TEAM, 1)), [office(s) for s in TEAM])
    mung_ba = date(2027, 2, 8)
    repo.put_tenant(Tenant(tenant_id=TENANT, name="Acme", holidays=HolidayCalendar(removed=[mung_ba])))
    assert mung_ba not in holidays_in(HolidayCalendar(removed=[mung_ba]), 2027)
    sim.arrive(tet_leads())
    # When the ticks run every SPARSE minutes through Tết, and every minute 07:30–08:05 on the 8th
    # and on the 11th
    sim.run(
        schedule(
            minutes(at(TET[0], 10), at(AFTER_TET, 7, 30), SPARSE),
            minutes(at(mung_ba, 7, 30), at(mung_ba, 8, 5)),
            minutes(at(AFTER_TET, 7, 30), at(AFTER_TET, 8, 5)),
        )
    )
    # Then the 8 leads of 4–7 February were assigned on the 8th at 08:00:00, the one of the 8th at
    # 10:00 on arrival, and the later 5 (after hours on the 8th, then the 9th and 10th) on the 11th
    assigned = [x.decisions[0].at for x in sim.leads()]
    assert assigned == [at(mung_ba, 8)] * 8 + [at(mung_ba, 10)] + [at(AFTER_TET, 8)] * 5
    assert sim.when("escalated") == []
    assert_oldest_first(sim.leads())


# ---------------------------------------------------------------------- 6. everyone paused


def test_everyone_paused_a_lead_of_eight_oclock_is_escalated_at_ten_not_before(
    repo: Repository, sim: Simulation
) -> None:
    # Given all three are paused on Monday, default escalation (120)
    seed(repo, rule("r-web", weights=dict.fromkeys(TEAM, 1)), [office(s, paused=True) for s in TEAM])
    sim.arrive([lead(received_at=at(MON, 8))])
    # When the ticks run every minute from 08:00 to 10:05
    sim.run(minutes(at(MON, 8), at(MON, 10, 5)))
    # Then it waited at every tick to 09:59 and was escalated at 10:00:00 (120 working minutes)
    [stored] = sim.leads()
    assert [(a, when) for a, when, _ in actions(stored)] == [("escalated", "Mon 2026-12-07 10:00:00")]
    assert stored.decisions[0].reason == "waited_too_long"
    assert {(s.staff_id, s.reason) for s in stored.decisions[0].skipped} == {(s, "paused") for s in TEAM}
    assert sim.when("escalated") == [at(MON, 10)]
    assert sim.when("waiting") == minutes(at(MON, 8), at(MON, 10))


def test_everyone_paused_a_lead_of_half_past_four_is_escalated_next_morning_at_half_past_nine(
    repo: Repository, sim: Simulation
) -> None:
    # Given all three are paused, and a lead on Monday at 16:30
    seed(repo, rule("r-web", weights=dict.fromkeys(TEAM, 1)), [office(s, paused=True) for s in TEAM])
    sim.arrive([lead(received_at=at(MON, 16, 30))])
    # When the ticks run every minute 16:30–17:05 and 18:25–18:35 (a wall clock would escalate at
    # 18:30), every SPARSE minutes overnight and every minute on Tuesday from 08:00 to 09:35
    sim.run(
        schedule(
            minutes(at(MON, 16, 30), at(MON, 17, 5)),
            minutes(at(MON, 18, 25), at(MON, 18, 35)),
            minutes(at(MON, 19), at(TUE, 8), SPARSE),
            minutes(at(TUE, 8), at(TUE, 9, 35)),
        )
    )
    # Then it was escalated on Tuesday at 09:30:00 (30 minutes on Monday + 90 on Tuesday), not overnight
    [stored] = sim.leads()
    assert [(a, when) for a, when, _ in actions(stored)] == [("escalated", "Tue 2026-12-08 09:30:00")]
    assert stored.decisions[0].reason == "waited_too_long"
    assert sim.when("escalated") == [at(TUE, 9, 30)]
