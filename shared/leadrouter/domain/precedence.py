"""Which rule owns a scope (pure).

A lead sits in exactly one scope (campaign first, else data pool + step: see ``models.scope_key``).
Among several active rules of one action for the same scope, the highest ``priority`` wins; on a tie,
the lowest rule id (ids are time-ordered, so the oldest rule) wins. Exactly one rule per scope and
action ever sweeps it, so two rules never race for the same lead.
"""

from __future__ import annotations

from collections.abc import Iterable

from leadrouter.domain.models import Rule


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
