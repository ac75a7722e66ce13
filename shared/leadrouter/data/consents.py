"""A lead's consents, replaced on the revision they were read at (one UpdateItem on the leads table).

Only ``consents`` and ``rev`` change, so neither index moves (1 WRU for a small lead); the bumped
``rev`` makes an API edit or a sweep that read the lead before this answer fail its condition rather
than write the old consents back. The stream sees the change: a grant taken away becomes a
``ConsentWithdrawn`` event (``domain.events``).
"""

from __future__ import annotations

from botocore.exceptions import ClientError

from leadrouter.data.items import Store, expr_values, is_condition_failure, to_item
from leadrouter.domain.consent import Consents
from leadrouter.domain.errors import Conflict
from leadrouter.domain.leads import Lead


class ConsentStore(Store):
    """The consents item attribute of a lead."""

    def save_consents(self, before: Lead, consents: Consents) -> Lead:
        """Write ``consents`` if the lead is still at ``before.rev`` (else Conflict: re-read, merge)."""
        after = Lead.model_validate({**before.model_dump(), "consents": consents, "rev": before.rev + 1})
        stored = {k: v.model_dump(mode="json", exclude_none=True) for k, v in after.consents.items()}
        try:
            self._client.update_item(
                TableName=self._leads,
                Key=to_item({"tenant_id": before.tenant_id, "lead_id": before.lead_id}),
                UpdateExpression="SET consents = :consents, rev = :next",
                ConditionExpression="attribute_exists(lead_id) AND rev = :rev",
                ExpressionAttributeValues=expr_values(consents=stored, next=before.rev + 1, rev=before.rev),
            )
        except ClientError as error:
            if is_condition_failure(error):
                raise Conflict(f"lead {before.lead_id} changed meanwhile; reload it and retry") from error
            raise
        return after
