"""Every value written has passed the model that reads it back, and a read of stored
data never raises (a bad item is read with placeholders and ``damaged_fields``, or skipped, and logged)."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from leadrouter.data.repository import Repository, lead_item, to_item
from leadrouter.domain.errors import InvalidInput
from leadrouter.domain.leads import Lead
from leadrouter.domain.users import Caller
from leadrouter.logic.leads import campaigns as lead_logic
from tests.support.api import call_as
from tests.support.builders import NOW, TENANT, add_leads, lead, staff

ADMIN = Caller(tenant_id=TENANT, role="admin", subject="admin")


def _put_raw(tables: dict[str, str], item: dict[str, Any]) -> None:
    boto3.client("dynamodb", region_name="ap-southeast-1").put_item(
        TableName=tables["LeadsTable"], Item=to_item(item)
    )


def test_vietnamese_campaign_names_with_spaces_are_stored_and_read_back(moto_repo: Repository) -> None:
    # Given two leads, put into the campaign "Tết 2027" (typed decomposed, as macOS keyboards send it)
    leads = add_leads(moto_repo, 2)
    decomposed = "Te\u0302\u0301t 2027"
    result = lead_logic.put_in_campaign(moto_repo, ADMIN, decomposed, [x.lead_id for x in leads], NOW)
    assert result["updated"] == 2
    # Then they read back in NFC, list, and show in GET /leads filtered by the campaign
    stored = moto_repo.get_lead(TENANT, leads[0].lead_id)
    assert stored is not None and stored.campaign == "Tết 2027" and stored.scope_key == "campaign#Tết 2027"
    reply = call_as("GET", "/leads?campaign=T%E1%BA%BFt%202027")
    assert reply.status == 200 and len(reply.body["items"]) == 2


def test_a_campaign_the_model_would_refuse_is_never_written(moto_repo: Repository) -> None:
    # Given a lead
    (one,) = add_leads(moto_repo, 1)
    # When logic tries to put it into a campaign whose name breaks the key layout
    with pytest.raises(InvalidInput) as refused:
        lead_logic.put_in_campaign(moto_repo, ADMIN, "a#b", [one.lead_id], NOW)
    # Then the write re-validates and refuses, naming the field; the lead still reads and lists
    assert set(refused.value.fields) == {"campaign"}
    stored = moto_repo.get_lead(TENANT, one.lead_id)
    assert stored is not None and stored.campaign is None
    assert call_as("GET", "/leads").status == 200


def test_lead_item_refuses_a_lead_built_without_validation() -> None:
    bad = lead().model_copy(update={"campaign": "Tết/2027"})
    with pytest.raises(InvalidInput):
        lead_item(bad)


def test_a_stored_lead_with_invalid_fields_is_listed_read_and_repaired(
    moto_repo: Repository, moto_tables: dict[str, str]
) -> None:
    # Given a lead stored by older code: a campaign with '#', an empty name, an unknown attribute
    good = lead(phone="+84912345678")
    raw = lead_item(good) | {"campaign": "Tết#2027", "name": "", "legacy_flag": True}
    _put_raw(moto_tables, raw)
    # When an admin lists, reads and reports
    listing = call_as("GET", "/leads")
    detail = call_as("GET", f"/leads/{good.lead_id}")
    report = call_as(
        "GET", "/reports/distribution?received_from=2026-11-01T00:00:00Z&received_to=2026-12-01T00:00:00Z"
    )
    # Then nothing fails: the lead shows placeholders and names its damaged fields
    assert listing.status == 200 and detail.status == 200 and report.status == 200
    shown = detail.body["lead"]
    assert shown["name"] == "(unreadable)" and shown["campaign"] is None
    assert shown["damaged_fields"] == ["campaign", "legacy_flag", "name"]
    # When the admin fixes the name, the stored item is valid again
    assert call_as("PATCH", f"/leads/{good.lead_id}", {"name": "Trần Văn Bình"}).status == 200
    client = boto3.client("dynamodb", region_name="ap-southeast-1")
    item = client.get_item(
        TableName=moto_tables["LeadsTable"], Key={"tenant_id": {"S": TENANT}, "lead_id": {"S": good.lead_id}}
    )["Item"]
    assert "legacy_flag" not in item and "damaged_fields" not in item and item["name"]["S"] == "Trần Văn Bình"
    fixed = moto_repo.get_lead(TENANT, good.lead_id)
    assert isinstance(fixed, Lead) and fixed.damaged_fields == []


def test_a_stored_staff_member_with_an_invalid_field_is_still_listed(
    moto_repo: Repository, moto_tables: dict[str, str]
) -> None:
    moto_repo.put_staff(staff("A"))
    boto3.client("dynamodb", region_name="ap-southeast-1").update_item(
        TableName=moto_tables["ConfigTable"],
        Key={"pk": {"S": f"TENANT#{TENANT}"}, "sk": {"S": "STAFF#A"}},
        UpdateExpression="SET max_open_leads = :huge, #n = :empty",
        ExpressionAttributeNames={"#n": "name"},
        ExpressionAttributeValues={":huge": {"N": "1" + "0" * 30}, ":empty": {"S": ""}},
    )
    reply = call_as("GET", "/staff")
    assert reply.status == 200
    (member,) = reply.body["items"]
    assert member["name"] == "(unreadable)" and member["max_open_leads"] is None
