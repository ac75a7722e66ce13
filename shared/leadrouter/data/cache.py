"""A short-lived, per-container cache of the settings intake reads on every submission.

A form source and its pool's duplicate setting change rarely and are read on every lead: caching
them for ``SETTINGS_TTL`` seconds takes two reads off the intake path. A write through this container
forgets everything at once (cheap: there is little in it); other containers see an edit within the TTL.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

T = TypeVar("T")
SETTINGS_TTL = 30.0
MAX_ENTRIES = 2_000


class SettingsCache:
    def __init__(self, ttl: float = SETTINGS_TTL, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self._clock = clock
        self._entries: dict[Hashable, tuple[float, Any]] = {}
        self._lock = threading.Lock()

    def get(self, key: Hashable, load: Callable[[], T]) -> T:
        now = self._clock()
        with self._lock:
            found = self._entries.get(key)
        if found is not None and now - found[0] < self.ttl:
            value: T = found[1]
            return value
        value = load()
        with self._lock:
            if len(self._entries) >= MAX_ENTRIES:
                self._entries.clear()
            self._entries[key] = (now, value)
        return value

    def forget(self) -> None:
        with self._lock:
            self._entries.clear()


SETTINGS_CACHE = SettingsCache()
