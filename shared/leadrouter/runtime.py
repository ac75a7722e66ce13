"""Process-wide wiring: one Repository per container and table set, reused by warm invocations."""

from __future__ import annotations

from functools import cache

from leadrouter.data.repository import Repository
from leadrouter.settings import Settings


@cache
def _repository(settings: Settings) -> Repository:
    return Repository(settings)


def repository() -> Repository:
    """Keyed on the settings, so tests that point the env at fresh tables get a fresh client."""
    return _repository(Settings.from_env())
