"""Any other system's webhook (Zapier, Make, n8n, Getfly, another CRM): its body read by the source's
JMESPath mapping, its signature checked as the source says (fixtures shaped as the senders send)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable
from typing import Any

import pytest

from leadrouter.data.repository import Repository
from leadrouter.logic.intake.adapters.json_webhook import nested
from tests.support.api import call_as, config_items
from tests.support.platforms import (
    create_platform_source,
    fixture,
    fixture_json,
    health,
    post_hook,
    submissions,
)

SECRET = "whk-secret-5b9e2d7a"
GETFLY_KEY = "gf-hook-7d1e5c"
URLENCODED = "application/x-www-form-urlencoded"

#: Getfly's JSON webhook, as a tenant maps it (``uid`` is Getfly's id for the request).
GETFLY_MAPPING = {
    "name": "data.fullname",
    "phone": "data.phone",
    "email": "data.email",
    "sender_id": "uid",
    "fields": {"getfly_account": "data.account_code", "nguon": "data.account_source"},
    "attribution": {
        "utm_source": "data.utm.source",
        "utm_medium": "data.utm.medium",
        "utm_campaign": "data.utm.campaign",
        "lead_platform": "'getfly'",
        "platform_lead_id": "to_string(data.account_id)",
    },
}
#: A Zap's POST: the name joined from two fields, a multi-choice answer, the step from the sender.
ZAPIER_MAPPING = {
    "name": "join(' ', [lead.first_name, lead.last_name])",
    "phone": "lead.phone_number",
    "email": "lead.email",
    "sender_id": "id",
    "step": "pipeline.stage",
    "fields": {"du_an": "answers.project", "ngan_sach": "answers.budget", "quan_tam": "answers.interests"},
    "attribution": {
        "utm_source": "tracking.utm_source",
        "utm_medium": "tracking.utm_medium",
        "gclid": "tracking.gclid",
        "landing_url": "tracking.landing_url",
        "lead_platform": "'zapier'",
    },
}
#: Getfly's form-encoded webhook (``data[...]`` names, its key in ``secret_key``).
GETFLY_FORM_MAPPING = {
    "name": "data.account_name",
    "phone": "data.phone_office",
    "email": "data.email",
    "sender_id": "uid",
    "fields": {"du_an": "data.custom_fields.du_an", "the": "data.tags"},
    "attribution": {"lead_platform": "'getfly'", "platform_lead_id": "data.account_id"},
}
SHA256_HEX = {"algorithm": "hmac-sha256", "header": "X-Signature-256", "prefix": "sha256="}
GETFLY_TOKEN = {"algorithm": "token", "body_field": "secret_key"}
#: The headers a sender adds to a body it signs.
Signing = Callable[[bytes], dict[str, str]]


def _source(
    mapping: dict[str, Any], signature: dict[str, Any] | None = None, **fields: Any
) -> dict[str, Any]:
    platform: dict[str, Any] = {"mapping": mapping}
    if signature is not None:
        platform |= {"signature": signature, "secret": SECRET if signature != GETFLY_TOKEN else GETFLY_KEY}
    return create_platform_source("json_webhook", platform, **fields)


def _hmac(raw: bytes, digest: Any = hashlib.sha256) -> str:
    return hmac.new(SECRET.encode(), raw, digest).hexdigest()


def test_a_getfly_like_json_delivery_is_one_lead_with_its_mapped_fields_and_attribution(
    moto_repo: Repository,
) -> None:
    # Given a source mapping Getfly's JSON, with no signature check (the URL's key alone)
    created = _source(GETFLY_MAPPING)
    # When Getfly posts a new customer
    reply = post_hook(created["form_key"], fixture("json_webhook", "getfly_customer.json"))
    # Then it is answered 200 and becomes one lead: contact, the mapped fields, attribution
    assert reply.status == 200, reply.body
    (lead,) = list(moto_repo.tenant_leads("acme"))
    assert (lead.name, lead.phone, lead.email) == ("Trần Thị Bình", "+84987654321", "binh.tran@example.vn")
    assert lead.attributes == {"getfly_account": "KH10462", "nguon": "Facebook Ads"}
    assert lead.attribution is not None
    assert lead.attribution.first.model_dump(exclude_none=True, exclude={"at"}) == {
        "utm_source": "facebook",
        "utm_medium": "cpc",
        "utm_campaign": "can-ho-thu-duc-t12",
        "lead_platform": "getfly",
        "platform_lead_id": "10462",
    }
    (record,) = submissions()
    assert record["status"] == "accepted" and record["channel"] == "json_webhook"


def test_a_signed_zapier_like_delivery_is_one_lead_in_the_step_it_names(moto_repo: Repository) -> None:
    # Given a source that maps a Zap's body and checks its HMAC-SHA256 (hex, after "sha256=")
    created = _source(ZAPIER_MAPPING, SHA256_HEX, steps=["hot"])
    raw = fixture("json_webhook", "zapier_lead.json")
    # When the Zap posts a lead signed with the shared secret
    reply = post_hook(created["form_key"], raw, {"X-Signature-256": "sha256=" + _hmac(raw)})
    # Then it is one lead: the name joined, the list answer joined, the step and attribution mapped
    assert reply.status == 200, reply.body
    (lead,) = list(moto_repo.tenant_leads("acme"))
    assert (lead.name, lead.phone, lead.email) == ("Lê Minh Châu", "+84912345678", "chau.le@example.vn")
    assert lead.step == "hot"
    assert lead.attributes == {
        "du_an": "Căn hộ Thủ Đức",
        "ngan_sach": "3 tỷ",
        "quan_tam": "2 phòng ngủ, view sông",
    }
    assert lead.attribution is not None
    assert lead.attribution.first.model_dump(exclude_none=True, exclude={"at"}) == {
        "utm_source": "zalo",
        "utm_medium": "oa",
        "gclid": "EAIaIQobChMI0000000042",
        "landing_url": "https://landing.example.vn/thu-duc?utm_source=zalo",
        "lead_platform": "zapier",
    }


def test_a_form_encoded_getfly_delivery_is_nested_mapped_and_its_key_is_never_stored(
    moto_repo: Repository,
) -> None:
    # Given a source reading Getfly's form-encoded webhook, its key checked in the body's secret_key
    created = _source(GETFLY_FORM_MAPPING, GETFLY_TOKEN)
    # When Getfly posts data[account_name]=…&data[phone_office]=…&secret_key=…
    raw = fixture("json_webhook", "getfly_customer.urlencoded")
    reply = post_hook(created["form_key"], raw, content_type=URLENCODED)
    # Then the bracketed names are read as nested objects: one lead with its fields
    assert reply.status == 200, reply.body
    (lead,) = list(moto_repo.tenant_leads("acme"))
    assert (lead.name, lead.phone, lead.email) == ("Phạm Văn Dũng", "+84903123456", "dung.pham@example.vn")
    assert lead.attributes == {"du_an": "Vinhomes Grand Park", "the": "zalo, hot"}
    assert lead.attribution is not None
    touch = lead.attribution.first.model_dump(exclude_none=True, exclude={"at"})
    assert touch == {"lead_platform": "getfly", "platform_lead_id": "10463"}
    # ...stored nested, without the key Getfly sent
    (record,) = submissions()
    stored = json.loads(dict(record["fields"])["body"])
    assert (
        stored["data"]["tags"] == ["zalo", "hot"] and stored["uid"] == "6b1c0f7e-3a52-4d8e-9a71-0c2f9d4e8b15"
    )
    assert "secret_key" not in stored and GETFLY_KEY not in json.dumps(record, ensure_ascii=False)


SIGNATURES = {
    "HMAC-SHA256 hex after sha256=": (
        SHA256_HEX,
        lambda raw: {"X-Signature-256": "sha256=" + _hmac(raw)},
        lambda raw: {"X-Signature-256": "sha256=" + _hmac(raw + b" ")},
    ),
    "HMAC-SHA1 base64 of timestamp.body": (
        {
            "algorithm": "hmac-sha1",
            "header": "X-Webhook-Signature",
            "signed": "timestamp.body",
            "timestamp_header": "X-Webhook-Timestamp",
            "encoding": "base64",
        },
        lambda raw: {
            "X-Webhook-Timestamp": "1796610930",
            "X-Webhook-Signature": base64.b64encode(
                hmac.new(SECRET.encode(), b"1796610930." + raw, hashlib.sha1).digest()
            ).decode(),
        },
        lambda raw: {  # signed for another timestamp than the one sent
            "X-Webhook-Timestamp": "1796610931",
            "X-Webhook-Signature": base64.b64encode(
                hmac.new(SECRET.encode(), b"1796610930." + raw, hashlib.sha1).digest()
            ).decode(),
        },
    ),
    "a shared token after Bearer": (
        {"algorithm": "token", "header": "Authorization", "prefix": "Bearer "},
        lambda raw: {"Authorization": f"Bearer {SECRET}"},
        lambda raw: {"Authorization": f"Bearer {SECRET[:-1]}"},
    ),
}


@pytest.mark.parametrize(("check", "good", "bad"), SIGNATURES.values(), ids=SIGNATURES.keys())
def test_a_wrong_or_missing_signature_is_refused_counted_and_nothing_else_is_written(
    moto_repo: Repository, moto_tables: dict[str, str], check: dict[str, Any], good: Signing, bad: Signing
) -> None:
    # Given a source checking deliveries as configured
    created = _source(GETFLY_MAPPING, check)
    source_id = created["source"]["source_id"]
    raw = fixture("json_webhook", "getfly_customer.json")
    before = config_items(moto_tables)
    # When a delivery comes with a wrong signature, or none
    unsigned: dict[str, str] = {}
    for headers in (bad(raw), unsigned):
        reply = post_hook(created["form_key"], raw, headers)
        # Then it is refused
        assert reply.status == 401, reply.body
    # ...no lead and no submission exist, and the only write is the source's health, which counts both
    assert list(moto_repo.tenant_leads("acme")) == [] and submissions() == []
    after = config_items(moto_tables)
    assert [i for i in after if i not in before] == [
        i for i in after if i["sk"]["S"] == f"SOURCEHEALTH#{source_id}"
    ]
    seen = health(source_id)
    named = {check["header"], check.get("timestamp_header")}
    assert seen["refused"] == 2 and seen["last_refusal"].split(":")[0] in named
    # ...while the same delivery rightly signed is one lead
    assert post_hook(created["form_key"], raw, good(raw)).status == 200
    assert len(list(moto_repo.tenant_leads("acme"))) == 1


def test_a_wrong_key_in_getflys_body_is_refused_and_not_stored(moto_repo: Repository) -> None:
    created = _source(GETFLY_FORM_MAPPING, GETFLY_TOKEN)
    raw = fixture("json_webhook", "getfly_customer.urlencoded").replace(b"gf-hook-7d1e5c", b"gf-hook-guess")
    reply = post_hook(created["form_key"], raw, content_type=URLENCODED)
    assert reply.status == 401 and "secret_key" in json.dumps(reply.body)
    assert submissions() == [] and health(created["source"]["source_id"])["refused"] == 1


def test_a_delivery_retried_with_the_same_sender_id_is_one_lead(moto_repo: Repository) -> None:
    # Given a source that takes Getfly's uid as the sender's id
    created = _source(GETFLY_MAPPING)
    body = fixture_json("json_webhook", "getfly_customer.json")
    # When Getfly sends the same customer three times, a retry with a field the mapping does not read
    copies = [body, body, {**body, "sent_at": "2026-12-07T09:20:00+07:00"}]
    replies = [post_hook(created["form_key"], json.dumps(copy).encode()) for copy in copies]
    # Then every copy is answered 200 and there is one lead, one submission
    assert [r.status for r in replies] == [200, 200, 200]
    assert len(list(moto_repo.tenant_leads("acme"))) == 1 and len(submissions()) == 1
    # ...while another uid for the same content is a delivery of its own (the same person: linked)
    other = post_hook(created["form_key"], json.dumps({**body, "uid": "another-request"}).encode())
    assert other.status == 200
    assert len({r["submission_id"] for r in submissions()}) == 2


def test_an_expression_that_fails_on_a_delivery_rejects_it_listed_naming_the_mapping(
    moto_repo: Repository,
) -> None:
    # Given a mapping whose expression fails on this body (length() of a number)
    created = _source({**GETFLY_MAPPING, "fields": {"so_ky_tu": "length(data.account_id)"}})
    # When Getfly posts
    reply = post_hook(created["form_key"], fixture("json_webhook", "getfly_customer.json"))
    # Then it is stored and answered 200 (Getfly keeps no copy), rejected and listed for the admin
    assert reply.status == 200, reply.body
    (record,) = submissions()
    assert record["status"] == "rejected" and list(moto_repo.tenant_leads("acme")) == []
    assert "mapping.fields.so_ky_tu" in json.dumps(record["answer"])


@pytest.mark.parametrize(
    ("mapping", "signature", "named"),
    [
        ({**GETFLY_MAPPING, "phone": "data[phone]"}, None, "mapping.phone"),
        ({**GETFLY_MAPPING, "fields": {"nguon": "data.source.("}}, None, "mapping.fields.nguon"),
        ({**GETFLY_MAPPING, "sender_id": "uuid_of(uid)"}, None, "mapping.sender_id"),
        ({**GETFLY_MAPPING, "attribution": {"utm_sauce": "data.utm.source"}}, None, "mapping.attribution"),
        ({"name": "data.fullname"}, None, "mapping"),
        (GETFLY_MAPPING, {"algorithm": "hmac-sha256"}, "signature"),
        (GETFLY_MAPPING, {"algorithm": "hmac-sha256", "body_field": "secret_key"}, "signature"),
        (GETFLY_MAPPING, {"algorithm": "hmac-sha256", "header": "User-Agent"}, "signature"),
        (GETFLY_MAPPING, {**SHA256_HEX, "signed": "timestamp.body"}, "signature"),
    ],
    ids=[
        "a form name instead of its path",
        "an expression that does not compile",
        "an unknown function",
        "an unknown attribution field",
        "neither phone nor email",
        "no header",
        "an HMAC in the body",
        "a header stored with the delivery",
        "a timestamp without its header",
    ],
)
def test_settings_that_cannot_work_are_refused_when_saved_naming_the_field(
    moto_repo: Repository, mapping: dict[str, Any], signature: dict[str, Any] | None, named: str
) -> None:
    platform: dict[str, Any] = {"kind": "json_webhook", "mapping": mapping, "secret": SECRET}
    if signature is not None:
        platform["signature"] = signature
    # When an admin saves a source whose settings could never read or check a delivery
    reply = call_as(
        "POST", "/form-sources", {"name": "W", "pool": "web", "kind": "json_webhook", "platform": platform}
    )
    # Then it is refused with a 422 naming the field, and nothing is created
    assert reply.status == 422, reply.body
    assert {e["field"] for e in reply.body["errors"]} == {f"platform.json_webhook.{named}"}
    assert call_as("GET", "/form-sources").body["items"] == []


def test_the_secret_is_write_only_needed_once_signed_and_kept_when_an_edit_leaves_it_out(
    moto_repo: Repository,
) -> None:
    # Given a signed source: the answer never shows the secret
    created = _source(ZAPIER_MAPPING, SHA256_HEX, steps=["hot"])
    source = created["source"]
    assert source["platform_secrets_set"] == ["secret"] and "secret" not in source["platform"]
    assert SECRET not in json.dumps(call_as("GET", "/form-sources").body)
    # When an admin edits the mapping without sending the secret again
    mapping = {**ZAPIER_MAPPING, "fields": {"du_an": "answers.project"}}
    edit = {
        "rev": source["rev"],
        "platform": {"kind": "json_webhook", "mapping": mapping, "signature": SHA256_HEX},
    }
    edited = call_as("PATCH", f"/form-sources/{source['source_id']}", edit)
    assert edited.status == 200, edited.body
    # Then the stored secret still checks deliveries, and the new mapping reads them
    raw = fixture("json_webhook", "zapier_lead.json")
    assert post_hook(created["form_key"], raw, {"X-Signature-256": "sha256=" + _hmac(raw)}).status == 200
    (lead,) = list(moto_repo.tenant_leads("acme"))
    assert lead.attributes == {"du_an": "Căn hộ Thủ Đức"}
    # ...a signed source cannot be created without its secret; an unsigned one needs none
    body = {"name": "W", "pool": "web", "kind": "json_webhook"}
    signed = {"kind": "json_webhook", "mapping": GETFLY_MAPPING, "signature": SHA256_HEX}
    missing = call_as("POST", "/form-sources", {**body, "platform": signed})
    assert missing.status == 422 and "platform.secret" in json.dumps(missing.body)
    unsigned = call_as(
        "POST", "/form-sources", {**body, "platform": {"kind": "json_webhook", "mapping": GETFLY_MAPPING}}
    )
    assert unsigned.status == 201, unsigned.body


def test_bracketed_form_names_nest_and_clashing_ones_stay_as_sent() -> None:
    pairs = (
        ("data[phone]", "0912"),
        ("data[tags][]", "a"),
        ("data[tags][]", "b"),
        ("data[x][y]", "1"),
        ("a", "1"),
        ("a[b]", "2"),
        ("k", "1"),
        ("k", "2"),
        ("odd[x]y", "3"),
        ("[x]", "4"),
    )
    assert nested(pairs) == {
        "data": {"phone": "0912", "tags": ["a", "b"], "x": {"y": "1"}},
        "a": "1",
        "a[b]": "2",
        "k": ["1", "2"],
        "odd[x]y": "3",
        "[x]": "4",
    }
