"""EventBridge Scheduler, locally: each ``ScheduleV2`` (or ``Schedule``) event in template.yaml invokes
its function at the event's rate.

The rate (``ScheduleExpression``, ``rate(...)`` only) and the ``Input`` are read from the function's event
in the template; the Input's context attributes (``<aws.scheduler.scheduled-time>``,
``<aws.scheduler.execution-id>``) are filled in as Scheduler fills them. One thread per schedule, first
invocation one period after start; ``override_seconds`` (``make run --schedule-seconds``) replaces every
rate. Not emulated: cron and at expressions, flexible windows, the RetryPolicy and dead-letter queues.
"""

from __future__ import annotations

import json
import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from leadrouter_local.template import functions


@dataclass(frozen=True)
class Schedule:
    function: str
    seconds: float
    input: dict[str, Any]


def schedules(template: dict[str, Any]) -> list[Schedule]:
    """Every ``ScheduleV2``/``Schedule`` event with its rate in seconds and its Input."""
    found = []
    for logical_id, fn in functions(template).items():
        for event in fn["events"].values():
            if event["type"] not in ("ScheduleV2", "Schedule"):
                continue
            props = event["properties"]
            raw_input = props.get("Input") or "{}"
            found.append(
                Schedule(
                    function=logical_id,
                    seconds=rate_seconds(str(props["ScheduleExpression"])),
                    input=json.loads(raw_input) if isinstance(raw_input, str) else raw_input,
                )
            )
    return found


def rate_seconds(expression: str) -> float:
    found = re.fullmatch(r"rate\((\d+)\s+(minute|minutes|hour|hours|day|days)\)", expression.strip())
    if not found:
        raise ValueError(f"only rate(...) schedules are emulated locally, not {expression!r}")
    unit = {"minute": 60, "hour": 3600, "day": 86400}[found.group(2).rstrip("s")]
    return int(found.group(1)) * unit


def scheduler_input(template_input: dict[str, Any], moment: datetime) -> dict[str, Any]:
    """Fill Scheduler's context attributes the way EventBridge Scheduler does."""
    text = json.dumps(template_input)
    text = text.replace("<aws.scheduler.scheduled-time>", moment.strftime("%Y-%m-%dT%H:%M:%SZ"))
    text = text.replace("<aws.scheduler.execution-id>", str(uuid.uuid4()))
    loaded: dict[str, Any] = json.loads(text)
    return loaded


class Scheduler:
    """EventBridge Scheduler stand-in: one thread per schedule, invoking at its rate until stopped."""

    def __init__(
        self,
        items: list[Schedule],
        invoke: Callable[[str, dict[str, Any]], Any],
        log: Callable[[str], None],
        override_seconds: float | None = None,
    ) -> None:
        self._items = items
        self._invoke = invoke
        self._log = log
        self._override = override_seconds
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        for item in self._items:
            thread = threading.Thread(
                target=self._run, args=(item,), name=f"schedule-{item.function}", daemon=True
            )
            thread.start()
            self._threads.append(thread)

    def _run(self, item: Schedule) -> None:
        period = self._override or item.seconds
        while not self._stop.wait(period):
            try:
                self._invoke(item.function, scheduler_input(item.input, datetime.now(UTC)))
            except Exception as error:
                self._log(f"{item.function} failed: {type(error).__name__}: {error}")

    def stop(self) -> None:
        self._stop.set()
        deadline = time.monotonic() + 5  # one budget for all schedules (daemon threads)
        for thread in self._threads:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))
