"""The submissions table: stored first, finished once, listed and replayed by admins.

Key ``tenant_id`` + ``submission_id`` (the sender's id or the content's hash, see
``domain.submissions``), so the first put is the idempotency check: a conditional put that fails
returns the first record (``ReturnValuesOnConditionCheckFailure``) at no extra call. A table that
does not answer (throttled, down) is ``StoreUnavailable``.

A record is kept the tenant's ``submissions_days`` from when it was stored (``expires_at``, TTL): the
store stamps it from the tenant's retention at the first write, whatever the record came with, and
later writes (its outcome, fetched answers, replays) keep it. A record past its period is absent to
every read, and a new submission under its key takes its place (``data.expiry``).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from botocore.exceptions import ClientError

from leadrouter.data import expiry
from leadrouter.data.cursors import Cursor, submission_cursor, submission_start_key
from leadrouter.data.expiry import expired_condition, live, live_filter
from leadrouter.data.items import Item, expr_values, from_item, is_condition_failure, to_item
from leadrouter.data.outages import store_outages
from leadrouter.data.retention import RetentionStore
from leadrouter.domain.errors import Conflict
from leadrouter.domain.retention import expires_at
from leadrouter.domain.submissions import Check, CheckResult, Submission, SubmissionStatus


def _record(item: Item) -> Submission:
    data = dict(item)
    data["fields"] = [tuple(pair) for pair in data.get("fields") or []]
    return Submission.model_validate(data)


class SubmissionStore(RetentionStore):
    def store_submission(self, record: Submission) -> Submission | None:
        """Write a new submission record; None if written, else the record already stored under its key.

        Its ``expires_at`` is the tenant's ``submissions_days`` from now; one past its period under the
        same key is replaced, as if it were gone already.
        """
        days = self._retention_of(record.tenant_id).submissions_days
        item = record.model_dump(mode="json", exclude_none=True, exclude={"unverified_checks"})
        item["expires_at"] = expires_at(expiry.stamp_now(), days)
        values: dict[str, Any] = {}
        gone = expired_condition(values)
        with store_outages():
            try:
                self._client.put_item(
                    TableName=self._submissions,
                    Item=to_item(item),
                    ConditionExpression=f"attribute_not_exists(submission_id) OR {gone}",
                    ExpressionAttributeValues=values,
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                )
            except ClientError as error:
                if not is_condition_failure(error):
                    raise
                old = error.response.get("Item")
                return (
                    _record(from_item(old))
                    if old
                    else self.get_submission(record.tenant_id, record.submission_id)
                )
        return None

    def get_submission(self, tenant_id: str, submission_id: str) -> Submission | None:
        with store_outages():
            response = self._client.get_item(
                TableName=self._submissions,
                Key=to_item({"tenant_id": tenant_id, "submission_id": submission_id}),
                ConsistentRead=True,
            )
        raw = response.get("Item")
        item = from_item(raw) if raw else None
        return _record(item) if item is not None and live(item) else None

    def finish_submission(
        self,
        record: Submission,
        status: SubmissionStatus,
        *,
        reason: str | None = None,
        answer: dict[str, Any] | None = None,
        replayed: bool = False,
        checks: dict[Check, CheckResult] | None = None,
    ) -> Submission:
        """Set the outcome, if the record is still at the revision ``record`` was read at (else Conflict)."""
        after = record.model_copy(
            update={
                "status": status,
                "reason": reason,
                "answer": answer,
                "rev": record.rev + 1,
                "replays": record.replays + (1 if replayed else 0),
                "checks": record.checks if checks is None else checks,
            }
        )
        sets = ["#status = :status", "rev = :next", "replays = :replays"]
        removes = []
        values: dict[str, Any] = {
            "status": status.value,
            "next": after.rev,
            "rev": record.rev,
            "replays": after.replays,
        }
        if checks is not None:
            sets.append("checks = :checks")
            values["checks"] = {check.value: result.value for check, result in checks.items()}
        for name, value in (("reason", reason), ("answer", answer)):
            if value is None:
                removes.append(name)
            else:
                sets.append(f"{name} = :{name}")
                values[name] = value
        update = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else "")
        with store_outages():
            try:
                self._client.update_item(
                    TableName=self._submissions,
                    Key=to_item({"tenant_id": record.tenant_id, "submission_id": record.submission_id}),
                    UpdateExpression=update,
                    ConditionExpression="rev = :rev",
                    ExpressionAttributeNames={"#status": "status"},
                    ExpressionAttributeValues=expr_values(**values),
                )
            except ClientError as error:
                if is_condition_failure(error):
                    raise Conflict(
                        "this submission changed meanwhile (replayed or finished); reload it"
                    ) from error
                raise
        return after

    def add_submission_fields(self, record: Submission, pairs: Sequence[tuple[str, str]]) -> Submission:
        """Add what was fetched for ``record`` (its lead's answers), if it is still at the revision read
        (else Conflict: a replay or another worker got there first)."""
        after = record.model_copy(update={"fields": [*record.fields, *pairs], "rev": record.rev + 1})
        with store_outages():
            try:
                self._client.update_item(
                    TableName=self._submissions,
                    Key=to_item({"tenant_id": record.tenant_id, "submission_id": record.submission_id}),
                    UpdateExpression="SET #fields = :fields, rev = :next",
                    ConditionExpression="rev = :rev",
                    ExpressionAttributeNames={"#fields": "fields"},
                    ExpressionAttributeValues=expr_values(
                        fields=[list(pair) for pair in after.fields], next=after.rev, rev=record.rev
                    ),
                )
            except ClientError as error:
                if is_condition_failure(error):
                    raise Conflict("this submission changed meanwhile; reload it") from error
                raise
        return after

    def list_submissions(
        self,
        tenant_id: str,
        *,
        statuses: Collection[SubmissionStatus] = (),
        source_id: str | None,
        limit: int,
        start: Cursor | None = None,
    ) -> tuple[list[Submission], Cursor | None]:
        """One page of a tenant's submissions (by source, then key), filtered by stored status.

        A filtered Query reads the partition (the tenant's ``submissions_days`` at most, by TTL), so a
        page may hold fewer than ``limit`` records and still have a next cursor. Records past their
        period are filtered out like the others.
        """
        kwargs: dict[str, Any] = {
            "TableName": self._submissions,
            "KeyConditionExpression": "tenant_id = :t",
            "ExpressionAttributeValues": expr_values(t=tenant_id),
            "Limit": limit,
        }
        if source_id:
            kwargs["KeyConditionExpression"] += " AND begins_with(submission_id, :s)"
            kwargs["ExpressionAttributeValues"].update(expr_values(s=f"{source_id}."))
        kwargs["FilterExpression"] = live_filter(kwargs["ExpressionAttributeValues"])
        if statuses:
            names = [f":status{n}" for n in range(len(statuses))]
            kwargs["FilterExpression"] += f" AND #status IN ({', '.join(names)})"
            kwargs["ExpressionAttributeNames"] = {"#status": "status"}
            kwargs["ExpressionAttributeValues"].update(
                expr_values(**{name[1:]: status.value for name, status in zip(names, statuses, strict=True)})
            )
        key = submission_start_key(start, tenant_id, source_id)
        if key:
            kwargs["ExclusiveStartKey"] = key
        with store_outages():
            response = self._client.query(**kwargs)
        records = [_record(from_item(raw)) for raw in response.get("Items", [])]
        return records, submission_cursor(response.get("LastEvaluatedKey"))
