"""The notices' archive: every version of every purpose's notice text, ``NOTICE#<purpose>#<version>``
items in the tenant's config partition, written with the settings that introduce them.

A consent record names a notice version and the SHA-256 of its text; the archive keeps those words
after the tenant moves on to a new version (or drops the purpose), so the record can always be shown
the exact text it points at. An archived version is never rewritten: a save is one transaction of the
tenant item (on the revision read) and the versions it adds (each only if still absent).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from botocore.exceptions import ClientError

from leadrouter.data.items import expr_values, from_item, read_model, strip_keys, tenant_pk, to_item
from leadrouter.data.revisions import RevisedStore
from leadrouter.domain.consent import ArchivedNotice
from leadrouter.domain.errors import Conflict
from leadrouter.domain.tenants import Tenant

#: BatchGetItem's limit per call.
_BATCH = 100


def notice_sk(purpose: str, version: str) -> str:
    return f"NOTICE#{purpose}#{version}"


class NoticeStore(RevisedStore):
    """Archived notice versions, and the tenant's privacy settings saved with them."""

    def archived_notices(
        self, tenant_id: str, refs: Iterable[tuple[str, str]]
    ) -> dict[tuple[str, str], ArchivedNotice]:
        """The archived versions among ``refs`` ((purpose, version) pairs); absent ones are left out."""
        wanted = sorted(set(refs))
        found: dict[tuple[str, str], ArchivedNotice] = {}
        for start in range(0, len(wanted), _BATCH):
            keys = [
                to_item({"pk": tenant_pk(tenant_id), "sk": notice_sk(p, v)})
                for p, v in wanted[start : start + _BATCH]
            ]
            request: dict[str, Any] = {self._config: {"Keys": keys, "ConsistentRead": True}}
            while request:
                response = self._client.batch_get_item(RequestItems=request)
                for raw in response.get("Responses", {}).get(self._config, []):
                    notice = read_model(ArchivedNotice, strip_keys(from_item(raw)))
                    if notice is not None:
                        found[(notice.purpose, notice.version)] = notice
                request = response.get("UnprocessedKeys") or {}
        return found

    def save_privacy(self, before: Tenant | None, after: Tenant, notices: Sequence[ArchivedNotice]) -> Tenant:
        """Store ``after`` on the revision ``before`` was read at (None: no tenant item yet) with the
        notice versions it introduces, all or nothing; Conflict when either moved on meanwhile."""
        rev = before.rev if before is not None else 0
        stored = Tenant.model_validate({**after.model_dump(), "rev": rev + 1})
        tenant_item = {"pk": tenant_pk(stored.tenant_id), "sk": "TENANT", **stored.model_dump(mode="json")}
        put: dict[str, Any] = {"TableName": self._config, "Item": to_item(tenant_item)}
        if before is None:
            put["ConditionExpression"] = "attribute_not_exists(pk)"
        else:
            put["ConditionExpression"] = (
                "rev = :rev"
                if rev > 0
                else "attribute_exists(pk) AND (attribute_not_exists(rev) OR rev = :rev)"
            )
            put["ExpressionAttributeValues"] = expr_values(rev=rev)
        operations: list[dict[str, Any]] = [{"Put": put}]
        for notice in notices:
            item = {
                "pk": tenant_pk(stored.tenant_id),
                "sk": notice_sk(notice.purpose, notice.version),
                **notice.model_dump(mode="json"),
            }
            operations.append(
                {
                    "Put": {
                        "TableName": self._config,
                        "Item": to_item(item),
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                }
            )
        try:
            self._client.transact_write_items(TransactItems=operations)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "TransactionCanceledException":
                raise Conflict(
                    f"tenant {stored.tenant_id} privacy settings changed meanwhile; reload them"
                ) from error
            raise
        return stored
