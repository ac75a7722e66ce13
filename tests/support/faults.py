"""A DynamoDB client that injects faults into chosen UpdateItem calls, the way a real outage looks.

The plan sees each UpdateItem request and says what happens to it:

* ``BEFORE``: a 500 and nothing applied (the request never landed).
* ``AFTER``: the write is applied, then the caller gets a 500 (the answer was lost on the way back).
* ``RETRIED``: applied, a 500, then botocore's retry sends the same request again: the caller sees
  whatever the retry answers (for a conditional write: its own condition failing).
* ``TOO_LARGE``: DynamoDB's refusal of an item over 400 KB (nothing applied).

Everything else is passed to the real client. Thread-safe if the plan is.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from typing import Any

from botocore.exceptions import ClientError


class Fault(StrEnum):
    BEFORE = "before"
    AFTER = "after"
    RETRIED = "retried"
    TOO_LARGE = "too_large"


Plan = Callable[[dict[str, Any]], Fault | None]


def server_error(operation: str = "UpdateItem") -> ClientError:
    return ClientError(
        {
            "Error": {"Code": "InternalServerError", "Message": "Internal server error"},
            "ResponseMetadata": {"HTTPStatusCode": 500},
        },
        operation,
    )


def too_large() -> ClientError:
    return ClientError(
        {
            "Error": {
                "Code": "ValidationException",
                "Message": "Item size to update has exceeded the maximum allowed size",
            },
            "ResponseMetadata": {"HTTPStatusCode": 400},
        },
        "UpdateItem",
    )


class FaultyClient:
    """Wraps a boto3 DynamoDB client; ``faults`` counts what was injected, by kind."""

    def __init__(self, real: Any, plan: Plan) -> None:
        self._real = real
        self._plan = plan
        self.faults: dict[Fault, int] = dict.fromkeys(Fault, 0)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def update_item(self, **request: Any) -> Any:
        fault = self._plan(request)
        if fault is None:
            return self._real.update_item(**request)
        self.faults[fault] += 1
        if fault is Fault.BEFORE:
            raise server_error()
        if fault is Fault.TOO_LARGE:
            raise too_large()
        self._real.update_item(**request)
        if fault is Fault.AFTER:
            raise server_error()
        return self._real.update_item(**request)  # RETRIED: botocore sends the same request again


def lead_key(request: dict[str, Any]) -> str | None:
    """The lead id an UpdateItem on the leads table is about (None for config items)."""
    key = request.get("Key", {})
    return key["lead_id"]["S"] if "lead_id" in key else None


def appends_decision(request: dict[str, Any]) -> bool:
    """True for the writes that grow a lead by a decision (assign, escalate, reclaim, quarantine)."""
    return "list_append(if_not_exists(decisions" in request.get("UpdateExpression", "")


def config_key(request: dict[str, Any]) -> str | None:
    """``pk/sk`` of an UpdateItem on the config table (leases, counters), None for leads."""
    key = request.get("Key", {})
    return f"{key['pk']['S']}/{key['sk']['S']}" if "sk" in key else None


def throttled(operation: str) -> ClientError:
    """DynamoDB's answer to a table over its capacity (what boto3 raises once its retries are spent)."""
    return ClientError(
        {
            "Error": {"Code": "ProvisionedThroughputExceededException", "Message": "Rate exceeded"},
            "ResponseMetadata": {"HTTPStatusCode": 400},
        },
        operation,
    )


#: Given a client method's name and its request, the error to raise instead of sending it (or None).
CallPlan = Callable[[str, dict[str, Any]], Exception | None]


class FailingCalls:
    """Wraps a boto3 DynamoDB client; any call the plan names fails before it is sent."""

    def __init__(self, real: Any, plan: CallPlan) -> None:
        self._real = real
        self._plan = plan
        self.failed: list[str] = []

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._real, name)
        if name.startswith("_") or not callable(attribute):
            return attribute

        def call(*args: Any, **request: Any) -> Any:
            error = self._plan(name, request)
            if error is not None:
                self.failed.append(name)
                raise error
            return attribute(*args, **request)

        return call
