"""SQS → Lambda, locally: Lambda's SQS event source mapping over the local queues.

Each ``Type: SQS`` function event in template.yaml gets a poller of its queue that invokes the handler
with up to ``BatchSize`` records, shaped as Lambda delivers them. With ``ReportBatchItemFailures`` the
listed messages stay (they reappear after their visibility timeout) and the rest are deleted; a handler
that raises, or answers ``batchItemFailures`` Lambda cannot read, leaves the whole batch to reappear.
Not emulated: batching windows, maximum concurrency, and filter criteria.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from leadrouter_local.sqs import MAX_BATCH, Message, Sqs, system_attributes
from leadrouter_local.template import functions

#: Invokes a function (by logical id) with an event; returns what the handler returned.
Invoke = Callable[[str, dict[str, Any]], Any]


@dataclass(frozen=True)
class SqsTrigger:
    """A ``Type: SQS`` function event: Lambda's SQS event source mapping."""

    function: str
    queue: str  # logical id
    batch_size: int
    report_failures: bool
    enabled: bool = True


def sqs_triggers(template: dict[str, Any]) -> list[SqsTrigger]:
    """Every ``SQS`` event: which queue, batch size, whether it reports partial failures."""
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


class SqsPoller:
    """A thread per enabled trigger, each receiving from its queue and invoking its function."""

    def __init__(
        self,
        triggers: list[SqsTrigger],
        sqs: Sqs,
        urls: Mapping[str, str],
        invoke: Invoke,
        log: Callable[[str], None],
    ) -> None:
        """``urls`` maps each queue's logical id to its URL."""
        self._triggers, self._sqs, self._urls = triggers, sqs, urls
        self._invoke, self._log = invoke, log
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        for trigger in self._triggers:
            if not trigger.enabled:
                continue
            name = f"sqs-{trigger.function}"
            thread = threading.Thread(target=self._poll, args=(trigger,), name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def _poll(self, trigger: SqsTrigger) -> None:
        url = self._urls[trigger.queue]
        arn = self._sqs.queue(url).arn
        while not self._stop.is_set():
            try:
                batch = self._sqs.receive(url, min(trigger.batch_size, MAX_BATCH), wait=1)  # whole seconds
                while batch and len(batch) < trigger.batch_size:
                    more = self._sqs.receive(url, min(trigger.batch_size - len(batch), MAX_BATCH))
                    if not more:
                        break
                    batch += more
                if batch and not self._stop.is_set():
                    self._run(trigger, url, arn, batch)
            except Exception as error:
                self._log(f"sqs → {trigger.function} failed: {type(error).__name__}: {error}")
                self._stop.wait(0.5)

    def _run(self, trigger: SqsTrigger, url: str, arn: str, batch: list[Message]) -> None:
        event = {"Records": [lambda_record(m, arn, self._sqs.region) for m in batch]}
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
                self._sqs.delete(url, message.receipt_handle)

    def stop(self) -> None:
        self._stop.set()
        self._sqs.wake()
        # one budget for all pollers: one may be inside a function still posting to a slow webhook
        # (10 s per attempt); it is a daemon thread, so leaving it does not keep the process alive
        deadline = time.monotonic() + 5
        for thread in self._threads:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))


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
