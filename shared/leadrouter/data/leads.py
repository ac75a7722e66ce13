"""Leads and their indexes: insert, read, list, page the two sparse indexes, history events.

The indexes are at the floor of what the access paths need. A GSI write costs 1 WRU per started KB of
the *projected* item, per put and per delete, and a changed index key is a delete plus a put; so the
cost of a lead's life is the number of index entries it enters, leaves or re-keys, times their size.

* ``due_queue`` (``due_scope``, ``queued_at``), KEYS_ONLY, set while pending: the assign sweep, the
  instant path and the unrouted views page one scope's due leads, oldest first.
* ``owner_idle`` (``owner_key``, ``idle_since``), INCLUDE ``assigned_at``, ``idle_scope``, set while
  assigned: one index for "an owner's open leads" (counts for caps, ``GET /leads?owner=``, release on
  deactivation) and "idle since" (reclaim). The reclaim sweep asks it per owner (key range on the
  idle time, ``idle_scope`` as a filter): one Query per staff member of the tenant, reading only
  leads idle past the cutoff, never the tenant's or the table's other leads.

So intake puts one entry (1 WRU), an assignment moves the lead from one index to the other (delete 1 +
put 1: 3 WRU with the item's own write, was 4 with a third ``idle`` index), a care activity and a
reclaim re-key it within ``owner_idle`` (2: 3 WRU, was 4 and 5), and an entry stays 1 WRU however
large the lead grows (decisions, attribution, form fields), where ALL paid the whole item every time.

Entries carry keys, not leads: a page of either index is turned into leads by one consistent
BatchGetItem of the base items (1 RRU per lead up to 4 KB), which every sweep then writes anyway. That
read is also the check the index cannot give (GSIs are eventually consistent): a lead whose base item
no longer matches the page (assigned, cared for, re-queued meanwhile) is dropped before any write.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from leadrouter.clock import to_iso
from leadrouter.data.attribution import FILTER_PATHS, FIRST_ATTR, LATEST_ATTR
from leadrouter.data.contacts import ClaimChange, Tag, claim_operations, explain_cancellation, is_cancellation
from leadrouter.data.cursors import Cursor, lead_cursor, lead_start_key
from leadrouter.data.items import (
    BATCH_GET_LIMIT,
    Item,
    PageKey,
    expr_values,
    from_item,
    is_condition_failure,
    lead_from_item,
    lead_item,
    owner_partition,
    read_model,
    scope_partition,
    strip_keys,
    to_item,
)
from leadrouter.data.scopes import ScopeStore
from leadrouter.domain.attribution import Touch
from leadrouter.domain.errors import Conflict
from leadrouter.domain.ids import id_floor, new_id
from leadrouter.domain.leads import Lead, LeadEvent

#: The two sparse indexes of the leads table (template.yaml ``LeadsTable``; see the module docstring).
DUE_INDEX = "due_queue"
OWNER_INDEX = "owner_idle"


def _matches(item: Item, wanted: Mapping[str, str]) -> bool:
    """Whether a stored lead has every filter's value (``list_leads`` filters, applied in Python)."""
    for field_name, value in wanted.items():
        found: Any = item
        for part in FILTER_PATHS.get(field_name, (field_name,)):
            found = found.get(part) if isinstance(found, dict) else None
        if found != value:
            return False
    return True


