"""Which leads a rule covers: a data pool + pipeline step, or a campaign; one key per scope.

A lead sits in exactly one scope, so no two rules race for it.
"""

from __future__ import annotations

from typing import Self

from pydantic import (
    ConfigDict,
    model_validator,
)

from leadrouter.domain.base import Label, _Model


def scope_key(*, pool: str | None, step: str | None, campaign: str | None) -> str:
    """The one rule scope a lead (or rule) belongs to.

    Campaign membership wins over data pool + pipeline step (CRMOnline's campaign split is an explicit
    admin action, so it overrides the pool's standing rule); a lead therefore sits in exactly one
    "due" partition and no two rules race for it.
    """
    if campaign:
        return f"campaign#{campaign}"
    if pool and step:
        return f"pool#{pool}#step#{step}"
    raise ValueError("a scope needs a campaign, or both a data pool and a pipeline step")


class Scope(_Model):
    """Which leads a rule covers: a data pool + pipeline step ("Kho dữ liệu" + "Bước"), or a campaign."""

    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "oneOf": [
                {
                    "required": ["campaign"],
                    "properties": {
                        "campaign": {"type": "string"},
                        "pool": {"type": "null"},
                        "step": {"type": "null"},
                    },
                },
                {
                    "required": ["pool", "step"],
                    "properties": {
                        "pool": {"type": "string"},
                        "step": {"type": "string"},
                        "campaign": {"type": "null"},
                    },
                },
            ]
        },
    )

    pool: Label | None = None
    step: Label | None = None
    campaign: Label | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> Self:
        if self.campaign and (self.pool or self.step):
            raise ValueError("give either a campaign or a data pool + pipeline step, not both")
        if not self.campaign and not (self.pool and self.step):
            raise ValueError("give a campaign, or both a data pool (pool) and a pipeline step (step)")
        return self

    @property
    def key(self) -> str:
        return scope_key(pool=self.pool, step=self.step, campaign=self.campaign)
