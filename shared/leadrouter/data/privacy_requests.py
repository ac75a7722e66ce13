"""Data-subject requests: one ``PRIVACYREQ#<request_id>`` item per request in the tenant's partition of
the config table.

While a request is open its item is also listed in the sparse ``active_rules`` index under the tenant's
``privacy#<shard>`` key (``domain.dispatch.shard_key``), beside the rules, stamps and scope markers of
the other kinds: the daily deadline alert reads the 16 partitions (``open_privacy_requests``) instead of
a new index or a Scan. Completing a request rewrites the item without those attributes, so it leaves
the index, and without the person's contact (only its digests stay).
"""

from __future__ import annotations

from botocore.exceptions import ClientError

from leadrouter.data.items import Item, is_condition_failure, read_model, strip_rule, tenant_pk, to_item
from leadrouter.data.revisions import RevisedStore
from leadrouter.domain.dispatch import DISPATCH_SHARDS, shard_key
from leadrouter.domain.errors import Conflict
from leadrouter.domain.privacy_requests import PrivacyRequest

PRIVACY_REQUEST_PREFIX = "PRIVACYREQ#"
#: Kind of open requests in the ``active_rules`` index (beside assign, reclaim, scope), sharded alike.
OPEN_REQUESTS = "privacy"


class PrivacyRequestStore(RevisedStore):
    def create_privacy_request(self, request: PrivacyRequest) -> None:
        """Store a new request; refuses to overwrite an existing id."""
        try:
            self._client.put_item(
                TableName=self._config,
                Item=to_item(self._request_item(request)),
                ConditionExpression="attribute_not_exists(pk)",
            )
        except ClientError as error:
            if is_condition_failure(error):
                raise Conflict(f"privacy request {request.request_id} already exists") from error
            raise

    def save_privacy_request(self, before: PrivacyRequest, after: PrivacyRequest) -> PrivacyRequest:
        """Store ``after`` if nobody wrote the request since ``before`` was read (else Conflict)."""
        stored = PrivacyRequest.model_validate({**after.model_dump(), "rev": before.rev + 1})
        self._put_at_revision(
            self._request_item(stored), before.rev, f"privacy request {stored.request_id}", may_be_new=False
        )
        return stored

    def get_privacy_request(self, tenant_id: str, request_id: str) -> PrivacyRequest | None:
        item = self._get_config(tenant_id, f"{PRIVACY_REQUEST_PREFIX}{request_id}")
        return read_model(PrivacyRequest, strip_rule(item)) if item else None

    def list_privacy_requests(self, tenant_id: str) -> list[PrivacyRequest]:
        """Every request of the tenant (a key-range Query on its partition), in id (receipt) order."""
        found = (
            read_model(PrivacyRequest, strip_rule(item))
            for item in self._query_config_prefix(tenant_id, PRIVACY_REQUEST_PREFIX)
        )
        return [request for request in found if request is not None]

    def open_privacy_requests(self, shard: int | None = None) -> list[PrivacyRequest]:
        """The open requests of every tenant (or of one dispatch shard's), from the sparse index."""
        shards = range(DISPATCH_SHARDS) if shard is None else [shard]
        keys = [f"{OPEN_REQUESTS}#{n:02d}" for n in shards]
        found = (
            read_model(PrivacyRequest, strip_rule(item))
            for item in self._list_partitions("active_rules", "active_kind", keys)
        )
        return [request for request in found if request is not None]

    @staticmethod
    def _request_item(request: PrivacyRequest) -> Item:
        item: Item = {
            "pk": tenant_pk(request.tenant_id),
            "sk": f"{PRIVACY_REQUEST_PREFIX}{request.request_id}",
        }
        item.update(request.model_dump(mode="json", exclude_none=True))
        if request.is_open:
            item["active_kind"] = shard_key(OPEN_REQUESTS, request.tenant_id)
            item["rule_ref"] = f"{request.tenant_id}#{request.request_id}"
        return item
