"""Tenants: the ``TENANT`` item of a tenant's config partition (settings, calendar, alert state)."""

from __future__ import annotations

from botocore.exceptions import ClientError

from leadrouter.data.cache import SETTINGS_CACHE
from leadrouter.data.items import is_condition_failure, read_model, tenant_pk, to_item
from leadrouter.data.revisions import RevisedStore
from leadrouter.domain.errors import Conflict
from leadrouter.domain.tenants import Tenant


class TenantStore(RevisedStore):
    """A tenant's own settings item."""

    def put_tenant(self, tenant: Tenant) -> None:
        item = {"pk": tenant_pk(tenant.tenant_id), "sk": "TENANT", **tenant.model_dump(mode="json")}
        self._client.put_item(TableName=self._config, Item=to_item(item))
        SETTINGS_CACHE.forget()  # its retention periods, cached for the writes that stamp them

    def get_tenant(self, tenant_id: str) -> Tenant | None:
        item = self._get_config(tenant_id, "TENANT")
        return read_model(Tenant, item, {"name": tenant_id}) if item else None

    def save_tenant(self, before: Tenant | None, after: Tenant) -> Tenant:
        """Store ``after`` if the tenant item is still at the revision ``before`` was read at (else Conflict).

        ``before`` None: no tenant item was stored (the tenant ran on defaults), so one is created; an
        item that appeared meanwhile is a Conflict, never overwritten.
        """
        rev = before.rev if before is not None else 0
        stored = Tenant.model_validate({**after.model_dump(), "rev": rev + 1})
        item = {"pk": tenant_pk(stored.tenant_id), "sk": "TENANT", **stored.model_dump(mode="json")}
        what = f"tenant {stored.tenant_id} settings"
        if before is not None:
            self._put_at_revision(item, rev, what)
            SETTINGS_CACHE.forget()  # its retention periods, cached for the writes that stamp them
            return stored
        try:
            self._client.put_item(
                TableName=self._config, Item=to_item(item), ConditionExpression="attribute_not_exists(pk)"
            )
        except ClientError as error:
            if is_condition_failure(error):
                raise Conflict(f"{what} changed meanwhile; reload them and retry") from error
            raise
        SETTINGS_CACHE.forget()
        return stored
