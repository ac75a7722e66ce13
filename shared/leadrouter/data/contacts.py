"""Contact claims: one lead per normalised phone or email in a tenant.

A claim is the config item ``CONTACT#<phone|email>`` holding the id of the lead that owns the contact.
Edits, deletes and restores move claims inside the transaction that writes the lead they point at.
Intake claims *first* (plain conditional puts, stamped ``claimed_at``), then inserts the lead with a
plain conditional put: a third of the transactional price. Between the two writes the claim's lead
does not exist yet: for ``CLAIM_GRACE`` such a claim is *in flight* (others wait for the lead or
retry), after it the claim was left by a crash and is *stale*. A claim may be *replaced* only when
the caller read it pointing at a stale holder (a deleted or missing lead), and only if it still
points there.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NoReturn

from botocore.exceptions import ClientError

from leadrouter.clock import from_iso, to_iso
from leadrouter.data.items import (
    expr_values,
    from_item,
    is_condition_failure,
    tenant_pk,
    to_item,
)
from leadrouter.data.scopes import ScopeStore
from leadrouter.domain.contacts import Claim
from leadrouter.domain.errors import Conflict, ContactTaken
from leadrouter.domain.leads import Lead

#: How a transaction item is named when a cancellation is explained: ("lead" | "event" |
#: "claim" | "release", contact or "").
Tag = tuple[str, str]


@dataclass(frozen=True)
class ClaimChange:
    """Contact claims to move in the same transaction as a lead's write."""

    #: Contacts to point at the lead: each must be free, already the lead's, or held by the stale
    #: holder named in ``replacing``.
    claim: Sequence[str] = ()
    #: Contacts to free: each is deleted only if it still points at the lead.
    release: Sequence[str] = ()
    #: contact → id of the stale holder (deleted or missing lead) whose claim may be taken over.
    replacing: Mapping[str, str] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.claim or self.release)


