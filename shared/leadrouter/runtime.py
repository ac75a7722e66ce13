"""Process-wide wiring: one Repository per container and table set, reused by warm invocations."""

from __future__ import annotations

from functools import cache

from leadrouter.data.repository import Repository
from leadrouter.logic.limits import DoorLimits
from leadrouter.settings import Settings


@cache
def _repository(settings: Settings) -> Repository:
    return Repository(settings)


def repository() -> Repository:
    """Keyed on the settings, so tests that point the env at fresh tables get a fresh client."""
    return _repository(Settings.from_env())


@cache
def _door_limits(settings: Settings) -> DoorLimits:
    return DoorLimits(_repository(settings))


def door_limits() -> DoorLimits:
    """The public door's limits: this container's memory in front of the shared counts."""
    return _door_limits(Settings.from_env())
