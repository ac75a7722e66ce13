"""Per data pool settings ("Kho dữ liệu")."""

from __future__ import annotations

from typing import Literal

from leadrouter.domain.base import Ident, Label, _Model


class PoolSettings(_Model):
    """Per data pool: what a lead whose phone or email is already known does."""

    tenant_id: Ident
    pool: Label
    #: "link": attach to the existing lead and its owner; "rotate": enter rotation anyway.
    on_duplicate: Literal["link", "rotate"] = "link"
    rev: int = 0
