"""Shared by every store: item (de)serialisation, key layout and the paging/conditional-write helpers."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from typing import Any, TypeVar

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError
from pydantic import BaseModel, ValidationError

from leadrouter.clock import to_iso
from leadrouter.data import expiry
from leadrouter.data.attribution import flatten_attribution, nest_attribution
from leadrouter.domain.attribution import Attribution
from leadrouter.domain.errors import InvalidInput
from leadrouter.domain.leads import Lead, LeadStatus
from leadrouter.domain.retention import kept_attribution
from leadrouter.observability import logger
from leadrouter.settings import Settings

M = TypeVar("M", bound=BaseModel)

Item = dict[str, Any]
PageKey = dict[str, Any] | None

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()
LEAD_INDEX_ATTRS = ("due_scope", "idle_scope", "owner_key")
BATCH_GET_LIMIT = 100


def _plain(value: Any) -> Any:
    """DynamoDB numbers come back as Decimal; the models want int (all our numbers are integral)."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | set):
        return [_plain(v) for v in value]
    return value


def _numbers(value: Any) -> Any:
    """Floats (a CAPTCHA score threshold) as the Decimal DynamoDB's serializer insists on."""
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, dict):
        return {k: _numbers(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_numbers(v) for v in value]
    return value


def to_item(data: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _serializer.serialize(_numbers(v)) for k, v in data.items() if v is not None}


def from_item(item: Mapping[str, Any]) -> Item:
    return {k: _plain(_deserializer.deserialize(v)) for k, v in item.items()}


def expr_values(**values: Any) -> dict[str, Any]:
    return {f":{k}": _serializer.serialize(v) for k, v in values.items()}


def is_condition_failure(error: ClientError) -> bool:
    code: str = error.response.get("Error", {}).get("Code", "")
    return code == "ConditionalCheckFailedException"


def tenant_pk(tenant_id: str) -> str:
    return f"TENANT#{tenant_id}"


def scope_partition(tenant_id: str, scope_key: str) -> str:
    return f"{tenant_id}#{scope_key}"


def owner_partition(tenant_id: str, staff_id: str) -> str:
    return f"{tenant_id}#{staff_id}"


class Store:
    """The client and table names every store uses. Thread-safe (it holds only a boto3 client)."""

    def __init__(self, settings: Settings, client: Any) -> None:
        self._client = client  # DynamoDB, from runtime (its retries and pool are set there)
        self._leads = settings.leads_table
        self._config = settings.config_table
        self._events = settings.events_table
        self._submissions = settings.submissions_table

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
            if is_condition_failure(error):
                return False
            raise
        return True

    def _filtered_page(
        self,
        query: dict[str, Any],
        start: Item | None,
        limit: int,
        read: Callable[[Item], M | None],
        max_evaluated: int = 1000,
    ) -> tuple[list[M], Item | None]:
        """Up to ``limit`` items a filtered Query keeps (each read by ``read``; None skips it), reading
        at most ``max_evaluated`` before the filter, and the key to go on from (None: no more).

        A filter applies after the key condition, so a page may come back short, with a key: that
        bound keeps a rare match in a large partition from turning one page into a read of all of it.
        """
        kwargs = dict(query)
        found: list[M] = []
        key, evaluated = start, 0
        while True:
            kwargs["Limit"] = min(limit - len(found), max_evaluated - evaluated)
            if key:
                kwargs["ExclusiveStartKey"] = key
            response = self._client.query(**kwargs)
            found += [m for m in (read(raw) for raw in response.get("Items", [])) if m is not None]
            evaluated += int(response.get("ScannedCount", 0))
            key = response.get("LastEvaluatedKey")
            if key is None or len(found) >= limit or evaluated >= max_evaluated:
                return found, key

    def _get_config(self, tenant_id: str, sk: str) -> Item | None:
        response = self._client.get_item(
            TableName=self._config, Key=to_item({"pk": tenant_pk(tenant_id), "sk": sk}), ConsistentRead=True
        )
        raw = response.get("Item")
        return strip_keys(from_item(raw)) if raw else None

    def _query_config_prefix(self, tenant_id: str, prefix: str) -> Iterator[Item]:
        for item in self._paginate_query(
            TableName=self._config,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
            ExpressionAttributeValues=expr_values(pk=tenant_pk(tenant_id), prefix=prefix),
        ):
            yield strip_keys(item)

    def _list_partitions(self, index: str, key: str, values: Sequence[str], threads: int = 8) -> list[Item]:
        """Every item of several partitions of a config-table index (``key`` = each value), the
        partitions paged on their own threads (the client keeps 16 connections); in ``values`` order."""

        def partition(value: str) -> list[Item]:
            return list(
                self._paginate_query(
                    TableName=self._config,
                    IndexName=index,
                    KeyConditionExpression=f"{key} = :value",
                    ExpressionAttributeValues=expr_values(value=value),
                )
            )

        with ThreadPoolExecutor(max_workers=max(1, min(len(values), threads))) as pool:
            return [item for items in pool.map(partition, values) for item in items]

    def _paginate_query(self, **kwargs: Any) -> Iterator[Item]:
        while True:
            response = self._client.query(**kwargs)
            for raw in response.get("Items", []):
                yield from_item(raw)
            if "LastEvaluatedKey" not in response:
                return
            kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]


