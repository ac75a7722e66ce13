"""DynamoDB stream events as Lambda receives them, built from stored lead images."""

from __future__ import annotations

from typing import Any

from leadrouter.data.repository import lead_item, to_item
from leadrouter.domain.leads import Lead

STREAM_ARN = "arn:aws:dynamodb:ap-southeast-1:123456789012:table/Leads/stream/2026-11-24T00:00:00.000"


def stream_event(leads: list[Lead], event_name: str = "INSERT") -> dict[str, Any]:
    return {
        "Records": [
            {
                "eventID": f"e{n}",
                "eventName": event_name,
                "eventVersion": "1.1",
                "eventSource": "aws:dynamodb",
                "awsRegion": "ap-southeast-1",
                "eventSourceARN": STREAM_ARN,
                "dynamodb": {
                    "Keys": to_item({"tenant_id": lead.tenant_id, "lead_id": lead.lead_id}),
                    "NewImage": to_item(lead_item(lead)),
                    "SequenceNumber": f"{1000 + n}",
                    "SizeBytes": 300,
                    "StreamViewType": "NEW_AND_OLD_IMAGES",
                },
            }
            for n, lead in enumerate(leads)
        ]
    }
