"""The one data-access layer: every DynamoDB call of the service lives here.

Layout (tables come from template.yaml; local tables are created from the same file):

* leads table, key ``tenant_id`` + ``lead_id``. Sparse GSIs carry exactly the leads a sweep needs:
  ``due`` (``due_scope`` = tenant#scope, ``queued_at``) while pending, ``idle`` (``idle_scope``,
  ``idle_since``) and ``by_owner`` (``owner_key`` = tenant#staff, ``assigned_at``) while assigned.
  Sweeps query those indexes, never Scan, so their cost follows the due leads, not the table.
* config table, key ``pk`` = ``TENANT#<id>`` + ``sk``: ``TENANT``, ``STAFF#<id>``, ``RULE#<id>``,
  ``COUNTER#<rule>#v<version>`` (the rotation's atomic slot counter) and ``LEASE#<rule>`` (one sweep per
  rule at a time). The sparse GSI ``active_rules`` lists active rules by action (assign / reclaim).

Every change of a lead's state is a conditional write on the state it was read in: a failed condition
means another writer got there first, and the caller skips the lead instead of retrying blindly.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import boto3
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.config import Config
from botocore.exceptions import ClientError

from leadrouter.clock import to_iso
from leadrouter.domain.errors import Conflict, NotFound
from leadrouter.domain.ids import id_floor, new_id
from leadrouter.domain.models import (
    Decision,
    FormSource,
    Lead,
    LeadEvent,
    LeadStatus,
    PoolSettings,
    Rule,
    StaffMember,
    Tenant,
)
from leadrouter.settings import Settings

Item = dict[str, Any]
PageKey = dict[str, Any] | None

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()
_LEAD_INDEX_ATTRS = ("due_scope", "idle_scope", "owner_key")
_BATCH_GET_LIMIT = 100


def _plain(value: Any) -> Any:
    """DynamoDB numbers come back as Decimal; the models want int (all our numbers are integral)."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | set):
        return [_plain(v) for v in value]
    return value


def to_item(data: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _serializer.serialize(v) for k, v in data.items() if v is not None}


def from_item(item: Mapping[str, Any]) -> Item:
    return {k: _plain(_deserializer.deserialize(v)) for k, v in item.items()}


def _values(**values: Any) -> dict[str, Any]:
    return {f":{k}": _serializer.serialize(v) for k, v in values.items()}


def _is_condition_failure(error: ClientError) -> bool:
    code: str = error.response.get("Error", {}).get("Code", "")
    return code == "ConditionalCheckFailedException"


def _tenant_pk(tenant_id: str) -> str:
    return f"TENANT#{tenant_id}"


def scope_partition(tenant_id: str, scope_key: str) -> str:
    return f"{tenant_id}#{scope_key}"


def owner_partition(tenant_id: str, staff_id: str) -> str:
    return f"{tenant_id}#{staff_id}"


