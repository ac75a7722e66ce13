"""Staff: ``STAFF#<id>`` items of a tenant's config partition."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from botocore.exceptions import ClientError

from leadrouter.data.items import (
    BATCH_GET_LIMIT,
    from_item,
    is_condition_failure,
    read_model,
    strip_keys,
    tenant_pk,
    to_item,
)
from leadrouter.data.revisions import RevisedStore
from leadrouter.domain.errors import Conflict
from leadrouter.domain.staff import StaffMember

_STAFF_PLACEHOLDERS = {"name": "(unreadable)"}


class StaffStore(RevisedStore):
    """A tenant's staff members."""

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
