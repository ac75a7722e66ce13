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
def _door_limits(repository: Repository) -> DoorLimits:
    return DoorLimits(repository)


def door_limits() -> DoorLimits:
    """The public door's limits: this container's memory in front of the shared counts (one per
    repository, so a fresh client, as in a new container, comes with fresh memory)."""
    return _door_limits(repository())