class LeadStore(ScopeStore):
    """Reads of leads and the API's revision-checked saves."""

    # ------------------------------------------------------------------ leads
    def put_new_lead(self, lead: Lead) -> None:
        self.mark_lead_scope(lead)
        try:
            self._client.put_item(
                TableName=self._leads,
                Item=to_item(lead_item(lead)),
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
        """
        stored = touch.model_dump(mode="json", exclude_none=True)
        try:
            self._client.update_item(
                TableName=self._leads,
                Key=to_item({"tenant_id": tenant_id, "lead_id": lead_id}),
                UpdateExpression=(
                    "SET #latest = :touch, #first = if_not_exists(#first, :touch),"
                    " rev = if_not_exists(rev, :zero) + :one"
                ),
                ConditionExpression="attribute_exists(lead_id)",
                ExpressionAttributeNames={"#first": FIRST_ATTR, "#latest": LATEST_ATTR},
                ExpressionAttributeValues=expr_values(touch=stored, zero=0, one=1),
            )
        except ClientError as error:
            if not is_condition_failure(error):
                raise

    def import_leads(self, leads: Sequence[Lead]) -> None:
        """Bulk-load new leads (Excel import, tests): BatchWriteItem in 25s, unprocessed items retried.

        Unconditional by nature (BatchWriteItem takes no conditions), so callers pass fresh ids only.
        """
        for lead in leads:
            self.mark_lead_scope(lead)
        for start in range(0, len(leads), 25):
            request: dict[str, Any] = {
                self._leads: [
                    {"PutRequest": {"Item": to_item(lead_item(lead))}} for lead in leads[start : start + 25]
                ]
            }
            while request:
                response = self._client.batch_write_item(RequestItems=request)
                request = response.get("UnprocessedItems") or {}

    def get_lead(self, tenant_id: str, lead_id: str) -> Lead | None:
        response = self._client.get_item(
            TableName=self._leads,
            Key=to_item({"tenant_id": tenant_id, "lead_id": lead_id}),
            ConsistentRead=True,
        )
        raw = response.get("Item")
        return lead_from_item(from_item(raw)) if raw else None

    def leads_by_id(self, tenant_id: str, lead_ids: Sequence[str]) -> dict[str, Lead]:
        """Leads by id (missing ids are absent): BatchGetItem in pages of 100, consistent reads."""
        return {
            lead_id: lead_from_item(item) for lead_id, item in self._items_by_id(tenant_id, lead_ids).items()
        }

    def _items_by_id(self, tenant_id: str, lead_ids: Sequence[str]) -> dict[str, Item]:
        """Stored lead items by id, index attributes included: BatchGetItem, consistent, in pages of 100."""
        found: dict[str, Item] = {}
        unique = list(dict.fromkeys(lead_ids))
        for start in range(0, len(unique), BATCH_GET_LIMIT):
            keys = [
                to_item({"tenant_id": tenant_id, "lead_id": lead_id})
                for lead_id in unique[start : start + BATCH_GET_LIMIT]
            ]
            request: dict[str, Any] = {self._leads: {"Keys": keys, "ConsistentRead": True}}
            while request:
                response = self._client.batch_get_item(RequestItems=request)
                for raw in response.get("Responses", {}).get(self._leads, []):
                    item = from_item(raw)
                    found[str(item["lead_id"])] = item
                request = response.get("UnprocessedKeys") or {}
        return found

    def tenant_leads(self, tenant_id: str) -> Iterator[Lead]:
        """Every lead of a tenant (admin listings, exports, tests): a Query on the key, never a Scan."""
        for item in self._paginate_query(
            TableName=self._leads,
            KeyConditionExpression="tenant_id = :t",
            ExpressionAttributeValues=expr_values(t=tenant_id),
        ):
            yield lead_from_item(item)

    def due_leads(
        self, tenant_id: str, scope_key: str, queued_before: datetime, limit: int, start: PageKey = None
    ) -> tuple[list[Lead], PageKey]:
        """One page of pending leads of a scope that have waited long enough, oldest first.

        Leads no longer pending in this scope (the index lags the table) are left out; the page may so
        hold fewer than ``limit`` leads while the cursor goes on.
        """
        partition, cutoff = scope_partition(tenant_id, scope_key), to_iso(queued_before)
        keys, next_key = self._index_page(
            index=DUE_INDEX,
            condition="due_scope = :p AND queued_at <= :cutoff",
            values=expr_values(p=partition, cutoff=cutoff),
            limit=limit,
            start=start,
        )
        leads = self._base_leads(
            tenant_id,
            keys,
            lambda item: item.get("due_scope") == partition and str(item.get("queued_at", "~")) <= cutoff,
        )
        return leads, next_key

    def idle_leads(
        self,
        tenant_id: str,
        owner: str,
        scope_key: str,
        idle_before: datetime,
        limit: int,
        start: PageKey = None,
    ) -> tuple[list[Lead], PageKey]:
        """One page of ``owner``'s leads in a scope untouched since before ``idle_before``, stalest first.

        The key range reads only the owner's leads idle past the cutoff; the scope is a filter on them.
        """
        partition, owner_key, cutoff = (
            scope_partition(tenant_id, scope_key),
            owner_partition(tenant_id, owner),
            to_iso(idle_before),
        )
        keys, next_key = self._index_page(
            index=OWNER_INDEX,
            condition="owner_key = :o AND idle_since <= :cutoff",
            values=expr_values(o=owner_key, cutoff=cutoff, p=partition),
            limit=limit,
            start=start,
            filter="idle_scope = :p",
        )
        leads = self._base_leads(
            tenant_id,
            keys,
            lambda item: (
                item.get("owner_key") == owner_key
                and item.get("idle_scope") == partition
                and str(item.get("idle_since", "~")) <= cutoff
            ),
        )
        return leads, next_key

    def _index_page(
        self,
        *,
        index: str,
        condition: str,
        values: dict[str, Any],
        limit: int,
        start: PageKey,
        filter: str | None = None,
    ) -> tuple[list[str], PageKey]:
        """One page of an index: the lead ids in index order, and where to go on."""
        kwargs: dict[str, Any] = {
            "TableName": self._leads,
            "IndexName": index,
            "KeyConditionExpression": condition,
            "ExpressionAttributeValues": values,
            "Limit": limit,
        }
        if filter:
            kwargs["FilterExpression"] = filter
        if start:
            kwargs["ExclusiveStartKey"] = start
        response = self._client.query(**kwargs)
        ids = [str(from_item(raw)["lead_id"]) for raw in response.get("Items", [])]
        return ids, response.get("LastEvaluatedKey")

    def _base_leads(
        self, tenant_id: str, lead_ids: Sequence[str], still: Callable[[Item], bool]
    ) -> list[Lead]:
        """The base items of an index page, in its order, keeping those that ``still`` match it."""
        items = self._items_by_id(tenant_id, lead_ids)
        return [
            lead_from_item(item)
            for lead_id in lead_ids
            if (item := items.get(lead_id)) is not None and still(item)
        ]

    def count_open(self, tenant_id: str, staff_id: str) -> int:
        """Open (assigned) leads a staff member holds, counted on the sparse ``owner_idle`` index."""
        return self._count("owner_key = :o", expr_values(o=owner_partition(tenant_id, staff_id)))

    def count_assigned_since(self, tenant_id: str, staff_id: str, since: datetime) -> int:
        """Open leads assigned to the member since ``since``. A lead's idle clock starts at its assignment
        (``idle_since >= assigned_at``), so the key range reads only leads touched since then."""
        return self._count(
            "owner_key = :o AND idle_since >= :since",
            expr_values(o=owner_partition(tenant_id, staff_id), since=to_iso(since)),
            filter="assigned_at >= :since",
        )

    def _count(self, condition: str, values: dict[str, Any], filter: str | None = None) -> int:
        total = 0
        kwargs: dict[str, Any] = {
            "TableName": self._leads,
            "IndexName": OWNER_INDEX,
            "KeyConditionExpression": condition,
            "ExpressionAttributeValues": values,
            "Select": "COUNT",
        }
        if filter:
            kwargs["FilterExpression"] = filter
        while True:
            response = self._client.query(**kwargs)
            total += int(response["Count"])
            if "LastEvaluatedKey" not in response:
                return total
            kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def save_lead(
        self,
        before: Lead,
        after: Lead,
        event: LeadEvent | None = None,
        *,
        claim: Sequence[str] = (),
        release: Sequence[str] = (),
        replacing: Mapping[str, str] | None = None,
    ) -> Lead:
        """Write an edited lead if nobody changed it since ``before`` was read, with its history event.

        The sparse index attributes are recomputed from the new status (a lead moved to another step
        moves to that step's due/idle partition). Contact claims move in the same transaction (an
        edited phone, a delete, a restore): each of ``claim`` is pointed at the lead (if free, already
        its own, or held by the stale holder ``replacing`` names), each of ``release`` is deleted if it
        still points at the lead. Raises Conflict when the lead changed meanwhile, ContactTaken when a
        contact to claim belongs to another lead (told apart by the transaction's CancellationReasons).
        """
        self.mark_lead_scope(after)
        stored = Lead.model_validate({**after.model_dump(), "rev": before.rev + 1})
        operations: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": self._leads,
                    "Item": to_item(lead_item(stored)),
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

    def save_care(self, before: Lead, after: Lead, event: LeadEvent) -> Lead:
        """Write a care activity (note, call, step change): the lead on its revision as read, then its
        history event, as two plain writes. Raises Conflict (nothing written) if the lead changed.

        Care is the most frequent write on an assigned lead, and a transaction charges every unit of it
        twice: the item and each index entry it moves (a note was 8 WRU on the leads table, 3 this way).
        The lead goes first, so a 409 records nothing; should the event's write then fail, the call
        fails with the idle clock restarted and the client's retry records the activity.
        """
        self.mark_lead_scope(after)
        stored = Lead.model_validate({**after.model_dump(), "rev": before.rev + 1})
        try:
            self._client.put_item(
                TableName=self._leads,
                Item=to_item(lead_item(stored)),
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

    def owner_leads(self, tenant_id: str, staff_id: str) -> list[Lead]:
        """Open leads a staff member holds (``owner_idle``, then their base items), stalest first."""
        owner_key = owner_partition(tenant_id, staff_id)
        ids = [
            str(item["lead_id"])
            for item in self._paginate_query(
                TableName=self._leads,
                IndexName=OWNER_INDEX,
                KeyConditionExpression="owner_key = :o",
                ExpressionAttributeValues=expr_values(o=owner_key),
            )
        ]
        return self._base_leads(tenant_id, ids, lambda item: item.get("owner_key") == owner_key)

    def list_leads(
        self,
        tenant_id: str,
        *,
        received_from: datetime | None,
        received_to: datetime | None,
        filters: Mapping[str, str],
        limit: int,
        start: Cursor | None = None,
        max_evaluated: int = 2000,
    ) -> tuple[list[Lead], Cursor | None]:
        """A page of a tenant's leads, newest first, filtered; a Query on the key, never a Scan.

        Lead ids begin with their receipt time, so a date range is a key range. With an ``owner`` filter
        the listing runs on that owner's ``owner_idle`` partition instead (see ``_owner_page``). Other
        filters are applied by DynamoDB after the key condition, so one call reads at most
        ``max_evaluated`` items and returns a cursor to continue.
        """
        low = id_floor(received_from) if received_from else "L"
        high = id_floor(received_to) + "~" if received_to else "L~"
        wanted = dict(filters)
        owner = wanted.pop("owner", None)
        key = lead_start_key(start, tenant_id, owner, low, high)
        if owner is not None:
            page, last = self._owner_page(tenant_id, owner, low, high, wanted, limit, key, max_evaluated)
            return page, lead_cursor(last)
        names: dict[str, str] = {}
        values = expr_values(low=low, high=high, t=tenant_id)
        clauses: list[str] = []
        for n, (field_name, value) in enumerate(sorted(wanted.items())):
            path = FILTER_PATHS.get(field_name, (field_name,))
            names.update({f"#f{n}_{i}": part for i, part in enumerate(path)})
            values.update(expr_values(**{f"f{n}": value}))
            clauses.append(".".join(f"#f{n}_{i}" for i in range(len(path))) + f" = :f{n}")
        kwargs: dict[str, Any] = {
            "TableName": self._leads,
            "ScanIndexForward": False,
            "KeyConditionExpression": "tenant_id = :t AND lead_id BETWEEN :low AND :high",
            "ExpressionAttributeValues": values,
        }
        if clauses:
            kwargs["FilterExpression"] = " AND ".join(clauses)
        if names:
            kwargs["ExpressionAttributeNames"] = names
        found: list[Lead] = []
        evaluated = 0
        while True:
            kwargs["Limit"] = (
                min(limit - len(found), max_evaluated - evaluated) if clauses else limit - len(found)
            )
            if key:
                kwargs["ExclusiveStartKey"] = key
            response = self._client.query(**kwargs)
            found += [lead_from_item(from_item(raw)) for raw in response.get("Items", [])]
            evaluated += int(response.get("ScannedCount", 0))
            key = response.get("LastEvaluatedKey")
            if key is None or len(found) >= limit or evaluated >= max_evaluated:
                return found, lead_cursor(key)

    def _owner_page(
        self,
        tenant_id: str,
        owner: str,
        low: str,
        high: str,
        wanted: Mapping[str, str],
        limit: int,
        start: PageKey,
        max_evaluated: int,
    ) -> tuple[list[Lead], PageKey]:
        """An owner's open leads, most recently cared for first, so a salesperson's list costs their own
        leads, not the tenant's. The index holds keys: the receipt period is a filter there (``lead_id``
        is projected), the base items of each page are read by key, and the other filters are applied
        to them here (the index does not carry those attributes)."""
        owner_key = owner_partition(tenant_id, owner)
        kwargs: dict[str, Any] = {
            "TableName": self._leads,
            "IndexName": OWNER_INDEX,
            "ScanIndexForward": False,
            "KeyConditionExpression": "owner_key = :o",
            "FilterExpression": "lead_id BETWEEN :low AND :high",
            "ExpressionAttributeValues": expr_values(o=owner_key, low=low, high=high),
        }
        found: list[Lead] = []
        evaluated = 0
        while True:
            kwargs["Limit"] = min(limit - len(found), max_evaluated - evaluated)
            if start:
                kwargs["ExclusiveStartKey"] = start
            response = self._client.query(**kwargs)
            ids = [str(from_item(raw)["lead_id"]) for raw in response.get("Items", [])]
            found += self._base_leads(
                tenant_id, ids, lambda item: item.get("owner_key") == owner_key and _matches(item, wanted)
            )
            evaluated += int(response.get("ScannedCount", 0))
            start = response.get("LastEvaluatedKey")
            if start is None or len(found) >= limit or evaluated >= max_evaluated:
                return found, start

    def leads_received_between(self, tenant_id: str, start: datetime, end: datetime) -> Iterator[Lead]:
        """Every lead created in [start, end), oldest first (reports): a key-range Query."""
        for item in self._paginate_query(
            TableName=self._leads,
            KeyConditionExpression="tenant_id = :t AND lead_id BETWEEN :low AND :high",
            ExpressionAttributeValues=expr_values(t=tenant_id, low=id_floor(start), high=id_floor(end)),
        ):
            yield lead_from_item(item)
