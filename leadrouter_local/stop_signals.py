"""Stopping a local command (``make run``, ``make ddb``) on Ctrl-C or ``kill``, cleanly, every time."""

from __future__ import annotations

import signal
import time


class StopSignals:
    """SIGINT and SIGTERM become a stop request that the main thread polls for.

    The handler only appends to a list: it takes no lock, so a signal that arrives while the main thread
    holds one (a ``threading.Event`` wait), or while the handler itself runs (a second SIGTERM), cannot
    deadlock, and a second signal during shutdown changes nothing: the stop in progress finishes cleanly.
    """

    def __init__(self) -> None:
        self.received: list[int] = []

    def __call__(self, signum: int, frame: object) -> None:
        self.received.append(signum)

    def install(self) -> None:
        # Explicit handlers: a shell starts background jobs with SIGINT ignored, and Python inherits that.
        for stop_signal in (signal.SIGINT, signal.SIGTERM):
            signal.signal(stop_signal, self)

    def wait(self, poll_seconds: float = 0.2) -> int:
        """Block until a stop signal arrives; returns the first one."""
        while not self.received:
            time.sleep(poll_seconds)
        return self.received[0]
