"""Stream records of lead changes (old and new image) as Lambda delivers them, for the publish tests."""

from __future__ import annotations

from typing import Any

from leadrouter.data.repository import lead_item, to_item
from leadrouter.domain.leads import Lead
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


def stream_records(table_name: str) -> list[dict[str, Any]]:
    """Every record on a DynamoDB Local table's stream so far, shaped as Lambda delivers them (the
    local stack's own reshaping: empty maps repaired, timestamps as epoch seconds)."""
    import os

    import boto3

    from leadrouter_local.streams import _jsonable, _repair_images

    ddb = boto3.client("dynamodb")
    streams = boto3.client("dynamodbstreams", endpoint_url=os.environ["AWS_ENDPOINT_URL_DYNAMODB"])
    arn = ddb.describe_table(TableName=table_name)["Table"]["LatestStreamArn"]
    found: list[dict[str, Any]] = []
    for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
        iterator = streams.get_shard_iterator(
            StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        while iterator:
            response = streams.get_records(ShardIterator=iterator, Limit=1000)
            if not response["Records"]:
                break
            found += [
                {**r, "eventSourceARN": arn, "dynamodb": _repair_images(r["dynamodb"])}
                for r in response["Records"]
            ]
            iterator = response.get("NextShardIterator")
    records: list[dict[str, Any]] = _jsonable(found)
    return records
