"""A data pool's settings as admins read and replace them: what a known phone or email does."""

from __future__ import annotations

from typing import Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
)

from leadrouter.domain.pools import PoolSettings
from leadrouter.domain.users import Caller
from leadrouter.logic.ports import Pools
from leadrouter.logic.validation import validated


class PoolSettingsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    on_duplicate: Literal["link", "rotate"] = Field(
        description="a lead whose phone/email is known: 'link' to the existing lead and its owner, "
        "or 'rotate' (enter rotation anyway, marked duplicate_of)"
    )


def _pool(caller: Caller, pool: str, on_duplicate: str = "link") -> PoolSettings:
    data = {"tenant_id": caller.tenant_id, "pool": pool, "on_duplicate": on_duplicate}
    return validated(PoolSettings, data, "invalid data pool")


def get_pool_settings(repo: Pools, caller: Caller, pool: str) -> PoolSettings:
    """The pool's settings (defaults when never set: duplicates link to the existing lead)."""
    return repo.get_pool_settings(caller.tenant_id, _pool(caller, pool).pool)


def put_pool_settings(repo: Pools, caller: Caller, pool: str, body: PoolSettingsIn) -> PoolSettings:
    current = get_pool_settings(repo, caller, pool)
    return repo.save_pool_settings(current, _pool(caller, pool, body.on_duplicate))