class Repository:
    """Typed access to the leads and config tables. Thread-safe (it holds only a boto3 client)."""

    def __init__(self, settings: Settings, client: Any | None = None) -> None:
        retries: Any = {"mode": "standard", "max_attempts": 6}
        self._client = client or boto3.client(
            "dynamodb", config=Config(retries=retries, max_pool_connections=16)
        )
        self._leads = settings.leads_table
        self._config = settings.config_table
        self._events = settings.events_table

    # ------------------------------------------------------------------ tenants and staff
    def put_tenant(self, tenant: Tenant) -> None:
        item = {"pk": _tenant_pk(tenant.tenant_id), "sk": "TENANT", **tenant.model_dump(mode="json")}
        self._client.put_item(TableName=self._config, Item=to_item(item))

    def get_tenant(self, tenant_id: str) -> Tenant | None:
        item = self._get_config(tenant_id, "TENANT")
        return Tenant.model_validate(item) if item else None

    def put_staff(self, member: StaffMember, *, new: bool = False) -> None:
        """Store a staff member; with ``new``, refuse (Conflict) if the id is already taken."""
        item = {
            "pk": _tenant_pk(member.tenant_id),
            "sk": f"STAFF#{member.staff_id}",
            **member.model_dump(mode="json"),
        }
        condition = {"ConditionExpression": "attribute_not_exists(pk)"} if new else {}
        try:
            self._client.put_item(TableName=self._config, Item=to_item(item), **condition)
        except ClientError as error:
            if _is_condition_failure(error):
                raise Conflict(f"staff member {member.staff_id} already exists") from error
            raise

    def get_staff(self, tenant_id: str, staff_ids: Sequence[str]) -> dict[str, StaffMember]:
        """Staff members by id (missing ids are absent), with BatchGetItem in pages of 100."""
        found: dict[str, StaffMember] = {}
        unique = list(dict.fromkeys(staff_ids))
        for start in range(0, len(unique), _BATCH_GET_LIMIT):
            keys = [
                to_item({"pk": _tenant_pk(tenant_id), "sk": f"STAFF#{sid}"})
                for sid in unique[start : start + _BATCH_GET_LIMIT]
            ]
            request: dict[str, Any] = {self._config: {"Keys": keys, "ConsistentRead": True}}
            while request:
                response = self._client.batch_get_item(RequestItems=request)
                for raw in response.get("Responses", {}).get(self._config, []):
                    member = StaffMember.model_validate(_strip_keys(from_item(raw)))
                    found[member.staff_id] = member
                request = response.get("UnprocessedKeys") or {}
        return found

    def list_staff(self, tenant_id: str) -> list[StaffMember]:
        return [
            StaffMember.model_validate(_strip_keys(item))
            for item in self._query_config_prefix(tenant_id, "STAFF#")
        ]

    # ------------------------------------------------------------------ rules
    def create_rule(self, rule: Rule) -> None:
        """Store a new rule (version 1); refuses to overwrite an existing id."""
        try:
            self._client.put_item(
                TableName=self._config,
                Item=to_item(self._rule_item(rule)),
                ConditionExpression="attribute_not_exists(pk)",
            )
        except ClientError as error:
            if _is_condition_failure(error):
                raise Conflict(f"rule {rule.rule_id} already exists") from error
            raise

    def replace_rule(self, rule: Rule) -> None:
        """Store ``rule`` as the next version; fails if someone else saved a version in between."""
        try:
            self._client.put_item(
                TableName=self._config,
                Item=to_item(self._rule_item(rule)),
                ConditionExpression="version = :previous",
                ExpressionAttributeValues=_values(previous=rule.version - 1),
            )
        except ClientError as error:
            if _is_condition_failure(error):
                raise Conflict(f"rule {rule.rule_id} changed meanwhile; reload it and retry") from error
            raise

    def get_rule(self, tenant_id: str, rule_id: str) -> Rule | None:
        item = self._get_config(tenant_id, f"RULE#{rule_id}")
        return Rule.model_validate(_strip_rule(item)) if item else None

    def list_rules(self, tenant_id: str) -> list[Rule]:
        return [Rule.model_validate(_strip_rule(i)) for i in self._query_config_prefix(tenant_id, "RULE#")]

    def active_rules(self, action: str) -> list[Rule]:
        """Every active rule of one action, across tenants, from the sparse ``active_rules`` index."""
        rules: list[Rule] = []
        for item in self._paginate_query(
            TableName=self._config,
            IndexName="active_rules",
            KeyConditionExpression="active_kind = :kind",
            ExpressionAttributeValues=_values(kind=action),
        ):
            rules.append(Rule.model_validate(_strip_rule(item)))
        return rules

    @staticmethod
    def _rule_item(rule: Rule) -> Item:
        item: Item = {"pk": _tenant_pk(rule.tenant_id), "sk": f"RULE#{rule.rule_id}"}
        item.update(rule.model_dump(mode="json"))
        if rule.active:
            item["active_kind"] = rule.action
            item["rule_ref"] = f"{rule.tenant_id}#{rule.rule_id}"
        return item

    # ------------------------------------------------------------------ rotation: counter and lease
    def claim_slots(self, rule: Rule, count: int) -> int:
        """Claim ``count`` consecutive rotation slots with one atomic ADD; returns the first slot.

        One write per block, not per lead, so a busy rule is not capped by one item's write rate.
        A retried claim can only leave a gap; it never hands a slot out twice.
        """
        if count <= 0:
            raise ValueError("claim at least one slot")
        response = self._client.update_item(
            TableName=self._config,
            Key=to_item({"pk": _tenant_pk(rule.tenant_id), "sk": f"COUNTER#{rule.rule_id}#v{rule.version}"}),
            UpdateExpression="ADD seq :n",
            ExpressionAttributeValues=_values(n=count),
            ReturnValues="UPDATED_NEW",
        )
        end = int(response["Attributes"]["seq"]["N"])
        return end - count

    def acquire_lease(
        self, rule: Rule, owner: str, now: datetime, lease: timedelta, interval: timedelta
    ) -> bool:
        """Take the rule's sweep lease if it is free and the rule's interval has elapsed since its last run.

        The lease outlives the function's timeout, so two live sweeps never run one rule at once;
        a crashed sweep's lease simply expires.
        """
        try:
            self._client.update_item(
                TableName=self._config,
                Key=to_item({"pk": _tenant_pk(rule.tenant_id), "sk": f"LEASE#{rule.rule_id}"}),
                UpdateExpression="SET lease_owner = :owner, lease_until = :until, last_run_at = :now",
                ConditionExpression=(
                    "(attribute_not_exists(lease_until) OR lease_until <= :now)"
                    " AND (attribute_not_exists(last_run_at) OR last_run_at <= :ran_before)"
                ),
                ExpressionAttributeValues=_values(
                    owner=owner,
                    until=to_iso(now + lease),
                    now=to_iso(now),
                    ran_before=to_iso(now - interval),
                ),
            )
        except ClientError as error:
            if _is_condition_failure(error):
                return False
            raise
        return True

    def release_lease(self, rule: Rule, owner: str) -> None:
        """Free the lease early (keeping last_run_at); a no-op if it was already taken over."""
        try:
            self._client.update_item(
                TableName=self._config,
                Key=to_item({"pk": _tenant_pk(rule.tenant_id), "sk": f"LEASE#{rule.rule_id}"}),
                UpdateExpression="REMOVE lease_owner, lease_until",
                ConditionExpression="lease_owner = :owner",
                ExpressionAttributeValues=_values(owner=owner),
            )
        except ClientError as error:
            if not _is_condition_failure(error):
                raise

    # ------------------------------------------------------------------ leads
    def put_new_lead(self, lead: Lead) -> None:
        try:
            self._client.put_item(
                TableName=self._leads,
                Item=to_item(lead_item(lead)),
                ConditionExpression="attribute_not_exists(lead_id)",
            )
        except ClientError as error:
            if _is_condition_failure(error):
                raise Conflict(f"lead {lead.lead_id} already exists") from error
            raise

    def import_leads(self, leads: Sequence[Lead]) -> None:
        """Bulk-load new leads (Excel import, tests): BatchWriteItem in 25s, unprocessed items retried.

        Unconditional by nature (BatchWriteItem takes no conditions), so callers pass fresh ids only.
        """
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

    def tenant_leads(self, tenant_id: str) -> Iterator[Lead]:
        """Every lead of a tenant (admin listings, exports, tests): a Query on the key, never a Scan."""
        for item in self._paginate_query(
            TableName=self._leads,
            KeyConditionExpression="tenant_id = :t",
            ExpressionAttributeValues=_values(t=tenant_id),
        ):
            yield lead_from_item(item)

    def due_leads(
        self, tenant_id: str, scope_key: str, queued_before: datetime, limit: int, start: PageKey = None
    ) -> tuple[list[Lead], PageKey]:
        """One page of pending leads of a scope that have waited long enough, oldest first."""
        return self._index_page(
            index="due",
            condition="due_scope = :p AND queued_at <= :cutoff",
            values=_values(p=scope_partition(tenant_id, scope_key), cutoff=to_iso(queued_before)),
            limit=limit,
            start=start,
        )

    def idle_leads(
        self, tenant_id: str, scope_key: str, idle_before: datetime, limit: int, start: PageKey = None
    ) -> tuple[list[Lead], PageKey]:
        """One page of assigned leads of a scope untouched since before ``idle_before``, stalest first."""
        return self._index_page(
            index="idle",
            condition="idle_scope = :p AND idle_since <= :cutoff",
            values=_values(p=scope_partition(tenant_id, scope_key), cutoff=to_iso(idle_before)),
            limit=limit,
            start=start,
        )

    def _index_page(
        self, *, index: str, condition: str, values: dict[str, Any], limit: int, start: PageKey
    ) -> tuple[list[Lead], PageKey]:
        kwargs: dict[str, Any] = {
            "TableName": self._leads,
            "IndexName": index,
            "KeyConditionExpression": condition,
            "ExpressionAttributeValues": values,
            "Limit": limit,
        }
        if start:
            kwargs["ExclusiveStartKey"] = start
        response = self._client.query(**kwargs)
        leads = [lead_from_item(from_item(raw)) for raw in response.get("Items", [])]
        return leads, response.get("LastEvaluatedKey")

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
            values=_values(
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
            values=_values(
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
        previous, seen = _holding(lead)
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
            values=_values(
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
        previous, seen = _holding(lead)
        return self._conditional_update(
            lead,
            update=(
                "SET #status = :escalated, escalated_at = :now, rev = rev + :one,"
                " decisions = list_append(if_not_exists(decisions, :empty), :decision)"
                " REMOVE idle_scope, owner_key"
            ),
            condition="#status = :assigned AND #owner = :previous AND idle_since = :seen",
            values=_values(
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
                ExpressionAttributeValues=_values(at=to_iso(at), assigned=LeadStatus.ASSIGNED.value, one=1),
            )
        except ClientError as error:
            if _is_condition_failure(error):
                return False
            raise
        return True

    def count_open(self, tenant_id: str, staff_id: str) -> int:
        """Open (assigned) leads a staff member holds, counted on the sparse ``by_owner`` index."""
        return self._count("owner_key = :o", _values(o=owner_partition(tenant_id, staff_id)))

    def count_assigned_since(self, tenant_id: str, staff_id: str, since: datetime) -> int:
        return self._count(
            "owner_key = :o AND assigned_at >= :since",
            _values(o=owner_partition(tenant_id, staff_id), since=to_iso(since)),
        )

    def _count(self, condition: str, values: dict[str, Any]) -> int:
        total = 0
        kwargs: dict[str, Any] = {
            "TableName": self._leads,
            "IndexName": "by_owner",
            "KeyConditionExpression": condition,
            "ExpressionAttributeValues": values,
            "Select": "COUNT",
        }
        while True:
            response = self._client.query(**kwargs)
            total += int(response["Count"])
            if "LastEvaluatedKey" not in response:
                return total
            kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    # ------------------------------------------------------------------ API: leads, history, contacts
    def create_lead(self, lead: Lead, contacts: Sequence[str], claim_contacts: bool) -> str | None:
        """Insert a new lead; with ``claim_contacts``, atomically claim its phone/email in the tenant.

        Returns None when created, or the id of the lead that already holds one of the contacts (nothing
        is written then). The claim and the insert are one transaction, so two simultaneous submissions
        of the same phone can never both enter rotation.
        """
        operations: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": self._leads,
                    "Item": to_item(lead_item(lead)),
                    "ConditionExpression": "attribute_not_exists(lead_id)",
                }
            }
        ]
        if claim_contacts:
            operations += [
                {
                    "Put": {
                        "TableName": self._config,
                        "Item": to_item(
                            {"pk": _tenant_pk(lead.tenant_id), "sk": f"CONTACT#{c}", "lead_id": lead.lead_id}
                        ),
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                }
                for c in dict.fromkeys(contacts)
            ]
        try:
            self._client.transact_write_items(TransactItems=operations)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "TransactionCanceledException":
                raise
            for contact in contacts:
                holder = self.contact_holder(lead.tenant_id, contact)
                if holder is not None:
                    return holder
            raise Conflict(f"lead {lead.lead_id} could not be created; retry") from error
        return None

    def contact_holder(self, tenant_id: str, contact: str) -> str | None:
        """The lead that first came in with this normalised phone or email, if any."""
        item = self._get_config(tenant_id, f"CONTACT#{contact}")
        return str(item["lead_id"]) if item else None

    def save_lead(self, before: Lead, after: Lead, event: LeadEvent | None = None) -> Lead:
        """Write an edited lead if nobody changed it since ``before`` was read, with its history event.

        The sparse index attributes are recomputed from the new status (a lead moved to another step
        moves to that step's due/idle partition). Raises Conflict when the lead changed meanwhile.
        """
        stored = after.model_copy(update={"rev": before.rev + 1})
        operations: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": self._leads,
                    "Item": to_item(lead_item(stored)),
                    "ConditionExpression": "rev = :rev",
                    "ExpressionAttributeValues": _values(rev=before.rev),
                }
            }
        ]
        if event is not None:
            operations.append(
                {"Put": {"TableName": self._events, "Item": to_item(self._event_item(stored, event))}}
            )
        try:
            self._client.transact_write_items(TransactItems=operations)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "TransactionCanceledException":
                raise Conflict(f"lead {before.lead_id} changed meanwhile; reload it and retry") from error
            raise
        return stored

    def add_event(self, lead: Lead, event: LeadEvent) -> None:
        self._client.put_item(TableName=self._events, Item=to_item(self._event_item(lead, event)))

    def lead_events(self, tenant_id: str, lead_id: str) -> list[LeadEvent]:
        return [
            LeadEvent.model_validate({k: v for k, v in item.items() if k not in ("pk", "sk")})
            for item in self._paginate_query(
                TableName=self._events,
                KeyConditionExpression="pk = :pk",
                ExpressionAttributeValues=_values(pk=f"{tenant_id}#{lead_id}"),
            )
        ]

    @staticmethod
    def _event_item(lead: Lead, event: LeadEvent) -> Item:
        return {
            "pk": f"{lead.tenant_id}#{lead.lead_id}",
            "sk": f"{to_iso(event.at)}#{new_id()}",
            **event.model_dump(mode="json", exclude_none=True),
        }

    def owner_leads(self, tenant_id: str, staff_id: str) -> list[Lead]:
        """Open leads a staff member holds (sparse ``by_owner`` index), oldest assignment first."""
        return [
            lead_from_item(item)
            for item in self._paginate_query(
                TableName=self._leads,
                IndexName="by_owner",
                KeyConditionExpression="owner_key = :o",
                ExpressionAttributeValues=_values(o=owner_partition(tenant_id, staff_id)),
            )
        ]

    def list_leads(
        self,
        tenant_id: str,
        *,
        received_from: datetime | None,
        received_to: datetime | None,
        filters: Mapping[str, str],
        limit: int,
        start: PageKey = None,
        max_evaluated: int = 2000,
    ) -> tuple[list[Lead], PageKey]:
        """A page of a tenant's leads, newest first, filtered; a Query on the key, never a Scan.

        Lead ids begin with their receipt time, so a date range is a key range. With an ``owner`` filter
        the query runs on the sparse ``by_owner`` index instead (that owner's open leads, newest
        assignment first), so a salesperson's list costs their own leads, not the tenant's. Other filters
        are applied by DynamoDB after the key condition, so one call reads at most ``max_evaluated``
        items and returns a cursor to continue.
        """
        low = id_floor(received_from) if received_from else "L"
        high = id_floor(received_to) + "~" if received_to else "L~"
        wanted = dict(filters)
        owner = wanted.pop("owner", None)
        names: dict[str, str] = {}
        values = _values(low=low, high=high)
        clauses: list[str] = []
        for n, (field_name, value) in enumerate(sorted(wanted.items())):
            names[f"#f{n}"] = field_name
            values.update(_values(**{f"f{n}": value}))
            clauses.append(f"#f{n} = :f{n}")
        kwargs: dict[str, Any] = {"TableName": self._leads, "ScanIndexForward": False}
        if owner is None:
            values.update(_values(t=tenant_id))
            kwargs["KeyConditionExpression"] = "tenant_id = :t AND lead_id BETWEEN :low AND :high"
        else:
            values.update(_values(o=owner_partition(tenant_id, owner)))
            kwargs["IndexName"] = "by_owner"
            kwargs["KeyConditionExpression"] = "owner_key = :o"
            clauses.append("lead_id BETWEEN :low AND :high")
        kwargs["ExpressionAttributeValues"] = values
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
            if start:
                kwargs["ExclusiveStartKey"] = start
            response = self._client.query(**kwargs)
            found += [lead_from_item(from_item(raw)) for raw in response.get("Items", [])]
            evaluated += int(response.get("ScannedCount", 0))
            start = response.get("LastEvaluatedKey")
            if start is None or len(found) >= limit or evaluated >= max_evaluated:
                return found, start

    def leads_received_between(self, tenant_id: str, start: datetime, end: datetime) -> Iterator[Lead]:
        """Every lead created in [start, end), oldest first (reports): a key-range Query."""
        for item in self._paginate_query(
            TableName=self._leads,
            KeyConditionExpression="tenant_id = :t AND lead_id BETWEEN :low AND :high",
            ExpressionAttributeValues=_values(t=tenant_id, low=id_floor(start), high=id_floor(end)),
        ):
            yield lead_from_item(item)

    # ------------------------------------------------------------------ API: rules admin
    def set_rule_active(self, tenant_id: str, rule_id: str, active: bool) -> Rule:
        """Enable or disable without a new version (the rotation keeps its place)."""
        rule = self.get_rule(tenant_id, rule_id)
        if rule is None:
            raise NotFound(f"rule {rule_id} not found")
        changed = rule.model_copy(update={"active": active})
        try:
            self._client.put_item(
                TableName=self._config,
                Item=to_item(self._rule_item(changed)),
                ConditionExpression="version = :v",
                ExpressionAttributeValues=_values(v=rule.version),
            )
        except ClientError as error:
            if _is_condition_failure(error):
                raise Conflict(f"rule {rule_id} changed meanwhile; retry") from error
            raise
        return changed

    def delete_rule(self, tenant_id: str, rule_id: str) -> None:
        """Remove a rule (leads it assigned keep its id and version in their decision records)."""
        try:
            self._client.delete_item(
                TableName=self._config,
                Key=to_item({"pk": _tenant_pk(tenant_id), "sk": f"RULE#{rule_id}"}),
                ConditionExpression="attribute_exists(pk)",
            )
        except ClientError as error:
            if _is_condition_failure(error):
                raise NotFound(f"rule {rule_id} not found") from error
            raise

    # ------------------------------------------------------------------ API: form sources, pools, rate limits
    def put_form_source(self, source: FormSource, key_hash: str) -> None:
        """Store a form source and its key lookup together (the key itself is never stored)."""
        body = source.model_dump(mode="json")
        try:
            self._put_source_items(source, key_hash, body)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "TransactionCanceledException":
                raise Conflict("form source or key already exists; retry with a new key") from error
            raise

    def _put_source_items(self, source: FormSource, key_hash: str, body: Item) -> None:
        self._client.transact_write_items(
            TransactItems=[
                {
                    "Put": {
                        "TableName": self._config,
                        "Item": to_item(
                            {"pk": _tenant_pk(source.tenant_id), "sk": f"SOURCE#{source.source_id}", **body}
                        ),
                    }
                },
                {
                    "Put": {
                        "TableName": self._config,
                        "Item": to_item({"pk": f"FORMKEY#{key_hash}", "sk": "FORMKEY", **body}),
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
            ]
        )

    def form_source_by_key_hash(self, key_hash: str) -> FormSource | None:
        response = self._client.get_item(
            TableName=self._config, Key=to_item({"pk": f"FORMKEY#{key_hash}", "sk": "FORMKEY"})
        )
        raw = response.get("Item")
        return FormSource.model_validate(_strip_keys(from_item(raw))) if raw else None

    def list_form_sources(self, tenant_id: str) -> list[FormSource]:
        return [FormSource.model_validate(i) for i in self._query_config_prefix(tenant_id, "SOURCE#")]

    def take_rate_token(self, source: FormSource, now: datetime) -> bool:
        """Fixed one-minute window per form source: True while under its ``rate_per_minute``."""
        window = now.replace(second=0, microsecond=0)
        try:
            self._client.update_item(
                TableName=self._config,
                Key=to_item({"pk": f"RATE#{source.tenant_id}#{source.source_id}", "sk": to_iso(window)}),
                UpdateExpression="ADD hits :one SET expires_at = :expires",
                ConditionExpression="attribute_not_exists(hits) OR hits < :limit",
                ExpressionAttributeValues=_values(
                    one=1, limit=source.rate_per_minute, expires=int(window.timestamp()) + 3600
                ),
            )
        except ClientError as error:
            if _is_condition_failure(error):
                return False
            raise
        return True

    def get_pool_settings(self, tenant_id: str, pool: str) -> PoolSettings:
        item = self._get_config(tenant_id, f"POOL#{pool}")
        return PoolSettings.model_validate(item) if item else PoolSettings(tenant_id=tenant_id, pool=pool)

    def put_pool_settings(self, settings: PoolSettings) -> None:
        item = {"pk": _tenant_pk(settings.tenant_id), "sk": f"POOL#{settings.pool}", **settings.model_dump()}
        self._client.put_item(TableName=self._config, Item=to_item(item))

    # ------------------------------------------------------------------ helpers
    def _conditional_update(
        self, lead: Lead, *, update: str, condition: str, values: dict[str, Any], names: dict[str, str]
    ) -> bool:
        try:
            self._client.update_item(
                TableName=self._leads,
                Key=to_item({"tenant_id": lead.tenant_id, "lead_id": lead.lead_id}),
                UpdateExpression=update,
                ConditionExpression=condition,
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=values,
            )
        except ClientError as error:
            if _is_condition_failure(error):
                return False
            raise
        return True

    def _get_config(self, tenant_id: str, sk: str) -> Item | None:
        response = self._client.get_item(
            TableName=self._config, Key=to_item({"pk": _tenant_pk(tenant_id), "sk": sk}), ConsistentRead=True
        )
        raw = response.get("Item")
        return _strip_keys(from_item(raw)) if raw else None

    def _query_config_prefix(self, tenant_id: str, prefix: str) -> Iterator[Item]:
        for item in self._paginate_query(
            TableName=self._config,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
            ExpressionAttributeValues=_values(pk=_tenant_pk(tenant_id), prefix=prefix),
        ):
            yield _strip_keys(item)

    def _paginate_query(self, **kwargs: Any) -> Iterator[Item]:
        while True:
            response = self._client.query(**kwargs)
            for raw in response.get("Items", []):
                yield from_item(raw)
            if "LastEvaluatedKey" not in response:
                return
            kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]


def _holding(lead: Lead) -> tuple[str, str]:
    """The (owner, idle_since) a reclaim write is conditioned on."""
    if lead.owner is None or lead.idle_since is None:
        raise ValueError(f"lead {lead.lead_id} is not held by anyone")
    return lead.owner, to_iso(lead.idle_since)


def _strip_keys(item: Item) -> Item:
    return {k: v for k, v in item.items() if k not in ("pk", "sk")}


def _strip_rule(item: Item) -> Item:
    return {k: v for k, v in item.items() if k not in ("pk", "sk", "active_kind", "rule_ref")}


def lead_item(lead: Lead) -> Item:
    """The stored form of a lead: its fields plus the sparse index attributes its status calls for."""
    item: Item = lead.model_dump(mode="json", exclude_none=True)
    partition = scope_partition(lead.tenant_id, lead.scope_key)
    if lead.status is LeadStatus.PENDING:
        item["due_scope"] = partition
    elif lead.status is LeadStatus.ASSIGNED and lead.owner:
        item["idle_scope"] = partition
        item["owner_key"] = owner_partition(lead.tenant_id, lead.owner)
    return item


def lead_from_item(item: Item) -> Lead:
    return Lead.model_validate({k: v for k, v in item.items() if k not in _LEAD_INDEX_ATTRS})
