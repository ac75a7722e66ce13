"""EventBridge, locally: buses and rules in memory that deliver matched events to SQS targets.

Every ``AWS::Events::EventBus`` of template.yaml (plus ``default``) and every ``AWS::Events::Rule`` with
an EventPattern (matched by :mod:`leadrouter_local.event_patterns`) and SQS targets (``Input`` and
``InputPath`` honoured; an event a target cannot take goes to the target's DeadLetterConfig queue).
PutEvents answers per entry, as EventBridge does, and each matched event reaches its queues at once, in
the caller's thread, shaped as EventBridge delivers it to SQS: ``{"version", "id", "detail-type",
"source", "account", "time", "region", "resources", "detail"}``. The operations boto3 calls on it are in
:mod:`leadrouter_local.aws_operations`.

Not emulated: archives, replays, API destinations and targets other than SQS (logged when one is added).
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from leadrouter_local.event_patterns import InvalidEventPatternError, check_pattern, matches
from leadrouter_local.sqs import Sqs
from leadrouter_local.wire import ACCOUNT, AwsError

logger = logging.getLogger(__name__)

MAX_EVENT_BYTES = 262_144
#: The most entries one PutEvents takes.
MAX_ENTRIES = 10


@dataclass
class Target:
    target_id: str
    arn: str
    input: str | None = None
    input_path: str | None = None
    dead_letter_arn: str | None = None


@dataclass
class Rule:
    name: str
    bus: str
    pattern: dict[str, Any]
    enabled: bool = True
    targets: dict[str, Target] = field(default_factory=dict)

    def arn(self, region: str) -> str:
        middle = "" if self.bus == "default" else f"{self.bus}/"
        return f"arn:aws:events:{region}:{ACCOUNT}:rule/{middle}{self.name}"


class EventBridge:
    """Buses and rules in memory; matched events go to SQS targets at once, in the caller's thread."""

    def __init__(self, sqs: Sqs, region: str) -> None:
        self._sqs, self.region = sqs, region
        self._buses: dict[str, dict[str, Rule]] = {"default": {}}
        self._lock = threading.Lock()

    def bus_arn(self, name: str) -> str:
        return f"arn:aws:events:{self.region}:{ACCOUNT}:event-bus/{name}"

    def create_bus(self, name: str) -> str:
        with self._lock:
            if name in self._buses:
                raise AwsError("ResourceAlreadyExistsException", f"Event bus {name} already exists.")
            self._buses[name] = {}
        return self.bus_arn(name)

    def describe_bus(self, name_or_arn: str | None) -> dict[str, str]:
        name = (name_or_arn or "default").rsplit("/", 1)[-1]
        self._bus(name)
        return {"Name": name, "Arn": self.bus_arn(name)}

    def _bus(self, name_or_arn: str | None) -> dict[str, Rule]:
        name = (name_or_arn or "default").rsplit("/", 1)[-1]
        if name not in self._buses:
            raise AwsError("ResourceNotFoundException", f"Event bus {name} does not exist.")
        return self._buses[name]

    def put_rule(self, name: str, bus: str | None, pattern: Any, enabled: bool = True) -> str:
        parsed = json.loads(pattern) if isinstance(pattern, str) else pattern
        try:
            check_pattern(parsed)
        except InvalidEventPatternError as error:
            raise AwsError("InvalidEventPatternException", str(error)) from None
        with self._lock:
            rules = self._bus(bus)
            bus_name = (bus or "default").rsplit("/", 1)[-1]
            old = rules.get(name)
            rules[name] = Rule(name, bus_name, parsed, enabled, old.targets if old else {})
            return rules[name].arn(self.region)

    def rule(self, name: str, bus: str | None) -> Rule:
        rule = self._bus(bus).get(name)
        if rule is None:
            raise AwsError(
                "ResourceNotFoundException", f"Rule {name} does not exist on EventBus {bus or 'default'}."
            )
        return rule

    def put_targets(self, rule_name: str, bus: str | None, targets: list[Target]) -> None:
        with self._lock:
            rule = self.rule(rule_name, bus)
            for target in targets:
                if ":sqs:" not in target.arn:
                    logger.warning(
                        "rule %s: target %s is not emulated locally (SQS only)", rule_name, target.arn
                    )
                rule.targets[target.target_id] = target

    def remove_targets(self, rule_name: str, bus: str | None, ids: list[str]) -> None:
        with self._lock:
            rule = self.rule(rule_name, bus)
            for target_id in ids:
                rule.targets.pop(target_id, None)

    def delete_rule(self, rule_name: str, bus: str | None) -> None:
        with self._lock:
            self._bus(bus).pop(rule_name, None)

    def rules(self, bus: str | None) -> list[Rule]:
        with self._lock:
            return list(self._bus(bus).values())

    def put_events(self, entries: list[Mapping[str, Any]]) -> dict[str, Any]:
        if not 1 <= len(entries) <= MAX_ENTRIES:
            raise AwsError("ValidationException", "PutEvents takes 1 to 10 entries.")
        answers = [self._put(entry) for entry in entries]
        return {"FailedEntryCount": sum(1 for a in answers if "ErrorCode" in a), "Entries": answers}

    def _put(self, entry: Mapping[str, Any]) -> dict[str, str]:
        missing = [k for k in ("Source", "DetailType", "Detail") if not entry.get(k)]
        if missing:
            return {
                "ErrorCode": "InvalidArgument",
                "ErrorMessage": f"Parameter(s) {', '.join(missing)} must be specified.",
            }
        try:
            detail = json.loads(str(entry["Detail"]))
        except json.JSONDecodeError:
            detail = None
        if not isinstance(detail, dict):
            return {"ErrorCode": "MalformedDetail", "ErrorMessage": "Detail is malformed."}
        bus_name = str(entry.get("EventBusName") or "default").rsplit("/", 1)[-1]
        with self._lock:
            rules = list(self._buses.get(bus_name, {}).values()) if bus_name in self._buses else None
        if rules is None:
            return {
                "ErrorCode": "NotAuthorizedForSourceException",
                "ErrorMessage": f"Event bus {bus_name} does not exist.",
            }
        event: dict[str, Any] = {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": str(entry["DetailType"]),
            "source": str(entry["Source"]),
            "account": ACCOUNT,
            "time": _event_time(entry.get("Time")),
            "region": self.region,
            "resources": list(entry.get("Resources") or []),
            "detail": detail,
        }
        if len(json.dumps(event).encode()) > MAX_EVENT_BYTES:
            return {
                "ErrorCode": "ValidationException",
                "ErrorMessage": "Total size of the entries exceeds 256KB.",
            }
        for rule in rules:
            if rule.enabled and matches(rule.pattern, event):
                for target in list(rule.targets.values()):
                    self._deliver(rule, target, event)
        return {"EventId": event["id"]}

    def _deliver(self, rule: Rule, target: Target, event: dict[str, Any]) -> None:
        if ":sqs:" not in target.arn:
            return
        body = target.input if target.input is not None else json.dumps(_path(event, target.input_path))
        try:
            self._sqs.send(self._sqs.by_arn(target.arn).url, body)
        except AwsError as error:
            logger.warning("rule %s → %s failed: %s", rule.name, target.arn, error.message)
            if target.dead_letter_arn:
                self._sqs.send(self._sqs.by_arn(target.dead_letter_arn).url, json.dumps(event))


def _event_time(value: Any) -> str:
    moment = value if isinstance(value, datetime) else None
    if isinstance(value, int | float):
        moment = datetime.fromtimestamp(value, UTC)
    elif isinstance(value, str) and value:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return (moment or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _path(event: dict[str, Any], path: str | None) -> Any:
    """InputPath: ``$`` or ``$.a.b``."""
    found: Any = event
    for part in (path or "$").removeprefix("$").strip(".").split("."):
        if part:
            found = found.get(part) if isinstance(found, dict) else None
    return found


def parse_target(raw: Mapping[str, Any]) -> Target:
    """A target as PutTargets and the template write it."""
    if raw.get("InputTransformer"):
        raise AwsError("ValidationException", "InputTransformer is not emulated locally")
    return Target(
        target_id=str(raw["Id"]),
        arn=str(raw["Arn"]),
        input=raw.get("Input"),
        input_path=raw.get("InputPath"),
        dead_letter_arn=(raw.get("DeadLetterConfig") or {}).get("Arn"),
    )
