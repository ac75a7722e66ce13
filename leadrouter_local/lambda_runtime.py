"""Lambda, locally: each function's handler loaded as Lambda loads it, and invoked in this process.

The handler comes from the template's ``CodeUri`` and ``Handler``; each invocation gets a context with
the function's ``Timeout`` (``Globals`` when it has none), and each function is one warm container.
Not emulated: cold starts, the memory limit, and a separate process environment per function.
"""

from __future__ import annotations

import importlib
import os
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from leadrouter_local.template import functions

Handler = Callable[[dict[str, Any], Any], Any]

#: Which function this thread is running (for the console's log lines).
_INVOKING = threading.local()


def current_function() -> str | None:
    """The logical id of the function this thread is invoking, if any."""
    found: str | None = getattr(_INVOKING, "function", None)
    return found


@dataclass
class LambdaContext:
    function_name: str
    timeout_seconds: float
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    memory_limit_in_mb: int = 512
    started: float = field(default_factory=time.monotonic)

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:local:000000000000:function:{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.timeout_seconds - (time.monotonic() - self.started)) * 1000))


class Functions:
    """Loads each function's handler the way Lambda does (CodeUri + Handler) and invokes it."""

    def __init__(self, template: dict[str, Any]) -> None:
        self._specs = functions(template)
        globals_timeout = template.get("Globals", {}).get("Function", {}).get("Timeout", 3)
        self._timeouts = {
            lid: float(template["Resources"][lid]["Properties"].get("Timeout", globals_timeout))
            for lid in self._specs
        }
        self._handlers: dict[str, Handler] = {}
        self._loading = threading.Lock()
        # One warm container per function: a function serves one invocation at a time (Powertools keeps
        # the current event on its resolver), different functions run side by side, so a slow webhook
        # delivery never holds up the API or a sweep. (Log keys of concurrent functions can mix in the
        # console: Powertools' Logger is one per process; metrics and tracing are off locally.)
        self._locks = {lid: threading.Lock() for lid in self._specs}

    def handler(self, logical_id: str) -> Handler:
        with self._loading:
            if logical_id not in self._handlers:
                spec = self._specs[logical_id]
                module_name, _, attribute = str(spec["handler"]).rpartition(".")
                package = str(spec["code_uri"]).strip("/").replace("/", ".")
                module = importlib.import_module(f"{package}.{module_name}")
                self._handlers[logical_id] = getattr(module, attribute)
            return self._handlers[logical_id]

    def drain(self, seconds: float) -> bool:
        """Wait up to ``seconds`` (in all) for the invocations in flight to end, and let no new one
        start (the locks stay taken). The stack stops DynamoDB Local next: a call still in flight, or a
        sweep's worker thread, would have botocore retry it against a dead endpoint for half a minute,
        and the interpreter waits for worker threads on exit. False if one was still running."""
        deadline = time.monotonic() + seconds
        drained = True
        for lock in self._locks.values():
            drained = lock.acquire(timeout=max(0.0, deadline - time.monotonic())) and drained
        return drained

    def invoke(self, logical_id: str, event: dict[str, Any]) -> Any:
        handler = self.handler(logical_id)
        with self._locks[logical_id]:
            _INVOKING.function = logical_id
            try:
                return handler(event, LambdaContext(logical_id, self._timeouts[logical_id]))
            finally:
                _drop_unpublished_metrics()


def _drop_unpublished_metrics() -> None:
    """Metrics are off locally, and Powertools then never clears them: without this they pile up to
    its automatic flush at 100 values, which prints EMF into the console (AWS flushes per invocation)."""
    if os.environ.get("POWERTOOLS_METRICS_DISABLED", "").lower() == "true":
        from leadrouter.observability import metrics

        metrics.clear_metrics()
