"""Configuration: tenants, staff, rules, form sources, data-pool settings and form-key rate limits."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from leadrouter.clock import from_iso, to_iso
from leadrouter.data.cache import SETTINGS_CACHE
from leadrouter.data.items import (
    BATCH_GET_LIMIT,
    Item,
    Store,
    expr_values,
    from_item,
    is_condition_failure,
    read_model,
    strip_keys,
    strip_rule,
    tenant_pk,
    to_item,
)
from leadrouter.domain.dispatch import shard_key, shard_keys
from leadrouter.domain.errors import Conflict, NotFound
from leadrouter.domain.forms import FormSource
from leadrouter.domain.pools import PoolSettings
from leadrouter.domain.rules import Rule
from leadrouter.domain.staff import StaffMember
from leadrouter.domain.tenants import Tenant

_STAFF_PLACEHOLDERS = {"name": "(unreadable)"}
#: Sort-key prefix of a tenant's re-check items, listed in the same partitions as its rules.
RECHECK_PREFIX = "RECHECK#"


@dataclass
class DispatchListing:
    """What a dispatcher tick lists: the active rules, and until when each tenant wants every one of
    its rules swept (``ConfigStore.ask_recheck``)."""

    rules: list[Rule] = field(default_factory=list)
    rechecks: dict[str, datetime] = field(default_factory=dict)


def _source_of(item: Item) -> FormSource | None:
    """A stored SOURCE# item as its model (the key's hash is stored beside it, never shown)."""
    return read_model(FormSource, {k: v for k, v in item.items() if k != "key_hash"})


