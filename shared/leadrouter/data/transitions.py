"""A lead's state changes made by the sweeps: each one conditional write on the state it was read in."""

from __future__ import annotations

from datetime import datetime

from botocore.exceptions import ClientError

from leadrouter.clock import to_iso
from leadrouter.data.items import (
    Store,
    expr_values,
    holding,
    is_condition_failure,
    owner_partition,
    scope_partition,
    to_item,
)
from leadrouter.domain.models import (
    Decision,
    Lead,
    LeadStatus,
    Rule,
)


class TransitionStore(Store):
    """pending → assigned / escalated, assigned → reclaimed / escalated, care."""

    def assign_pending(self, lead: Lead, staff_id: str, rule: Rule, decision: Decision) -> bool:
        """pending → assigned, with the decision, in one conditional write. False: someone else won."""
        now = to_iso(decision.at)
        return self._conditional_update(
            lead,
            update=(
                "SET #status = :assigned, #owner = :staff, assignees = :staff_list, owner_key = :owner_key,"
                " assigned_at = :now, idle_since = :now, idle_scope = :scope, rule_id = :rule_id,"
                " rule_version = :rule_version,"
                " held_by = list_append(if_not_exists(held_by, :empty), :staff_list),"
                " decisions = list_append(if_not_exists(decisions, :empty), :decision), rev = rev + :one"
                " REMOVE due_scope"
            ),
            condition="#status = :pending AND due_scope = :scope",
            values=expr_values(
                one=1,
                assigned=LeadStatus.ASSIGNED.value,
                pending=LeadStatus.PENDING.value,
                staff=staff_id,
                staff_list=[staff_id],
                owner_key=owner_partition(lead.tenant_id, staff_id),
                now=now,
                scope=scope_partition(lead.tenant_id, lead.scope_key),
                rule_id=rule.rule_id,
                rule_version=rule.version,
                empty=[],
                decision=[decision.model_dump(mode="json", exclude_none=True)],
            ),
            names={"#status": "status", "#owner": "owner"},
        )

    def escalate_pending(self, lead: Lead, decision: Decision) -> bool:
        """pending → escalated (nobody could take it): explicit, with the reasons, never silent."""
        return self._conditional_update(
            lead,
            update=(
                "SET #status = :escalated, escalated_at = :now, rev = rev + :one,"
                " decisions = list_append(if_not_exists(decisions, :empty), :decision) REMOVE due_scope"
            ),
            condition="#status = :pending AND due_scope = :scope",
            values=expr_values(
                one=1,
                escalated=LeadStatus.ESCALATED.value,
                pending=LeadStatus.PENDING.value,
                now=to_iso(decision.at),
                scope=scope_partition(lead.tenant_id, lead.scope_key),
                empty=[],
                decision=[decision.model_dump(mode="json", exclude_none=True)],
            ),
            names={"#status": "status"},
        )

    def reclaim_assigned(self, lead: Lead, new_owner: str, decision: Decision) -> bool:
        """Give an idle lead to ``new_owner`` only if it is still with the same owner and still untouched."""
        previous, seen = holding(lead)
        now = to_iso(decision.at)
        return self._conditional_update(
            lead,
            update=(
                "SET #owner = :staff, assignees = :staff_list, owner_key = :owner_key, assigned_at = :now,"
                " idle_since = :now, rev = rev + :one,"
                " reclaim_count = if_not_exists(reclaim_count, :zero) + :one,"
                " held_by = list_append(if_not_exists(held_by, :empty), :staff_list),"
                " decisions = list_append(if_not_exists(decisions, :empty), :decision)"
            ),
            condition="#status = :assigned AND #owner = :previous AND idle_since = :seen",
            values=expr_values(
                assigned=LeadStatus.ASSIGNED.value,
                staff=new_owner,
                staff_list=[new_owner],
                owner_key=owner_partition(lead.tenant_id, new_owner),
                now=now,
                zero=0,
                one=1,
                empty=[],
                decision=[decision.model_dump(mode="json", exclude_none=True)],
                previous=previous,
                seen=seen,
            ),
            names={"#status": "status", "#owner": "owner"},
        )

    def escalate_assigned(self, lead: Lead, decision: Decision) -> bool:
        """Idle lead nobody else may take (or reclaimed too often) → escalated; it leaves the idle index."""
        previous, seen = holding(lead)
        return self._conditional_update(
            lead,
            update=(
                "SET #status = :escalated, escalated_at = :now, rev = rev + :one,"
                " decisions = list_append(if_not_exists(decisions, :empty), :decision)"
                " REMOVE idle_scope, owner_key"
            ),
            condition="#status = :assigned AND #owner = :previous AND idle_since = :seen",
            values=expr_values(
                one=1,
                escalated=LeadStatus.ESCALATED.value,
                assigned=LeadStatus.ASSIGNED.value,
                now=to_iso(decision.at),
                empty=[],
                decision=[decision.model_dump(mode="json", exclude_none=True)],
                previous=previous,
                seen=seen,
            ),
            names={"#status": "status", "#owner": "owner"},
        )

    def record_care(self, tenant_id: str, lead_id: str, at: datetime) -> bool:
        """A care activity (note, call, step change) restarts the lead's idle clock; False if not assigned."""
        try:
            self._client.update_item(
                TableName=self._leads,
                Key=to_item({"tenant_id": tenant_id, "lead_id": lead_id}),
                UpdateExpression="SET idle_since = :at, last_activity_at = :at, rev = rev + :one",
                ConditionExpression="#status = :assigned",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues=expr_values(
                    at=to_iso(at), assigned=LeadStatus.ASSIGNED.value, one=1
                ),
            )
        except ClientError as error:
            if is_condition_failure(error):
                return False
            raise
        return True
