"""template.yaml parsed once per test process, for the fixtures that build tables, queues and pools from it.

Parsing it costs about 0.15 s of CPU, and the per-test fixtures (``moto_tables``, ``ddb_tables``,
``user_pool``, the moto queues) read it once or twice each: over the suite that was minutes. The
returned mapping is shared, so callers read it and never change it (``create_tables`` and
``table_env`` only read theirs).
"""

from __future__ import annotations

import functools
from typing import Any

from leadrouter_local.template import load_template


@functools.cache
def template() -> dict[str, Any]:
    """template.yaml as :func:`load_template` gives it; the same object on every call."""
    return load_template()
