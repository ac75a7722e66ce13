"""Zalo OA: the OA webhook's events as Zalo posts them (fixtures shaped as its event documentation shows),
signed ``X-ZEvent-Signature: mac=sha256(app id + raw body + timestamp + OA secret key)``."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from leadrouter.data.repository import Repository
from tests.support.api import call_as, frozen_api_clock
from tests.support.platforms import (
    create_platform_source,
    fixture,
    fixture_json,
    health,
    post_hook,
    submissions,
)

APP_ID = "3482178216594085616"
OA_ID = "579745863508352884"
SECRET = "oa-secret-9Xq2LbT7"
#: The signature of user_submit_info.json as Zalo would send it, made outside Python:
#: { printf %s APP_ID; cat user_submit_info.json; printf %s 1796609730000; printf %s SECRET; } | sha256sum
KNOWN_MAC = "mac=d049be96fd74a40f90e5d47bc07df9d96e0be846889e3c416e3a254920a77f5a"

NOW = datetime(2026, 12, 7, 2, 15, 31, tzinfo=UTC)


def _source(**platform: Any) -> dict[str, Any]:
    return create_platform_source("zalo_oa", {"app_id": APP_ID, "oa_secret_key": SECRET, **platform})


def _signed(raw: bytes, secret: str = SECRET, timestamp: str | None = None) -> dict[str, str]:
    """The header Zalo sends with ``raw``: over the body's own timestamp unless one is given."""
    stamp = timestamp if timestamp is not None else str(json.loads(raw)["timestamp"])
    digest = hashlib.sha256(f"{APP_ID}{raw.decode()}{stamp}{secret}".encode()).hexdigest()
    return {"X-ZEvent-Signature": f"mac={digest}"}


def _everything(tables: dict[str, str]) -> dict[str, list[dict[str, Any]]]:
    """Every item of every table, for 'nothing was written' checks."""
    client = boto3.client("dynamodb", region_name="ap-southeast-1")
    return {name: client.scan(TableName=name)["Items"] for name in tables.values()}


def _written(before: dict[str, list[dict[str, Any]]], after: dict[str, list[dict[str, Any]]]) -> list[Any]:
    return [item for name, items in after.items() for item in items if item not in before[name]]


def test_a_signed_user_submit_info_is_one_lead_with_its_place_and_attribution(moto_repo: Repository) -> None:
    # Given a Zalo OA source set up with the app's id and its OA secret key
    created = _source()
    # When Zalo posts a follower's shared info, signed
    reply = post_hook(
        created["form_key"], fixture("zalo_oa", "user_submit_info.json"), {"X-ZEvent-Signature": KNOWN_MAC}
    )
    # Then it is answered 200 and becomes one lead: the contact, the place as fields, the user and OA ids
    assert reply.status == 200, reply.body
    (lead,) = list(moto_repo.tenant_leads("acme"))
    assert (lead.name, lead.phone, lead.email) == ("Trần Thị Bích Ngọc", "+84987654321", None)
    assert lead.attributes == {
        "address": "12 Nguyễn Văn Linh",
        "ward": "Phường Tân Phong",
        "district": "Quận 7",
        "city": "Thành phố Hồ Chí Minh",
        "zalo_user_id_by_app": "3216904426693862293",
        "submitted_at": "2026-12-07T02:15:30+00:00",
    }
    assert lead.attribution is not None
    touch = lead.attribution.first.model_dump(exclude_none=True, exclude={"at"})
    assert touch == {
        "lead_platform": "zalo",
        "platform_lead_id": "2512523625412515",
        "platform_account_id": OA_ID,
    }
    (record,) = submissions()
    assert record["status"] == "accepted" and record["lead_id"] == lead.lead_id
    assert SECRET not in json.dumps(record, ensure_ascii=False) and "d049be96" not in json.dumps(record)


