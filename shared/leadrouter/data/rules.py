"""Rules: ``RULE#<id>`` items, and the sparse ``active_rules`` index the dispatcher lists them from.

A tenant's ``RECHECK#<action>`` items and its reclaim rules' ``STAMP#`` items sit in the same index
partitions, so one listing tells a tick which rules are active, which tenants want every rule swept,
and what each reclaim rule's last sweep saw.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from botocore.exceptions import ClientError

from leadrouter.clock import from_iso, to_iso
from leadrouter.data.items import Item, is_condition_failure, read_model, strip_rule, tenant_pk, to_item
from leadrouter.data.revisions import RevisedStore
from leadrouter.data.rotation import STAMP_PREFIX, stamp_from_item
from leadrouter.domain.dispatch import ReclaimStamp, shard_key, shard_keys
from leadrouter.domain.errors import Conflict, NotFound
from leadrouter.domain.rules import Rule

#: Sort-key prefix of a tenant's re-check items, listed in the same partitions as its rules.
RECHECK_PREFIX = "RECHECK#"


@dataclass
class DispatchListing:
    """What a dispatcher tick lists: the active rules, and until when each tenant wants every one of
    its rules swept (``RuleStore.ask_recheck``)."""

    rules: list[Rule] = field(default_factory=list)
    rechecks: dict[str, datetime] = field(default_factory=dict)
    #: Reclaim rules' stamps by (tenant, rule) (``data.rotation.save_reclaim_stamp``).
    stamps: dict[tuple[str, str], ReclaimStamp] = field(default_factory=dict)


class RuleStore(RevisedStore):
    """A tenant's rules, versioned, and the cross-tenant listing of the active ones."""

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

    def get_rule(self, tenant_id: str, rule_id: str) -> Rule | None:
        item = self._get_config(tenant_id, f"RULE#{rule_id}")
        return read_model(Rule, strip_rule(item)) if item else None

    def list_rules(self, tenant_id: str) -> list[Rule]:
        found = (read_model(Rule, strip_rule(i)) for i in self._query_config_prefix(tenant_id, "RULE#"))
        return [rule for rule in found if rule is not None]

    def delete_rule(self, tenant_id: str, rule_id: str) -> None:
        """Remove a rule (leads it assigned keep its id and version in their decision records), and
        its reclaim stamp from the listing."""
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
        self._client.delete_item(
            TableName=self._config,
            Key=to_item({"pk": tenant_pk(tenant_id), "sk": f"{STAMP_PREFIX}{rule_id}"}),
        )

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
            if str(item.get("sk", "")).startswith(STAMP_PREFIX):
                if (stamped := stamp_from_item(item)) is not None:
                    listing.stamps[stamped[0], stamped[1]] = stamped[2]
                continue
            rule = read_model(Rule, strip_rule(item))  # an unreadable rule is skipped, never the tick
            if rule is not None:
                listing.rules.append(rule)
        return listing

    def ask_recheck(self, tenant_id: str, until: datetime) -> None:
        """Have every rule of the tenant swept (not only those that look due) until ``until``.

        Asked when a member or the calendar changes: a deactivated member may hold a lead a racing
        sweep gave them after the API released theirs (``logic.routing.sweeps.release_deactivated``), and a
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
