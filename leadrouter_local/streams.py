"""DynamoDB Streams → Lambda, locally: the DynamoDB event source mapping over DynamoDB Local's streams.

Each ``DynamoDB`` event in template.yaml gets a poller of its table's stream (``Stream: !GetAtt
<Table>.StreamArn``) with the event's ``BatchSize`` and ``FilterCriteria`` patterns; matching records go to
the function as Lambda delivers them (``{"Records": [...]}`` with ``eventSourceARN``), reshaped where
DynamoDB Local's stream differs (empty maps, timestamps). Shards are read from TRIM_HORIZON, not the
template's ``StartingPosition`` (DynamoDB Local rejects LATEST on quiet shards; replays only re-sweep).
Not emulated: retries of failed records (``batchItemFailures`` are logged), bisecting, batching windows,
record ages and on-failure destinations.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from leadrouter_local.template import functions


@dataclass(frozen=True)
class StreamTrigger:
    function: str
    table: str  # logical id of the table whose stream feeds the function
    batch_size: int
    patterns: tuple[dict[str, Any], ...]


def stream_triggers(template: dict[str, Any]) -> list[StreamTrigger]:
    """Every ``DynamoDB`` event: which table's stream, batch size and event-filter patterns."""
    found = []
    for logical_id, fn in functions(template).items():
        for event in fn["events"].values():
            if event["type"] != "DynamoDB":
                continue
            props = event["properties"]
            stream = props["Stream"]
            table = stream["Fn::GetAtt"][0] if isinstance(stream, dict) else str(stream).split(".")[0]
            filters = (props.get("FilterCriteria") or {}).get("Filters") or []
            found.append(
                StreamTrigger(
                    function=logical_id,
                    table=table,
                    batch_size=int(props.get("BatchSize", 100)),
                    patterns=tuple(json.loads(f["Pattern"]) for f in filters),
                )
            )
    return found


def matches(pattern: Any, value: Any) -> bool:
    """Lambda event filtering, for the pattern forms we use: nested keys, lists of allowed values."""
    if isinstance(pattern, dict):
        return isinstance(value, dict) and all(
            k in value and matches(p, value[k]) for k, p in pattern.items()
        )
    if isinstance(pattern, list):
        return value in pattern
    return bool(pattern == value)


class StreamPoller:
    """Lambda's DynamoDB event source mapping, locally: reads the table's stream, filters, invokes."""

    def __init__(
        self,
        triggers: list[StreamTrigger],
        tables: dict[str, str],
        endpoint: str,
        invoke: Callable[[str, dict[str, Any]], Any],
        log: Callable[[str], None],
    ) -> None:
        import boto3

        self._client = boto3.client("dynamodbstreams", endpoint_url=endpoint)
        self._ddb = boto3.client("dynamodb", endpoint_url=endpoint)
        self._triggers = triggers
        self._tables = tables
        self._invoke = invoke
        self._log = log
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        for trigger in self._triggers:
            name = f"stream-{trigger.function}"
            thread = threading.Thread(target=self._run, args=(trigger,), name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def _run(self, trigger: StreamTrigger) -> None:
        arn = self._ddb.describe_table(TableName=self._tables[trigger.table])["Table"]["LatestStreamArn"]
        iterators: dict[str, str | None] = {}
        while not self._stop.is_set():
            try:
                self._poll(trigger, arn, iterators)
            except Exception as error:
                self._log(f"stream → {trigger.function} failed: {type(error).__name__}: {error}")
            self._stop.wait(0.25)

    def _poll(self, trigger: StreamTrigger, arn: str, iterators: dict[str, str | None]) -> None:
        # TRIM_HORIZON, not LATEST: DynamoDB Local rejects LATEST iterators on quiet shards
        # (TrimmedDataAccessException). Replaying older records only re-sweeps their scopes: idempotent.
        for shard in self._client.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
            if shard["ShardId"] not in iterators:
                iterators[shard["ShardId"]] = self._iterator(arn, shard["ShardId"])
        for shard_id, iterator in list(iterators.items()):
            if iterator is None:
                continue
            try:
                response = self._client.get_records(ShardIterator=iterator, Limit=trigger.batch_size)
            except self._client.exceptions.TrimmedDataAccessException:
                iterators[shard_id] = self._iterator(arn, shard_id)
                continue
            iterators[shard_id] = response.get("NextShardIterator")
            records = [
                {**record, "eventSourceARN": arn, "dynamodb": _repair_images(record.get("dynamodb", {}))}
                for record in response.get("Records", [])
                if not trigger.patterns or any(matches(p, record) for p in trigger.patterns)
            ]
            if records:
                result = self._invoke(trigger.function, {"Records": _jsonable(records)})
                failed = (result or {}).get("batchItemFailures") or []
                if failed:
                    self._log(
                        f"{trigger.function}: {len(failed)} stream records failed (not redelivered locally)"
                    )

    def _iterator(self, arn: str, shard_id: str) -> str:
        response = self._client.get_shard_iterator(
            StreamArn=arn, ShardId=shard_id, ShardIteratorType="TRIM_HORIZON"
        )
        iterator: str = response["ShardIterator"]
        return iterator

    def stop(self) -> None:
        self._stop.set()
        deadline = time.monotonic() + 5  # one budget for all pollers (daemon threads)
        for thread in self._threads:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))


def _repair_images(change: dict[str, Any]) -> dict[str, Any]:
    """DynamoDB Local's stream reads back an empty map attribute as ``{}``; Lambda delivers ``{"M": {}}``."""

    def attribute(value: dict[str, Any]) -> dict[str, Any]:
        if not value:
            return {"M": {}}
        if "M" in value:
            return {"M": {k: attribute(v) for k, v in value["M"].items()}}
        if "L" in value:
            return {"L": [attribute(v) for v in value["L"]]}
        return value

    repaired = dict(change)
    for key in ("Keys", "NewImage", "OldImage"):
        if key in change:
            repaired[key] = {name: attribute(v) for name, v in change[key].items()}
    return repaired


def _jsonable(value: Any) -> Any:
    """boto3 parses stream timestamps into datetimes; Lambda delivers them as epoch seconds."""
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.timestamp()
    return value
