"""Changes of leads outside routing: intake's inserts and touches, the API's revision-checked saves,
and each lead's history timeline (events table).

The routing sweeps' conditional transitions live in ``data.transitions``; reads and index pages in
``data.leads``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import Any

from botocore.exceptions import ClientError

from leadrouter.clock import to_iso
from leadrouter.data import expiry
from leadrouter.data.attribution import FIRST_ATTR, LATEST_ATTR
from leadrouter.data.contacts import ClaimChange, Tag, claim_operations, explain_cancellation, is_cancellation
from leadrouter.data.expiry import (
    ATTRIBUTION_DAYS_ATTR,
    EXPIRES_ATTR,
    LEAD_RETENTION_ATTRS,
    keep_stamp,
    stamp_lead,
)
from leadrouter.data.items import (
    Item,
    expr_values,
    from_item,
    is_condition_failure,
    lead_item,
    read_model,
    strip_keys,
    to_item,
)
from leadrouter.data.retention import RetentionStore
from leadrouter.data.scopes import ScopeStore
from leadrouter.domain.attribution import Touch
from leadrouter.domain.errors import Conflict
from leadrouter.domain.ids import new_id
from leadrouter.domain.leads import Lead, LeadEvent
from leadrouter.domain.retention import expires_at


class LeadChangeStore(ScopeStore, RetentionStore):
    """Inserts, saves on the revision read, and the timeline of a lead.

    Every write here is the customer's or a person's (intake, a resubmission, an import, an API edit,
    a care activity) and renews the lead's period: its TTL is stamped ``leads_days`` from the write
    (``data.expiry``). The sweeps' transitions (``data.transitions``) keep the stamp they find: a lead
    nobody touches expires its period after the last person did, whatever the rotation did meanwhile.
    Nor does an erasure's save (``save_lead(renew=False)``): it is nobody's use of the lead.
    """

    def _stored(self, lead: Lead) -> Item:
        """The lead's item as written now: stamped with the tenant's periods, attribution as it keeps it."""
        return stamp_lead(lead_item(lead), self._retention_of(lead.tenant_id))

    def put_new_lead(self, lead: Lead) -> None:
        self.mark_lead_scope(lead)
        try:
            self._client.put_item(
                TableName=self._leads,
                Item=to_item(self._stored(lead)),
                ConditionExpression="attribute_not_exists(lead_id)",
            )
        except ClientError as error:
            if is_condition_failure(error):
                raise Conflict(f"lead {lead.lead_id} already exists") from error
            raise

    def record_touch(self, tenant_id: str, lead_id: str, touch: Touch) -> None:
        """Record a later submission's touch on an existing lead: one UpdateItem, a no-op if it is gone.

        The latest touch is replaced; the first is set only if the lead has none (``if_not_exists``), so
        of two racing calls the one DynamoDB applies first gives the first touch and neither loses it.
        Nothing else changes (not the status, not the indexes) but ``rev``: every write bumps it, so an
        API edit that read the lead before this touch gets a 409 instead of writing the old attribution
        back.

        The customer's return renews the lead's period (its TTL). A first touch past the tenant's
        attribution period is replaced by this one (a second write, only then); a tenant that keeps no
        attribution gets only the renewal.
        """
        retention = self._retention_of(tenant_id)
        key = to_item({"tenant_id": tenant_id, "lead_id": lead_id})
        renewal = expires_at(expiry.stamp_now(), retention.leads_days)
        if not retention.keep_attribution:
            self._touch_update(
                key,
                "SET #expires = :expires, rev = if_not_exists(rev, :zero) + :one",
                "attribute_exists(lead_id)",
                {"#expires": EXPIRES_ATTR},
                expr_values(expires=renewal, zero=0, one=1),
            )
            return
        stored = touch.model_dump(mode="json", exclude_none=True)
        names = {"#first": FIRST_ATTR, "#latest": LATEST_ATTR, "#days": ATTRIBUTION_DAYS_ATTR}
        names["#expires"] = EXPIRES_ATTR
        values = expr_values(touch=stored, zero=0, one=1, days=retention.attribution_days, expires=renewal)
        common = "#days = :days, #expires = :expires, rev = if_not_exists(rev, :zero) + :one"
        oldest = to_iso(expiry.now() - timedelta(days=retention.attribution_days))
        kept = self._touch_update(
            key,
            f"SET #latest = :touch, #first = if_not_exists(#first, :touch), {common}",
            "attribute_exists(lead_id) AND (attribute_not_exists(#first) OR #first.#at > :oldest)",
            names | {"#at": "at"},
            values | expr_values(oldest=oldest),
        )
        if not kept:  # gone, or its first touch is past its period: then this touch is the first
            self._touch_update(
                key,
                f"SET #first = :touch, {common} REMOVE #latest",
                "attribute_exists(lead_id)",
                names,
                values,
            )

    def _touch_update(
        self, key: Item, update: str, condition: str, names: dict[str, str], values: dict[str, Any]
    ) -> bool:
        """One conditional UpdateItem of a lead; False when its condition failed."""
        try:
            self._client.update_item(
                TableName=self._leads,
                Key=key,
                UpdateExpression=update,
                ConditionExpression=condition,
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
            )
        except ClientError as error:
            if not is_condition_failure(error):
                raise
            return False
        return True

    def import_leads(self, leads: Sequence[Lead]) -> None:
        """Bulk-load new leads (Excel import, tests): BatchWriteItem in 25s, unprocessed items retried.

        Unconditional by nature (BatchWriteItem takes no conditions), so callers pass fresh ids only.
        """
        for lead in leads:
            self.mark_lead_scope(lead)
        for start in range(0, len(leads), 25):
            request: dict[str, Any] = {
                self._leads: [
                    {"PutRequest": {"Item": to_item(self._stored(lead))}}
                    for lead in leads[start : start + 25]
                ]
            }
            while request:
                response = self._client.batch_write_item(RequestItems=request)
                request = response.get("UnprocessedItems") or {}

    def save_lead(
        self,
        before: Lead,
        after: Lead,
        event: LeadEvent | None = None,
        *,
        claim: Sequence[str] = (),
        release: Sequence[str] = (),
        replacing: Mapping[str, str] | None = None,
        renew: bool = True,
    ) -> Lead:
        """Write an edited lead if nobody changed it since ``before`` was read, with its history event.

        The sparse index attributes are recomputed from the new status (a lead moved to another step
        moves to that step's due/idle partition). Contact claims move in the same transaction (an
        edited phone, a delete, a restore): each of ``claim`` is pointed at the lead (if free, already
        its own, or held by the stale holder ``replacing`` names), each of ``release`` is deleted if it
        still points at the lead. Raises Conflict when the lead changed meanwhile, ContactTaken when a
        contact to claim belongs to another lead (told apart by the transaction's CancellationReasons).

        ``renew`` False: the lead keeps the end of its period (and its touches' period) as stamped, read
        with the revision (a consistent GetItem of those attributes); one at another revision is a
        Conflict already, and the write's revision condition holds the stamp read until the write.
        """
        self.mark_lead_scope(after)
        stored = Lead.model_validate({**after.model_dump(), "rev": before.rev + 1})
        item = self._stored(stored)
        if not renew:
            item = keep_stamp(item, self._stamps_at(before))
        operations: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": self._leads,
                    "Item": to_item(item),
                    "ConditionExpression": "rev = :rev",
                    "ExpressionAttributeValues": expr_values(rev=before.rev),
                }
            }
        ]
        tags: list[Tag] = [("lead", "")]
        if event is not None:
            operations.append(
                {"Put": {"TableName": self._events, "Item": to_item(self._event_item(stored, event))}}
            )
            tags.append(("event", ""))
        claims = ClaimChange(claim=claim, release=release, replacing=replacing or {})
        if claims:
            claim_ops, claim_tags = claim_operations(self._config, stored, claims)
            operations += claim_ops
            tags += claim_tags
        try:
            self._client.transact_write_items(TransactItems=operations)
        except ClientError as error:
            if is_cancellation(error):
                explain_cancellation(error, tags, before)
            raise
        return stored

    def _stamps_at(self, before: Lead) -> Item:
        """The stored lead's retention stamps, if it is still at ``before``'s revision (else Conflict)."""
        found = self._client.get_item(
            TableName=self._leads,
            Key=to_item({"tenant_id": before.tenant_id, "lead_id": before.lead_id}),
            ConsistentRead=True,
            ProjectionExpression="rev, #expires, #days",
            ExpressionAttributeNames={"#expires": EXPIRES_ATTR, "#days": ATTRIBUTION_DAYS_ATTR},
        ).get("Item")
        item = from_item(found) if found else {}
        if item.get("rev", 0) != before.rev:
            raise Conflict(f"lead {before.lead_id} changed meanwhile; reload it and retry")
        return {k: v for k, v in item.items() if k in LEAD_RETENTION_ATTRS}

    def save_care(self, before: Lead, after: Lead, event: LeadEvent) -> Lead:
        """Write a care activity (note, call, step change): the lead on its revision as read, then its
        history event, as two plain writes. Raises Conflict (nothing written) if the lead changed.

        Care is the most frequent write on an assigned lead, and a transaction charges every unit of it
        twice: the item and each index entry it moves (a note: 8 WRU in a transaction, 3 so).
        The lead goes first, so a 409 records nothing; should the event's write then fail, the call
        fails with the idle clock restarted and the client's retry records the activity.
        """
        self.mark_lead_scope(after)
        stored = Lead.model_validate({**after.model_dump(), "rev": before.rev + 1})
        try:
            self._client.put_item(
                TableName=self._leads,
                Item=to_item(self._stored(stored)),
                ConditionExpression="rev = :rev",
                ExpressionAttributeValues=expr_values(rev=before.rev),
            )
        except ClientError as error:
            if is_condition_failure(error):
                raise Conflict(f"lead {before.lead_id} changed meanwhile; reload it and retry") from error
            raise
        self._client.put_item(TableName=self._events, Item=to_item(self._event_item(stored, event)))
        return stored

    def add_event(self, lead: Lead, event: LeadEvent, *, slot: str | None = None) -> bool:
        """Append to the lead's timeline; False if the lead already has an event in ``slot``.

        ``slot`` names a window the lead takes at most one such event in, whatever its time (the first
        one wins; concurrent copies of one submission included). The timeline is read by ``at``.
        """
        item = self._event_item(lead, event)
        if slot is None:
            self._client.put_item(TableName=self._events, Item=to_item(item))
            return True
        item["sk"] = slot
        try:
            self._client.put_item(
                TableName=self._events, Item=to_item(item), ConditionExpression="attribute_not_exists(sk)"
            )
        except ClientError as error:
            if not is_condition_failure(error):
                raise
            return False
        return True

    def lead_events(self, tenant_id: str, lead_id: str) -> list[LeadEvent]:
        items = self._paginate_query(
            TableName=self._events,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues=expr_values(pk=f"{tenant_id}#{lead_id}"),
        )
        found = (read_model(LeadEvent, strip_keys(item)) for item in items)
        return [event for event in found if event is not None]

    @staticmethod
    def _event_item(lead: Lead, event: LeadEvent) -> Item:
        return {
            "pk": f"{lead.tenant_id}#{lead.lead_id}",
            "sk": f"{to_iso(event.at)}#{new_id()}",
            **event.model_dump(mode="json", exclude_none=True),
        }
