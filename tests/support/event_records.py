"""Stream records of lead changes (old and new image) as Lambda delivers them, for the publish tests."""

from __future__ import annotations

from typing import Any

from leadrouter.data.repository import lead_item, to_item
from leadrouter.domain.models import Lead
from tests.support.streams import STREAM_ARN


def change_record(old: Lead | None, new: Lead | None, sequence: int) -> dict[str, Any]:
    """One stream record: INSERT (no old image), MODIFY, or REMOVE (no new image)."""
    some = new or old
    assert some is not None
    change: dict[str, Any] = {
        "Keys": to_item({"tenant_id": some.tenant_id, "lead_id": some.lead_id}),
        "SequenceNumber": f"{100000 + sequence}",
        "SizeBytes": 300,
        "StreamViewType": "NEW_AND_OLD_IMAGES",
    }
    if old is not None:
        change["OldImage"] = to_item(lead_item(old))
    if new is not None:
        change["NewImage"] = to_item(lead_item(new))
    return {
        "eventID": f"ev{sequence}",
        "eventName": "INSERT" if old is None else "MODIFY" if new is not None else "REMOVE",
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": "ap-southeast-1",
        "eventSourceARN": STREAM_ARN,
        "dynamodb": change,
    }
