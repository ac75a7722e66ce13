"""EventBridge and SQS on one local HTTP endpoint, built from template.yaml (``make run``, the tests).

The functions' own boto3 calls work unmodified: the stack sets ``AWS_ENDPOINT_URL_SQS`` and
``AWS_ENDPOINT_URL_EVENTBRIDGE`` (boto3's name for EventBridge's; ``AWS_ENDPOINT_URL_EVENTS`` too) to
this endpoint, which speaks both services' JSON protocols.

* SQS: every ``AWS::SQS::Queue`` (standard queues) with its VisibilityTimeout, MessageRetentionPeriod,
  DelaySeconds and RedrivePolicy (a message received ``maxReceiveCount`` times moves to the dead-letter
  queue on its next receive, as SQS does). Operations: CreateQueue, GetQueueUrl, GetQueueAttributes,
  SendMessage(Batch), ReceiveMessage (long polling, ``ApproximateReceiveCount`` and the other system
  attributes), DeleteMessage(Batch), ChangeMessageVisibility(Batch), PurgeQueue. Delivery is at least
  once and, like a standard queue, not strictly ordered across redeliveries. ``time_scale`` shrinks
  visibility timeouts and delays (a 180 s timeout at 0.01 is 1.8 s) so retry schedules run in seconds.
* EventBridge: every ``AWS::Events::EventBus`` (plus ``default``) and ``AWS::Events::Rule`` with its
  EventPattern (see :mod:`leadrouter_local.event_patterns`) and SQS targets (``Input``/``InputPath``
  honoured; an event a target cannot take goes to the target's DeadLetterConfig queue). Operations:
  PutEvents (per-entry errors like EventBridge's), CreateEventBus, DescribeEventBus, PutRule,
  PutTargets, ListRules, ListTargetsByRule, RemoveTargets, DeleteRule. Messages are the events as
  EventBridge delivers them to SQS: ``{"version", "id", "detail-type", "source", "account", "time",
  "region", "resources", "detail"}``.
* Lambda's SQS event source mapping: each ``Type: SQS`` function event polls its queue and invokes the
  handler with up to ``BatchSize`` records. With ``ReportBatchItemFailures`` the listed messages stay
  (they reappear after their visibility timeout) and the rest are deleted; a handler that raises
  leaves the whole batch to reappear.

Not emulated: FIFO queues, message-attribute MD5s, IAM (queue policies are not checked), archives,
replays, API destinations and targets other than SQS (logged once at start-up).
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from leadrouter_local.event_patterns import InvalidEventPatternError, check_pattern, matches
from leadrouter_local.template import functions

logger = logging.getLogger(__name__)

ACCOUNT = "000000000000"
MAX_MESSAGE_BYTES = 262_144
MAX_EVENT_BYTES = 262_144
MAX_BATCH = 10
DEFAULT_QUEUE = {"VisibilityTimeout": 30, "MessageRetentionPeriod": 345_600, "DelaySeconds": 0}


class AwsError(Exception):
    """An error answer: ``code`` as the service names it, HTTP 400 unless said otherwise."""

    def __init__(self, code: str, message: str, query_code: str | None = None, status: int = 400) -> None:
        super().__init__(message)
        self.code, self.message, self.query_code, self.status = code, message, query_code, status


def _no_queue(name: str) -> AwsError:
    return AwsError(
        "QueueDoesNotExist",
        f"The specified queue {name} does not exist.",
        "AWS.SimpleQueueService.NonExistentQueue",
    )


def _invalid(message: str) -> AwsError:
    return AwsError("InvalidParameterValue", message, "InvalidParameterValue")


# ---------------------------------------------------------------------------------------------- SQS
@dataclass
class Message:
    message_id: str
    body: str
    sent_at: float  # wall clock, epoch seconds
    visible_at: float  # the emulator's clock
    attributes: dict[str, Any] = field(default_factory=dict)  # MessageAttributes, as sent
    receive_count: int = 0
    first_received_at: float | None = None
    receipt_handle: str | None = None

    @property
    def md5(self) -> str:
        return hashlib.md5(self.body.encode(), usedforsecurity=False).hexdigest()


@dataclass
class Queue:
    name: str
    arn: str
    url: str
    visibility_timeout: int = 30
    retention: int = 345_600
    delay: int = 0
    dead_letter_arn: str | None = None
    max_receive_count: int | None = None
    messages: list[Message] = field(default_factory=list)

    def attributes(self) -> dict[str, str]:
        found = {
            "QueueArn": self.arn,
            "VisibilityTimeout": str(self.visibility_timeout),
            "MessageRetentionPeriod": str(self.retention),
            "DelaySeconds": str(self.delay),
        }
        if self.dead_letter_arn:
            found["RedrivePolicy"] = json.dumps(
                {"deadLetterTargetArn": self.dead_letter_arn, "maxReceiveCount": self.max_receive_count}
            )
        return found


class Sqs:
    """Standard queues in memory. Every operation holds one lock, so concurrent pollers, senders and
    deleters see each message in one place only: a message is in flight with one receiver at a time."""

    def __init__(
        self,
        endpoint: str,
        region: str,
        *,
        time_scale: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.endpoint, self.region, self.time_scale = endpoint.rstrip("/"), region, time_scale
        self._clock, self._wall = clock, wall
        self._queues: dict[str, Queue] = {}
        self._changed = threading.Condition()

    # ---- queues
    def create_queue(self, name: str, attributes: Mapping[str, Any] | None = None) -> str:
        if name.endswith(".fifo"):
            raise _invalid("FIFO queues are not emulated locally")
        with self._changed:
            queue = self._queues.get(name)
            if queue is not None:
                wanted = {k: str(v) for k, v in (attributes or {}).items()}
                if any(queue.attributes().get(k, v) != v for k, v in wanted.items()):
                    raise AwsError(
                        "QueueNameExists",
                        f"A queue named {name} already exists with different attributes.",
                        "QueueAlreadyExists",
                    )
                return queue.url
            arn = f"arn:aws:sqs:{self.region}:{ACCOUNT}:{name}"
            queue = Queue(name=name, arn=arn, url=f"{self.endpoint}/{ACCOUNT}/{name}")
            self._set_attributes(queue, {**DEFAULT_QUEUE, **(attributes or {})})
            self._queues[name] = queue
            return queue.url

    def set_queue_attributes(self, url: str, attributes: Mapping[str, Any]) -> None:
        with self._changed:
            self._set_attributes(self.queue(url), attributes)

    def queue_urls(self, prefix: str = "") -> list[str]:
        with self._changed:
            return [q.url for q in self._queues.values() if q.name.startswith(prefix)]

    def _set_attributes(self, queue: Queue, attributes: Mapping[str, Any]) -> None:
        for key, value in attributes.items():
            if key == "VisibilityTimeout":
                queue.visibility_timeout = _bounded(value, 0, 43_200, key)
            elif key == "MessageRetentionPeriod":
                queue.retention = _bounded(value, 60, 1_209_600, key)
            elif key == "DelaySeconds":
                queue.delay = _bounded(value, 0, 900, key)
            elif key == "RedrivePolicy":
                policy = json.loads(value) if isinstance(value, str) else dict(value)
                queue.dead_letter_arn = str(policy["deadLetterTargetArn"])
                queue.max_receive_count = _bounded(policy["maxReceiveCount"], 1, 1000, "maxReceiveCount")
            elif key not in ("SqsManagedSseEnabled", "KmsMasterKeyId", "ReceiveMessageWaitTimeSeconds"):
                raise _invalid(f"queue attribute {key} is not emulated locally")

    def queue(self, url_or_name: str) -> Queue:
        name = url_or_name.rstrip("/").rsplit("/", 1)[-1]
        found = self._queues.get(name)
        if found is None:
            raise _no_queue(name)
        return found

    def by_arn(self, arn: str) -> Queue:
        return self.queue(arn.rsplit(":", 1)[-1])

    def queue_url(self, name: str) -> str:
        return self.queue(name).url

    def queue_attributes(self, url: str, names: list[str] | None = None) -> dict[str, str]:
        with self._changed:
            queue = self.queue(url)
            now = self._clock()
            visible = sum(1 for m in queue.messages if m.visible_at <= now)
            found = {
                **queue.attributes(),
                "ApproximateNumberOfMessages": str(visible),
                "ApproximateNumberOfMessagesNotVisible": str(
                    sum(1 for m in queue.messages if m.visible_at > now and m.receive_count)
                ),
                "ApproximateNumberOfMessagesDelayed": str(
                    sum(1 for m in queue.messages if m.visible_at > now and not m.receive_count)
                ),
            }
        wanted = names or ["All"]
        return found if "All" in wanted else {k: v for k, v in found.items() if k in wanted}

    # ---- messages
    def send(
        self, url: str, body: str, delay: int | None = None, attributes: Mapping[str, Any] | None = None
    ) -> Message:
        if not body:
            raise AwsError("MissingParameter", "The request must contain the parameter MessageBody.")
        if len(body.encode()) > MAX_MESSAGE_BYTES:
            raise _invalid(
                f"One or more parameters are invalid. Reason: Message must be shorter than "
                f"{MAX_MESSAGE_BYTES} bytes."
            )
        with self._changed:
            queue = self.queue(url)
            seconds = queue.delay if delay is None else _bounded(delay, 0, 900, "DelaySeconds")
            message = Message(
                message_id=str(uuid.uuid4()),
                body=body,
                sent_at=self._wall(),
                visible_at=self._clock() + seconds * self.time_scale,
                attributes=dict(attributes or {}),
            )
            queue.messages.append(message)
            self._changed.notify_all()
            return message

    def receive(
        self, url: str, max_messages: int = 1, visibility: int | None = None, wait: float = 0.0
    ) -> list[Message]:
        """Up to ``max_messages`` visible messages, now in flight; waits up to ``wait`` s for one."""
        max_messages = _bounded(max_messages, 1, MAX_BATCH, "MaxNumberOfMessages")
        deadline = time.monotonic() + _bounded(wait, 0, 20, "WaitTimeSeconds")
        with self._changed:
            while True:
                taken = self._take(self.queue(url), max_messages, visibility)
                remaining = deadline - time.monotonic()
                if taken or remaining <= 0:
                    return taken
                self._changed.wait(min(remaining, self._next_visible(self.queue(url))))

    def _take(self, queue: Queue, max_messages: int, visibility: int | None) -> list[Message]:
        now, wall = self._clock(), self._wall()
        queue.messages = [m for m in queue.messages if wall - m.sent_at < queue.retention]
        seconds = (
            queue.visibility_timeout
            if visibility is None
            else _bounded(visibility, 0, 43_200, "VisibilityTimeout")
        )
        taken: list[Message] = []
        for message in list(queue.messages):
            if len(taken) == max_messages:
                break
            if message.visible_at > now:
                continue
            if queue.max_receive_count and message.receive_count >= queue.max_receive_count:
                self._dead_letter(queue, message, now)
                continue
            message.receive_count += 1
            message.first_received_at = message.first_received_at or wall
            message.receipt_handle = f"{message.message_id}#{uuid.uuid4().hex}"
            message.visible_at = now + seconds * self.time_scale
            taken.append(Message(**{**message.__dict__, "attributes": dict(message.attributes)}))
        return taken

    def _dead_letter(self, queue: Queue, message: Message, now: float) -> None:
        queue.messages.remove(message)
        target = self._queues.get(str(queue.dead_letter_arn).rsplit(":", 1)[-1])
        if target is None:  # SQS keeps the message when its dead-letter queue is gone
            queue.messages.append(message)
            return
        message.visible_at, message.receipt_handle = now, None
        target.messages.append(message)
        logger.info(
            "message %s moved to %s after %d receives", message.message_id, target.name, message.receive_count
        )

    def _next_visible(self, queue: Queue) -> float:
        now = self._clock()
        waits = [m.visible_at - now for m in queue.messages if m.visible_at > now]
        return max(0.01, min(waits)) if waits else 1.0

    def _in_flight(self, queue: Queue, handle: str) -> Message | None:
        message_id = handle.partition("#")[0]
        if not handle or "#" not in handle:
            raise AwsError(
                "ReceiptHandleIsInvalid",
                f"The input receipt handle {handle!r} is not valid.",
                "ReceiptHandleIsInvalid",
            )
        for message in queue.messages:
            if message.message_id == message_id:
                return message if message.receipt_handle == handle else None
        return None

    def delete(self, url: str, handle: str) -> None:
        """As SQS: a stale receipt handle (the message was received again since) succeeds, deletes nothing."""
        with self._changed:
            queue = self.queue(url)
            message = self._in_flight(queue, handle)
            if message is not None:
                queue.messages.remove(message)

    def change_visibility(self, url: str, handle: str, seconds: int) -> None:
        seconds = _bounded(seconds, 0, 43_200, "VisibilityTimeout")
        with self._changed:
            queue = self.queue(url)
            message = self._in_flight(queue, handle)
            if message is None:
                return
            now = self._clock()
            if message.visible_at <= now:
                raise AwsError(
                    "MessageNotInflight",
                    "The message is not in flight.",
                    "AWS.SimpleQueueService.MessageNotInflight",
                )
            message.visible_at = now + seconds * self.time_scale
            self._changed.notify_all()

    def purge(self, url: str) -> None:
        with self._changed:
            self.queue(url).messages.clear()

    def wake(self) -> None:
        """Wake every long poll (used on stop)."""
        with self._changed:
            self._changed.notify_all()


def _bounded(value: Any, low: float, high: float, name: str) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise _invalid(f"Value {value!r} for parameter {name} is invalid.") from None
    if not low <= number <= high:
        raise _invalid(
            f"Value {number} for parameter {name} is invalid. Reason: must be between {low} and {high}."
        )
    return number


def wire_message(message: Message, system: bool = True) -> dict[str, Any]:
    """A received message as ReceiveMessage answers it (``Attributes`` are SQS's system attributes)."""
    found: dict[str, Any] = {
        "MessageId": message.message_id,
        "ReceiptHandle": message.receipt_handle,
        "MD5OfBody": message.md5,
        "Body": message.body,
    }
    if system:
        found["Attributes"] = system_attributes(message)
    if message.attributes:
        found["MessageAttributes"] = message.attributes
    return found


def system_attributes(message: Message) -> dict[str, str]:
    return {
        "ApproximateReceiveCount": str(message.receive_count),
        "SentTimestamp": str(int(message.sent_at * 1000)),
        "SenderId": ACCOUNT,
        "ApproximateFirstReceiveTimestamp": str(int((message.first_received_at or message.sent_at) * 1000)),
    }


# ---------------------------------------------------------------------------------------- EventBridge
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
        if not 1 <= len(entries) <= MAX_BATCH:
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


# ---------------------------------------------------------------------------------------- HTTP
def make_handler(sqs: Sqs, events: EventBridge) -> type[BaseHTTPRequestHandler]:
    """Both services' JSON protocols: the operation is the ``X-Amz-Target`` header."""
    operations: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
        **{f"AmazonSQS.{name}": op for name, op in _sqs_operations(sqs).items()},
        **{f"AWSEvents.{name}": op for name, op in _event_operations(events).items()},
    }

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive: boto3 reuses its connections
        disable_nagle_algorithm = True  # headers and body are two writes: no 40 ms delayed-ACK stall

        def do_POST(self) -> None:
            target = self.headers.get("X-Amz-Target", "")
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b"{}"
            json_version = "1.0" if target.startswith("AmazonSQS.") else "1.1"
            try:
                operation = operations.get(target)
                if operation is None:
                    raise AwsError(
                        "UnknownOperationException", f"{target or 'no X-Amz-Target'} is not emulated locally"
                    )
                status, answer, query = 200, operation(json.loads(raw or b"{}")), None
            except AwsError as error:
                status, query = error.status, error.query_code
                answer = {"__type": f"com.amazonaws.{json_version}#{error.code}", "message": error.message}
            except (KeyError, TypeError, ValueError) as error:
                status, query = 400, "InvalidParameterValue"
                answer = {"__type": "ValidationException", "message": f"{type(error).__name__}: {error}"}
            payload = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", f"application/x-amz-json-{json_version}")
            self.send_header("Content-Length", str(len(payload)))
            self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
            if query:
                self.send_header("x-amzn-query-error", f"{query};Sender")
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            return

    return Handler


