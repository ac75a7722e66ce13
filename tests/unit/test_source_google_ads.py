"""Google Ads lead forms: the webhook as Google posts it (fixtures shaped as its documentation shows)."""

from __future__ import annotations

import json
from typing import Any

from leadrouter.data.repository import Repository
from tests.support.api import call_as, config_items
from tests.support.platforms import (
    create_platform_source,
    fixture,
    fixture_json,
    health,
    post_hook,
    submissions,
)

KEY = "g-key-2f6c1a"


def _source() -> dict[str, Any]:
    return create_platform_source("google_ads", {"google_key": KEY})


def test_a_lead_with_the_right_key_is_one_lead_with_its_columns_and_attribution(
    moto_repo: Repository,
) -> None:
    # Given a Google Ads source whose key is the one typed in Google Ads
    created = _source()
    # When Google posts a lead
    reply = post_hook(created["form_key"], fixture("google_ads", "lead.json"))
    # Then it is answered 200 at once and becomes one lead: contact, the other columns, attribution
    assert reply.status == 200, reply.body
    (lead,) = list(moto_repo.tenant_leads("acme"))
    assert (lead.name, lead.phone, lead.email) == ("Nguyễn Văn An", "+84912345678", "an.nguyen@example.vn")
    assert lead.attributes == {
        "QUESTION_1": "Căn hộ Thủ Đức",
        "Ngân sách": "3 tỷ",
        "lead_submit_time": "2026-12-07 09:15:30+07:00",
    }
    assert lead.attribution is not None
    touch = lead.attribution.first.model_dump(exclude_none=True, exclude={"at"})
    assert touch == {
        "gclid": "EAIaIQobChMI0000000001",
        "campaign_id": "20000000001",
        "form_id": "40000000001",
        "ad_group_id": "20000000002",
        "creative_id": "30000000003",
        "asset_group_id": "60000000004",
        "lead_platform": "google_ads",
        "platform_lead_id": "Cj0KCQiA-lead-000000000001",
    }
    # ...and the key Google sent is not stored with the delivery
    (record,) = submissions()
    assert record["status"] == "accepted" and KEY not in json.dumps(record, ensure_ascii=False)


def test_a_wrong_or_missing_key_is_refused_counted_and_nothing_else_is_written(
    moto_repo: Repository, moto_tables: dict[str, str]
) -> None:
    created = _source()
    source_id = created["source"]["source_id"]
    before = config_items(moto_tables)
    body = fixture_json("google_ads", "lead.json")
    for sent in ({**body, "google_key": "guessed"}, {k: v for k, v in body.items() if k != "google_key"}):
        # When a delivery comes with a wrong key, or none
        reply = post_hook(created["form_key"], json.dumps(sent).encode())
        # Then it is refused
        assert reply.status == 401, reply.body
    # ...no lead and no submission exist, and the only write is the source's health, which counts both
    assert list(moto_repo.tenant_leads("acme")) == [] and submissions() == []
    after = config_items(moto_tables)
    assert [i for i in after if i not in before] == [
        i for i in after if i["sk"]["S"] == f"SOURCEHEALTH#{source_id}"
    ]
    seen = health(source_id)
    assert seen["refused"] == 2 and "google_key" in seen["last_refusal"]


def test_a_delivery_google_retries_is_one_lead(moto_repo: Repository) -> None:
    created = _source()
    raw = fixture("google_ads", "lead.json")
    # When Google posts the same lead three times (it retries what it thinks failed)
    replies = [post_hook(created["form_key"], raw) for _ in range(3)]
    # Then every copy is answered 200 and there is one lead, one submission
    assert [r.status for r in replies] == [200, 200, 200]
    assert len(list(moto_repo.tenant_leads("acme"))) == 1
    assert len(submissions()) == 1


def test_googles_send_test_data_is_stored_as_a_test_and_never_becomes_a_lead(moto_repo: Repository) -> None:
    created = _source()
    # When Google's "send test data" arrives (no columns, an empty key), and a test lead with the key
    test_data = post_hook(created["form_key"], fixture("google_ads", "send_test_data.json"))
    keyed = {**fixture_json("google_ads", "lead.json"), "is_test": True, "lead_id": "test-with-key"}
    keyed_test = post_hook(created["form_key"], json.dumps(keyed).encode())
    # Then both are answered 200, stored as tests, and no lead exists
    assert (test_data.status, keyed_test.status) == (200, 200)
    assert sorted(r["status"] for r in submissions()) == ["test", "test"]
    assert list(moto_repo.tenant_leads("acme")) == []


def test_the_key_is_write_only_required_and_kept_when_an_edit_leaves_it_out(moto_repo: Repository) -> None:
    # Given a source created with its key: the answer names the webhook URL and never the key
    created = _source()
    source = created["source"]
    assert created["webhook_url"].endswith(f"/hooks/{created['form_key']}")
    assert source["platform"] == {"kind": "google_ads"} and source["platform_secrets_set"] == ["google_key"]
    assert KEY not in json.dumps(call_as("GET", "/form-sources").body)
    # When an admin edits the source's settings without the key
    edit = {"rev": source["rev"], "platform": {"kind": "google_ads"}}
    edited = call_as("PATCH", f"/form-sources/{source['source_id']}", edit)
    assert edited.status == 200, edited.body
    # Then the stored key still opens Google's deliveries
    assert post_hook(created["form_key"], fixture("google_ads", "lead.json")).status == 200
    # ...and a source cannot be created without its key, nor with another kind's settings
    missing = call_as(
        "POST",
        "/form-sources",
        {"name": "G", "pool": "web", "kind": "google_ads", "platform": {"kind": "google_ads"}},
    )
    assert missing.status == 422 and "platform.google_key" in json.dumps(missing.body)
    web_form = call_as(
        "POST",
        "/form-sources",
        {"name": "G", "pool": "web", "platform": {"kind": "google_ads", "google_key": KEY}},
    )
    assert web_form.status == 422 and "platform" in json.dumps(web_form.body)
