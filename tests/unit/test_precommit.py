"""The git hooks need no network: each runs a tool pinned in pyproject's dev extra from the project's .venv
(pre-commit would otherwise clone and install every hook's repository)."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]


def _hooks() -> list[dict[str, Any]]:
    config = yaml.safe_load((ROOT / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    assert [repo["repo"] for repo in config["repos"]] == ["local"]
    return [hook for repo in config["repos"] for hook in repo["hooks"]]


def test_every_hook_runs_a_dev_pinned_tool_from_the_venv():
    # Given the dev extra's pinned packages
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    dev = {
        canonicalize_name(Requirement(r).name) for r in pyproject["project"]["optional-dependencies"]["dev"]
    }

    # Then each hook is a system hook whose executable is .venv/bin/<a dev package's tool>
    for hook in _hooks():
        executable = hook["entry"].split()[0]
        assert hook["language"] == "system", hook["id"]
        assert executable.startswith(".venv/bin/"), hook["id"]
        assert canonicalize_name(executable.removeprefix(".venv/bin/")) in dev, hook["id"]


def test_the_mypy_hook_checks_what_make_typecheck_checks():
    # Given make typecheck's command (the whole tree: mypy's verdict on one file depends on the others)
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    (typecheck,) = [
        line.strip() for line in makefile.splitlines() if line.strip().startswith("$(VENV)/bin/mypy")
    ]

    # Then the hook runs the same command, once per commit rather than per file
    (mypy,) = [hook for hook in _hooks() if hook["id"] == "mypy"]
    assert mypy["entry"] == typecheck.replace("$(VENV)", ".venv")
    assert mypy["pass_filenames"] is False
    assert {hook["id"] for hook in _hooks()} == {"ruff-check", "ruff-format", "mypy", "cfn-lint"}