def test_an_email_in_the_shared_info_is_the_leads_email(moto_repo: Repository) -> None:
    created = _source()
    event = fixture_json("zalo_oa", "user_submit_info.json")
    event["info"] = {"name": "Lê Văn Hùng", "email": "hung.le@example.vn"}
    raw = json.dumps(event, ensure_ascii=False).encode()
    # When the follower shared a name and an email, no phone
    assert post_hook(created["form_key"], raw, _signed(raw)).status == 200
    # Then the lead has that email
    (lead,) = list(moto_repo.tenant_leads("acme"))
    assert (lead.name, lead.phone, lead.email) == ("Lê Văn Hùng", None, "hung.le@example.vn")


def test_a_bad_or_missing_mac_is_refused_counted_and_nothing_else_is_written(
    moto_repo: Repository, moto_tables: dict[str, str]
) -> None:
    created = _source()
    source_id = created["source"]["source_id"]
    raw = fixture("zalo_oa", "user_submit_info.json")
    tampered = raw.replace(b"84987654321", b"84912000000")
    before = _everything(moto_tables)
    attempts = {
        "guessed": (raw, {"X-ZEvent-Signature": "mac=" + "0" * 64}),
        "missing": (raw, {}),
        "empty": (raw, {"X-ZEvent-Signature": "mac="}),
        "the app secret, not the OA's": (raw, _signed(raw, secret="app-secret-not-the-oa-key")),
        "another body under a real mac": (tampered, {"X-ZEvent-Signature": KNOWN_MAC}),
    }
    for name, (body, headers) in attempts.items():
        # When a delivery comes with a wrong mac, or none
        reply = post_hook(created["form_key"], body, headers)
        # Then it is refused
        assert reply.status == 401, (name, reply.body)
    # ...no lead and no submission exist, and the only write is the source's health, which counts them all
    assert list(moto_repo.tenant_leads("acme")) == [] and submissions() == []
    written = _written(before, _everything(moto_tables))
    assert [i["sk"]["S"] for i in written] == [f"SOURCEHEALTH#{source_id}"]
    seen = health(source_id)
    assert seen["refused"] == len(attempts) and "X-ZEvent-Signature" in seen["last_refusal"]


