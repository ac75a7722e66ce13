"""Storage first, kept: every submission is stored (a conflicting one too), a rejection is checked
anew on the next attempt, an outage of the table is a 503 to retry, no secret is stored in any
encoding, what is stored is bounded after normalisation, and a replay lets in nothing unverified
unless an admin says so."""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import EndpointConnectionError

from leadrouter import runtime
from leadrouter.captcha import TOKEN_FIELDS
from leadrouter.data.repository import Repository
from leadrouter.domain.forms import CaptchaSettings, FormDoor
from leadrouter.domain.submissions import MAX_STORED_BYTES, stored_size
from leadrouter.settings import Settings
from tests.support.api import FORM_KEY, SOURCE_SECRET, Reply, add_form_source, call, call_as, event
from tests.support.builders import TENANT
from tests.support.captcha import fake_captcha
from tests.support.faults import FailingCalls, throttled
from tests.support.forms import FETCH, NAVIGATION, multipart, post_form, post_raw, urlencoded

TOKEN = "pass"  # the fake's genuine token
#: The source's server credential: its answers name the lead (the public key's are receipts).
SECRET = {"X-Source-Secret": SOURCE_SECRET}
TURNSTILE = TOKEN_FIELDS["turnstile"]


def _leads(repo: Repository) -> list[Any]:
    return list(repo.tenant_leads(TENANT))


def _submissions(status: str | None = None) -> list[dict[str, Any]]:
    reply = call_as("GET", "/intake/submissions" + (f"?status={status}" if status else ""))
    assert reply.status == 200, reply.body
    items: list[dict[str, Any]] = reply.body["items"]
    return items


def _json_api(body: dict[str, Any], **headers: str) -> Reply:
    return call(event("POST", "/intake/leads", body, headers={"X-Form-Key": FORM_KEY, **FETCH, **headers}))


