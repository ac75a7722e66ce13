"""Rules as admins write them: create, read, replace as a new version, switch on or off, delete.

The request models carry only what an admin may set: the tenant always comes from the caller's token,
and a rule's ``version`` and rotation ``cycle`` are the server's.
"""

from __future__ import annotations

from typing import Any, Protocol

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    JsonValue,
    StrictInt,
    ValidationError,
)

from leadrouter.domain.base import Ident, Name
from leadrouter.domain.errors import Conflict, InvalidInput, NotFound
from leadrouter.domain.ids import new_id
from leadrouter.domain.rotation import normalise_weights
from leadrouter.domain.rules import (
    MAX_PRIORITY,
    Rule,
    RuleKind,
    RuleStaff,
    ScheduleWindow,
    absence_field,
    backlog_hold_field,
    draft_rule,
    escalate_after_field,
    rule_with,
    with_cycle,
)
from leadrouter.domain.scopes import Scope
from leadrouter.domain.users import Caller
from leadrouter.logic.ports import Rules, Staff
from leadrouter.logic.validation import invalid, known_id


class RulePorts(Rules, Staff, Protocol):
    """A tenant's rules, built against its members."""


#: A rule item holds its whole cycle; DynamoDB items stop at 400 KB, so a cycle is kept well below.
MAX_CYCLE_BYTES = 300_000


_NOT_RECLAIM: dict[str, JsonValue] = {"reclaim_after_minutes": {"type": "null"}}
#: Per kind: a reclaim rule needs its idle time, the others take none, and round-robin weights are all 1.
_KINDS: list[JsonValue] = [
    {
        "required": ["kind", "reclaim_after_minutes"],
        "properties": {"kind": {"const": "reclaim"}, "reclaim_after_minutes": {"type": "integer"}},
    },
    {"required": ["kind"], "properties": {"kind": {"const": "weighted"}, **_NOT_RECLAIM}},
    {
        "required": ["kind"],
        "properties": {
            "kind": {"const": "round_robin"},
            "staff": {"items": {"properties": {"weight": {"const": 1}}}},
            **_NOT_RECLAIM,
        },
    },
]


class RuleFields(BaseModel):
    """A rule as an admin writes it: everything except tenant_id (from the token), version and cycle.

    The constraints mirror ``Rule`` (a test keeps them in step); the cross-field checks (weights that fit
    the kind, reclaim time only on reclaim rules, repeated staff) run when the ``Rule`` is built. What a
    kind implies is stated in the spec too (``_KINDS``).
    """

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, json_schema_extra={"oneOf": _KINDS})

    name: Name
    kind: RuleKind
    scope: Scope
    delay_minutes: StrictInt = Field(default=0, ge=0, le=30 * 24 * 60)
    staff: list[RuleStaff] = Field(min_length=1, max_length=200)
    reclaim_after_minutes: StrictInt | None = Field(default=None, ge=1, le=365 * 24 * 60)
    max_reclaims: StrictInt = Field(default=2, ge=0, le=100)
    # The working-time options: the Rule's own fields (their descriptions say what they do).
    escalate_after_minutes: StrictInt = escalate_after_field()
    backlog_hold_minutes: StrictInt = backlog_hold_field()
    absence_stops_reclaim_clock: bool = absence_field()
    active: bool = True
    priority: StrictInt = Field(default=0, ge=-MAX_PRIORITY, le=MAX_PRIORITY)
    window: ScheduleWindow = Field(default_factory=ScheduleWindow)


class RuleDraft(RuleFields):
    rule_id: Ident | None = Field(default=None, description="optional; generated (R…) when absent")


class RuleReplacement(RuleFields):
    expected_version: StrictInt | None = Field(
        default=None,
        ge=1,
        le=2**31,  # bounded like every request number (a rule gets nowhere near it)
        description="the version you edited: if the rule has moved on meanwhile the answer is 409",
    )


def build_rule(
    repo: Staff, tenant_id: str, rule_id: str, fields: RuleFields, version: int, **overrides: Any
) -> Rule:
    """The domain rule for a draft, or InvalidInput listing every bad field (including unknown staff).

    Cheap checks run first (types, bounds, Σweights, staff that exist); only a draft that passes them
    pays for building its rotation cycle.
    """
    data = fields.model_dump(include=set(RuleFields.model_fields), exclude_unset=True)
    data |= {"tenant_id": tenant_id, "rule_id": rule_id, "version": version, **overrides}
    problems: dict[str, str] = {}
    draft: Rule | None = None
    try:
        draft = draft_rule(data)
    except ValidationError as error:
        problems |= invalid(error, "").fields
    known = repo.get_staff(tenant_id, [s.staff_id for s in fields.staff])
    for index, entry in enumerate(fields.staff):
        if entry.staff_id not in known:
            problems[f"staff.{index}.staff_id"] = (
                f"unknown staff member {entry.staff_id!r}: create it with POST /staff first"
            )
    if draft is not None and not problems:
        size = sum(
            weight * (len(entry.staff_id.encode()) + 3)
            for weight, entry in zip(
                normalise_weights([s.weight for s in draft.staff]), draft.staff, strict=True
            )
        )
        if size > MAX_CYCLE_BYTES:
            problems["staff"] = (
                f"these weights make a rotation cycle of {size} bytes, too long to store;"
                " use smaller weights (3:4:5 and 300:400:500 split leads the same way)"
            )
    if problems or draft is None:
        raise InvalidInput("invalid rule", problems)
    return with_cycle(draft)


def create_rule(repo: RulePorts, caller: Caller, draft: RuleDraft) -> Rule:
    rule = build_rule(repo, caller.tenant_id, draft.rule_id or new_id("R"), draft, version=1)
    repo.create_rule(rule)  # Conflict (409) if the id is taken
    return rule


def get_rule(repo: Rules, caller: Caller, rule_id: str) -> Rule:
    rule = repo.get_rule(caller.tenant_id, known_id(rule_id, "rule"))
    if rule is None:
        raise NotFound(f"rule {rule_id} not found")
    return rule


def list_rules(repo: Rules, caller: Caller) -> list[Rule]:
    return repo.list_rules(caller.tenant_id)


def replace_rule(repo: RulePorts, caller: Caller, rule_id: str, body: RuleReplacement) -> Rule:
    """Save the body as the next version: a fresh cycle whose rotation starts again at slot 0.

    Leads already assigned keep the version that assigned them. ``active`` keeps its current value
    unless the body sets it, so editing a disabled rule does not switch it on by accident.
    """
    current = get_rule(repo, caller, rule_id)
    if body.expected_version is not None and body.expected_version != current.version:
        raise Conflict(
            f"rule {rule_id} is at version {current.version}, not {body.expected_version}; reload it"
        )
    keep = {} if "active" in body.model_fields_set else {"active": current.active}
    rule = build_rule(repo, caller.tenant_id, current.rule_id, body, version=current.version + 1, **keep)
    return repo.save_rule(current, rule)  # Conflict (409) if anyone wrote the rule since we read it


def set_rule_active(repo: Rules, caller: Caller, rule_id: str, active: bool) -> Rule:
    """Enable or disable in place: no new version, so the rotation keeps its place in the cycle."""
    current = get_rule(repo, caller, rule_id)
    return repo.save_rule(current, rule_with(current, active=active))


def delete_rule(repo: Rules, caller: Caller, rule_id: str) -> None:
    repo.delete_rule(caller.tenant_id, known_id(rule_id, "rule"))
