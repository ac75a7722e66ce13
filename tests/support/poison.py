"""A real poisoned lead: an item so close to DynamoDB's 400 KB limit that no decision fits on it."""

from __future__ import annotations

from datetime import timedelta

from botocore.exceptions import ClientError

from leadrouter.data.repository import Repository, lead_item, to_item
from leadrouter.domain.leads import Decision, Lead

CHUNK = 9_000  # characters of history per padding decision


def _padded(lead: Lead, length: int) -> Lead:
    """The lead with ``length`` characters of (old, released) history in its decisions."""
    decisions = [
        Decision(
            at=lead.received_at - timedelta(days=1),
            action="released",
            reason="x" * min(CHUNK, length - start),
        )
        for start in range(0, length, CHUNK)
    ]
    return lead.model_copy(update={"decisions": decisions})


def store_poisoned_lead(repo: Repository, lead: Lead, headroom: int = 100) -> Lead:
    """Put ``lead`` (pending, valid, readable) padded to ``headroom`` bytes short of the item limit.

    The limit is found on the real server, by bisecting the padding with plain put_item calls, so the
    item is what DynamoDB (Local) itself measures: an assignment (~350 bytes more) is refused with a
    ValidationException, a failure count (~30 bytes) still fits.
    """

    def fits(length: int) -> bool:
        try:
            repo._client.put_item(TableName=repo._leads, Item=to_item(lead_item(_padded(lead, length))))
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ValidationException":
                raise
            return False
        return True

    low, high = 0, 410_000  # fits(low), not fits(high)
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (middle, high) if fits(middle) else (low, middle)
    stored = _padded(lead, low - headroom)
    repo._client.put_item(TableName=repo._leads, Item=to_item(lead_item(stored)))
    return stored
