"""SQS, locally: standard queues in memory, as the functions and the SQS event sources use them.

Every ``AWS::SQS::Queue`` of template.yaml becomes one of these, with its VisibilityTimeout,
MessageRetentionPeriod, DelaySeconds and RedrivePolicy (a message received ``maxReceiveCount`` times
moves to the dead-letter queue on its next receive, as SQS does). Receives long-poll and count
``ApproximateReceiveCount``; delivery is at least once and, like a standard queue, not strictly ordered
across redeliveries. ``time_scale`` shrinks visibility timeouts and delays (a 180 s timeout at 0.01 is
1.8 s) so retry schedules run in seconds. The operations boto3 calls on it are in
:mod:`leadrouter_local.aws_operations`.

Not emulated: FIFO queues, message-attribute MD5s, IAM (queue policies are not checked).
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
from typing import Any

from leadrouter_local.wire import ACCOUNT, AwsError

logger = logging.getLogger(__name__)

MAX_MESSAGE_BYTES = 262_144
#: The most messages one receive returns, and the most entries one batch request takes.
MAX_BATCH = 10
DEFAULT_QUEUE = {"VisibilityTimeout": 30, "MessageRetentionPeriod": 345_600, "DelaySeconds": 0}


def _no_queue(name: str) -> AwsError:
    return AwsError(
        "QueueDoesNotExist",
        f"The specified queue {name} does not exist.",
        "AWS.SimpleQueueService.NonExistentQueue",
    )


def _invalid(message: str) -> AwsError:
    return AwsError("InvalidParameterValue", message, "InvalidParameterValue")


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


def system_attributes(message: Message) -> dict[str, str]:
    return {
        "ApproximateReceiveCount": str(message.receive_count),
        "SentTimestamp": str(int(message.sent_at * 1000)),
        "SenderId": ACCOUNT,
        "ApproximateFirstReceiveTimestamp": str(int((message.first_received_at or message.sent_at) * 1000)),
    }