class ConfigStore(Store):
    """Items of the config table other than rotation state."""

    # ------------------------------------------------------------------ tenants and staff
    def put_tenant(self, tenant: Tenant) -> None:
        item = {"pk": tenant_pk(tenant.tenant_id), "sk": "TENANT", **tenant.model_dump(mode="json")}
        self._client.put_item(TableName=self._config, Item=to_item(item))

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
            return stored
        try:
            self._client.put_item(
                TableName=self._config, Item=to_item(item), ConditionExpression="attribute_not_exists(pk)"
            )
        except ClientError as error:
            if is_condition_failure(error):
                raise Conflict(f"{what} changed meanwhile; reload them and retry") from error
            raise
        return stored

    def put_staff(self, member: StaffMember, *, new: bool = False) -> None:
        """Store a staff member; with ``new``, refuse (Conflict) if the id is already taken.

        Without ``new`` this overwrites (seeding, tests); the API uses ``update_staff``.
        """
        item = {
            "pk": tenant_pk(member.tenant_id),
            "sk": f"STAFF#{member.staff_id}",
            **member.model_dump(mode="json"),
        }
        condition = {"ConditionExpression": "attribute_not_exists(pk)"} if new else {}
        try:
            self._client.put_item(TableName=self._config, Item=to_item(item), **condition)
        except ClientError as error:
            if is_condition_failure(error):
                raise Conflict(f"staff member {member.staff_id} already exists") from error
            raise

    def update_staff(self, before: StaffMember, after: StaffMember) -> StaffMember:
        """Save ``after`` if the member is still at the revision ``before`` was read at (else Conflict)."""
        stored = StaffMember.model_validate({**after.model_dump(), "rev": before.rev + 1})
        item = {
            "pk": tenant_pk(stored.tenant_id),
            "sk": f"STAFF#{stored.staff_id}",
            **stored.model_dump(mode="json"),
        }
        self._put_at_revision(item, before.rev, f"staff member {stored.staff_id}")
        return stored

    def get_staff(self, tenant_id: str, staff_ids: Sequence[str]) -> dict[str, StaffMember]:
        """Staff members by id (missing ids are absent), with BatchGetItem in pages of 100."""
        found: dict[str, StaffMember] = {}
        unique = list(dict.fromkeys(staff_ids))
        for start in range(0, len(unique), BATCH_GET_LIMIT):
            keys = [
                to_item({"pk": tenant_pk(tenant_id), "sk": f"STAFF#{sid}"})
                for sid in unique[start : start + BATCH_GET_LIMIT]
            ]
            request: dict[str, Any] = {self._config: {"Keys": keys, "ConsistentRead": True}}
            while request:
                response = self._client.batch_get_item(RequestItems=request)
                for raw in response.get("Responses", {}).get(self._config, []):
                    member = read_model(StaffMember, strip_keys(from_item(raw)), _STAFF_PLACEHOLDERS)
                    if member is not None:
                        found[member.staff_id] = member
                request = response.get("UnprocessedKeys") or {}
        return found

    def list_staff(self, tenant_id: str) -> list[StaffMember]:
        found = (
            read_model(StaffMember, i, _STAFF_PLACEHOLDERS)
            for i in self._query_config_prefix(tenant_id, "STAFF#")
        )
        return [member for member in found if member is not None]

    # ------------------------------------------------------------------ rules
    def create_rule(self, rule: Rule) -> None:
        """Store a new rule (version 1); refuses to overwrite an existing id."""
        try:
            self._client.put_item(
                TableName=self._config,
                Item=to_item(self._rule_item(rule)),
                ConditionExpression="attribute_not_exists(pk)",
            )
        except ClientError as error:
            if is_condition_failure(error):
                raise Conflict(f"rule {rule.rule_id} already exists") from error
            raise

    def save_rule(self, before: Rule, after: Rule) -> Rule:
        """Store ``after`` (a new version, or the same one enabled/disabled) if nobody wrote the rule
        since ``before`` was read; otherwise Conflict, so an edit never undoes a concurrent disable."""
        stored = Rule.model_validate({**after.model_dump(), "rev": before.rev + 1})
        self._put_at_revision(self._rule_item(stored), before.rev, f"rule {stored.rule_id}")
        return stored

    def _put_at_revision(self, item: Item, rev: int, what: str, *, may_be_new: bool = False) -> None:
        """Put a config item only if it is still at revision ``rev`` (else Conflict). Items from before
        revisions existed count as revision 0; ``may_be_new`` also accepts no item at all (settings
        that were never saved read as defaults at revision 0)."""
        if rev > 0:
            condition = "rev = :rev"
        elif may_be_new:
            condition = "attribute_not_exists(rev) OR rev = :rev"
        else:
            condition = "attribute_exists(pk) AND (attribute_not_exists(rev) OR rev = :rev)"
        try:
            self._client.put_item(
                TableName=self._config,
                Item=to_item(item),
                ConditionExpression=condition,
                ExpressionAttributeValues=expr_values(rev=rev),
            )
        except ClientError as error:
            if is_condition_failure(error):
                raise Conflict(f"{what} changed meanwhile; reload it and retry") from error
            raise

    def get_rule(self, tenant_id: str, rule_id: str) -> Rule | None:
        item = self._get_config(tenant_id, f"RULE#{rule_id}")
        return read_model(Rule, strip_rule(item)) if item else None

    def list_rules(self, tenant_id: str) -> list[Rule]:
        found = (read_model(Rule, strip_rule(i)) for i in self._query_config_prefix(tenant_id, "RULE#"))
        return [rule for rule in found if rule is not None]

    def active_rules(self, action: str, shard: int | None = None) -> list[Rule]:
        """Every active rule of one action across tenants (or of one dispatch shard's tenants), from
        the sparse ``active_rules`` index: one partition per shard, the shards read in parallel."""
        return self.dispatch_listing(action, shard).rules

    def dispatch_listing(self, action: str, shard: int | None = None) -> DispatchListing:
        """The active rules of ``action`` and the tenants asking for a re-check, per shard.

        ``shard`` None: all shards (each of its partitions paged on its own thread). The legacy
        unsharded partition is read with shard 0 (see ``domain.dispatch.shard_keys``).
        """
        listing = DispatchListing()
        for item in self._list_partitions("active_rules", "active_kind", shard_keys(action, shard)):
            if str(item.get("sk", "")).startswith(RECHECK_PREFIX):
                listing.rechecks[str(item["tenant_id"])] = from_iso(str(item["recheck_until"]))
                continue
            rule = read_model(Rule, strip_rule(item))  # an unreadable rule is skipped, never the tick
            if rule is not None:
                listing.rules.append(rule)
        return listing

    def ask_recheck(self, tenant_id: str, until: datetime) -> None:
        """Have every rule of the tenant swept (not only those that look due) until ``until``.

        Asked when a member or the calendar changes: a deactivated member may hold a lead a racing
        sweep gave them after the API released theirs (``logic.sweeps.release_deactivated``), and a
        reclaim rule's "nothing due before" stamp was computed on the old shifts, pauses and holidays.
        One small item per action, listed with the tenant's rules, deleted by TTL after ``until``.
        """
        for action in ("assign", "reclaim"):
            self._client.put_item(
                TableName=self._config,
                Item=to_item(
                    {
                        "pk": tenant_pk(tenant_id),
                        "sk": f"{RECHECK_PREFIX}{action}",
                        "tenant_id": tenant_id,
                        "active_kind": shard_key(action, tenant_id),
                        "rule_ref": f"{tenant_id}#~recheck",
                        "recheck_until": to_iso(until),
                        "expires_at": int(until.timestamp()) + 3600,
                    }
                ),
            )

    @staticmethod
    def _rule_item(rule: Rule) -> Item:
        item: Item = {"pk": tenant_pk(rule.tenant_id), "sk": f"RULE#{rule.rule_id}"}
        item.update(rule.model_dump(mode="json"))
        if rule.active:
            item["active_kind"] = shard_key(rule.action, rule.tenant_id)
            item["rule_ref"] = f"{rule.tenant_id}#{rule.rule_id}"
        return item

    # ------------------------------------------------------------------ API: rules admin
    def delete_rule(self, tenant_id: str, rule_id: str) -> None:
        """Remove a rule (leads it assigned keep its id and version in their decision records)."""
        try:
            self._client.delete_item(
                TableName=self._config,
                Key=to_item({"pk": tenant_pk(tenant_id), "sk": f"RULE#{rule_id}"}),
                ConditionExpression="attribute_exists(pk)",
            )
        except ClientError as error:
            if is_condition_failure(error):
                raise NotFound(f"rule {rule_id} not found") from error
            raise

    # ------------------------------------------------------------------ API: form sources, pools, rate limits
    def put_form_source(self, source: FormSource, key_hash: str) -> None:
        """Store a form source and its key lookup together (the key itself is never stored)."""
        try:
            self._put_source_items(source, key_hash, condition_rev=None)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "TransactionCanceledException":
                raise Conflict("form source or key already exists; retry with a new key") from error
            raise
        SETTINGS_CACHE.forget()

    def save_form_source(self, before: FormSource, after: FormSource) -> FormSource:
        """Store an edited source (both its items) if it is still at ``before``'s revision (else Conflict)."""
        item = self._get_config(before.tenant_id, f"SOURCE#{before.source_id}")
        key_hash = str(item.get("key_hash", "")) if item else ""
        if not key_hash:
            raise Conflict("this form source predates editing; create a new source instead")
        stored = FormSource.model_validate({**after.model_dump(), "rev": before.rev + 1})
        try:
            self._put_source_items(stored, key_hash, condition_rev=before.rev)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "TransactionCanceledException":
                raise Conflict(f"form source {before.source_id} changed meanwhile; reload it") from error
            raise
        SETTINGS_CACHE.forget()
        return stored

    def _put_source_items(self, source: FormSource, key_hash: str, condition_rev: int | None) -> None:
        body = source.model_dump(mode="json", exclude_none=True)
        if condition_rev is None:
            source_condition: dict[str, Any] = {"ConditionExpression": "attribute_not_exists(pk)"}
            key_condition = source_condition
        else:
            condition = "rev = :rev"
            if condition_rev == 0:  # sources from before revisions count as revision 0
                condition = "attribute_exists(pk) AND (attribute_not_exists(rev) OR rev = :rev)"
            source_condition = {
                "ConditionExpression": condition,
                "ExpressionAttributeValues": expr_values(rev=condition_rev),
            }
            key_condition = {"ConditionExpression": "attribute_exists(pk)"}
        self._client.transact_write_items(
            TransactItems=[
                {
                    "Put": {
                        "TableName": self._config,
                        "Item": to_item(
                            {
                                "pk": tenant_pk(source.tenant_id),
                                "sk": f"SOURCE#{source.source_id}",
                                "key_hash": key_hash,
                                **body,
                            }
                        ),
                        **source_condition,
                    }
                },
                {
                    "Put": {
                        "TableName": self._config,
                        "Item": to_item({"pk": f"FORMKEY#{key_hash}", "sk": "FORMKEY", **body}),
                        **key_condition,
                    }
                },
            ]
        )

    def form_source_by_key_hash(self, key_hash: str) -> FormSource | None:
        """The source of a form key. Cached per container for ``SETTINGS_TTL`` seconds: intake reads
        it on every submission, and an admin's edit may take that long to reach every container."""
        return SETTINGS_CACHE.get(("FORMKEY", self._config, key_hash), lambda: self._read_source(key_hash))

    def _read_source(self, key_hash: str) -> FormSource | None:
        response = self._client.get_item(
            TableName=self._config, Key=to_item({"pk": f"FORMKEY#{key_hash}", "sk": "FORMKEY"})
        )
        raw = response.get("Item")
        return read_model(FormSource, strip_keys(from_item(raw))) if raw else None

    def get_form_source(self, tenant_id: str, source_id: str) -> FormSource | None:
        item = self._get_config(tenant_id, f"SOURCE#{source_id}")
        return _source_of(item) if item else None

    def list_form_sources(self, tenant_id: str) -> list[FormSource]:
        found = (_source_of(i) for i in self._query_config_prefix(tenant_id, "SOURCE#"))
        return [source for source in found if source is not None]

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