def holding(lead: Lead) -> tuple[str, str]:
    """The (owner, idle_since) a reclaim write is conditioned on."""
    if lead.owner is None or lead.idle_since is None:
        raise ValueError(f"lead {lead.lead_id} is not held by anyone")
    return lead.owner, to_iso(lead.idle_since)


def strip_keys(item: Item) -> Item:
    return {k: v for k, v in item.items() if k not in ("pk", "sk")}


def strip_rule(item: Item) -> Item:
    return {k: v for k, v in item.items() if k not in ("pk", "sk", "active_kind", "rule_ref")}


def read_model(
    model: type[M], data: Mapping[str, Any], placeholders: Mapping[str, Any] | None = None
) -> M | None:
    """A stored item as ``model``, never raising: the service must stay up whatever is in the table.

    Every write validates, so this only matters for items from older code or hand edits. Invalid fields
    are dropped (defaults apply) or, when required, replaced by ``placeholders``; an item that still
    fails is skipped (None). Either way it is logged (field names only, never values: they may be PII).
    """
    try:
        return model.model_validate(dict(data))
    except ValidationError as error:
        bad = sorted({str(problem["loc"][0]) for problem in error.errors() if problem["loc"]})
    repaired = {k: v for k, v in data.items() if k not in bad}
    repaired |= {k: v for k, v in (placeholders or {}).items() if k in bad}
    what = {"model": model.__name__, "fields": bad, "key": _identity(data)}
    try:
        salvaged = model.model_validate(repaired)
    except ValidationError:
        logger.error("stored item unreadable; skipped", extra=what)
        return None
    logger.warning("stored item had invalid fields; read without them", extra=what)
    return salvaged


def _identity(data: Mapping[str, Any]) -> str:
    keys = ("tenant_id", "lead_id", "rule_id", "staff_id", "source_id", "pool")
    return "/".join(str(data[k])[:80] for k in keys if k in data)


#: What a lead's required fields read as when the stored value is unreadable (PATCH can fix them).
LEAD_PLACEHOLDERS = {"name": "(unreadable)", "pool": "unreadable", "step": "unreadable"}


def lead_item(lead: Lead) -> Item:
    """The stored form of a lead: its fields plus the sparse index attributes its status calls for.

    The lead is validated again first: a model built without validation (``model_copy``) can never
    put a value into the table that a read would refuse (InvalidInput, a 422, instead).
    """
    try:
        checked = Lead.model_validate(lead.model_dump())
    except ValidationError as error:
        fields = {".".join(str(p) for p in e["loc"]) or "lead": e["msg"] for e in error.errors()}
        raise InvalidInput("the lead would not be readable; nothing was written", fields) from error
    item: Item = flatten_attribution(
        checked.model_dump(mode="json", exclude_none=True, exclude={"damaged_fields"})
    )
    partition = scope_partition(lead.tenant_id, lead.scope_key)
    if lead.status is LeadStatus.PENDING:
        item["due_scope"] = partition
    elif lead.status is LeadStatus.ASSIGNED and lead.owner:
        item["idle_scope"] = partition
        item["owner_key"] = owner_partition(lead.tenant_id, lead.owner)
    return item


def lead_from_item(item: Item) -> Lead:
    """A stored lead; one with unreadable fields comes back with placeholders and ``damaged_fields``.

    Touches past the tenant's attribution period (``attribution_days`` stored with them) are left out,
    so the lead's next full write drops them from the item (``data.expiry``).
    """
    days = item.get(expiry.ATTRIBUTION_DAYS_ATTR)
    hidden = (*LEAD_INDEX_ATTRS, *expiry.LEAD_RETENTION_ATTRS)
    data = nest_attribution({k: v for k, v in item.items() if k not in hidden})
    try:
        lead = Lead.model_validate(data)
    except ValidationError as error:
        bad = sorted({str(problem["loc"][0]) for problem in error.errors() if problem["loc"]})
        salvaged = read_model(Lead, data, LEAD_PLACEHOLDERS)
        if salvaged is None:  # even the keys are unusable: show what there is rather than fail the listing
            salvaged = Lead.model_construct(**{k: v for k, v in data.items() if k in Lead.model_fields})
        lead = salvaged.model_copy(update={"damaged_fields": bad})
    if not isinstance(lead.attribution, Attribution):  # none, or an unvalidated salvage
        return lead
    kept = kept_attribution(lead.attribution, days if isinstance(days, int) else None, expiry.now())
    return lead if kept is lead.attribution else lead.model_copy(update={"attribution": kept})
