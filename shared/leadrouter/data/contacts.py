"""Contact claims: one lead per normalised phone or email in a tenant."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from botocore.exceptions import ClientError

from leadrouter.data.items import (
    lead_item,
    tenant_pk,
    to_item,
)
from leadrouter.data.scopes import ScopeStore
from leadrouter.domain.errors import Conflict
from leadrouter.domain.models import (
    Lead,
)


class ContactStore(ScopeStore):
    """The CONTACT# items of the config table."""

    # ------------------------------------------------------------------ API: leads, history, contacts
    def create_lead(self, lead: Lead, contacts: Sequence[str], claim_contacts: bool) -> str | None:
        """Insert a new lead; with ``claim_contacts``, atomically claim its phone/email in the tenant.

        Returns None when created, or the id of the lead that already holds one of the contacts (nothing
        is written then). The claim and the insert are one transaction, so two simultaneous submissions
        of the same phone can never both enter rotation.
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
        if claim_contacts:
            operations += [
                {
                    "Put": {
                        "TableName": self._config,
                        "Item": to_item(
                            {"pk": tenant_pk(lead.tenant_id), "sk": f"CONTACT#{c}", "lead_id": lead.lead_id}
                        ),
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                }
                for c in dict.fromkeys(contacts)
            ]
        try:
            self._client.transact_write_items(TransactItems=operations)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "TransactionCanceledException":
                raise
            for contact in contacts:
                holder = self.contact_holder(lead.tenant_id, contact)
                if holder is not None:
                    return holder
            raise Conflict(f"lead {lead.lead_id} could not be created; retry") from error
        return None

    def contact_holder(self, tenant_id: str, contact: str) -> str | None:
        """The lead that first came in with this normalised phone or email, if any."""
        item = self._get_config(tenant_id, f"CONTACT#{contact}")
        return str(item["lead_id"]) if item else None
