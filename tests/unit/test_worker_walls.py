"""Background workers never import HTTP use cases: routing and events reach no admin, leads, reports or
intake module, so a worker's Lambda never loads (or depends on the shape of) an API's use case. What both
sides need lives where both can reach it (``logic.routing.release``, ``logic.validation``)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

LOGIC = Path(__file__).resolve().parents[2] / "shared" / "leadrouter" / "logic"
WORKER_WINGS = ("routing", "events")
HTTP_WINGS = tuple(f"leadrouter.logic.{wing}" for wing in ("admin", "leads", "reports", "intake"))


def _imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            if node.module == "leadrouter.logic":  # from leadrouter.logic import leads
                names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


@pytest.mark.parametrize("wing", WORKER_WINGS)
def test_a_worker_wing_imports_no_http_use_case(wing: str) -> None:
    # Given every module of a background worker's wing
    modules = sorted((LOGIC / wing).rglob("*.py"))
    assert modules, f"no modules under logic/{wing}/"
    # Then none of them imports a module of an HTTP wing
    offenders = {
        f"logic/{wing}/{path.name} imports {name}"
        for path in modules
        for name in _imported(path)
        if any(name == http or name.startswith(http + ".") for http in HTTP_WINGS)
    }
    assert not offenders, sorted(offenders)