def test_a_delivery_zalo_sends_again_even_hours_later_is_one_lead(
    moto_repo: Repository, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = frozen_api_clock(monkeypatch, NOW)
    created = _source()
    raw = fixture("zalo_oa", "user_submit_info.json")
    replies = []
    # When Zalo posts the same event again and again (it resends for hours what was not answered in time)
    for later in (timedelta(0), timedelta(seconds=1), timedelta(hours=3)):
        clock["now"] = NOW + later
        replies.append(post_hook(created["form_key"], raw, {"X-ZEvent-Signature": KNOWN_MAC}))
    # Then every copy is answered 200, and there is one lead and one submission (the event is its id)
    assert [r.status for r in replies] == [200, 200, 200]
    assert len(list(moto_repo.tenant_leads("acme"))) == 1
    assert len(submissions()) == 1


def test_other_events_are_answered_200_and_neither_stored_nor_a_lead(
    moto_repo: Repository, moto_tables: dict[str, str]
) -> None:
    created = _source()
    before = _everything(moto_tables)
    # When Zalo posts a chat message and a follow, signed, and its console probes the URL with an unsigned {}
    for name in ("user_send_text.json", "follow.json"):
        raw = fixture("zalo_oa", name)
        reply = post_hook(created["form_key"], raw, _signed(raw))
        assert reply.status == 200, (name, reply.body)
    probe = post_hook(created["form_key"], b"{}")
    # Then each is answered 200 and nothing at all is written: no submission, no lead, no health note
    assert probe.status == 200, probe.body
    assert _written(before, _everything(moto_tables)) == []
    assert submissions() == [] and list(moto_repo.tenant_leads("acme")) == []


def test_another_event_still_needs_its_signature(moto_repo: Repository) -> None:
    created = _source()
    raw = fixture("zalo_oa", "user_send_text.json")
    # When a chat message comes unsigned
    reply = post_hook(created["form_key"], raw)
    # Then it is refused and counted like any unsigned delivery
    assert reply.status == 401, reply.body
    assert health(created["source"]["source_id"])["refused"] == 1


def test_a_digest_over_the_timestamp_header_is_accepted_too(moto_repo: Repository) -> None:
    # Given an event signed over an X-ZEvent-Timestamp header rather than the body's timestamp
    created = _source()
    raw = fixture("zalo_oa", "user_submit_info.json")
    headers = {**_signed(raw, timestamp="1796609731234"), "X-ZEvent-Timestamp": "1796609731234"}
    # When it is posted
    reply = post_hook(created["form_key"], raw, headers)
    # Then it is let in; the same digest without the header is not
    assert reply.status == 200, reply.body
    assert len(list(moto_repo.tenant_leads("acme"))) == 1
    alone = {"X-ZEvent-Signature": headers["X-ZEvent-Signature"]}
    assert post_hook(created["form_key"], raw, alone).status == 401


def test_an_event_for_another_oa_is_refused_when_the_source_names_its_oa(moto_repo: Repository) -> None:
    created = _source(oa_id="1111111111111111111")
    raw = fixture("zalo_oa", "user_submit_info.json")
    # When a correctly signed event for OA 579745863508352884 reaches a source set to another OA
    reply = post_hook(created["form_key"], raw, {"X-ZEvent-Signature": KNOWN_MAC})
    # Then it is refused, counted, and no lead exists
    assert reply.status == 401, reply.body
    assert health(created["source"]["source_id"])["last_refusal"].startswith("oa_id:")
    assert list(moto_repo.tenant_leads("acme")) == [] and submissions() == []
    # ...while a source set to that OA takes it
    own = _source(oa_id=OA_ID)
    assert post_hook(own["form_key"], raw, {"X-ZEvent-Signature": KNOWN_MAC}).status == 200


def test_shared_info_without_a_phone_or_email_is_stored_and_listed_not_a_lead(moto_repo: Repository) -> None:
    created = _source()
    event = fixture_json("zalo_oa", "user_submit_info.json")
    event["info"] = {"name": "Phạm Minh Châu", "city": "Đà Nẵng"}
    raw = json.dumps(event, ensure_ascii=False).encode()
    # When the follower shared only a name and a city
    reply = post_hook(created["form_key"], raw, _signed(raw))
    # Then Zalo is answered 200 (it keeps no copy to fix), and the delivery is listed as rejected
    assert reply.status == 200, reply.body
    (record,) = submissions()
    assert record["status"] == "rejected"
    assert list(moto_repo.tenant_leads("acme")) == []


def test_the_oa_secret_key_is_write_only_required_and_kept_when_an_edit_leaves_it_out(
    moto_repo: Repository,
) -> None:
    # Given a source created with its OA secret key: the answer names the webhook URL and never the key
    created = _source()
    source = created["source"]
    assert created["webhook_url"].endswith(f"/hooks/{created['form_key']}")
    assert source["platform"] == {"kind": "zalo_oa", "app_id": APP_ID}
    assert source["platform_secrets_set"] == ["oa_secret_key"]
    assert SECRET not in json.dumps(call_as("GET", "/form-sources").body)
    # When an admin edits the settings (naming the OA) without the key
    edit = {"rev": source["rev"], "platform": {"kind": "zalo_oa", "app_id": APP_ID, "oa_id": OA_ID}}
    edited = call_as("PATCH", f"/form-sources/{source['source_id']}", edit)
    assert edited.status == 200, edited.body
    assert SECRET not in json.dumps(edited.body)
    # Then the stored key still opens Zalo's deliveries
    raw = fixture("zalo_oa", "user_submit_info.json")
    assert post_hook(created["form_key"], raw, {"X-ZEvent-Signature": KNOWN_MAC}).status == 200
    # ...and a source cannot be created without the key or the app id
    for platform, missing in (
        ({"kind": "zalo_oa", "app_id": APP_ID}, "platform.oa_secret_key"),
        ({"kind": "zalo_oa", "oa_secret_key": SECRET}, "app_id"),
    ):
        body = {"name": "Z", "pool": "web", "kind": "zalo_oa", "platform": platform}
        refused = call_as("POST", "/form-sources", body)
        assert refused.status == 422 and missing in json.dumps(refused.body), refused.body
