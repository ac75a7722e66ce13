"""Scope markers: every rule scope that ever held a pending lead, so none can strand leads unseen.

A lead waits in the ``due`` index under its scope's partition; a sweep only looks at the partitions of
rules in charge. A lead in a scope no rule covers (no rule, rule disabled, window closed) would wait
forever, invisible. So the first time a process writes a pending lead into a scope it puts a marker
item (``SCOPE#<scope>``) in the sparse ``active_rules`` index under the tenant's ``scope#<shard>``
key; the assign tick lists those markers and looks for due leads in scopes that nobody sweeps. The
marker is written before the lead and is idempotent; a process remembers the scopes it marked, so it
costs one write per scope per Lambda container, not one per lead.
"""

from __future__ import annotations

from leadrouter.data.items import Store, tenant_pk, to_item
from leadrouter.domain.dispatch import shard_key, shard_keys
from leadrouter.domain.leads import Lead, LeadStatus

#: Kind of scope markers in the ``active_rules`` index (beside "assign" / "reclaim"), sharded alike.
SCOPE_MARKER = "scope"


class ScopeStore(Store):
    def mark_scope(self, tenant_id: str, scope_key: str) -> None:
        """Record that ``scope_key`` holds (or held) pending leads; a no-op once this store did it.

        (One store per table set per container: ``runtime.repository``.)
        """
        key = (tenant_id, scope_key)
        marked: set[tuple[str, str]] = self.__dict__.setdefault("_marked_scopes", set())
        if key in marked:
            return
        self._client.put_item(
            TableName=self._config,
            Item=to_item(
                {
                    "pk": tenant_pk(tenant_id),
                    "sk": f"SCOPE#{scope_key}",
                    "tenant_id": tenant_id,
                    "scope_key": scope_key,
                    "active_kind": shard_key(SCOPE_MARKER, tenant_id),
                    "rule_ref": f"{tenant_id}#{scope_key}",
                }
            ),
        )
        marked.add(key)  # set.add is atomic under the GIL; a rare double put is harmless

    def mark_lead_scope(self, lead: Lead) -> None:
        """Mark the scope a lead is about to wait in (only pending leads wait in a scope's queue)."""
        if lead.status is LeadStatus.PENDING:
            self.mark_scope(lead.tenant_id, lead.scope_key)

    def marked_scopes(self, shard: int | None = None) -> list[tuple[str, str]]:
        """Every (tenant, scope) that ever held a pending lead, across tenants or of one dispatch
        shard's tenants (sparse index queries, one partition per shard, in parallel)."""
        return [
            (str(item["tenant_id"]), str(item["scope_key"]))
            for item in self._list_partitions("active_rules", "active_kind", shard_keys(SCOPE_MARKER, shard))
        ]

    def tenant_scopes(self, tenant_id: str) -> list[str]:
        """The scope keys of one tenant's markers (a key-range Query on the tenant's partition)."""
        return [str(item["scope_key"]) for item in self._query_config_prefix(tenant_id, "SCOPE#")]
