"""Which rule owns a scope (pure).

A lead sits in exactly one scope (campaign first, else data pool + step: see ``models.scope_key``).
Among several active rules of one action for the same scope, the highest ``priority`` wins; on a tie,
the lowest rule id (ids are time-ordered, so the oldest rule) wins. Exactly one rule per scope and
action ever sweeps it, so two rules never race for the same lead.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from leadrouter.domain.rules import Rule

#: Why a scope's pending leads are not being assigned by any rule (decision reasons when escalated).
NO_RULE = "no_rule"
WINDOW_CLOSED = "window_closed"


def rules_in_charge(rules: Iterable[Rule]) -> tuple[list[Rule], list[Rule]]:
    """Split rules into (in charge of their scope, shadowed by a higher-priority rule)."""
    best: dict[tuple[str, str, str], Rule] = {}
    shadowed: list[Rule] = []
    for rule in sorted(rules, key=lambda r: (-r.priority, r.rule_id)):
        key = (rule.tenant_id, rule.action, rule.scope.key)
        if key in best:
            shadowed.append(rule)
        else:
            best[key] = rule
    return list(best.values()), shadowed


def routing_gap(rule_in_charge: Rule | None, now: datetime) -> str | None:
    """Why nobody assigns a scope's pending leads at ``now`` (None: its rule is in charge and open).

    A scope's leads are swept by the active assign rule in charge of it, while its window is open; a
    reclaim rule never assigns pending leads. A closed window counts whether it has not opened yet or
    has ended: either way leads wait, so they are shown and, after the tenant's escalation time,
    escalated with this reason.
    """
    if rule_in_charge is None:
        return NO_RULE
    if not rule_in_charge.window.is_open(now):
        return WINDOW_CLOSED
    return None
