"""The layers the brief agreed on, checked on the source: thin handlers → logic → one data layer.

``domain/`` is pure (no AWS SDK, no data or logic layer), ``logic/`` never reaches up into ``api/``,
and only ``data/`` talks to DynamoDB.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "shared" / "leadrouter"


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def _modules(layer: str) -> list[Path]:
    return sorted((PACKAGE / layer).rglob("*.py"))


FORBIDDEN = {
    "domain": ("boto3", "botocore", "leadrouter.data", "leadrouter.logic", "leadrouter.api"),
    "logic": ("boto3", "leadrouter.api"),
}


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_a_layer_imports_nothing_above_it(layer: str) -> None:
    # Given every module of the layer
    modules = _modules(layer)
    assert modules, f"no modules found under {layer}/"
    # Then none of them imports what the layer must not depend on
    offenders = {
        f"{path.name} imports {name}"
        for path in modules
        for name in _imports(path)
        if any(name == banned or name.startswith(banned + ".") for banned in FORBIDDEN[layer])
    }
    assert not offenders, sorted(offenders)
