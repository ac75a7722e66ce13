"""DynamoDB's per-partition-key write limit, on DynamoDB Local (tests and benches only).

On AWS one partition key takes about 1,000 write units a second (a global secondary index's key too:
a write its index cannot take is refused on the table). DynamoDB Local has no such limit, so a burst
there never throttles. ``PartitionLimits`` is a botocore ``before-send`` hook on a client: each write
is charged, per table key and per index key it touches, against a token bucket refilled at ``wcu``
units a second (its capacity one second's worth), and a write some bucket cannot pay is answered
``ProvisionedThroughputExceededException`` without reaching DynamoDB Local, as AWS answers. The hook
runs inside botocore's retry loop, so the client's own retries (standard mode, with backoff and its
retry quota) see the throttle as they would on AWS.

Charged as AWS does: 1 WCU per started KB of the item (names and values), twice inside a transaction;
an index write per index whose key the item has, by the projected size (keys only: 1 WCU). An
UpdateItem or DeleteItem is charged 1 WCU on the table (its item's size is not in the request) and
nothing on indexes: that errs towards fewer throttles than AWS. Thread-safe.
"""

from __future__ import annotations

import base64
import json
import math
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from botocore.awsrequest import AWSResponse

WRITES = frozenset({"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"})
KB = 1024


@dataclass(frozen=True)
class Keys:
    """A table's partition key attribute, and each index's (name → partition key attribute)."""

    hash_key: str
    indexes: dict[str, str] = field(default_factory=dict)


def table_keys(client: Any, table: str) -> Keys:
    """The key attributes of ``table`` and of its global secondary indexes (DescribeTable)."""
    described = client.describe_table(TableName=table)["Table"]
    (hash_key,) = [k["AttributeName"] for k in described["KeySchema"] if k["KeyType"] == "HASH"]
    indexes = {
        index["IndexName"]: next(k["AttributeName"] for k in index["KeySchema"] if k["KeyType"] == "HASH")
        for index in described.get("GlobalSecondaryIndexes") or []
    }
    return Keys(hash_key, indexes)


def item_size(item: dict[str, Any]) -> int:
    """An item's size as DynamoDB counts it: attribute names plus their values."""
    return sum(len(name.encode()) + _value_size(value) for name, value in item.items())


def _value_size(value: dict[str, Any]) -> int:
    (kind, data), *_ = value.items()
    if kind == "S":
        return len(str(data).encode())
    if kind == "N":
        return math.ceil(len(str(data).lstrip("-").replace(".", "")) / 2) + 1
    if kind == "B":
        return len(base64.b64decode(data))
    if kind in ("BOOL", "NULL"):
        return 1
    if kind in ("SS", "NS", "BS"):
        return sum(_value_size({kind[0]: v}) for v in data)
    if kind == "L":
        return 3 + sum(1 + _value_size(v) for v in data)
    if kind == "M":
        return 3 + sum(1 + len(k.encode()) + _value_size(v) for k, v in data.items())
    return len(json.dumps(data))


def _key_value(value: dict[str, Any]) -> str:
    (_, data), *_ = value.items()
    return str(data)


class _Body:
    """What ``AWSResponse`` reads its content from."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._data


class PartitionLimits:
    """Refuses writes beyond ``wcu`` units a second per partition key (install on a client)."""

    def __init__(
        self, describe: Any, wcu: float = 1000.0, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        """``describe``: a client to read the tables' keys with (DescribeTable, once per table)."""
        self.wcu = wcu
        self._describe = describe
        self._clock = clock
        self._lock = threading.Lock()
        self._keys: dict[str, Keys] = {}
        self._buckets: dict[str, tuple[float, float]] = {}  # partition → (tokens, at)
        #: Writes let through and refused, by operation; units charged, by table or index.
        self.passed: Counter[str] = Counter()
        self.throttled: Counter[str] = Counter()
        self.units: defaultdict[str, float] = defaultdict(float)
        #: Units charged per partition key (``table|key`` or ``table/index|key``).
        self.by_key: defaultdict[str, float] = defaultdict(float)

    def install(self, client: Any) -> PartitionLimits:
        client.meta.events.register("before-send.dynamodb", self._before_send)
        return self

    def uninstall(self, client: Any) -> None:
        client.meta.events.unregister("before-send.dynamodb", self._before_send)

    # ------------------------------------------------------------------ the hook
    def _before_send(self, request: Any, **_: Any) -> AWSResponse | None:
        raw = request.headers.get("X-Amz-Target") or ""
        operation = (raw.decode() if isinstance(raw, bytes) else str(raw)).rsplit(".", 1)[-1]
        if operation not in WRITES:
            return None
        body = request.body
        params = json.loads(body.decode() if isinstance(body, bytes) else body)
        charges = self._charges(operation, params)
        if self._take(charges):
            self.passed[operation] += 1
            return None
        self.throttled[operation] += 1
        return self._throttled(request.url)

    def _take(self, charges: list[tuple[str, float]]) -> bool:
        """Pay every charge, or none when some partition's bucket cannot."""
        with self._lock:
            now = self._clock()
            levels: dict[str, float] = {}
            for partition, units in charges:
                tokens, at = self._buckets.get(partition, (self.wcu, now))
                level = levels.get(partition, min(self.wcu, tokens + (now - at) * self.wcu))
                if level < units:
                    return False
                levels[partition] = level - units
            for partition, level in levels.items():
                self._buckets[partition] = (level, now)
            for partition, units in charges:
                self.units[partition.split("|", 1)[0]] += units
                self.by_key[partition] += units
        return True

    @staticmethod
    def _throttled(url: str) -> AWSResponse:
        body = json.dumps(
            {
                "__type": "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
                "message": "Throughput exceeds the current capacity for one or more partition keys.",
            }
        ).encode()
        headers = {"x-amzn-RequestId": uuid.uuid4().hex, "Content-Type": "application/x-amz-json-1.0"}
        return AWSResponse(url, 400, headers, _Body(body))

    # ------------------------------------------------------------------ what a write costs where
    def _charges(self, operation: str, params: dict[str, Any]) -> list[tuple[str, float]]:
        if operation == "TransactWriteItems":
            found: list[tuple[str, float]] = []
            for entry in params.get("TransactItems") or []:
                for kind, op in entry.items():
                    if kind != "ConditionCheck":
                        found += [(p, 2 * u) for p, u in self._one(kind, op)]
            return found
        if operation == "BatchWriteItem":
            found = []
            for table, requests in (params.get("RequestItems") or {}).items():
                for request in requests:
                    if "PutRequest" in request:
                        found += self._one("Put", {"TableName": table, **request["PutRequest"]})
                    else:
                        found += self._one("Delete", {"TableName": table, **request["DeleteRequest"]})
            return found
        return self._one(operation.removesuffix("Item"), params)

    def _one(self, kind: str, op: dict[str, Any]) -> list[tuple[str, float]]:
        table = str(op["TableName"])
        keys = self._table(table)
        item = op.get("Item") if kind == "Put" else op.get("Key")
        assert item is not None, (kind, table)
        units = math.ceil(item_size(item) / KB) if kind == "Put" else 1
        found = [(f"{table}|{_key_value(item[keys.hash_key])}", float(max(1, units)))]
        if kind == "Put":
            for index, attribute in keys.indexes.items():
                if attribute in item:
                    found.append((f"{table}/{index}|{_key_value(item[attribute])}", 1.0))
        return found

    def _table(self, table: str) -> Keys:
        with self._lock:
            known = self._keys.get(table)
        if known is None:
            known = table_keys(self._describe, table)
            with self._lock:
                self._keys[table] = known
        return known
