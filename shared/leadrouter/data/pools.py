"""Data pools: ``POOL#<name>`` items holding a pool's settings (defaults while never saved)."""

from __future__ import annotations

from leadrouter.data.cache import SETTINGS_CACHE
from leadrouter.data.items import read_model, tenant_pk, to_item
from leadrouter.data.revisions import RevisedStore
from leadrouter.domain.pools import PoolSettings


class PoolStore(RevisedStore):
    """A tenant's data-pool settings."""

    def get_pool_settings(self, tenant_id: str, pool: str, *, cached: bool = False) -> PoolSettings:
        """A pool's settings; ``cached`` (intake) may answer from this container's copy (``SETTINGS_TTL``)."""
        if cached:
            return SETTINGS_CACHE.get(
                ("POOL", self._config, tenant_id, pool), lambda: self.get_pool_settings(tenant_id, pool)
            )
        item = self._get_config(tenant_id, f"POOL#{pool}")
        stored = read_model(PoolSettings, item) if item else None
        return stored or PoolSettings(tenant_id=tenant_id, pool=pool)

    def save_pool_settings(self, before: PoolSettings, after: PoolSettings) -> PoolSettings:
        """Store ``after`` if the pool's settings are still at ``before``'s revision (else Conflict)."""
        stored = PoolSettings.model_validate({**after.model_dump(), "rev": before.rev + 1})
        item = {"pk": tenant_pk(stored.tenant_id), "sk": f"POOL#{stored.pool}", **stored.model_dump()}
        self._put_at_revision(item, before.rev, f"data pool {stored.pool} settings", may_be_new=True)
        SETTINGS_CACHE.forget()
        return stored

    def put_pool_settings(self, settings: PoolSettings) -> None:
        item = {"pk": tenant_pk(settings.tenant_id), "sk": f"POOL#{settings.pool}", **settings.model_dump()}
        self._client.put_item(TableName=self._config, Item=to_item(item))
        SETTINGS_CACHE.forget()
