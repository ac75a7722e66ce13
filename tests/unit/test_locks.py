"""The hashed locks agree with pyproject.toml's pins, read offline: a pin moved without `make lock`, or a
layer that would install another version than the tests ran, fails here before anything is installed.
`make lock-check` (in `make test`) compiles the locks again and catches the rest (a changed closure)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
DEV_LOCK = ROOT / "requirements-dev.lock"
LAYER_LOCK = ROOT / "shared" / "requirements.txt"
SAM_LOCK = ROOT / "requirements-sam.txt"


@dataclass(frozen=True)
class Locked:
    version: str
    hashes: int


def _read_lock(path: Path) -> dict[str, Locked]:
    """``name == version`` entries of a uv-compiled requirements file, with how many hashes each carries."""
    entries: dict[str, Locked] = {}
    name = ""
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip().removesuffix("\\").strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("--hash="):
            entries[name] = Locked(entries[name].version, entries[name].hashes + 1)
            continue
        requirement = Requirement(line)
        (specifier,) = requirement.specifier
        assert specifier.operator == "==", f"{path.name}: {line} is not pinned with =="
        name = canonicalize_name(requirement.name)
        entries[name] = Locked(specifier.version, 0)
    return entries


def _pins(requirements: list[str]) -> dict[str, str]:
    pins: dict[str, str] = {}
    for text in requirements:
        requirement = Requirement(text)
        (specifier,) = requirement.specifier
        assert specifier.operator == "==", f"pyproject.toml: {text} is not pinned with =="
        pins[canonicalize_name(requirement.name)] = specifier.version
    return pins


PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
RUNTIME = _pins(PYPROJECT["project"]["dependencies"])
DEV = _pins(PYPROJECT["project"]["optional-dependencies"]["dev"])
SAM = _pins(PYPROJECT["dependency-groups"]["sam"])


def _mismatches(pins: dict[str, str], lock: dict[str, Locked]) -> dict[str, tuple[str, str | None]]:
    return {
        name: (version, lock[name].version if name in lock else None)
        for name, version in pins.items()
        if name not in lock or lock[name].version != version
    }


def test_every_runtime_pin_is_the_version_of_the_dev_lock_and_of_the_layer():
    # Given pyproject's runtime dependencies and the two locks
    dev, layer = _read_lock(DEV_LOCK), _read_lock(LAYER_LOCK)

    # Then each pin is the locked version in both (pin: (pinned, locked))
    assert _mismatches(RUNTIME, dev) == {}
    assert _mismatches(RUNTIME, layer) == {}


def test_every_dev_pin_is_the_version_of_the_dev_lock():
    assert _mismatches(DEV, _read_lock(DEV_LOCK)) == {}


def test_the_sam_cli_pin_is_the_version_of_its_lock():
    assert _mismatches(SAM, _read_lock(SAM_LOCK)) == {}


def test_the_layer_installs_the_versions_the_tests_ran():
    # Given the layer's lock (its transitive dependencies too: botocore, pydantic-core, urllib3, …)
    dev, layer = _read_lock(DEV_LOCK), _read_lock(LAYER_LOCK)

    # Then every package in it is locked at the same version for the dev environment
    assert _mismatches({name: entry.version for name, entry in layer.items()}, dev) == {}
    assert "botocore" in layer  # the one boto3 resolves to a range; the layer must not pick its own


@pytest.mark.parametrize("lock", [DEV_LOCK, LAYER_LOCK, SAM_LOCK], ids=lambda path: path.name)
def test_every_locked_package_carries_its_hashes(lock: Path):
    entries = _read_lock(lock)

    assert entries
    assert [name for name, entry in entries.items() if entry.hashes == 0] == []


def test_the_lock_reader_sees_a_moved_pin():
    # Given a lock whose boto3 is not the pinned one (the reader itself must not hide a drift)
    lock = {"boto3": Locked("1.0.0", 2)}

    # Then the pin is reported with both versions, and a missing package as None
    assert _mismatches({"boto3": "1.44.5", "pydantic": "2.14.3"}, lock) == {
        "boto3": ("1.44.5", "1.0.0"),
        "pydantic": ("2.14.3", None),
    }
