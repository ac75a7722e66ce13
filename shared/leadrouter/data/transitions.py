"""A lead's state changes made by the sweeps: each one conditional write on the state it was read in.

Every write here knows what "ours" looks like on the stored item (the decision it appends, or the
failure count it sets), so an ambiguous outcome is settled by the item, not guessed:

* a lost condition returns the stored item (``ReturnValuesOnConditionCheckFailure=ALL_OLD``, no read
  capacity consumed): if it already carries our write, an earlier attempt of this very request was
  applied and answered 5xx, and botocore's retry hit the condition. That is ours, not a lost race.
* any other error (5xx, timeout, throttling after botocore's retries) may come after the write was
  applied: the lead is re-read (consistent GetItem). Ours → applied; unchanged (same ``rev``) → the
  error is raised again (it really failed); changed by someone else → lost.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from leadrouter.clock import to_iso
from leadrouter.data.items import (
    Item,
    Store,
    expr_values,
    from_item,
    holding,
    is_condition_failure,
    owner_partition,
    scope_partition,
    to_item,
)
from leadrouter.domain.leads import Decision, Lead, LeadStatus
from leadrouter.domain.rules import Rule

#: Tells from a stored lead (plain values) whether it carries the write we attempted.
Ours = Callable[[Item], bool]


def error_code(error: BaseException) -> str:
    """What went wrong, safe to store and log: DynamoDB's error code or the exception's type, never
    the message (a validation error's text quotes the data)."""
    if isinstance(error, ClientError):
        return str(error.response.get("Error", {}).get("Code") or "ClientError")
    return type(error).__name__


def _dumped(decision: Decision) -> dict[str, Any]:
    return decision.model_dump(mode="json", exclude_none=True)


def carries(decision: Decision) -> Ours:
    """Ours if the stored lead's last decision is the one we wrote (its slot, time and rule make it
    unique to one sweep)."""
    wanted = _dumped(decision)

    def check(item: Item) -> bool:
        decisions = item.get("decisions") or []
        return bool(decisions) and decisions[-1] == wanted

    return check


class TransitionStore(Store):
    """pending → assigned / escalated, assigned → reclaimed / escalated, care, and failure bookkeeping."""

    failure_code = staticmethod(error_code)

    def assign_pending(self, lead: Lead, staff_id: str, rule: Rule, decision: Decision) -> bool:
        """pending → assigned, with the decision, in one conditional write. False: someone else won.

        Raises only when the write certainly did not apply and the lead is as it was read.
        """
        now = to_iso(decision.at)
        return self._update_lead(
            lead,
            carries(decision),
            update=(
                "SET #status = :assigned, #owner = :staff, assignees = :staff_list, owner_key = :owner_key,"
                " assigned_at = :now, idle_since = :now, idle_scope = :scope, rule_id = :rule_id,"
                " rule_version = :rule_version, failed_attempts = :zero,"
                " held_by = list_append(if_not_exists(held_by, :empty), :staff_list),"
                " decisions = list_append(if_not_exists(decisions, :empty), :decision), rev = rev + :one"
                " REMOVE due_scope"
            ),
            condition="#status = :pending AND due_scope = :scope",
            values=expr_values(
                zero=0,
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
                decision=[_dumped(decision)],
            ),
            names={"#status": "status", "#owner": "owner"},
        )

    def escalate_pending(self, lead: Lead, decision: Decision) -> bool:
        """pending → escalated (nobody could take it): explicit, with the reasons, never silent."""
        return self._update_lead(
            lead,
            carries(decision),
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
                decision=[_dumped(decision)],
            ),
            names={"#status": "status"},
        )

    def reclaim_assigned(self, lead: Lead, new_owner: str, decision: Decision) -> bool:
        """Give an idle lead to ``new_owner`` only if it is still with the same owner and still untouched."""
        previous, seen = holding(lead)
        now = to_iso(decision.at)
        return self._update_lead(
            lead,
            carries(decision),
            update=(
                "SET #owner = :staff, assignees = :staff_list, owner_key = :owner_key, assigned_at = :now,"
                " idle_since = :now, rev = rev + :one, failed_attempts = :zero,"
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
                decision=[_dumped(decision)],
                previous=previous,
                seen=seen,
            ),
            names={"#status": "status", "#owner": "owner"},
        )

    def escalate_assigned(self, lead: Lead, decision: Decision) -> bool:
        """Idle lead nobody else may take (or reclaimed too often) → escalated; it leaves the idle index."""
        previous, seen = holding(lead)
        return self._update_lead(
            lead,
            carries(decision),
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
                decision=[_dumped(decision)],
                previous=previous,
                seen=seen,
            ),
            names={"#status": "status", "#owner": "owner"},
        )

    # ------------------------------------------------------------------ failures and quarantine
    def record_failure(self, lead: Lead, code: str) -> bool:
        """Count one failed sweep write on a lead that is still as it was read (only on failure: the
        normal path writes nothing extra). False if the lead changed meanwhile (nothing to count)."""
        attempts = lead.failed_attempts + 1
        return self._update_lead(
            lead,
            _counted(lead, attempts),
            update="SET failed_attempts = :attempts, last_failure = :code, rev = rev + :one",
            condition="rev = :rev",
            values=expr_values(attempts=attempts, code=code, one=1, rev=lead.rev),
            names={},
        )

    def quarantine(self, lead: Lead, decision: Decision, code: str) -> bool:
        """Escalate a lead whose sweep writes keep failing, so it leaves the due/idle index for good.

        Conditioned on the revision that was read (the lead is exactly as it was when it failed). The
        decision (reason ``quarantined``) is appended if the item can take it; if the item itself is what
        fails (too large), a minimal write without the list append quarantines it all the same:
        ``failed_attempts`` and ``last_failure`` then say why.
        """
        attempts = lead.failed_attempts + 1
        common = (
            "SET #status = :escalated, escalated_at = :now, failed_attempts = :attempts,"
            " last_failure = :code, rev = rev + :one"
        )
        leaves = " REMOVE due_scope" if lead.status is LeadStatus.PENDING else " REMOVE idle_scope, owner_key"
        values = expr_values(
            escalated=LeadStatus.ESCALATED.value,
            now=to_iso(decision.at),
            attempts=attempts,
            code=code,
            one=1,
            rev=lead.rev,
        )
        names = {"#status": "status"}
        try:
            return self._update_lead(
                lead,
                carries(decision),
                update=common
                + ", decisions = list_append(if_not_exists(decisions, :empty), :decision)"
                + leaves,
                condition="rev = :rev",
                values=values | expr_values(empty=[], decision=[_dumped(decision)]),
                names=names,
            )
        except ClientError as error:
            if error_code(error) != "ValidationException":
                raise
        return self._update_lead(
            lead,
            _counted(lead, attempts),
            update=common + leaves,
            condition="rev = :rev",
            values=values,
            names=names,
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

    # ------------------------------------------------------------------ the one write path
    def _update_lead(
        self,
        lead: Lead,
        ours: Ours,
        *,
        update: str,
        condition: str,
        values: dict[str, Any],
        names: dict[str, str],
    ) -> bool:
        """One conditional UpdateItem. True: the lead carries this write. False: another writer won.

        Raises the original error only when the write did not apply and the lead is unchanged.
        """
        request: dict[str, Any] = {
            "TableName": self._leads,
            "Key": to_item({"tenant_id": lead.tenant_id, "lead_id": lead.lead_id}),
            "UpdateExpression": update,
            "ConditionExpression": condition,
            "ExpressionAttributeValues": values,
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }
        if names:
            request["ExpressionAttributeNames"] = names
        try:
            self._client.update_item(**request)
        except ClientError as error:
            if is_condition_failure(error):
                stored = error.response.get("Item")
                return stored is not None and ours(from_item(stored))
            return self._settle_ambiguous(lead, ours, error)
        except BotoCoreError as error:  # timeouts, dropped connections: the request may have landed
            return self._settle_ambiguous(lead, ours, error)
        return True

    def _settle_ambiguous(self, lead: Lead, ours: Ours, error: Exception) -> bool:
        response = self._client.get_item(
            TableName=self._leads,
            Key=to_item({"tenant_id": lead.tenant_id, "lead_id": lead.lead_id}),
            ConsistentRead=True,
        )
        raw = response.get("Item")
        if raw is None:
            return False
        stored = from_item(raw)
        if ours(stored):
            return True
        if stored.get("rev") == lead.rev:
            raise error
        return False


def _counted(lead: Lead, attempts: int) -> Ours:
    """Ours if the lead moved on by exactly our write: one revision later, with our failure count."""

    def check(item: Item) -> bool:
        return item.get("rev") == lead.rev + 1 and item.get("failed_attempts") == attempts

    return check
