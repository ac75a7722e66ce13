"""A tenant's retention periods as the writes that stamp them need them, read once per container.

Every write of a lead, a submission or a delivery log stamps its TTL from the tenant's ``Retention``
(``Tenant.privacy.retention``). Reading the tenant item on each write would add a read to every lead
at the door; instead the periods come from the per-container settings cache (``SETTINGS_TTL``), like
the form source and the pool's settings: one GetItem per tenant per container per 30 s, none on a warm
path. A change of the periods applies to items written after it (within that time on other
containers); an item keeps the stamp it was written with until its next write.
"""

from __future__ import annotations

from leadrouter.data.cache import SETTINGS_CACHE
from leadrouter.data.items import Store, read_model
from leadrouter.domain.privacy import Retention
from leadrouter.domain.tenants import Tenant


class RetentionStore(Store):
    def retention_periods(self, tenant_id: str) -> Retention:
        """The tenant's periods as every stamping write sees them (``logic.ports.RetentionPeriods``)."""
        return self._retention_of(tenant_id)

    def _retention_of(self, tenant_id: str) -> Retention:
        """The tenant's periods (the defaults when it has no settings item), cached per container."""
        return SETTINGS_CACHE.get(
            ("RETENTION", self._config, tenant_id), lambda: self._read_retention(tenant_id)
        )

    def _read_retention(self, tenant_id: str) -> Retention:
        item = self._get_config(tenant_id, "TENANT")
        tenant = read_model(Tenant, item, {"name": tenant_id}) if item else None
        return tenant.privacy.retention if tenant is not None else Retention()
