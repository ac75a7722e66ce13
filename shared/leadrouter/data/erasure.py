"""What an erasure reads and rewrites beyond the usual lead saves (``logic.privacy.erasure``).

* The leads still carrying a contact: a Query of the tenant's partition filtered on ``phone`` and
  ``email``. No index leads from a contact to every lead carrying it (claims name one holder; a rotate
  pool's duplicates and deleted leads hold none), so an erasure reads the partition once: its cost
  follows the tenant's leads, which is acceptable for a rare, operator-grade request, never for a
  request or sweep path.
* History lines (events table) whose free text is replaced, stored submissions whose body, headers and
  IP are removed (the record and its key stay: it is the sender id's idempotency record), contact
  claims deleted (their key is the contact), an import's preview emptied.
* The suppression list: ``SUPPRESSED#<digest>`` items of the tenant's config partition, digests under
  the tenant's pepper only (``domain.privacy.contact_digest``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from botocore.exceptions import ClientError

from leadrouter.clock import from_iso, to_iso
from leadrouter.data.items import (
    BATCH_GET_LIMIT,
    Store,
    expr_values,
    from_item,
    is_condition_failure,
    lead_from_item,
    tenant_pk,
    to_item,
)
from leadrouter.data.submissions import _record
from leadrouter.domain.erasure import ERASED, Suppression
from leadrouter.domain.leads import Lead
from leadrouter.domain.submissions import Submission

SUPPRESSED_PREFIX = "SUPPRESSED#"
CONTACT_PREFIX = "CONTACT#"


class ErasureStore(Store):
    # ------------------------------------------------------------------ finding the person
    def leads_carrying(self, tenant_id: str, phone: str | None, email: str | None) -> list[Lead]:
        """Every lead of the tenant whose phone or e-mail is one of these (deleted leads included)."""
        conditions, values = [], {"t": tenant_id}
        if phone:
            conditions.append("phone = :phone")
            values["phone"] = phone
        if email:
            conditions.append("email = :email")
            values["email"] = email
        if not conditions:
            return []
        items = self._paginate_query(
            TableName=self._leads,
            KeyConditionExpression="tenant_id = :t",
            FilterExpression=" OR ".join(conditions),
            ExpressionAttributeValues=expr_values(**values),
        )
        return [lead_from_item(item) for item in items]

    def tenant_claims(self, tenant_id: str) -> Iterator[tuple[str, str]]:
        """(contact, holding lead id) for every contact claim of the tenant (a replay's search)."""
        for item in self._paginate_query(
            TableName=self._config,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
            ExpressionAttributeValues=expr_values(pk=tenant_pk(tenant_id), prefix=CONTACT_PREFIX),
        ):
            yield str(item["sk"]).removeprefix(CONTACT_PREFIX), str(item.get("lead_id", ""))

    def tenant_submissions(self, tenant_id: str) -> Iterator[Submission]:
        """Every stored submission of the tenant (30 days at most, by TTL)."""
        for item in self._paginate_query(
            TableName=self._submissions,
            KeyConditionExpression="tenant_id = :t",
            ExpressionAttributeValues=expr_values(t=tenant_id),
        ):
            yield _record(item)

    # ------------------------------------------------------------------ erasing
    def erase_history_texts(self, tenant_id: str, lead_id: str) -> int:
        """Replace the free text of a lead's history lines; how many lines had one."""
        erased = 0
        for item in self._paginate_query(
            TableName=self._events,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues=expr_values(pk=f"{tenant_id}#{lead_id}"),
        ):
            if item.get("text") in (None, ERASED):
                continue
            self._client.update_item(
                TableName=self._events,
                Key=to_item({"pk": item["pk"], "sk": item["sk"]}),
                UpdateExpression="SET #text = :erased",
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeNames={"#text": "text"},
                ExpressionAttributeValues=expr_values(erased=ERASED),
            )
            erased += 1
        return erased

    def delete_history(self, tenant_id: str, lead_id: str) -> int:
        """Delete every history line of a lead (one gone for good); how many there were."""
        keys = [
            {"pk": item["pk"], "sk": item["sk"]}
            for item in self._paginate_query(
                TableName=self._events,
                KeyConditionExpression="pk = :pk",
                ExpressionAttributeValues=expr_values(pk=f"{tenant_id}#{lead_id}"),
                ProjectionExpression="pk, sk",
            )
        ]
        for start in range(0, len(keys), 25):
            requests = [{"DeleteRequest": {"Key": to_item(key)}} for key in keys[start : start + 25]]
            pending: dict[str, Any] = {self._events: requests}
            while pending:  # unprocessed deletes are sent again (throttling)
                pending = self._client.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}
        return len(keys)

    def erase_submission(self, tenant_id: str, submission_id: str) -> bool:
        """Remove a stored submission's body, headers and client IP; keep the record (False if gone)."""
        try:
            self._client.update_item(
                TableName=self._submissions,
                Key=to_item({"tenant_id": tenant_id, "submission_id": submission_id}),
                UpdateExpression="SET #fields = :none, headers = :empty, rev = rev + :one REMOVE client_ip",
                ConditionExpression="attribute_exists(submission_id)",
                ExpressionAttributeNames={"#fields": "fields"},
                ExpressionAttributeValues=expr_values(none=[], empty={}, one=1),
            )
        except ClientError as error:
            if is_condition_failure(error):
                return False
            raise
        return True

    def delete_claims(self, tenant_id: str, contacts: Sequence[str]) -> int:
        """Delete these contacts' claims, whoever holds them; how many there were."""
        deleted = 0
        for contact in dict.fromkeys(contacts):
            response = self._client.delete_item(
                TableName=self._config,
                Key=to_item({"pk": tenant_pk(tenant_id), "sk": f"{CONTACT_PREFIX}{contact}"}),
                ReturnValues="ALL_OLD",
            )
            deleted += bool(response.get("Attributes"))
        return deleted

    def erase_import_preview(self, tenant_id: str, import_id: str) -> bool:
        """Empty an import record's preview (its first rows as read); False if there is no record."""
        try:
            self._client.update_item(
                TableName=self._config,
                Key=to_item({"pk": tenant_pk(tenant_id), "sk": f"IMPORT#{import_id}"}),
                UpdateExpression="SET preview = :none",
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeValues=expr_values(none=[]),
            )
        except ClientError as error:
            if is_condition_failure(error):
                return False
            raise
        return True

    # ------------------------------------------------------------------ suppression list
    def suppress_contacts(self, tenant_id: str, suppressions: Sequence[Suppression]) -> None:
        """Put these digests on the tenant's suppression list (a later erasure's time replaces one)."""
        for entry in suppressions:
            self._client.put_item(
                TableName=self._config,
                Item=to_item(
                    {
                        "pk": tenant_pk(tenant_id),
                        "sk": f"{SUPPRESSED_PREFIX}{entry.digest}",
                        "at": to_iso(entry.at),
                        "request_id": entry.request_id,
                    }
                ),
            )

    def has_suppressions(self, tenant_id: str) -> bool:
        """Whether the tenant's list has any entry (one Query of at most one item)."""
        response = self._client.query(
            TableName=self._config,
            KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
            ExpressionAttributeValues=expr_values(pk=tenant_pk(tenant_id), prefix=SUPPRESSED_PREFIX),
            ProjectionExpression="pk",
            Limit=1,
        )
        return bool(response.get("Items"))

    def suppressed(self, tenant_id: str, digests: Sequence[str]) -> dict[str, Suppression]:
        """digest → its entry, for those of ``digests`` on the suppression list (one BatchGetItem)."""
        wanted = list(dict.fromkeys(digests))
        found: dict[str, Suppression] = {}
        for start in range(0, len(wanted), BATCH_GET_LIMIT):
            keys = [
                to_item({"pk": tenant_pk(tenant_id), "sk": f"{SUPPRESSED_PREFIX}{d}"})
                for d in wanted[start : start + BATCH_GET_LIMIT]
            ]
            request: dict[str, Any] = {self._config: {"Keys": keys, "ConsistentRead": True}}
            while request:
                response = self._client.batch_get_item(RequestItems=request)
                for raw in response.get("Responses", {}).get(self._config, []):
                    item = from_item(raw)
                    digest = str(item["sk"]).removeprefix(SUPPRESSED_PREFIX)
                    found[digest] = Suppression(
                        digest=digest, at=from_iso(str(item["at"])), request_id=str(item["request_id"])
                    )
                request = response.get("UnprocessedKeys") or {}
        return found

    def lift_suppressions(self, tenant_id: str, digests: Sequence[str]) -> None:
        """Take these digests off the list (the person came back by a submission of their own)."""
        for digest in dict.fromkeys(digests):
            self._client.delete_item(
                TableName=self._config,
                Key=to_item({"pk": tenant_pk(tenant_id), "sk": f"{SUPPRESSED_PREFIX}{digest}"}),
            )