def _sqs_operations(sqs: Sqs) -> dict[str, Callable[[dict[str, Any]], dict[str, Any]]]:
    def receive(r: dict[str, Any]) -> dict[str, Any]:
        names = [*(r.get("AttributeNames") or []), *(r.get("MessageSystemAttributeNames") or [])]
        got = sqs.receive(
            r["QueueUrl"],
            int(r.get("MaxNumberOfMessages", 1)),
            r.get("VisibilityTimeout"),
            float(r.get("WaitTimeSeconds", 0)),
        )
        messages = [wire_message(m, system=bool(names)) for m in got]
        if names and "All" not in names:
            for message in messages:
                message["Attributes"] = {k: v for k, v in message["Attributes"].items() if k in names}
        return {"Messages": messages} if messages else {}

    def send(r: dict[str, Any]) -> dict[str, Any]:
        message = sqs.send(
            r["QueueUrl"], r.get("MessageBody", ""), r.get("DelaySeconds"), r.get("MessageAttributes")
        )
        return {"MessageId": message.message_id, "MD5OfMessageBody": message.md5}

    def batch(each: Callable[[dict[str, Any]], dict[str, Any]]) -> Callable[[dict[str, Any]], dict[str, Any]]:
        def run(r: dict[str, Any]) -> dict[str, Any]:
            entries = r.get("Entries") or []
            if not 1 <= len(entries) <= MAX_BATCH:
                raise AwsError(
                    "AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
                    "1 to 10 entries.",
                    "AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
                )
            if len({e["Id"] for e in entries}) != len(entries):
                raise AwsError(
                    "AWS.SimpleQueueService.BatchEntryIdsNotDistinct",
                    "Ids repeat.",
                    "AWS.SimpleQueueService.BatchEntryIdsNotDistinct",
                )
            ok, failed = [], []
            for entry in entries:
                try:
                    ok.append({"Id": entry["Id"], **each({**entry, "QueueUrl": r["QueueUrl"]})})
                except AwsError as error:
                    failed.append(
                        {"Id": entry["Id"], "SenderFault": True, "Code": error.code, "Message": error.message}
                    )
            return {"Successful": ok, "Failed": failed}

        return run

    def delete(r: dict[str, Any]) -> dict[str, Any]:
        sqs.delete(r["QueueUrl"], r["ReceiptHandle"])
        return {}

    def change(r: dict[str, Any]) -> dict[str, Any]:
        sqs.change_visibility(r["QueueUrl"], r["ReceiptHandle"], r["VisibilityTimeout"])
        return {}

    return {
        "CreateQueue": lambda r: {"QueueUrl": sqs.create_queue(r["QueueName"], r.get("Attributes"))},
        "GetQueueUrl": lambda r: {"QueueUrl": sqs.queue_url(r["QueueName"])},
        "GetQueueAttributes": lambda r: {
            "Attributes": sqs.queue_attributes(r["QueueUrl"], r.get("AttributeNames"))
        },
        "ListQueues": lambda r: {"QueueUrls": sqs.queue_urls(r.get("QueueNamePrefix", ""))},
        "SetQueueAttributes": _nothing(lambda r: sqs.set_queue_attributes(r["QueueUrl"], r["Attributes"])),
        "SendMessage": send,
        "SendMessageBatch": batch(send),
        "ReceiveMessage": receive,
        "DeleteMessage": delete,
        "DeleteMessageBatch": batch(delete),
        "ChangeMessageVisibility": change,
        "ChangeMessageVisibilityBatch": batch(change),
        "PurgeQueue": _nothing(lambda r: sqs.purge(r["QueueUrl"])),
    }