@pytest.fixture
def captcha(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    with fake_captcha(monkeypatch, "s3cret") as fake:
        yield fake


def _with_captcha(**settings: Any) -> FormDoor:
    door = {k: v for k, v in settings.items() if k in FormDoor.model_fields}
    rest = {k: v for k, v in settings.items() if k not in door}
    return FormDoor(
        captcha=CaptchaSettings(provider="turnstile", site_key="site", secret="s3cret", **rest), **door
    )


# ------------------------------------------------------------------ 2: a reused id is stored apart
@pytest.mark.parametrize("named", ["submission_id", "Idempotency-Key"])
def test_a_stranger_who_pre_claims_an_id_cannot_make_the_customers_submission_vanish(
    moto_repo: Repository, named: str
) -> None:
    # Given a stranger who posted junk under the id a form plugin will give a real customer next
    add_form_source(moto_repo)

    def post(pairs: list[tuple[str, str]]) -> Reply:
        if named == "submission_id":
            return post_form([*pairs, ("submission_id", "cf7-1001")])
        return post_form(pairs, headers={"Idempotency-Key": "cf7-1001"})

    stranger = post([("name", "Junk"), ("phone", "0900000001")])
    assert stranger.status == 201
    # When the customer posts with that id (and posts again, as a browser retry would)
    customer = [("name", "Nguyễn Thị Ánh"), ("phone", "0912345678")]
    refused, again = post(customer), post(customer)
    # Then the sender is told clearly (422 naming the id), and the submission is stored, once
    assert refused.status == again.status == 422
    assert [e["field"] for e in refused.body["errors"]] == [named]
    (conflict,) = _submissions("rejected")
    assert conflict["reason"].startswith(f"conflict: {named} reused with other content")
    assert conflict["conflicts_with"] and conflict["conflicts_with"] != conflict["submission_id"]
    assert ["phone", "0912345678"] in conflict["fields"] and conflict["unverified_checks"] == []
    assert len(_submissions()) == 2
    # …and an admin can replay it: the customer's lead exists, once
    replayed = call_as("POST", f"/intake/submissions/{conflict['submission_id']}/replay")
    assert replayed.status == 200, replayed.body
    assert sorted(lead.phone for lead in _leads(moto_repo)) == ["+84900000001", "+84912345678"]
    assert call_as("POST", f"/intake/submissions/{conflict['submission_id']}/replay").status == 409


def test_a_conflicting_submission_is_checked_at_the_door_like_any_other(
    moto_repo: Repository, captcha: Any
) -> None:
    # Given a source with a CAPTCHA, and an Idempotency-Key already used
    add_form_source(moto_repo, web_form=_with_captcha())
    key = {"Idempotency-Key": "crm-9"}
    assert post_form([("name", "An"), ("phone", "0912345678"), (TURNSTILE, TOKEN)], headers=key).status == 201
    # When another content comes with that key and a genuine token; and a third with a forged one
    good = post_form([("name", "Bình"), ("phone", "0987654321"), (TURNSTILE, TOKEN)], headers=key)
    forged = post_form([("name", "Bot"), ("phone", "0987650000"), (TURNSTILE, "fail")], headers=key)
    # Then both are stored apart, each with what its checks said: only the verified one replays as is
    assert good.status == forged.status == 422
    by_name = {dict(map(tuple, r["fields"]))["name"]: r for r in _submissions("rejected")}
    assert by_name["Bình"]["checks"]["captcha"] == "passed" and by_name["Bình"]["unverified_checks"] == []
    assert by_name["Bot"]["reason"] == "captcha_failed" and by_name["Bot"]["unverified_checks"] == ["captcha"]
    assert call_as("POST", f"/intake/submissions/{by_name['Bot']['submission_id']}/replay").status == 422
    assert call_as("POST", f"/intake/submissions/{by_name['Bình']['submission_id']}/replay").status == 200


# ------------------------------------------------------------------ 3: a rejection is checked anew
@pytest.mark.parametrize("before", ["expired", "fail", None], ids=["expired", "forged", "widget-missing"])
def test_after_a_captcha_rejection_the_next_attempt_is_verified_anew_and_makes_one_lead(
    moto_repo: Repository, captcha: Any, before: str | None
) -> None:
    # Given a visitor refused for its CAPTCHA (same content: the token is not part of what is stored)
    add_form_source(moto_repo, web_form=_with_captcha())
    form = [("name", "Nguyễn Thị Ánh"), ("phone", "0912345678")]
    first = post_form([*form, (TURNSTILE, before)] if before else form)
    assert first.status == 422, first.body
    # When the visitor sends the same form again with a fresh token
    retry = post_form([*form, (TURNSTILE, TOKEN)], headers=SECRET)
    # Then the new token is verified, and the submission becomes its one lead (named to the secret)
    assert retry.status == 201, retry.body
    (lead,) = _leads(moto_repo)
    assert retry.body["lead_id"] == lead.lead_id
    assert captcha.received[-1].form["response"] == TOKEN
    # …a true repeat of the accepted submission answers that lead without asking the provider again
    asked = len(captcha.received)
    repeat = post_form([*form, (TURNSTILE, "fail")], headers=SECRET)
    assert repeat.status == 201 and repeat.body["lead_id"] == lead.lead_id
    assert len(captcha.received) == asked and len(_leads(moto_repo)) == 1
    (record,) = _submissions()
    assert record["status"] == "accepted" and record["checks"]["captcha"] == "passed"


def test_after_an_origin_refusal_a_post_from_an_allowed_page_is_accepted(moto_repo: Repository) -> None:
    add_form_source(moto_repo, web_form=FormDoor(allowed_origins=["https://landing.example.vn"]))
    form = [("name", "An"), ("phone", "0912345678")]
    refused = post_form(form, headers={"Origin": "https://copy.example.com"})
    accepted = post_form(form, headers={"Origin": "https://landing.example.vn"})
    assert (refused.status, accepted.status) == (403, 201)
    assert len(_leads(moto_repo)) == 1


def test_a_mapping_fixed_after_a_rejection_lets_the_senders_retry_in(moto_repo: Repository) -> None:
    source = add_form_source(moto_repo)
    form = [("name", "An"), ("dt_khach", "0912345678")]
    assert post_form(form, headers={"Idempotency-Key": "crm-5"}).status == 422
    fix = {"rev": 0, "web_form": {"field_map": {"dt_khach": "phone"}}}
    assert call_as("PATCH", f"/form-sources/{source.source_id}", fix).status == 200
    retry = post_form(form, headers={"Idempotency-Key": "crm-5"})
    assert retry.status == 201, retry.body
    (lead,) = _leads(moto_repo)
    assert lead.phone == "+84912345678" and len(_submissions()) == 1


# ------------------------------------------------------------------ 4: the table down is a 503
def _failing(monkeypatch: pytest.MonkeyPatch, fails: Any) -> FailingCalls:
    repo = runtime.repository()
    faulty = FailingCalls(repo._client, fails)
    monkeypatch.setattr(repo, "_client", faulty)
    return faulty


@pytest.mark.parametrize("headers", [FETCH, NAVIGATION], ids=["json", "page"])
@pytest.mark.parametrize("error", ["throttled", "unreachable"])
def test_when_the_stored_first_write_fails_the_sender_gets_a_503_with_retry_after(
    moto_repo: Repository, monkeypatch: pytest.MonkeyPatch, headers: dict[str, str], error: str
) -> None:
    add_form_source(moto_repo)
    table = Settings.from_env().submissions_table

    def fails(operation: str, request: dict[str, Any]) -> Exception | None:
        if operation != "put_item" or request.get("TableName") != table:
            return None
        failure: Exception = (
            throttled("PutItem")
            if error == "throttled"
            else EndpointConnectionError(endpoint_url="https://dynamodb.ap-southeast-1.amazonaws.com")
        )
        return failure

    faulty = _failing(monkeypatch, fails)
    reply = post_form([("name", "An"), ("phone", "0912345678")], headers=headers)
    assert faulty.failed == ["put_item"]
    assert reply.status == 503, reply.body
    assert int(reply.headers["Retry-After"]) >= 1
    assert reply.headers["Content-Type"].startswith("application/json" if headers is FETCH else "text/html")
    assert _leads(moto_repo) == []


@pytest.mark.parametrize("headers", [FETCH, NAVIGATION], ids=["json", "page"])
def test_when_the_form_key_cannot_be_looked_up_the_sender_gets_a_503_with_retry_after(
    moto_repo: Repository, monkeypatch: pytest.MonkeyPatch, headers: dict[str, str]
) -> None:
    # Given a container that has not read this source yet, and the config table throttled
    add_form_source(moto_repo)
    monkeypatch.setattr("leadrouter.data.sources.SETTINGS_CACHE.get", lambda key, read: read())
    table = Settings.from_env().config_table

    def fails(operation: str, request: dict[str, Any]) -> Exception | None:
        return throttled(operation) if request.get("TableName") == table else None

    faulty = _failing(monkeypatch, fails)
    reply = post_form([("name", "An"), ("phone", "0912345678")], headers=headers)
    assert faulty.failed == ["get_item"]
    assert reply.status == 503 and int(reply.headers["Retry-After"]) >= 1
    assert reply.headers["Content-Type"].startswith("application/json" if headers is FETCH else "text/html")


@pytest.mark.parametrize("headers", [FETCH, NAVIGATION], ids=["json", "page"])
def test_when_the_reads_that_answer_a_repeat_fail_the_sender_gets_a_503_with_retry_after(
    moto_repo: Repository, monkeypatch: pytest.MonkeyPatch, headers: dict[str, str]
) -> None:
    add_form_source(moto_repo)
    form = [("name", "An"), ("phone", "0912345678")]
    first = post_form(form, headers={"Idempotency-Key": "crm-1"})
    assert first.status == 201
    settings = Settings.from_env()
    tables = {settings.leads_table, settings.submissions_table}

    def fails(operation: str, request: dict[str, Any]) -> Exception | None:
        read = operation in ("get_item", "batch_get_item", "query")
        named = {request.get("TableName"), *request.get("RequestItems", {})}
        return throttled(operation) if read and named & tables else None

    faulty = _failing(monkeypatch, fails)
    repeat = post_form(form, headers={"Idempotency-Key": "crm-1", **headers})
    assert faulty.failed, "the repeat read nothing"
    assert repeat.status == 503, repeat.body
    assert int(repeat.headers["Retry-After"]) >= 1
    assert repeat.headers["Content-Type"].startswith("application/json" if headers is FETCH else "text/html")
    assert len(_leads(moto_repo)) == 1


# ------------------------------------------------------------------ 8: no secret stored, any encoding
SECRET_TOKEN = "tok-0123456789-secret"


def _stored_items(tables: dict[str, str]) -> str:
    client = boto3.client("dynamodb", region_name="ap-southeast-1")
    return json.dumps(client.scan(TableName=tables["SubmissionsTable"])["Items"], ensure_ascii=False)


SECRET_BODIES: dict[str, Any] = {
    "typed JSON, key and token in the body": lambda: _json_api(
        {"form_key": FORM_KEY, "name": "An", "phone": "0912345678", TURNSTILE: SECRET_TOKEN}
    ),
    "typed JSON, nested in fields": lambda: _json_api(
        {"name": "An", "phone": "0912345678", "fields": {"form_key": FORM_KEY, TURNSTILE: SECRET_TOKEN}}
    ),
    "flat JSON": lambda: post_form(
        [("form_key", FORM_KEY), ("name", "An"), ("phone", "0912345678"), (TURNSTILE, SECRET_TOKEN)],
        encoding="json",
    ),
    "urlencoded": lambda: post_raw(
        "/intake/leads",
        *urlencoded(
            [("form_key", FORM_KEY), ("name", "An"), ("phone", "0912345678"), (TURNSTILE, SECRET_TOKEN)]
        ),
        FETCH,
    ),
    "multipart": lambda: post_raw(
        "/intake/leads",
        *multipart(
            [("form_key", FORM_KEY), ("name", "An"), ("phone", "0912345678"), (TURNSTILE, SECRET_TOKEN)]
        ),
        FETCH,
    ),
    "the key under another name": lambda: post_form(
        [("name", "An"), ("phone", "0912345678"), ("api", FORM_KEY)]
    ),
    "the key in the landing page's address": lambda: post_form(
        [("name", "An"), ("phone", "0912345678")],
        headers={"Referer": f"https://landing.example.vn/?form_key={FORM_KEY}"},
    ),
    "an unreadable body kept as text": lambda: post_raw(
        "/intake/leads",
        "application/x-www-form-urlencoded",
        f"form_key={FORM_KEY}&{TURNSTILE}={SECRET_TOKEN}&name=%C3%28".encode(),
        {**FETCH, "X-Form-Key": FORM_KEY},
    ),
}


@pytest.mark.parametrize("send", SECRET_BODIES.values(), ids=SECRET_BODIES.keys())
def test_neither_the_form_key_nor_a_captcha_token_is_stored_whatever_the_encoding(
    moto_repo: Repository, moto_tables: dict[str, str], send: Any
) -> None:
    add_form_source(moto_repo)
    reply = send()
    assert reply.status in (201, 400), reply.body
    stored = _stored_items(moto_tables)
    assert '"submission_id"' in stored  # stored first
    assert FORM_KEY not in stored and SECRET_TOKEN not in stored
    assert FORM_KEY not in json.dumps(_submissions(), ensure_ascii=False)


def test_a_typed_json_body_that_carries_its_key_and_token_is_read_without_them(
    moto_repo: Repository, captcha: Any
) -> None:
    # Given a CRM posting the typed JSON API with the key and the widget's token in its body
    add_form_source(moto_repo, web_form=_with_captcha())
    reply = _json_api({"form_key": FORM_KEY, "name": "An", "phone": "0912345678", TURNSTILE: TOKEN})
    # Then the token is verified and the lead made (neither is an unknown field of the request)
    assert reply.status == 201, reply.body
    assert captcha.received[-1].form["response"] == TOKEN and len(_leads(moto_repo)) == 1


# ------------------------------------------------------------------ 12: bounded after normalisation
#: Characters whose NFC form is longer in UTF-8 than they are: U+1D160 (4 bytes → 12), U+FB2C
#: (3 → 6), U+0F73 (3 → 6); U+FDFA only grows under NFKC (18 characters), which is not applied.
EXPANDING = ["\U0001d160", "\ufb2c", "\u0f73", "\ufdfa"]


@pytest.mark.parametrize("char", EXPANDING, ids=[f"U+{ord(c):04X}" for c in EXPANDING])
def test_what_is_stored_is_bounded_after_normalisation(
    moto_repo: Repository, moto_tables: dict[str, str], char: str
) -> None:
    # Given a body just under the door's 64 KiB, raw UTF-8, of characters NFC may expand
    add_form_source(moto_repo)
    head = b"name=An&phone=0912345678&ghi_chu="
    raw = head + char.encode() * ((64 * 1024 - len(head)) // len(char.encode()))
    assert len(raw) <= 64 * 1024
    reply = post_raw(f"/f/{FORM_KEY}", "application/x-www-form-urlencoded", raw, FETCH)
    # Then what is stored stays within the bound, whatever NFC made of it
    (record,) = _submissions()
    assert stored_size([tuple(p) for p in record["fields"]]) <= MAX_STORED_BYTES
    assert len(_stored_items(moto_tables).encode()) < 100_000
    if len(unicodedata.normalize("NFC", char).encode()) > len(char.encode()):
        # …and a body that grew over it is refused as too large (413), stored truncated and marked
        assert reply.status == 413, reply.body
        assert record["status"] == "rejected" and record["truncated"] is True
        assert record["reason"].startswith("too_large:")
        assert ["phone", "0912345678"] in record["fields"]
    else:
        assert reply.status == 201 and record["truncated"] is False


def test_a_too_large_body_is_a_413_page_for_a_browser(moto_repo: Repository) -> None:
    add_form_source(moto_repo)
    raw = b"name=An&phone=0912345678&ghi_chu=" + "\U0001d160".encode() * 16_000
    reply = post_raw(f"/f/{FORM_KEY}", "application/x-www-form-urlencoded", raw, NAVIGATION)
    assert reply.status == 413 and reply.headers["Content-Type"].startswith("text/html")


# ------------------------------------------------------------------ 14: hostname, action; replay gate
def test_a_token_solved_on_another_site_is_refused(moto_repo: Repository, captcha: Any) -> None:
    # Given a source whose pages are on landing.example.vn (the fake's tokens are solved on localhost)
    add_form_source(moto_repo, web_form=_with_captcha(allowed_origins=["https://landing.example.vn"]))
    reply = post_form([("name", "An"), ("phone", "0912345678"), (TURNSTILE, TOKEN)])
    assert reply.status == 422, reply.body
    (record,) = _submissions("rejected")
    assert record["reason"] == "captcha_wrong_hostname" and _leads(moto_repo) == []


def test_configured_hostnames_and_action_are_what_is_checked(moto_repo: Repository, captcha: Any) -> None:
    add_form_source(moto_repo, web_form=_with_captcha(hostnames=["localhost"], action="contact"))
    wrong_action = post_form([("name", "An"), ("phone", "0912345678"), (TURNSTILE, TOKEN)])
    assert wrong_action.status == 422
    assert _submissions("rejected")[0]["reason"] == "captcha_wrong_action"
    source = moto_repo.get_form_source(TENANT, "web-form")
    assert source is not None and source.web_form.captcha is not None
    edit = {
        "rev": source.rev,
        "web_form": {
            "captcha": {
                "provider": "turnstile",
                "site_key": "site",
                "action": "submit",
                "hostnames": ["LOCALHOST"],
            }
        },
    }
    assert call_as("PATCH", "/form-sources/web-form", edit).status == 200
    assert post_form([("name", "An"), ("phone", "0912345678"), (TURNSTILE, TOKEN)]).status == 201


def test_a_bulk_replay_lets_in_only_what_was_verified_unless_released_explicitly(
    moto_repo: Repository, captcha: Any
) -> None:
    # Given a day's rejected submissions: a person whose phone field was unmapped, a bot that failed
    # the CAPTCHA, and one whose CAPTCHA could not be checked (the provider was down)
    add_form_source(moto_repo, web_form=_with_captcha())
    assert post_form([("name", "An"), ("dt", "0912345678"), (TURNSTILE, TOKEN)]).status == 422
    assert post_form([("name", "Bot"), ("phone", "0912000000"), (TURNSTILE, "fail")]).status == 422
    assert post_form([("name", "Chi"), ("phone", "0912111111"), (TURNSTILE, "slow")]).status == 503
    source = moto_repo.get_form_source(TENANT, "web-form")
    assert source is not None
    fix = {"rev": source.rev, "web_form": {"field_map": {"dt": "phone"}}}
    assert call_as("PATCH", "/form-sources/web-form", fix).status == 200
    # When an admin replays everything listed, without a second look
    listed = {dict(map(tuple, r["fields"]))["name"]: r for r in _submissions()}
    assert {n: r["unverified_checks"] for n, r in listed.items()} == {
        "An": [],
        "Bot": ["captcha"],
        "Chi": ["captcha"],
    }
    replies = {
        n: call_as("POST", f"/intake/submissions/{r['submission_id']}/replay") for n, r in listed.items()
    }
    # Then only the verified one becomes a lead; the others say what was not verified
    assert {n: r.status for n, r in replies.items()} == {"An": 200, "Bot": 422, "Chi": 422}
    assert replies["An"].body["unverified_checks"] == []
    assert "captcha: failed" in replies["Bot"].body["message"]
    assert "captcha: not_run" in replies["Chi"].body["message"]
    assert [lead.name for lead in _leads(moto_repo)] == ["An"]
    # …and releasing one is an explicit choice, recorded on the submission
    chi = listed["Chi"]["submission_id"]
    released = call_as("POST", f"/intake/submissions/{chi}/replay", {"release_unverified": True})
    assert released.status == 200 and released.body["unverified_checks"] == ["captcha"]
    after = call_as("GET", f"/intake/submissions/{chi}").body
    assert after["checks"]["captcha"] == "released" and "released unverified: captcha" in after["reason"]


def test_a_replay_body_is_optional_and_strict(moto_repo: Repository) -> None:
    add_form_source(moto_repo)
    assert post_form([("name", "An"), ("dt", "0912345678")]).status == 422
    (record,) = _submissions("rejected")
    path = f"/intake/submissions/{record['submission_id']}/replay"
    assert call_as("POST", path, {"release_unverified": "maybe"}).status == 422
    reply = call_as("POST", path, {"release_unverified": False})
    assert reply.status == 422 and "field_map" in reply.body["message"]  # a mapping problem, not a check
