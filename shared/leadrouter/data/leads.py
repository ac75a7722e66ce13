"""Reads of leads: by id, listings, counts, and pages of the two sparse indexes.

Writes live beside them: intake and API saves in ``data.lead_changes``, routing in ``data.transitions``.

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
put 1: 3 WRU with the item's own write), a care activity and a reclaim re-key it within ``owner_idle``
(2: 3 WRU), and an entry stays 1 WRU however large the lead grows (decisions, attribution, form
fields), where an ALL projection would pay for the whole item every time.

Entries carry keys, not leads: a page of either index is turned into leads by one consistent
BatchGetItem of the base items (1 RRU per lead up to 4 KB), which every sweep then writes anyway. That
read is also the check the index cannot give (GSIs are eventually consistent): a lead whose base item
no longer matches the page (assigned, cared for, re-queued meanwhile) is dropped before any write.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from leadrouter.clock import to_iso
from leadrouter.data.attribution import FILTER_PATHS
from leadrouter.data.cursors import Cursor, lead_cursor, lead_start_key
from leadrouter.data.expiry import live, live_filter
from leadrouter.data.items import (
    BATCH_GET_LIMIT,
    Item,
    PageKey,
    Store,
    expr_values,
    from_item,
    lead_from_item,
    owner_partition,
    scope_partition,
    to_item,
)
from leadrouter.domain.ids import id_floor
from leadrouter.domain.leads import Lead

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


def _shown_attribution_matches(lead: Lead, wanted: Mapping[str, str]) -> bool:
    """Whether the lead's attribution as shown (touches past their period gone) has every attribution
    filter's value: the stored item may still hold a touch the lead no longer shows."""
    for field_name, value in wanted.items():
        if field_name in FILTER_PATHS:
            first = lead.attribution.first if lead.attribution is not None else None
            if first is None or getattr(first, field_name, None) != value:
                return False
    return True


class LeadStore(Store):
    """Reads of leads: by id, the tenant's listings, counts and the sweeps' index pages.

    A lead past its period (``expires_at`` reached, ``data.expiry``) is absent to every read here, from
    that second, though DynamoDB deletes it up to two days later: so no sweep can assign it, no listing
    shows it. The two counts on ``owner_idle`` cannot tell (the index does not carry the stamp): a
    staff member's cap may count such a lead until it is deleted.
    """

    def get_lead(self, tenant_id: str, lead_id: str) -> Lead | None:
        response = self._client.get_item(
            TableName=self._leads,
            Key=to_item({"tenant_id": tenant_id, "lead_id": lead_id}),
            ConsistentRead=True,
        )
        raw = response.get("Item")
        item = from_item(raw) if raw else None
        return lead_from_item(item) if item is not None and live(item) else None

    def leads_by_id(self, tenant_id: str, lead_ids: Sequence[str]) -> dict[str, Lead]:
        """Leads by id (missing ids are absent): BatchGetItem in pages of 100, consistent reads."""
        return {
            lead_id: lead_from_item(item) for lead_id, item in self._items_by_id(tenant_id, lead_ids).items()
        }

    def _items_by_id(self, tenant_id: str, lead_ids: Sequence[str]) -> dict[str, Item]:
        """Stored lead items by id, index attributes included: BatchGetItem, consistent, in pages of 100.
        A lead past its period is absent."""
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
                    if live(item):
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
            if live(item):
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
        clauses.append(live_filter(values))
        kwargs: dict[str, Any] = {
            "TableName": self._leads,
            "ScanIndexForward": False,
            "KeyConditionExpression": "tenant_id = :t AND lead_id BETWEEN :low AND :high",
            "ExpressionAttributeValues": values,
        }
        if clauses:
            kwargs["FilterExpression"] = " AND ".join(clauses)  # a lead past its period: absent
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
            read = (lead_from_item(from_item(raw)) for raw in response.get("Items", []))
            found += [lead for lead in read if _shown_attribution_matches(lead, wanted)]
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
            page = self._base_leads(
                tenant_id, ids, lambda item: item.get("owner_key") == owner_key and _matches(item, wanted)
            )
            found += [lead for lead in page if _shown_attribution_matches(lead, wanted)]
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
            if live(item):
                yield lead_from_item(item)