def _nothing(
    operation: Callable[[dict[str, Any]], None], answer: dict[str, Any] | None = None
) -> Callable[[dict[str, Any]], dict[str, Any]]:
    """An operation whose answer is always the same (empty, for most)."""

    def run(request: dict[str, Any]) -> dict[str, Any]:
        operation(request)
        return dict(answer or {})

    return run


def _event_operations(events: EventBridge) -> dict[str, Callable[[dict[str, Any]], dict[str, Any]]]:
    def targets(r: dict[str, Any]) -> dict[str, Any]:
        events.put_targets(r["Rule"], r.get("EventBusName"), [_target(t) for t in r["Targets"]])
        return {"FailedEntryCount": 0, "FailedEntries": []}

    def describe_rule(rule: Rule) -> dict[str, Any]:
        return {
            "Name": rule.name,
            "Arn": rule.arn(events.region),
            "EventPattern": json.dumps(rule.pattern),
            "State": "ENABLED" if rule.enabled else "DISABLED",
            "EventBusName": rule.bus,
        }

    return {
        "PutEvents": lambda r: events.put_events(r["Entries"]),
        "CreateEventBus": lambda r: {"EventBusArn": events.create_bus(r["Name"])},
        "DescribeEventBus": lambda r: events.describe_bus(r.get("Name")),
        "PutRule": lambda r: {
            "RuleArn": events.put_rule(
                r["Name"], r.get("EventBusName"), r["EventPattern"], r.get("State", "ENABLED") == "ENABLED"
            )
        },
        "PutTargets": targets,
        "RemoveTargets": _nothing(
            lambda r: events.remove_targets(r["Rule"], r.get("EventBusName"), r["Ids"]),
            {"FailedEntryCount": 0, "FailedEntries": []},
        ),
        "DeleteRule": _nothing(lambda r: events.delete_rule(r["Name"], r.get("EventBusName"))),
        "ListRules": lambda r: {"Rules": [describe_rule(x) for x in events.rules(r.get("EventBusName"))]},
        "ListTargetsByRule": lambda r: {
            "Targets": [
                {"Id": t.target_id, "Arn": t.arn}
                for t in events.rule(r["Rule"], r.get("EventBusName")).targets.values()
            ]
        },
    }


