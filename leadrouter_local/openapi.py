"""The committed OpenAPI document, ``docs/openapi.json``, rendered from the API's own resolver.

``python -m leadrouter_local.openapi`` (``make openapi``) rewrites it; ``--check`` only reports whether
it is stale.  ``tests/unit/test_openapi.py`` fails while the committed copy differs from :func:`render`.

The document is what ``GET /openapi.json`` serves, normalised so that it only changes when the API
does: keys sorted, two-space indent, UTF-8 (the Vietnamese status labels stay readable), one trailing
newline.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

__all__ = ["SPEC_PATH", "main", "render", "schema"]

REPO_ROOT = Path(__file__).resolve().parent.parent
SPEC_PATH = REPO_ROOT / "docs" / "openapi.json"
_SHARED_DIR = REPO_ROOT / "shared"


def _ensure_shared_importable() -> None:
    """``leadrouter`` lives in ``shared/`` (the Lambda layer): pytest adds it, ``python -m`` does not."""
    if str(_SHARED_DIR) not in sys.path:
        sys.path.insert(0, str(_SHARED_DIR))


def schema() -> dict[str, Any]:
    """The contract of a fresh ``create_app()`` (``api.contract.complete``), as plain JSON data."""
    _ensure_shared_importable()
    from leadrouter.api import contract
    from leadrouter.api.app import create_app

    generated: dict[str, Any] = json.loads(create_app().get_openapi_json_schema())
    return contract.complete(generated)


def render() -> str:
    """The exact text of ``docs/openapi.json``: deterministic for a given set of routes and models."""
    return json.dumps(schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m leadrouter_local.openapi", description=__doc__)
    parser.add_argument(
        "--output", type=Path, default=SPEC_PATH, help="where to write (default: %(default)s)"
    )
    parser.add_argument("--check", action="store_true", help="exit 1 if the file is stale; write nothing")
    args = parser.parse_args(argv)
    output: Path = args.output
    text = render()
    current = output.read_text(encoding="utf-8") if output.is_file() else None
    if args.check:
        if current != text:
            print(f"{output} is stale: run make openapi", file=sys.stderr)
            return 1
        print(f"{output} is up to date")
        return 0
    if current == text:
        print(f"{output} is up to date")
        return 0
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text, encoding="utf-8")
    print(f"wrote {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
