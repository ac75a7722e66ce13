"""Every wall of the house, read from the source with ``ast``: each wall is one case, and a breach names
the offending module, the line and what it imports (or calls).

Imports anywhere count: at the top, inside a function, under ``TYPE_CHECKING``. Product code is
``shared/leadrouter`` and ``functions``; a module is named by its dotted import name.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from textwrap import dedent

import pytest

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Module:
    name: str  # dotted: leadrouter.logic.events.publish, functions.alerts.app
    path: Path  # relative to the tree's root
    tree: ast.Module


@dataclass(frozen=True)
class Use:
    """One import (``what``: the imported module or ``module.name``) or AWS/Powertools call at a line."""

    line: int
    what: str


def _module_name(relative: Path) -> str:
    parts = list(relative.with_suffix("").parts)
    if parts[0] == "shared":
        parts = parts[1:]
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def load(root: Path, folders: tuple[str, ...] = ("shared", "functions")) -> list[Module]:
    """Every Python module under ``folders`` of the tree at ``root``."""
    found = []
    for folder in folders:
        for path in sorted((root / folder).rglob("*.py")):
            relative = path.relative_to(root)
            if "__pycache__" in relative.parts:
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(relative))
            found.append(Module(_module_name(relative), relative, tree))
    return found


def imports(module: Module) -> Iterator[Use]:
    """What the module imports: ``from a.b import c`` yields ``a.b`` and ``a.b.c`` (c may be a module)."""
    package = module.name if module.path.name == "__init__.py" else module.name.rpartition(".")[0]
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield Use(node.lineno, alias.name)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, *([base] if base else [])])
            yield Use(node.lineno, base)
            for alias in node.names:
                yield Use(node.lineno, f"{base}.{alias.name}")


def _within(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def _bound_names(module: Module) -> dict[str, str]:
    """Local name → the dotted name it was imported as (``import boto3 as b``: b → boto3)."""
    names: dict[str, str] = {}
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    names[alias.asname] = alias.name
                else:
                    top = alias.name.split(".")[0]
                    names[top] = top
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                names[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return names


def _dotted(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base else None
    if isinstance(node, ast.Call):  # boto3.session.Session().client(...): the call already counts
        return None
    return None


def calls(module: Module) -> Iterator[Use]:
    """Every call whose callee resolves (through the module's imports) to a dotted name."""
    bound = _bound_names(module)
    for node in ast.walk(module.tree):
        if isinstance(node, ast.Call) and (name := _dotted(node.func)):
            head, _, rest = name.partition(".")
            if head in bound:
                yield Use(node.lineno, f"{bound[head]}.{rest}" if rest else bound[head])


# ------------------------------------------------------------------ the walls
@dataclass(frozen=True)
class Wall:
    name: str
    reason: str
    applies_to: Callable[[str], bool]  # by module name
    forbidden: tuple[str, ...] = ()  # imported names (and what is under them)
    calls: tuple[str, ...] = ()  # callees, resolved through the module's imports
    exempt: tuple[str, ...] = field(default=())

    def breaches(self, modules: list[Module]) -> list[str]:
        found = []
        for module in modules:
            if not self.applies_to(module.name) or _within(module.name, self.exempt):
                continue
            crossing = [u for u in imports(module) if _within(u.what, self.forbidden)]
            for use in crossing:  # ``from a import b`` is named once, as a.b
                if not any(o.line == use.line and o.what.startswith(use.what + ".") for o in crossing):
                    found.append(f"{module.name} ({module.path}:{use.line}) imports {use.what}")
            for use in calls(module) if self.calls else ():
                if use.what in self.calls:
                    found.append(f"{module.name} ({module.path}:{use.line}) calls {use.what}(...)")
        return sorted(set(found))


def _in(*prefixes: str) -> Callable[[str], bool]:
    return lambda name: _within(name, prefixes)


PRODUCT = _in("leadrouter", "functions")
AWS_FACTORIES = (
    "boto3.client",
    "boto3.resource",
    "boto3.Session",
    "boto3.session.Session",
    "boto3.session.Session.client",
    "boto3.session.Session.resource",
)
OBSERVERS = tuple(
    f"aws_lambda_powertools.{where}{kind}"
    for kind in ("Logger", "Tracer", "Metrics", "EphemeralMetrics")
    for where in ("", "logging.", "logging.logger.", "tracing.", "tracing.tracer.", "metrics.")
)
HTTP_WINGS = tuple(f"leadrouter.logic.{wing}" for wing in ("admin", "leads", "reports", "intake"))

WALLS = [
    Wall("a domain: no AWS SDK", "the domain is plain rules, testable without AWS",
         _in("leadrouter.domain"), ("boto3", "botocore")),
    Wall("b domain: pure", "the domain depends on no layer; every layer depends on it",
         _in("leadrouter.domain"),
         ("leadrouter.data", "leadrouter.logic", "leadrouter.api", "leadrouter.runtime")),
    Wall("c data: below logic and api", "storage serves use cases; it never calls them back",
         _in("leadrouter.data"), ("leadrouter.logic", "leadrouter.api", "leadrouter.runtime")),
    Wall("d logic: never api", "use cases run from queues and schedules too, with no HTTP around them",
         _in("leadrouter.logic"), ("leadrouter.api",)),
    Wall("e logic: no AWS SDK", "AWS errors and clients stay in data/, behind the stores' answers",
         _in("leadrouter.logic"), ("boto3", "botocore")),
    Wall("f handlers: no data, no boto3", "handlers are thin: the wiring lives in runtime.py",
         _in("functions"), ("leadrouter.data", "boto3")),
    Wall("g api: no data, no boto3", "the API sees use cases and opaque cursors, never a DynamoDB key",
         _in("leadrouter.api"), ("leadrouter.data", "boto3")),
    Wall("h boto3: data and runtime only", "one place talks to AWS, one place wires it",
         PRODUCT, ("boto3",), exempt=("leadrouter.data", "leadrouter.runtime")),
    Wall("i clients: built in runtime.py only", "one client per container, configured in one place",
         PRODUCT, calls=AWS_FACTORIES, exempt=("leadrouter.runtime",)),
    Wall("j workers: no HTTP use cases", "background workers must not depend on what the API serves",
         _in("leadrouter.logic.routing", "leadrouter.logic.events"), HTTP_WINGS),
    Wall("k observability: one Logger/Tracer/Metrics", "one service name, one namespace, one place to tune",
         PRODUCT, calls=OBSERVERS, exempt=("leadrouter.observability",)),
    Wall("l product: no emulator", "the emulator drives the product; the product never needs it",
         PRODUCT, ("leadrouter_local",)),
    Wall("n product: no test harness", "test harnesses drive the product; it never needs them",
         PRODUCT, ("tests",)),
]  # fmt: skip


def cycles(modules: list[Module], within: str = "leadrouter") -> list[str]:
    """Each import cycle among the modules under ``within``, as ``a → b → a`` with the lines."""
    names = {m.name for m in modules if _within(m.name, (within,))}
    edges: dict[str, dict[str, int]] = {n: {} for n in names}
    for module in modules:
        if module.name not in names:
            continue
        by_line: dict[int, list[str]] = {}
        for use in imports(module):
            by_line.setdefault(use.line, []).append(use.what)
        for line, whats in by_line.items():
            # ``from a import b`` depends on the module a.b when there is one, else on a
            submodules = [w for w in whats[1:] if w in names]
            for target in submodules or [_owner(whats[0], names)]:
                if target and target != module.name:
                    edges[module.name].setdefault(target, line)
    found: list[str] = []
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []

    def connect(node: str) -> None:  # Tarjan's strongly connected components
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in edges[node]:
            if nxt not in index:
                connect(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(_loop(sorted(component), edges))

    for name in sorted(names):
        if name not in index:
            connect(name)
    return sorted(found)


def _owner(name: str, names: set[str]) -> str:
    while name and name not in names:
        name = name.rpartition(".")[0]
    return name


def _loop(component: list[str], edges: dict[str, dict[str, int]]) -> str:
    """One concrete loop through a cycle's modules, from the first of them, with each import's line."""
    members = set(component)
    start = component[0]
    path, seen = [start], {start}
    while True:
        here = path[-1]
        nexts = sorted(n for n in edges[here] if n in members)
        if start in nexts and len(path) > 1:
            path.append(start)
            break
        step = next((n for n in nexts if n not in seen), None)
        if step is None:
            path.append(start)
            break
        path.append(step)
        seen.add(step)
    hops = [f"{a} (line {edges[a].get(b, '?')}) → {b}" for a, b in pairwise(path)]
    return "cycle: " + "; ".join(hops)


# ------------------------------------------------------------------ the checks
@pytest.fixture(scope="module")
def house() -> list[Module]:
    return load(ROOT)


@pytest.mark.parametrize("wall", WALLS, ids=[w.name.split(" ")[0] for w in WALLS])
def test_the_wall_holds(house: list[Module], wall: Wall) -> None:
    # Given the house's modules; Then none of those the wall applies to crosses it
    assert [m for m in house if wall.applies_to(m.name)], f"wall {wall.name}: no module to check"
    breaches = wall.breaches(house)
    assert not breaches, f"wall {wall.name} ({wall.reason}):\n  " + "\n  ".join(breaches)


def test_m_no_import_cycles(house: list[Module]) -> None:
    # Given the modules of shared/leadrouter; Then no chain of imports leads back to where it started
    found = cycles(house)
    assert not found, "wall m (no import cycles: each module can be read before what it uses):\n  " + (
        "\n  ".join(found)
    )


# ------------------------------------------------------------------ the guard bites
def _tree(root: Path, files: dict[str, str]) -> list[Module]:
    for relative, text in files.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(dedent(text), encoding="utf-8")
    return load(root)


def _wall(prefix: str) -> Wall:
    return next(w for w in WALLS if w.name.startswith(prefix + " "))


@pytest.mark.parametrize(
    ("wall", "path", "source", "expected"),
    [
        (
            "a",
            "shared/leadrouter/domain/leads.py",
            "def f():\n    import botocore.exceptions\n",
            "leadrouter.domain.leads (shared/leadrouter/domain/leads.py:2) imports botocore.exceptions",
        ),
        (
            "f",
            "functions/alerts/app.py",
            "from leadrouter.data.mail import SesMailer\n",
            "functions.alerts.app (functions/alerts/app.py:1) imports leadrouter.data.mail.SesMailer",
        ),
        (
            "g",
            "shared/leadrouter/api/context.py",
            "from ..data import items\n",
            "leadrouter.api.context (shared/leadrouter/api/context.py:1) imports leadrouter.data.items",
        ),
        (
            "i",
            "shared/leadrouter/data/mail.py",
            "import boto3 as aws\nCLIENT = aws.client('sesv2')\n",
            "leadrouter.data.mail (shared/leadrouter/data/mail.py:2) calls boto3.client(...)",
        ),
        (
            "j",
            "shared/leadrouter/logic/routing/sweeps.py",
            "from leadrouter.logic.leads import cases\n",
            "leadrouter.logic.routing.sweeps (shared/leadrouter/logic/routing/sweeps.py:1) imports "
            "leadrouter.logic.leads.cases",
        ),
        (
            "k",
            "shared/leadrouter/logic/alerts.py",
            "from aws_lambda_powertools import Logger\nlog = Logger()\n",
            "leadrouter.logic.alerts (shared/leadrouter/logic/alerts.py:2) calls "
            "aws_lambda_powertools.Logger(...)",
        ),
        (
            "l",
            "functions/api/app.py",
            "import leadrouter_local.runner\n",
            "functions.api.app (functions/api/app.py:1) imports leadrouter_local.runner",
        ),
    ],
    ids=["a", "f", "g", "i", "j", "k", "l"],
)
def test_the_checker_names_a_forbidden_import(
    tmp_path: Path, wall: str, path: str, source: str, expected: str
) -> None:
    # Given a small house whose one module crosses a wall (and a clean neighbour)
    modules = _tree(tmp_path, {path: source, "shared/leadrouter/clock.py": "import datetime\n"})
    # When the wall is checked; Then it names the file, the line and the import
    assert _wall(wall).breaches(modules) == [expected]


def test_the_checker_finds_a_cycle_through_an_import_inside_a_function(tmp_path: Path) -> None:
    # Given two domain modules that import each other, one of them only inside a function
    modules = _tree(
        tmp_path,
        {
            "shared/leadrouter/__init__.py": "",
            "shared/leadrouter/domain/__init__.py": "",
            "shared/leadrouter/domain/models.py": "from leadrouter.domain.holidays import Calendar\n",
            "shared/leadrouter/domain/holidays.py": "def f():\n    from leadrouter.domain import models\n",
        },
    )
    # Then the loop is named with each import's line
    assert cycles(modules) == [
        "cycle: leadrouter.domain.holidays (line 2) → leadrouter.domain.models; "
        "leadrouter.domain.models (line 1) → leadrouter.domain.holidays"
    ]