def _target(raw: Mapping[str, Any]) -> Target:
    if raw.get("InputTransformer"):
        raise AwsError("ValidationException", "InputTransformer is not emulated locally")
    return Target(
        target_id=str(raw["Id"]),
        arn=str(raw["Arn"]),
        input=raw.get("Input"),
        input_path=raw.get("InputPath"),
        dead_letter_arn=(raw.get("DeadLetterConfig") or {}).get("Arn"),
    )


# ---------------------------------------------------------------------------------------- the stack's part
@dataclass(frozen=True)
class SqsTrigger:
    """A ``Type: SQS`` function event: Lambda's SQS event source mapping."""

    function: str
    queue: str  # logical id
    batch_size: int
    report_failures: bool
    enabled: bool = True


def sqs_triggers(template: dict[str, Any]) -> list[SqsTrigger]:
    found = []
    for logical_id, fn in functions(template).items():
        for event in fn["events"].values():
            if event["type"] != "SQS":
                continue
            props = event["properties"]
            queue = props["Queue"]
            found.append(
                SqsTrigger(
                    function=logical_id,
                    queue=queue["Fn::GetAtt"][0]
                    if isinstance(queue, dict)
                    else str(queue).rsplit(":", 1)[-1],
                    batch_size=int(props.get("BatchSize", 10)),
                    report_failures="ReportBatchItemFailures" in (props.get("FunctionResponseTypes") or []),
                    enabled=props.get("Enabled", True) is not False,
                )
            )
    return found


