"""Building a rule version (pure): validate the cheap fields, then compute its rotation cycle once.

The cycle is stored with the rule; loading a rule only checks it against the weights (O(W)), so no
sweep, listing or API read ever rebuilds one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from leadrouter.domain.models import Rule
from leadrouter.domain.rotation import build_cycle

#: Validation context under which ``Rule`` skips its cycle check (the cycle is about to be built).
BUILDING = {"cycle": "build"}


def draft_rule(data: Mapping[str, Any]) -> Rule:
    """Every field checked (types, bounds, repeated staff, Σweights ≤ MAX_CYCLE_SLOTS), no cycle yet.

    Raises pydantic's ValidationError naming each field. Costs no CPU worth mentioning, so callers run
    their own cheap checks (unknown staff) on the draft before paying for the cycle.
    """
    fields = {k: v for k, v in data.items() if k != "cycle"}
    return Rule.model_validate({**fields, "cycle": ("-",)}, context=BUILDING)


def with_cycle(draft: Rule) -> Rule:
    """The draft with its rotation cycle built from the weights (the one expensive step)."""
    order = build_cycle([s.weight for s in draft.staff])
    cycle = tuple(draft.staff[i].staff_id for i in order)
    return Rule.model_validate({**draft.model_dump(), "cycle": cycle})


def new_rule(data: Mapping[str, Any]) -> Rule:
    """A complete rule version from its fields (without ``cycle``)."""
    return with_cycle(draft_rule(data))


def rule_with(rule: Rule, **changes: Any) -> Rule:
    """The same rule version with some fields changed, validated again (never ``model_copy``)."""
    return Rule.model_validate({**rule.model_dump(), **changes})
