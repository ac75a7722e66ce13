"""Contact claims: one lead per normalised phone or email in a tenant.

A claim is the config item ``CONTACT#<phone|email>`` holding the id of the lead that owns the contact.
Claims only ever change inside the transaction that writes the lead they point at (intake's insert,
an edit, a delete, a restore), so a claim never outlives the lead state it stands for. A claim may be
*replaced* only when the caller read it pointing at a stale holder (a deleted or missing lead, left
over from before deletes released their claims), and only if it still points there.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NoReturn

from botocore.exceptions import ClientError

from leadrouter.data.items import (
    expr_values,
    from_item,
    lead_item,
    tenant_pk,
    to_item,
)
from leadrouter.data.scopes import ScopeStore
from leadrouter.domain.errors import Conflict, ContactTaken
from leadrouter.domain.models import (
    Lead,
)

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
    def create_lead(
        self,
        lead: Lead,
        contacts: Sequence[str],
        claim_contacts: bool,
        replacing: Mapping[str, str] | None = None,
    ) -> dict[str, str] | None:
        """Insert a new lead; with ``claim_contacts``, atomically claim its phone/email in the tenant.

        Returns None when created. Otherwise nothing is written and the result maps each contact whose
        claim failed to the lead holding it now (empty if the claims moved meanwhile: try again). The
        claim and the insert are one transaction, so two simultaneous submissions of the same phone can
        never both enter rotation. ``replacing`` names stale holders whose claims may be taken over.
        """
        self.mark_lead_scope(lead)
        operations: list[dict[str, Any]] = [
            {
                "Put": {
                    "TableName": self._leads,
                    "Item": to_item(lead_item(lead)),
                    "ConditionExpression": "attribute_not_exists(lead_id)",
                }
            }
        ]
        tags: list[Tag] = [("lead", "")]
        if claim_contacts:
            change = ClaimChange(claim=contacts, replacing=replacing or {})
            claims, claim_tags = claim_operations(self._config, lead, change)
            operations += claims
            tags += claim_tags
        try:
            self._client.transact_write_items(TransactItems=operations)
        except ClientError as error:
            if not is_cancellation(error):
                raise
            reasons: list[dict[str, Any]] = error.response.get("CancellationReasons") or []
            if reasons and reasons[0].get("Code") == "ConditionalCheckFailed":
                raise Conflict(f"lead {lead.lead_id} already exists") from error
            holders: dict[str, str] = {}
            for (kind, contact), reason in zip(tags, reasons, strict=False):
                holder = from_item(reason.get("Item") or {}).get("lead_id")
                if kind == "claim" and holder is not None and holder != lead.lead_id:
                    holders[contact] = str(holder)
            if not holders:  # cancelled by a concurrent transaction, not a condition: read who won
                holders = {
                    c: h
                    for c, h in self.contact_holders(lead.tenant_id, contacts).items()
                    if h != lead.lead_id
                }
            return holders
        return None

    def contact_holder(self, tenant_id: str, contact: str) -> str | None:
        """The lead that holds this normalised phone or email, if any."""
        item = self._get_config(tenant_id, f"CONTACT#{contact}")
        return str(item["lead_id"]) if item else None

    def contact_holders(self, tenant_id: str, contacts: Sequence[str]) -> dict[str, str]:
        """contact → holding lead id, for those of ``contacts`` that are claimed (consistent reads)."""
        found: dict[str, str] = {}
        for contact in dict.fromkeys(contacts):
            holder = self.contact_holder(tenant_id, contact)
            if holder is not None:
                found[contact] = holder
        return found