Invoke = Callable[[str, dict[str, Any]], Any]


class AwsEmulator:
    """The endpoint, the resources the template declares, and a poller per SQS event source."""

    def __init__(
        self,
        template: dict[str, Any],
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        region: str = "ap-southeast-1",
        time_scale: float = 1.0,
        log: Callable[[str], None] = print,
    ) -> None:
        self._server = ThreadingHTTPServer((host, port), BaseHTTPRequestHandler)
        self._server.daemon_threads = True
        self.endpoint = f"http://{host}:{self._server.server_address[1]}"
        self.sqs = Sqs(self.endpoint, region, time_scale=time_scale)
        self.events = EventBridge(self.sqs, region)
        self._server.RequestHandlerClass = make_handler(self.sqs, self.events)
        self._template, self._log = template, log
        self._invoke: Invoke | None = None
        self._stop = threading.Event()
        self._serving = False
        self._threads: list[threading.Thread] = []
        #: logical id → what ``!Ref`` gives (queue URL, bus name, rule name)
        self.refs: dict[str, str] = {}
        #: (logical id, attribute) → what ``!GetAtt`` gives
        self.attributes: dict[tuple[str, str], str] = {}
        self._create_resources()

    def environment(self) -> dict[str, str]:
        """What points boto3 here. boto3 names the variable after the service id: EventBridge's is
        ``AWS_ENDPOINT_URL_EVENTBRIDGE`` (``..._EVENTS`` is not read by boto3; set for tools that use it)."""
        return {
            "AWS_ENDPOINT_URL_SQS": self.endpoint,
            "AWS_ENDPOINT_URL_EVENTBRIDGE": self.endpoint,
            "AWS_ENDPOINT_URL_EVENTS": self.endpoint,
        }

    def _create_resources(self) -> None:
        resources: dict[str, Any] = self._template.get("Resources", {})
        queues = {
            lid: r.get("Properties") or {}
            for lid, r in resources.items()
            if r.get("Type") == "AWS::SQS::Queue"
        }
        for lid, props in queues.items():  # first every queue, so redrive policies can name any of them
            name = str(props["QueueName"]) if isinstance(props.get("QueueName"), str) else lid
            attributes = {
                k: props[k]
                for k in ("VisibilityTimeout", "MessageRetentionPeriod", "DelaySeconds")
                if k in props
            }
            url = self.sqs.create_queue(name, attributes)
            queue = self.sqs.queue(url)
            self.refs[lid] = url
            self.attributes |= {(lid, "Arn"): queue.arn, (lid, "QueueUrl"): url, (lid, "QueueName"): name}
        for lid, props in queues.items():
            redrive = props.get("RedrivePolicy")
            if redrive:
                policy = {**redrive, "deadLetterTargetArn": self._resolve(redrive["deadLetterTargetArn"])}
                self.sqs.set_queue_attributes(self.refs[lid], {"RedrivePolicy": policy})
        for lid, resource in resources.items():
            if resource.get("Type") == "AWS::Events::EventBus":
                self.refs[lid] = lid
                self.attributes |= {(lid, "Arn"): self.events.create_bus(lid), (lid, "Name"): lid}
        for lid, resource in resources.items():
            if resource.get("Type") != "AWS::Events::Rule":
                continue
            props = resource.get("Properties") or {}
            if "EventPattern" not in props:
                continue  # a scheduled rule: EventBridge Scheduler's part, emulated by the runner
            bus = self._resolve(props.get("EventBusName")) if props.get("EventBusName") else None
            arn = self.events.put_rule(
                lid, bus, props["EventPattern"], props.get("State", "ENABLED") == "ENABLED"
            )
            self.refs[lid] = lid
            self.attributes[(lid, "Arn")] = arn
            targets = [
                _target(
                    {
                        **t,
                        "Arn": self._resolve(t["Arn"]),
                        "DeadLetterConfig": {"Arn": self._resolve(t["DeadLetterConfig"]["Arn"])}
                        if t.get("DeadLetterConfig")
                        else None,
                    }
                )
                for t in props.get("Targets") or []
            ]
            self.events.put_targets(lid, bus, targets)

    def _resolve(self, value: Any) -> str:
        if isinstance(value, str):
            return value
        if isinstance(value, dict) and "Ref" in value and value["Ref"] in self.refs:
            return self.refs[value["Ref"]]
        if isinstance(value, dict) and "Fn::GetAtt" in value:
            key = (str(value["Fn::GetAtt"][0]), str(value["Fn::GetAtt"][1]))
            if key in self.attributes:
                return self.attributes[key]
        raise ValueError(f"cannot resolve {value!r} locally (a queue, bus or rule of the template?)")

    def start(self, invoke: Invoke | None = None) -> None:
        """Serve the endpoint; with ``invoke``, also poll each SQS event source and invoke its function."""
        threading.Thread(target=self._server.serve_forever, name="aws-emulator", daemon=True).start()
        self._serving = True
        self._invoke = invoke
        if invoke is None:
            return
        for trigger in sqs_triggers(self._template):
            if not trigger.enabled:
                continue
            name = f"sqs-{trigger.function}"
            thread = threading.Thread(target=self._poll, args=(trigger,), name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def _poll(self, trigger: SqsTrigger) -> None:
        url = self.refs[trigger.queue]
        arn = self.sqs.queue(url).arn
        while not self._stop.is_set():
            try:
                batch = self.sqs.receive(url, min(trigger.batch_size, MAX_BATCH), wait=1)  # whole seconds
                while batch and len(batch) < trigger.batch_size:
                    more = self.sqs.receive(url, min(trigger.batch_size - len(batch), MAX_BATCH))
                    if not more:
                        break
                    batch += more
                if batch and not self._stop.is_set():
                    self._run(trigger, url, arn, batch)
            except Exception as error:
                self._log(f"sqs → {trigger.function} failed: {type(error).__name__}: {error}")
                self._stop.wait(0.5)

    def _run(self, trigger: SqsTrigger, url: str, arn: str, batch: list[Message]) -> None:
        assert self._invoke is not None
        event = {"Records": [lambda_record(m, arn, self.sqs.region) for m in batch]}
        try:
            result = self._invoke(trigger.function, event)
        except Exception as error:  # Lambda: the whole batch comes back after its visibility timeout
            self._log(f"{trigger.function}: {type(error).__name__}: {error} ({len(batch)} messages kept)")
            return
        failed = _failed_ids(result, {m.message_id for m in batch}) if trigger.report_failures else set()
        if failed is None:  # an answer Lambda cannot read fails the whole batch
            self._log(f"{trigger.function}: unreadable batchItemFailures ({len(batch)} messages kept)")
            return
        for message in batch:
            if message.message_id not in failed and message.receipt_handle:
                self.sqs.delete(url, message.receipt_handle)

    def stop(self) -> None:
        self._stop.set()
        self.sqs.wake()
        # one budget for all pollers: one may be inside a function still posting to a slow webhook
        # (10 s per attempt); it is a daemon thread, so leaving it does not keep the process alive
        deadline = time.monotonic() + 5
        for thread in self._threads:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))
        if self._serving:  # shutdown() waits for serve_forever, which never ran otherwise
            self._server.shutdown()
        self._server.server_close()


def _failed_ids(result: Any, batch_ids: set[str]) -> set[str] | None:
    failures = (result or {}).get("batchItemFailures") if isinstance(result, dict) else None
    if not failures:
        return set()
    ids = {str(f.get("itemIdentifier") or "") for f in failures if isinstance(f, dict)}
    return ids if ids and ids <= batch_ids and len(ids) == len(failures) else None


def lambda_record(message: Message, arn: str, region: str) -> dict[str, Any]:
    """One SQS record as Lambda delivers it to a function."""
    return {
        "messageId": message.message_id,
        "receiptHandle": message.receipt_handle,
        "body": message.body,
        "attributes": system_attributes(message),
        "messageAttributes": {
            name: {
                "stringValue": value.get("StringValue"),
                "binaryValue": value.get("BinaryValue"),
                "stringListValues": [],
                "binaryListValues": [],
                "dataType": value.get("DataType", "String"),
            }
            for name, value in message.attributes.items()
        },
        "md5OfBody": message.md5,
        "eventSource": "aws:sqs",
        "eventSourceARN": arn,
        "awsRegion": region,
    }