def claim_operations(
    config_table: str, lead: Lead, change: ClaimChange
) -> tuple[list[dict[str, Any]], list[Tag]]:
    """TransactWriteItems entries (and their tags) that move ``lead``'s claims as ``change`` says."""
    operations: list[dict[str, Any]] = []
    tags: list[Tag] = []
    pk = tenant_pk(lead.tenant_id)
    for contact in dict.fromkeys(c for c in change.release if c not in change.claim):
        operations.append(
            {
                "Delete": {
                    "TableName": config_table,
                    "Key": to_item({"pk": pk, "sk": f"CONTACT#{contact}"}),
                    "ConditionExpression": "lead_id = :me",
                    "ExpressionAttributeValues": expr_values(me=lead.lead_id),
                }
            }
        )
        tags.append(("release", contact))
    for contact in dict.fromkeys(change.claim):
        condition = "attribute_not_exists(pk) OR lead_id = :me"
        values = {"me": lead.lead_id}
        if contact in change.replacing:
            condition += " OR lead_id = :stale"
            values["stale"] = change.replacing[contact]
        operations.append(
            {
                "Put": {
                    "TableName": config_table,
                    "Item": to_item({"pk": pk, "sk": f"CONTACT#{contact}", "lead_id": lead.lead_id}),
                    "ConditionExpression": condition,
                    "ExpressionAttributeValues": expr_values(**values),
                    "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                }
            }
        )
        tags.append(("claim", contact))
    return operations, tags


def explain_cancellation(error: ClientError, tags: Sequence[Tag], lead: Lead) -> NoReturn:
    """Turn a cancelled lead transaction into the domain error its CancellationReasons call for.

    A failed revision check (the lead changed) wins over a taken contact: the caller must reload first.
    """
    reasons: list[dict[str, Any]] = error.response.get("CancellationReasons") or []
    failed = {
        tags[i]: reason
        for i, reason in enumerate(reasons[: len(tags)])
        if reason.get("Code") not in (None, "None")
    }
    changed = f"lead {lead.lead_id} changed meanwhile; reload it and retry"
    if any(kind == "lead" for kind, _ in failed) or not failed:
        raise Conflict(changed) from error
    for (kind, contact), reason in failed.items():
        if kind == "claim" and reason.get("Code") == "ConditionalCheckFailed":
            holder = from_item(reason.get("Item") or {}).get("lead_id")
            field_name = contact.split("#", 1)[0]  # "phone" or "email": never the value itself
            raise ContactTaken(field_name, str(holder) if holder else None) from error
    raise Conflict(f"the contacts of lead {lead.lead_id} changed meanwhile; reload it and retry") from error


def is_cancellation(error: ClientError) -> bool:
    code: str = error.response.get("Error", {}).get("Code", "")
    return code == "TransactionCanceledException"


class ContactStore(ScopeStore):
    """The CONTACT# items of the config table."""

    # ------------------------------------------------------------------ API: leads, history, contacts
    def claim_contacts(
        self,
        lead: Lead,
        contacts: Sequence[str],
        claimed_at: datetime,
        replacing: Mapping[str, str] | None = None,
    ) -> dict[str, Claim] | None:
        """Claim ``contacts`` for ``lead`` before it is inserted: one conditional PutItem each.

        Each claim must be free, already the lead's (a repeat of the same submission), or held by the
        stale holder ``replacing`` names. Contacts are claimed in sorted order, so two submissions
        sharing a phone and an email cannot each hold one and wait for the other. Returns None when
        all are claimed. Otherwise the claims this call took are released again and the result maps
        the contact that was refused to its holder (empty if it moved meanwhile: try again).
        """
        replacing = replacing or {}
        pk = tenant_pk(lead.tenant_id)
        taken: list[str] = []
        for contact in sorted(set(contacts)):
            condition = "attribute_not_exists(pk) OR lead_id = :me"
            values: dict[str, Any] = {"me": lead.lead_id}
            if contact in replacing:
                condition += " OR lead_id = :stale"
                values["stale"] = replacing[contact]
            item = {
                "pk": pk,
                "sk": f"CONTACT#{contact}",
                "lead_id": lead.lead_id,
                "claimed_at": to_iso(claimed_at),
            }
            try:
                response = self._client.put_item(
                    TableName=self._config,
                    Item=to_item(item),
                    ConditionExpression=condition,
                    ExpressionAttributeValues=expr_values(**values),
                    ReturnValues="ALL_OLD",
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                )
            except ClientError as error:
                if not is_condition_failure(error):
                    self.release_claims(lead.tenant_id, lead.lead_id, taken)
                    raise
                self.release_claims(lead.tenant_id, lead.lead_id, taken)
                held = error.response.get("Item")
                return {contact: _claim(from_item(held))} if held else {}
            if from_item(response.get("Attributes") or {}).get("lead_id") != lead.lead_id:
                taken.append(contact)  # newly ours (not a repeat's): ours to give back on failure
        return None

    def release_claims(self, tenant_id: str, lead_id: str, contacts: Sequence[str]) -> None:
        """Delete each claim that still points at ``lead_id`` (intake's claims of a lead not inserted)."""
        for contact in contacts:
            try:
                self._client.delete_item(
                    TableName=self._config,
                    Key=to_item({"pk": tenant_pk(tenant_id), "sk": f"CONTACT#{contact}"}),
                    ConditionExpression="lead_id = :me",
                    ExpressionAttributeValues=expr_values(me=lead_id),
                )
            except ClientError as error:
                if not is_condition_failure(error):
                    raise

    def contact_claims(self, tenant_id: str, contacts: Sequence[str]) -> dict[str, Claim]:
        """contact → its claim, for those of ``contacts`` that are claimed (consistent reads)."""
        found: dict[str, Claim] = {}
        for contact in dict.fromkeys(contacts):
            item = self._get_config(tenant_id, f"CONTACT#{contact}")
            if item is not None:
                found[contact] = _claim(item)
        return found

    def contact_holder(self, tenant_id: str, contact: str) -> str | None:
        """The lead that holds this normalised phone or email, if any."""
        item = self._get_config(tenant_id, f"CONTACT#{contact}")
        return str(item["lead_id"]) if item else None

    def contact_holders(self, tenant_id: str, contacts: Sequence[str]) -> dict[str, str]:
        """contact → holding lead id, for those of ``contacts`` that are claimed (consistent reads)."""
        return {c: claim.lead_id for c, claim in self.contact_claims(tenant_id, contacts).items()}


def _claim(item: Mapping[str, Any]) -> Claim:
    at = item.get("claimed_at")
    return Claim(lead_id=str(item["lead_id"]), claimed_at=from_iso(str(at)) if at else None)
