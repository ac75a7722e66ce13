"""Lambda SnapStart's runtime hooks (``snapshot_restore_py``, part of Lambda's managed Python runtimes).

Outside Lambda (tests, the local stack, a function without SnapStart) nothing is snapshotted: the
hooks are then not registered, and a function given to them runs only if someone calls it.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

Hook = Callable[[], Any]


def _registrars() -> tuple[Callable[[Hook], Any], Callable[[Hook], Any]] | None:
    try:
        module = importlib.import_module("snapshot_restore_py")
    except ImportError:
        return None
    return module.register_before_snapshot, module.register_after_restore


def before_snapshot(hook: Hook) -> Hook:
    """Run ``hook`` once before Lambda takes the snapshot (after the handler's module is imported)."""
    registrars = _registrars()
    if registrars is not None:
        registrars[0](hook)
    return hook


def after_restore(hook: Hook) -> Hook:
    """Run ``hook`` in each container restored from the snapshot, before its first invocation."""
    registrars = _registrars()
    if registrars is not None:
        registrars[1](hook)
    return hook
