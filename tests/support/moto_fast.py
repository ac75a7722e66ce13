"""A faster answer path for moto's DynamoDB item operations (unit tests only).

From moto 5.2 every DynamoDB answer goes through moto's generic, shape-driven response serializer, which
walks each attribute of each item through the service model (an attribute-picker look-up per member):
in the unit suite that walk took most of moto's time (8.9 s of 11.5 s in a 1,200-lead report test).
An item operation's result is already the wire document (``dynamo_to_dict``: ``{"Item": {"pk": {"S":
…}}}``), so for those operations it is encoded with ``json.dumps`` directly: bytes as base64 and
datetimes as epoch seconds, as the serializer does. botocore parses both answers into the same result
(members set to None are absent either way; keys outside the output shape are ignored).

``LEADROUTER_MOTO_FAST=check`` encodes every answer both ways and fails on any difference (run the unit
suite with it after upgrading moto); ``LEADROUTER_MOTO_FAST=off`` keeps moto's own path.
"""

from __future__ import annotations

import base64
import json
import os
from datetime import datetime
from decimal import Decimal
from enum import Enum
from functools import cache
from typing import Any

from moto.core.responses import ActionResult
from moto.core.utils import get_service_model
from moto.dynamodb.responses import DynamoHandler

#: Operations whose answers are items, keys and counts (the data plane); table management keeps moto's path.
ITEM_OPERATIONS = frozenset(
    {
        "PutItem",
        "GetItem",
        "UpdateItem",
        "DeleteItem",
        "Query",
        "Scan",
        "BatchGetItem",
        "BatchWriteItem",
        "TransactGetItems",
        "TransactWriteItems",
    }
)
CONTENT_TYPE = "application/x-amz-json-1.0"


def _wire(value: Any) -> Any:
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, Enum):
        return value.value
    raise TypeError(f"{type(value).__name__} is not part of an item operation's answer")


@cache
def _answer_members(operation: str) -> frozenset[str]:
    """The top-level members of an operation's answer: moto's results carry a few more (DeleteItem's
    ``ConsumedCapacityUnits``), which its serializer leaves out."""
    shape = get_service_model("dynamodb").operation_model(operation).output_shape
    return frozenset(shape.members) if shape is not None else frozenset()


def _without_nones(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_nones(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nones(v) for v in value]
    return value


def install(mode: str | None = None) -> None:
    """Route moto's DynamoDB item answers through ``json.dumps`` (``mode``: on, check or off)."""
    mode = mode or os.environ.get("LEADROUTER_MOTO_FAST", "on")
    if mode == "off" or getattr(DynamoHandler, "_leadrouter_fast", False):
        return
    moto_serialized = DynamoHandler.serialized

    def serialized(self: DynamoHandler, action_result: ActionResult) -> Any:
        result = action_result.result
        if isinstance(result, Exception) or self._get_action() not in ITEM_OPERATIONS:
            return moto_serialized(self, action_result)
        members = _answer_members(self._get_action())
        answer = {k: v for k, v in result.items() if k in members} if isinstance(result, dict) else result
        body = json.dumps(answer, default=_wire)
        if mode == "check":
            status, headers, slow = moto_serialized(self, action_result)
            expected = json.loads(slow)
            got = _without_nones(json.loads(body))
            if status != 200 or got != expected:
                raise AssertionError(f"{self._get_action()}: fast answer {got!r} != moto's {expected!r}")
        headers = {"Content-Type": CONTENT_TYPE}
        headers.update(self.response_headers)
        return 200, headers, body

    DynamoHandler.serialized = serialized  # type: ignore[method-assign,assignment]
    DynamoHandler._leadrouter_fast = True  # type: ignore[attr-defined]
