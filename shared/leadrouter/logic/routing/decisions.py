"""What a sweep decides for one lead, and how a lead whose write fails is contained.

Assign and reclaim share these: the decision record written with each change, when a lead nobody can
take is escalated, and containment: a lead whose write raises is counted on the lead and, after
``MAX_ATTEMPTS``, quarantined (escalated, out of the due/idle index), so it never blocks its scope.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from leadrouter.domain.calling import CallBar, CallPermission
from leadrouter.domain.eligibility import INACTIVE, UNKNOWN
from leadrouter.domain.leads import Decision, DecisionAction, Lead, SkipRecord
from leadrouter.domain.rotation import Pick
from leadrouter.domain.rules import Rule
from leadrouter.logic.ports import Transitions
from leadrouter.logic.privacy.calling import decision_fields
from leadrouter.logic.routing.sweeps import log_failure

#: Reasons that will not go away by waiting: a lead nobody can ever take is escalated at once.
PERMANENT_REASONS = frozenset({UNKNOWN, INACTIVE, "held_before"})
#: Failed sweep writes on one lead before it is quarantined (escalated with reason ``quarantined``).
MAX_ATTEMPTS = 3
QUARANTINED = "quarantined"


def nobody_ever(reasons: list[str]) -> bool:
    """True when every staff member is out for a reason that waiting will not fix."""
    return bool(reasons) and all(reason in PERMANENT_REASONS for reason in reasons)


def decision_for(
    rule: Rule, now: datetime, action: DecisionAction, pick: Pick | None = None, **fields: Any
) -> Decision:
    """The record written with a lead's change: which rule and version, slot, who, who was skipped."""
    chosen = pick is not None and pick.staff_id is not None
    return Decision(
        at=now,
        action=action,
        rule_id=rule.rule_id,
        rule_version=rule.version,
        slot=pick.slot if chosen and pick else None,
        staff_id=pick.staff_id if pick else None,
        skipped=[SkipRecord(staff_id=s.staff_id, reason=s.reason) for s in (pick.skipped if pick else ())],
        **fields,
    )


def call_fields(call: CallPermission | None) -> dict[str, Any]:
    """A decision that gives the lead to someone says whether they may call it for advertising; a
    missing check (never expected) bars the call rather than allow it."""
    return decision_fields(call or CallPermission(allowed=False, reason=CallBar.CHECK_FAILED))


def escalation_reason(pick: Pick, due_at: datetime | None, cutoff: datetime | None) -> str | None:
    """Why a lead nobody can take now should be escalated, or None if it should keep waiting.

    ``cutoff`` is the team clock's answer (``RuleClocks.escalation_cutoff``): a lead due at or before
    it has waited the rule's escalation time in working time.
    """
    if due_at is not None and cutoff is not None and due_at <= cutoff:
        return "waited_too_long"
    if nobody_ever([s.reason for s in pick.skipped]):
        return "no_eligible_staff"
    return None


def guarded(repo: Transitions, rule: Rule, lead: Lead, now: datetime, write: Callable[[], str]) -> str:
    """Run one lead's write; if it raises, the failure stays with that lead (see ``contain``)."""
    try:
        return write()
    except Exception as error:
        return contain(repo, rule, lead, error, now)


def contain(repo: Transitions, rule: Rule, lead: Lead, error: Exception, now: datetime) -> str:
    """A lead whose write raised (and certainly did not apply: the data layer settles ambiguous errors
    by re-reading the lead) is counted on the lead with one small write; at ``MAX_ATTEMPTS`` it is
    quarantined instead: escalated with reason ``quarantined``, out of the due/idle index for good.

    Returns "failed", "quarantined", or "lost" when the lead changed meanwhile (nothing to count).
    """
    attempt = lead.failed_attempts + 1
    code = repo.failure_code(error)
    where = {
        "tenant_id": lead.tenant_id,
        "rule_id": rule.rule_id,
        "lead_id": lead.lead_id,
        "attempt": attempt,
    }
    log_failure("lead write failed", error, **where)
    try:
        if attempt >= MAX_ATTEMPTS:
            decision = decision_for(rule, now, "escalated", previous_owner=lead.owner, reason=QUARANTINED)
            return "quarantined" if repo.quarantine(lead, decision, code) else "lost"
        return "failed" if repo.record_failure(lead, code) else "lost"
    except Exception as again:
        log_failure("lead failure not recorded", again, **where)
        return "failed"
