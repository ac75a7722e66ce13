"""Which source tree a bench measures: this checkout, or the one ``--tree DIR`` names (a "before" run
against an older checkout, measured by the same bench code)."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def measured_tree(argv: Sequence[str]) -> Path:
    """The ``--tree`` argument's directory, or this checkout."""
    for i, arg in enumerate(argv):
        if arg == "--tree" and i + 1 < len(argv):
            return Path(argv[i + 1]).resolve()
        if arg.startswith("--tree="):
            return Path(arg.split("=", 1)[1]).resolve()
    return ROOT


def import_first_from(tree: Path) -> None:
    """Put the tree's leadrouter, leadrouter_local and bench ahead of this checkout's."""
    sys.path[:0] = [str(tree / "shared"), str(tree)]
