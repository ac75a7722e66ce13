"""TikTok Lead Generation: deliveries as TikTok posts them (the envelope of its webhooks documentation,
``content`` a JSON string), signed in ``TikTok-Signature`` as its verification documentation says."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
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

SECRET = "tt-client-secret-9c1e0b"


def signed(raw: bytes, secret: str = SECRET, at: int | None = None) -> dict[str, str]:
    """The header TikTok sends: ``t=<unix seconds>,s=<hex HMAC-SHA256 of "<t>.<body>">``."""
    t = str(int(time.time()) if at is None else at)
    digest = hmac.new(secret.encode(), t.encode() + b"." + raw, hashlib.sha256).hexdigest()
    return {"TikTok-Signature": f"t={t},s={digest}"}


def reserialized(raw: bytes) -> bytes:
    """The same delivery with its content serialized another way (keys sorted, ASCII escapes): other
    bytes, the same lead."""
    body = json.loads(raw)
    body["content"] = json.dumps(json.loads(body["content"]), sort_keys=True)
    again = json.dumps(body).encode()
    assert again != raw
    return again


def _source(**settings: Any) -> dict[str, Any]:
    return create_platform_source("tiktok", {"client_secret": SECRET, **settings})


def test_a_signed_lead_is_one_lead_with_its_answers_and_attribution(moto_repo: Repository) -> None:
    # Given a TikTok source holding the app's client secret
    created = _source()
    raw = fixture("tiktok", "lead.json")
    # When TikTok posts a lead, signed with that secret
    reply = post_hook(created["form_key"], raw, signed(raw))
    # Then it is answered 200 at once and becomes one lead: the contact, the other answers, attribution
    assert (reply.status, reply.body) == (200, {"ok": True})
    (lead,) = list(moto_repo.tenant_leads("acme"))
    assert (lead.name, lead.phone, lead.email) == ("Trần Thị Bích", "+84987654321", "bich.tran@example.vn")
    assert lead.attributes == {
        "Bạn quan tâm gói nào?": "Gói doanh nghiệp",
        "Khu vực": "Hà Nội, Hải Phòng",
        "create_time": "2025-12-07T02:15:30+00:00",
    }
    assert lead.attribution is not None
    touch = lead.attribution.first.model_dump(exclude_none=True, exclude={"at"})
    assert touch == {
        "campaign_id": "1785000000000000001",
        "ad_group_id": "1785000000000000002",
        "ad_id": "1785000000000000003",
        "form_id": "7305000000000000004",
        "lead_platform": "tiktok",
        "platform_lead_id": "7311234567890123456",
        "platform_account_id": "7012345678901234567",
    }
    # ...and the delivery is stored as it came, under TikTok's lead id, without the secret
    (record,) = submissions()
    assert record["status"] == "accepted" and SECRET not in json.dumps(record, ensure_ascii=False)


def test_a_wrong_missing_or_malformed_signature_is_refused_counted_and_nothing_else_is_written(
    moto_repo: Repository, moto_tables: dict[str, str]
) -> None:
    created = _source()
    source_id = created["source"]["source_id"]
    before = config_items(moto_tables)
    raw = fixture("tiktok", "lead.json")
    tampered = raw.replace(b"Tr\xe1\xba\xa7n", b"Tran")
    assert tampered != raw
    deliveries = [
        (raw, signed(raw, secret="guessed")),  # signed with another secret
        (raw, {}),  # not signed
        (tampered, signed(raw)),  # changed after it was signed
        (raw, {"TikTok-Signature": signed(raw)["TikTok-Signature"].replace("t=", "ts=")}),  # no t=
        (raw, {"TikTok-Signature": f"t={int(time.time())}"}),  # no s=
    ]
    for body, headers in deliveries:
        # When a delivery comes with a signature that does not prove the secret
        reply = post_hook(created["form_key"], body, headers)
        # Then it is refused, and names the header
        assert reply.status == 401, reply.body
        assert reply.body["errors"][0]["field"] == "tiktok-signature"
    # ...no lead and no submission exist, and the only write is the source's health, which counts each
    assert list(moto_repo.tenant_leads("acme")) == [] and submissions() == []
    after = config_items(moto_tables)
    assert [i for i in after if i not in before] == [
        i for i in after if i["sk"]["S"] == f"SOURCEHEALTH#{source_id}"
    ]
    seen = health(source_id)
    assert seen["refused"] == len(deliveries) and "tiktok-signature" in seen["last_refusal"]


def test_a_delivery_tiktok_sends_again_is_one_lead(moto_repo: Repository) -> None:
    created = _source()
    raw = fixture("tiktok", "lead.json")
    # When TikTok delivers the same lead again ("at least once"): as it was, signed anew, and with its
    # content serialized another way (other bytes: only the lead's id says it is the same lead)
    again = reserialized(raw)
    replies = [
        post_hook(created["form_key"], raw, signed(raw)),
        post_hook(created["form_key"], raw, signed(raw, at=int(time.time()) + 7)),
        post_hook(created["form_key"], again, signed(again)),
    ]
    # Then every copy is answered 200 and there is one lead, one submission
    assert [r.status for r in replies] == [200, 200, 200]
    assert len(list(moto_repo.tenant_leads("acme"))) == 1
    assert len(submissions()) == 1


def test_an_event_that_is_not_a_lead_is_answered_200_and_stored_as_a_test(moto_repo: Repository) -> None:
    created = _source()
    # When TikTok posts an event that carries no lead (its documented authorization.removed)
    raw = fixture("tiktok", "authorization_removed.json")
    replies = [post_hook(created["form_key"], raw, signed(raw)) for _ in range(2)]
    # Then it is answered 200 (TikTok would retry anything else), stored once as a test, no lead made
    assert [r.status for r in replies] == [200, 200]
    (record,) = submissions()
    assert record["status"] == "test" and "authorization.removed" in record["reason"]
    assert list(moto_repo.tenant_leads("acme")) == []


def test_a_forms_own_question_names_map_by_the_sources_field_map(moto_repo: Repository) -> None:
    # Given a source whose field map names the form's own questions
    created = _source(field_map={"Ho_Ten": "name", "so_dien_thoai": "phone"})
    assert created["source"]["platform"]["field_map"] == {"Ho_Ten": "name", "so_dien_thoai": "phone"}
    raw = fixture("tiktok", "lead_flat.json")
    # When a lead comes with its answers as flat keys of the content
    assert post_hook(created["form_key"], raw, signed(raw)).status == 200
    # Then they are mapped by it (case-insensitively), the unmapped answer is a field, the ids attribution
    (lead,) = list(moto_repo.tenant_leads("acme"))
    assert (lead.name, lead.phone, lead.email) == ("Lê Văn Cường", "+84909123456", None)
    assert lead.attributes == {"ngan_sach": "2 tỷ", "create_time": "2025-12-07T02:15:31+00:00"}
    assert lead.attribution is not None
    assert lead.attribution.first.form_id == "7305000000000000004"
    assert lead.attribution.first.platform_lead_id == "7311234567890999999"


def test_answers_are_read_wherever_the_content_holds_them(moto_repo: Repository) -> None:
    # Given a lead whose content nests its ids and answers (TikTok does not document where they sit),
    # names the person by first and last name, and leaves a question unanswered
    content = {
        "meta_data": {"lead_id": 7311234567890123457, "ad_id": 1785000000000000003, "campaign_name": "Tết"},
        "lead_data": {"first_name": "Bích", "last_name": "Trần", "phone_number": "0987 654 321"},
        "answers": [{"name": "email", "value": ""}, {"name": "Sản phẩm", "values": ["A", "B"]}],
    }
    envelope = {**fixture_json("tiktok", "lead.json"), "content": json.dumps(content, ensure_ascii=False)}
    raw = json.dumps(envelope, ensure_ascii=False).encode()
    created = _source()
    # When it is delivered
    assert post_hook(created["form_key"], raw, signed(raw)).status == 200
    # Then the contact, the other answers and the ids (int64 kept exactly) are all found
    (lead,) = list(moto_repo.tenant_leads("acme"))
    assert (lead.name, lead.phone, lead.email) == ("Bích Trần", "+84987654321", None)
    assert lead.attributes == {
        "campaign_name": "Tết",
        "Sản phẩm": "A, B",
        "create_time": "2025-12-07T02:15:31+00:00",
    }
    assert lead.attribution is not None
    assert lead.attribution.first.platform_lead_id == "7311234567890123457"
    assert lead.attribution.first.ad_id == "1785000000000000003"


def test_a_lead_the_field_map_misses_is_rejected_then_replayed_once_the_map_is_fixed(
    moto_repo: Repository,
) -> None:
    # Given a source with the default field map, and a form whose questions it does not know
    created = _source()
    source = created["source"]
    raw = fixture("tiktok", "lead_flat.json")
    # When the lead arrives: TikTok is answered 200 (it keeps no copy), the delivery listed as rejected
    assert post_hook(created["form_key"], raw, signed(raw)).status == 200
    (rejected,) = submissions()
    assert rejected["status"] == "rejected" and list(moto_repo.tenant_leads("acme")) == []
    # When the admin fixes the field map and replays it
    fixed = {"kind": "tiktok", "field_map": {"ho_ten": "name", "so_dien_thoai": "phone"}}
    edit = call_as("PATCH", f"/form-sources/{source['source_id']}", {"rev": source["rev"], "platform": fixed})
    assert edit.status == 200, edit.body
    replayed = call_as("POST", f"/intake/submissions/{rejected['submission_id']}/replay")
    # Then it becomes its one lead, with nothing to release (a webhook has no page checks), once
    assert replayed.status == 200, replayed.body
    assert replayed.body["unverified_checks"] == []
    (lead,) = list(moto_repo.tenant_leads("acme"))
    assert (lead.name, lead.phone) == ("Lê Văn Cường", "+84909123456")
    assert call_as("POST", f"/intake/submissions/{rejected['submission_id']}/replay").status == 409


def test_an_old_signature_is_refused_only_when_the_source_sets_a_window(moto_repo: Repository) -> None:
    raw = fixture("tiktok", "lead.json")
    an_hour_ago = int(time.time()) - 3600
    # Given one source with no window (the default: TikTok does not say its retries are signed anew)
    lenient = _source()
    # ...and one that refuses signatures more than 5 minutes from now
    strict = _source(max_signature_age_seconds=300)
    # When each gets a delivery signed an hour ago
    old_to_strict = post_hook(strict["form_key"], raw, signed(raw, at=an_hour_ago))
    old_to_lenient = post_hook(lenient["form_key"], raw, signed(raw, at=an_hour_ago))
    # Then the strict source refuses it and counts it; the other takes it
    assert old_to_strict.status == 401 and "too old" in old_to_strict.body["message"]
    assert health(strict["source"]["source_id"])["refused"] == 1
    assert old_to_lenient.status == 200
    # ...and the strict source takes the same delivery signed just now
    assert post_hook(strict["form_key"], raw, signed(raw)).status == 200


def test_the_client_secret_is_write_only_required_and_kept_when_an_edit_leaves_it_out(
    moto_repo: Repository,
) -> None:
    # Given a source created with its client secret: the answer names the URL and never the secret
    created = _source()
    source = created["source"]
    assert created["webhook_url"].endswith(f"/hooks/{created['form_key']}")
    assert source["platform_secrets_set"] == ["client_secret"]
    assert "client_secret" not in source["platform"] and source["platform"]["kind"] == "tiktok"
    assert SECRET not in json.dumps(call_as("GET", "/form-sources").body)
    assert SECRET not in json.dumps(call_as("GET", f"/form-sources/{source['source_id']}").body)
    # When an admin edits the source's settings without the secret
    edit = {"rev": source["rev"], "platform": {"kind": "tiktok"}}
    edited = call_as("PATCH", f"/form-sources/{source['source_id']}", edit)
    assert edited.status == 200, edited.body
    # Then the stored secret still verifies TikTok's deliveries
    raw = fixture("tiktok", "lead.json")
    assert post_hook(created["form_key"], raw, signed(raw)).status == 200
    # ...and a source cannot be created without it
    missing = call_as(
        "POST",
        "/form-sources",
        {"name": "T", "pool": "web", "kind": "tiktok", "platform": {"kind": "tiktok"}},
    )
    assert missing.status == 422 and "platform.client_secret" in json.dumps(missing.body)
    # ...nor with a field map that names no contact field
    wrong_map = {"kind": "tiktok", "client_secret": SECRET, "field_map": {"ho_ten": "address"}}
    bad = call_as(
        "POST", "/form-sources", {"name": "T", "pool": "web", "kind": "tiktok", "platform": wrong_map}
    )
    assert bad.status == 422, bad.body
