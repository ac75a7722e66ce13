"""Instant assignment: a lead that arrives pending is assigned within seconds, not at the next tick.

The leads table's stream delivers each new pending lead; if the rule in charge of its scope has no
delay and runs continuously ("gán liên tục"), that rule is swept at once, under the same lease and
the same conditional writes as the scheduled sweep. Rules with a delay or an interval are left to the
schedule: the admin asked for them to wait or to batch. Sweeping a scope assigns every due lead in it,
so one sweep serves all the stream records of that scope in a batch.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from leadrouter.domain.precedence import rules_in_charge
from leadrouter.domain.rules import Rule
from leadrouter.logic.ports import Rules
from leadrouter.logic.routing.assign import sweep_due_leads
from leadrouter.logic.routing.sweeps import RoutingPorts, SweepReport, default_owner, sweep_under_lease


class ArrivalPorts(RoutingPorts, Rules, Protocol):
    """The rules in charge of a scope, and an assign sweep of the one found."""


def is_instant(rule: Rule, now: datetime) -> bool:
    return rule.delay_minutes == 0 and rule.window.interval_minutes == 0 and rule.window.is_open(now)


@dataclass
class ArrivalSweeper:
    """Sweeps each arriving lead's scope at most once per invocation (one stream batch)."""

    repo: ArrivalPorts
    now: datetime
    lease: timedelta
    time_left: Callable[[], float] = lambda: float("inf")
    owner: str = field(default_factory=default_owner)
    swept: dict[tuple[str, str], SweepReport | str] = field(default_factory=dict)
    _rules: dict[str, dict[str, Rule]] = field(default_factory=dict)

    def rule_for(self, tenant_id: str, scope_key: str) -> Rule | None:
        """The assign rule in charge of the scope: the tenant's rules, read once per invocation."""
        if tenant_id not in self._rules:
            rules = [r for r in self.repo.list_rules(tenant_id) if r.active and r.action == "assign"]
            in_charge, _ = rules_in_charge(rules)
            self._rules[tenant_id] = {r.scope.key: r for r in in_charge}
        return self._rules[tenant_id].get(scope_key)

    def arrived(self, tenant_id: str, scope_key: str) -> SweepReport | str:
        """Sweep the scope a pending lead arrived in; returns the report or why it was left to the tick.

        An exception propagates (the stream record is reported failed and redelivered); the memo only
        keeps outcomes, so a later record of the same scope in the batch tries again.
        """
        key = (tenant_id, scope_key)
        if key in self.swept:
            return self.swept[key]
        rule = self.rule_for(tenant_id, scope_key)
        if rule is None:
            outcome: SweepReport | str = "no_rule"
        elif not is_instant(rule, self.now):
            outcome = "scheduled"
        else:
            swept = sweep_under_lease(
                self.repo,
                rule,
                sweep_due_leads,
                self.now,
                self.lease,
                timedelta(0),
                self.owner,
                self.time_left,
            )
            # None: another sweep holds the rule; it or the next tick takes this lead
            outcome = "busy" if swept is None else swept
        self.swept[key] = outcome
        return outcome
