"""The access audit's chain: ``AUDIT#<seq>`` items and one ``AUDITHEAD`` item per tenant (config table).

An append reads the head (one consistent read), writes the next entry on the condition that its
sequence number is free (``attribute_not_exists``), then moves the head forward on the condition
that it is behind. The entry's conditional put is what keeps the chain from forking: of two appenders
that read the same head, one wins the slot and the other chains after the winner's entry (returned by
the failed condition) and tries the next. The head only ever moves forward; an appender that crashed
between the two writes leaves it one behind, which the next append (and ``verify``) see through.

Cost per audited request (measured on DynamoDB Local, ``tests/integration/test_audit_on_ddb_local.py``):
1 consistent GetItem (1 RCU), 1 PutItem (1 WRU per KB: a read or a change of one lead is 1 WRU, a page
of 50 ids 2 WRU, of 200 ids 6 WRU) and 1 UpdateItem of the head (1 WRU): **2 WRU** for one lead.
Entries carry ``expires_at`` and are deleted by the table's TTL; the head never expires.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from leadrouter.data.items import (
    Store,
    expr_values,
    from_item,
    is_condition_failure,
    read_model,
    strip_keys,
    tenant_pk,
    to_item,
)
from leadrouter.domain.audit import GENESIS, AuditDraft, AuditEntry, ChainHead, chained, head_of
from leadrouter.domain.errors import InvalidInput, Unavailable

AUDIT_PREFIX = "AUDIT#"
HEAD_SK = "AUDITHEAD"
#: Appends one request tries before it gives up (each lost race means another append went in).
MAX_APPEND_ATTEMPTS = 32
_ENTRY_SK = re.compile(r"^AUDIT#\d{12}$")
_BAD_CURSOR = "not a cursor this API returned"


def entry_sk(seq: int) -> str:
    return f"{AUDIT_PREFIX}{seq:012d}"


def _entry(raw: dict[str, Any]) -> AuditEntry | None:
    return read_model(AuditEntry, strip_keys(from_item(raw)))


def audit_cursor(key: dict[str, Any] | None) -> str | None:
    if not key:
        return None
    return base64.urlsafe_b64encode(json.dumps({"s": key["sk"]["S"]}).encode()).decode()


def audit_start_key(cursor: str | None, partition: str) -> dict[str, Any] | None:
    """A listing's cursor back to its start key, rebuilt on the caller's own partition."""
    if not cursor:
        return None
    try:
        sk = json.loads(base64.urlsafe_b64decode(cursor.encode("ascii")))["s"]
        if not isinstance(sk, str) or not _ENTRY_SK.match(sk):
            raise ValueError
    except (binascii.Error, UnicodeError, ValueError, KeyError, TypeError) as error:
        raise InvalidInput("bad cursor", {"cursor": _BAD_CURSOR}) from error
    return {"pk": {"S": partition}, "sk": {"S": sk}}


class AuditStore(Store):
    def append_audit(self, draft: AuditDraft) -> AuditEntry:
        """Add the draft as the newest entry of its tenant's chain; Unavailable if it keeps losing."""
        partition = tenant_pk(draft.tenant_id)
        head = self.audit_head(draft.tenant_id)
        for _ in range(MAX_APPEND_ATTEMPTS):
            entry = chained(draft, head)
            item = {"pk": partition, "sk": entry_sk(entry.seq)} | entry.model_dump(mode="json")
            try:
                self._client.put_item(
                    TableName=self._config,
                    Item=to_item(item),
                    ConditionExpression="attribute_not_exists(sk)",
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                )
            except ClientError as error:
                if not is_condition_failure(error):
                    raise
                head = self._winner(draft.tenant_id, entry.seq, error)
                continue
            self._advance_head(partition, head_of(entry))
            return entry
        raise Unavailable("the access audit is busy: try again")

    def _winner(self, tenant_id: str, seq: int, error: ClientError) -> ChainHead:
        """The entry that took slot ``seq`` first, as the head to chain after."""
        raw = error.response.get("Item")
        if raw is None:
            key = {"pk": tenant_pk(tenant_id), "sk": entry_sk(seq)}
            answer = self._client.get_item(TableName=self._config, Key=to_item(key), ConsistentRead=True)
            raw = answer.get("Item")
        found = _entry(raw) if raw else None
        if found is None:  # unreadable (or gone by TTL meanwhile): the head names the next free slot
            latest = self.audit_head(tenant_id)
            return latest if latest and latest.seq >= seq else ChainHead(seq=seq, hash=GENESIS)
        return head_of(found)

    def _advance_head(self, partition: str, head: ChainHead) -> None:
        try:
            self._client.update_item(
                TableName=self._config,
                Key=to_item({"pk": partition, "sk": HEAD_SK}),
                UpdateExpression="SET seq = :seq, #hash = :hash, newest_expires_at = :expires",
                ConditionExpression="attribute_not_exists(seq) OR seq < :seq",
                ExpressionAttributeNames={"#hash": "hash"},
                ExpressionAttributeValues=expr_values(seq=head.seq, hash=head.hash, expires=head.expires_at),
            )
        except ClientError as error:
            if not is_condition_failure(error):
                raise  # a later append moved it further already

    def audit_head(self, tenant_id: str) -> ChainHead | None:
        """The newest entry's sequence number, hash and expiry, as last recorded (None: no entry yet)."""
        item = self._get_config(tenant_id, HEAD_SK)
        if item is None:
            return None
        expires_at = item.get("newest_expires_at", 0)
        return read_model(
            ChainHead, {"seq": item.get("seq"), "hash": item.get("hash"), "expires_at": expires_at}
        )

    def audit_chain(self, tenant_id: str, *, from_seq: int, limit: int) -> list[AuditEntry]:
        """Up to ``limit`` entries from ``from_seq`` on, oldest first, read consistently (for ``verify``)."""
        kwargs: dict[str, Any] = {
            "TableName": self._config,
            "ConsistentRead": True,
            "KeyConditionExpression": "pk = :pk AND sk BETWEEN :low AND :high",
            "ExpressionAttributeValues": expr_values(
                pk=tenant_pk(tenant_id), low=entry_sk(max(from_seq, 0)), high=f"{AUDIT_PREFIX}~"
            ),
        }
        found: list[AuditEntry] = []
        while len(found) < limit:
            kwargs["Limit"] = limit - len(found)
            response = self._client.query(**kwargs)
            found += [e for e in (_entry(raw) for raw in response.get("Items", [])) if e is not None]
            if "LastEvaluatedKey" not in response:
                break
            kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]
        return found

    def audit_entries(
        self,
        tenant_id: str,
        *,
        now: datetime,
        lead_id: str | None = None,
        actor: str | None = None,
        limit: int,
        start: str | None = None,
    ) -> tuple[list[AuditEntry], str | None]:
        """A page of the tenant's entries, newest first, hiding those past their expiry; with
        ``lead_id`` those naming that lead, with ``actor`` those by that user (subject) or staff id.
        The filters apply after the key condition: a page may be short, with a cursor."""
        partition = tenant_pk(tenant_id)
        filters = ["expires_at > :now"]
        values = expr_values(pk=partition, prefix=AUDIT_PREFIX, now=int(now.timestamp()))
        if lead_id is not None:
            filters.append("contains(lead_ids, :lead)")
            values |= expr_values(lead=lead_id)
        if actor is not None:
            filters.append("(actor.subject = :who OR actor.staff_id = :who)")
            values |= expr_values(who=actor)
        kwargs: dict[str, Any] = {
            "TableName": self._config,
            "ScanIndexForward": False,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
            "FilterExpression": " AND ".join(filters),
            "ExpressionAttributeValues": values,
        }
        found, key = self._filtered_page(kwargs, audit_start_key(start, partition), limit, _entry)
        return found, audit_cursor(key)
