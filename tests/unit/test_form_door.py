"""The form door: plain HTML forms in any encoding, answered as browsers expect; stored first; replay.

Reproduces what a review found: a urlencoded form got a 422 ("name: Input should be a valid string"),
a hidden form_key was "Extra inputs are not permitted", and a multipart form with a Vietnamese name
crashed the handler inside Powertools' parser.
"""

from __future__ import annotations

import json
import unicodedata
from typing import Any
from urllib.parse import urlsplit

import pytest
from botocore.exceptions import ClientError

from leadrouter.data.repository import Repository
from leadrouter.domain.forms import FormDoor
from leadrouter.domain.leads import Lead
from leadrouter.domain.secrets import captcha_secret_context
from leadrouter.runtime import secret_box
from tests.support.api import ADMIN, FORM_KEY, SOURCE_SECRET, add_form_source, call_as
from tests.support.builders import TENANT
from tests.support.captcha import fake_captcha
from tests.support.forms import FETCH, NAVIGATION, multipart, post_form, post_raw, urlencoded

ANH = "Nguyễn Thị Ánh"
ANH_NFD = unicodedata.normalize("NFD", ANH)
#: A server's post carries the source's secret: its answer names the lead (the key alone: a receipt).
SECRET = {"X-Source-Secret": SOURCE_SECRET}


def _leads(repo: Repository) -> list[Lead]:
    return list(repo.tenant_leads("acme"))


def _submissions(status: str | None = None) -> list[dict[str, Any]]:
    reply = call_as("GET", "/intake/submissions" + (f"?status={status}" if status else ""))
    assert reply.status == 200, reply.body
    items: list[dict[str, Any]] = reply.body["items"]
    return items


def _comparable(lead: Lead) -> dict[str, Any]:
    return lead.model_dump(
        exclude={"lead_id", "received_at", "queued_at", "attribution", "rev"}, mode="json"
    ) | {"touch": lead.attribution.first.model_dump(exclude={"at"}) if lead.attribution else None}


# ------------------------------------------------------------------ encodings
def test_the_same_lead_in_all_three_encodings_is_stored_identically_with_vietnamese_intact(
    moto_repo: Repository,
) -> None:
    # Given one source and the same form content (the name in NFD, as some keyboards type it)
    add_form_source(moto_repo, pool="web")
    stored = []
    for i, encoding in enumerate(["urlencoded", "multipart", "json"]):
        pairs = [("name", ANH_NFD), ("phone", f"091234567{i}"), ("Sản phẩm", "Căn hộ"), ("utm_source", "fb")]
        # When a browser posts it in each encoding
        reply = post_form(pairs, encoding=encoding, headers=SECRET)
        assert reply.status == 201, (encoding, reply.body)
        lead = moto_repo.get_lead("acme", reply.body["lead_id"])
        assert lead is not None
        stored.append(_comparable(lead) | {"phone": None})
    # Then the stored leads are the same, the name NFC, attribution typed and out of the free fields
    assert stored[0] == stored[1] == stored[2]
    assert stored[0]["name"] == ANH and stored[0]["attributes"] == {"Sản phẩm": "Căn hộ"}
    assert stored[0]["touch"]["utm_source"] == "fb"


@pytest.mark.parametrize("charset", [None, "utf-8", "UTF-8"])
def test_a_multipart_vietnamese_name_round_trips_whatever_its_part_declares(
    moto_repo: Repository, charset: str | None
) -> None:
    # Given the crash: multipart, a Vietnamese name (Powertools raised UnicodeEncodeError)
    add_form_source(moto_repo)
    content_type, raw = multipart([("name", ANH), ("phone", "0912345678")], charset=charset)
    reply = post_raw(f"/f/{FORM_KEY}", content_type, raw, FETCH)
    assert reply.status == 201, reply.body
    (lead,) = _leads(moto_repo)
    assert lead.name == ANH


def test_a_plain_urlencoded_form_with_a_hidden_form_key_posts_to_intake_leads(moto_repo: Repository) -> None:
    # Given the 422: a plain form posting to /intake/leads, its key in a hidden field
    add_form_source(moto_repo)
    content_type, raw = urlencoded([("form_key", FORM_KEY), ("name", ANH), ("phone", "0912345678")])
    reply = post_raw("/intake/leads", content_type, raw, NAVIGATION)
    # Then the browser is sent to a thank-you page, and the lead is stored without the key in it
    assert reply.status == 303, reply.body
    (lead,) = _leads(moto_repo)
    assert lead.name == ANH and "form_key" not in lead.attributes
    (record,) = _submissions()
    assert "form_key" not in {name for name, _ in record["fields"]}  # secrets are never stored


def test_x_form_key_works_with_forms_too(moto_repo: Repository) -> None:
    add_form_source(moto_repo)
    content_type, raw = multipart([("name", "An"), ("phone", "0912345678")])
    reply = post_raw("/intake/leads", content_type, raw, {**FETCH, "X-Form-Key": FORM_KEY})
    assert reply.status == 201 and len(_leads(moto_repo)) == 1


def test_a_sources_own_field_names_map_and_reserved_fields_never_become_lead_fields(
    moto_repo: Repository,
) -> None:
    door = FormDoor(field_map={"khach_hang": "name", "dt_lien_he": "phone", "thu": "email"})
    add_form_source(moto_repo, web_form=door)
    pairs = [
        ("khach_hang", "Trần Bình"),
        ("dt_lien_he", "0987 654 321"),
        ("thu", "Binh@Example.vn"),
        ("_internal", "x"),
        ("_gotcha", ""),
        ("ghi_chu", "gọi sau 5h"),
        ("gclid", "Cj0KCQ-AbC"),
    ]
    assert post_form(pairs).status == 201
    (lead,) = _leads(moto_repo)
    assert (lead.name, lead.phone, lead.email) == ("Trần Bình", "+84987654321", "binh@example.vn")
    assert lead.attributes == {"ghi_chu": "gọi sau 5h"}
    assert lead.attribution is not None and lead.attribution.first.gclid == "Cj0KCQ-AbC"


def test_common_plugin_field_names_work_without_any_mapping(moto_repo: Repository) -> None:
    add_form_source(moto_repo)
    # Contact Form 7 and Vietnamese landing pages
    assert post_form([("your-name", "An"), ("your-email", "an@example.vn")]).status == 201
    assert post_form([("ho_ten", "Bình"), ("so_dien_thoai", "0912 000 111")]).status == 201
    assert {(lead.name, lead.email or lead.phone) for lead in _leads(moto_repo)} == {
        ("An", "an@example.vn"),
        ("Bình", "+84912000111"),
    }


# ------------------------------------------------------------------ answers
def test_a_browser_navigation_gets_a_303_to_the_built_in_thank_you_page(moto_repo: Repository) -> None:
    add_form_source(moto_repo)
    reply = post_form([("name", ANH), ("phone", "0912345678")], headers=NAVIGATION)
    assert reply.status == 303 and reply.headers["Location"] == "/thanks"
    page = call_as("GET", "/thanks", who=None)
    assert page.status == 200 and "Cảm ơn" in page.body and "Thank you" in page.body


def test_a_thank_you_url_and_an_allow_listed_next_are_honoured_and_carry_no_form_values(
    moto_repo: Repository,
) -> None:
    door = FormDoor(thank_you_url="https://shop.example.vn/cam-on", redirect_hosts=["promo.example.vn"])
    add_form_source(moto_repo, web_form=door)
    plain = post_form([("name", "An"), ("phone", "0912345678")], headers=NAVIGATION)
    allowed = post_form(
        [("name", "Bình"), ("phone", "0912345679"), ("_next", "https://promo.example.vn/ok")],
        headers=NAVIGATION,
    )
    evil = post_form(
        [("name", "Chi"), ("phone", "0912345670"), ("_next", "https://evil.example.com/")], headers=NAVIGATION
    )
    assert plain.headers["Location"] == "https://shop.example.vn/cam-on"
    assert allowed.headers["Location"] == "https://promo.example.vn/ok"
    assert evil.headers["Location"] == "https://shop.example.vn/cam-on"
    for reply in (plain, allowed, evil):
        assert (
            reply.status == 303
            and "0912" not in reply.headers["Location"]
            and not urlsplit(reply.headers["Location"]).query
        )


def test_errors_are_pages_in_the_forms_own_words_for_browsers_and_json_for_fetch(
    moto_repo: Repository,
) -> None:
    add_form_source(moto_repo, web_form=FormDoor(field_map={"dt_lien_he": "phone"}))
    page = post_form([("name", "An"), ("dt_lien_he", "12")], headers=NAVIGATION)
    assert page.status == 422 and page.headers["Content-Type"].startswith("text/html")
    assert "dt_lien_he" in page.body and "Chưa gửi được" in page.body
    fetched = post_form([("name", "An"), ("dt_lien_he", "12")])
    assert fetched.status == 422 and {e["field"] for e in fetched.body["errors"]} == {"dt_lien_he"}
    assert _leads(moto_repo) == []


def test_cors_echoes_only_the_sources_allowed_origins_on_success_and_error(moto_repo: Repository) -> None:
    add_form_source(moto_repo, web_form=FormDoor(allowed_origins=["https://landing.example.vn"]))
    good = {"Origin": "https://landing.example.vn"}
    ok = post_form([("name", "An"), ("phone", "0912345678")], headers=good)
    bad_input = post_form([("name", "An")], headers=good)
    other = post_form([("name", "Bình"), ("phone", "0912345679")], headers={"Origin": "https://evil.example"})
    assert ok.status == 201 and ok.headers["Access-Control-Allow-Origin"] == "https://landing.example.vn"
    assert bad_input.status == 422 and bad_input.headers["Access-Control-Allow-Origin"] == good["Origin"]
    # a page on another site is refused (and cannot read the answer), and the refusal is recorded
    assert other.status == 403 and "Access-Control-Allow-Origin" not in other.headers
    assert len(_leads(moto_repo)) == 1
    assert [s["reason"] for s in _submissions("rejected") if s["reason"] == "origin"] == ["origin"]


# ------------------------------------------------------------------ spam, rejected, replay
def test_a_honeypot_hit_looks_like_success_is_stored_as_spam_and_is_released_once(
    moto_repo: Repository,
) -> None:
    add_form_source(moto_repo)
    filled = [("name", "Bot"), ("phone", "0912345678"), ("_gotcha", "http://spam.example")]
    bot, bot_crm = post_form(filled), post_form(filled, headers=SECRET)
    human = post_form([("name", "An"), ("phone", "0987654321")])
    # Then the bot's answer has the same shape as a person's (even to the secret), and no lead exists for it
    assert bot.status == human.status == 201 and set(bot.body) == set(human.body)
    assert bot.body["status"] == "received" and bot_crm.body["status"] == "pending"
    assert [lead.name for lead in _leads(moto_repo)] == ["An"]
    (spam,) = _submissions("spam")
    assert spam["reason"] == "honeypot" and spam["unverified_checks"] == ["honeypot"]
    # When an admin replays it without saying so, it is not let in (a bulk replay lets no bot in)
    path = f"/intake/submissions/{spam['submission_id']}/replay"
    refused = call_as("POST", path)
    assert refused.status == 422 and refused.body["errors"][0]["field"] == "release_unverified"
    # When an admin releases it; Then it becomes the one lead its answer named, exactly once
    released = call_as("POST", path, {"release_unverified": True})
    assert released.status == 200 and released.body["result"]["lead_id"] == bot_crm.body["lead_id"]
    assert released.body["unverified_checks"] == ["honeypot"]
    again = call_as("POST", path, {"release_unverified": True})
    assert again.status == 409
    assert sorted(lead.name for lead in _leads(moto_repo)) == ["An", "Bot"]


def test_a_rejected_submission_is_listed_and_replayed_into_one_lead_after_the_mapping_is_fixed(
    moto_repo: Repository,
) -> None:
    # Given a landing page whose phone field the source does not know yet
    source = add_form_source(moto_repo)
    first = post_form([("name", ANH), ("tel_khach", "0912345678")])
    assert first.status == 422 and _leads(moto_repo) == []
    (rejected,) = _submissions("rejected")
    assert rejected["fields"] == [["name", ANH], ["tel_khach", "0912345678"]]
    # When the admin maps the field and replays
    edit = call_as(
        "PATCH",
        f"/form-sources/{source.source_id}",
        {"rev": 0, "web_form": {"field_map": {"tel_khach": "phone"}}},
    )
    assert edit.status == 200, edit.body
    replayed = call_as("POST", f"/intake/submissions/{rejected['submission_id']}/replay")
    # Then one lead, with the phone; a second replay is refused
    assert replayed.status == 200, replayed.body
    (lead,) = _leads(moto_repo)
    assert lead.phone == "+84912345678" and lead.lead_id == replayed.body["result"]["lead_id"]
    assert call_as("POST", f"/intake/submissions/{rejected['submission_id']}/replay").status == 409
    assert len(_leads(moto_repo)) == 1


def test_a_failure_after_the_stored_first_record_is_listed_and_a_replay_makes_one_lead(
    moto_repo: Repository, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_form_source(moto_repo)
    real = Repository.put_new_lead

    def down(self: Repository, *args: Any, **kwargs: Any) -> Any:
        raise ClientError({"Error": {"Code": "InternalServerError", "Message": "injected"}}, "PutItem")

    monkeypatch.setattr(Repository, "put_new_lead", down)
    reply = post_form([("name", "An"), ("phone", "0912345678")], headers={"Idempotency-Key": "crm-1"})
    # Then the sender is told to retry, nothing is half-written, and the submission is listed
    assert reply.status == 503 and int(reply.headers["Retry-After"]) > 0
    assert _leads(moto_repo) == []
    (failed,) = _submissions("failed")
    monkeypatch.setattr(Repository, "put_new_lead", real)
    replayed = call_as("POST", f"/intake/submissions/{failed['submission_id']}/replay")
    assert replayed.status == 200
    retried = post_form(
        [("name", "An"), ("phone", "0912345678")], headers={"Idempotency-Key": "crm-1", **SECRET}
    )
    assert retried.status == 201 and retried.body["lead_id"] == replayed.body["result"]["lead_id"]
    assert len(_leads(moto_repo)) == 1


def test_a_double_click_is_one_submission_and_one_lead(moto_repo: Repository) -> None:
    add_form_source(moto_repo)
    pairs = [("name", ANH), ("phone", "0912345678")]
    first, second = post_form(pairs), post_form(pairs)
    assert first.status == second.status == 201 and first.body == second.body
    assert len(_leads(moto_repo)) == 1 and len(_submissions()) == 1


def test_a_form_cannot_pick_a_campaign_unless_the_source_maps_its_utm_campaign(moto_repo: Repository) -> None:
    add_form_source(moto_repo, web_form=FormDoor(campaign_map={"tet-2027": "Tết 2027"}))
    mapped = post_form(
        [("name", "An"), ("phone", "0912345678"), ("utm_campaign", "tet-2027")], headers=SECRET
    )
    unmapped = post_form(
        [("name", "Bình"), ("phone", "0912345679"), ("utm_campaign", "Khuyến mãi VIP")], headers=SECRET
    )
    by_id = {lead.lead_id: lead for lead in _leads(moto_repo)}
    assert by_id[mapped.body["lead_id"]].campaign == "Tết 2027"
    assert by_id[unmapped.body["lead_id"]].campaign is None
    touch = by_id[unmapped.body["lead_id"]].attribution
    assert touch is not None and touch.first.utm_campaign == "Khuyến mãi VIP"


def test_each_client_ip_has_its_own_limit_answered_429_with_retry_after(moto_repo: Repository) -> None:
    add_form_source(moto_repo, web_form=FormDoor(rate_per_ip_per_minute=2))
    replies = [post_form([("name", "An"), ("phone", f"091234500{i}")], ip="198.51.100.1") for i in range(3)]
    other_ip = post_form([("name", "Bình"), ("phone", "0912345999")], ip="198.51.100.2")
    assert [r.status for r in replies] == [201, 201, 429] and int(replies[2].headers["Retry-After"]) >= 1
    assert other_ip.status == 201


def test_an_unknown_key_is_a_401_page_for_a_browser(moto_repo: Repository) -> None:
    add_form_source(moto_repo)
    page = post_form([("name", "An"), ("phone", "0912345678")], key="fk_nope", headers=NAVIGATION)
    assert page.status == 401 and page.headers["Content-Type"].startswith("text/html")


def test_submissions_are_for_admins_only(moto_repo: Repository) -> None:
    add_form_source(moto_repo)
    staff = {"sub": "u", "custom:tenant_id": "acme", "custom:role": "staff", "custom:staff_id": "A"}
    assert call_as("GET", "/intake/submissions", who=staff).status == 403
    assert call_as("GET", "/intake/submissions", who=None).status == 401
    assert call_as("GET", "/intake/submissions", who=ADMIN).status == 200


# ------------------------------------------------------------------ bad bodies
BIG = "x" * (64 * 1024)
BAD_BODIES: dict[str, tuple[str | None, bytes]] = {
    "invalid utf-8": ("application/x-www-form-urlencoded", b"name=%C3%28&phone=0912345678"),
    "raw latin-1 bytes": ("application/x-www-form-urlencoded", "name=Ánh".encode("latin-1")),
    "NUL": ("application/x-www-form-urlencoded", b"name=A%00n&phone=0912345678"),
    "bidi override": ("application/x-www-form-urlencoded", b"name=%E2%80%AEnA&phone=0912345678"),
    "over the limit": ("application/x-www-form-urlencoded", ("name=An&phone=0912345678&n=" + BIG).encode()),
    "no boundary": ("multipart/form-data", multipart([("name", "An")])[1]),
    "two boundaries": ("multipart/form-data; boundary=a; boundary=b", multipart([("name", "An")])[1]),
    "wrong boundary": ("multipart/form-data; boundary=zzz", multipart([("name", "An")])[1]),
    "a file part": (
        multipart([])[0],
        b"--" + b"----leadrouterTestBoundary7MA4YWxk" + b'\r\nContent-Disposition: form-data; name="cv"; '
        b'filename="cv.pdf"\r\nContent-Type: application/pdf\r\n\r\n%PDF-1.4\r\n'
        b"--" + b"----leadrouterTestBoundary7MA4YWxk" + b"--\r\n",
    ),
    "10,000 fields": (
        "application/x-www-form-urlencoded",
        "&".join(f"f{i}=v" for i in range(10_000)).encode(),
    ),
    "no content type": (None, b"name=An&phone=0912345678"),
    "JSON array": ("application/json", b"[1, 2]"),
}


@pytest.mark.parametrize("name", BAD_BODIES, ids=BAD_BODIES)
@pytest.mark.parametrize("path", [f"/f/{FORM_KEY}", "/intake/leads"])
def test_bad_bodies_are_a_4xx_never_a_5xx_and_make_no_lead(
    moto_repo: Repository, name: str, path: str
) -> None:
    add_form_source(moto_repo)
    content_type, raw = BAD_BODIES[name]
    reply = post_raw(path, content_type, raw, {**FETCH, "X-Form-Key": FORM_KEY})
    assert 400 <= reply.status < 500, (name, reply.status, reply.body)
    assert _leads(moto_repo) == []


@pytest.mark.parametrize("headers", [FETCH, NAVIGATION], ids=["fetch", "browser"])
def test_an_emoji_in_a_name_is_kept(moto_repo: Repository, headers: dict[str, str]) -> None:
    add_form_source(moto_repo)
    reply = post_form([("name", "Ánh 🌸"), ("phone", "0912345678")], headers=headers)
    assert reply.status in (201, 303)
    (lead,) = _leads(moto_repo)
    assert lead.name == "Ánh 🌸"


# ------------------------------------------------------------------ CAPTCHA (against the local fake)
@pytest.fixture
def captcha(monkeypatch: pytest.MonkeyPatch) -> Any:
    with fake_captcha(monkeypatch, "s3cret") as fake:
        yield fake


@pytest.mark.parametrize(
    ("provider", "token", "status", "reason"),
    [
        ("turnstile", "pass", 201, None),
        ("hcaptcha", "pass", 201, None),
        ("recaptcha_v3", "pass", 201, None),
        ("turnstile", "fail", 422, "captcha_failed"),
        ("turnstile", "expired", 422, "captcha_expired"),
        ("recaptcha_v3", "pass-0.2", 422, "captcha_low_score"),
        ("turnstile", None, 422, "captcha_missing"),
        ("turnstile", "slow", 503, "captcha_unavailable"),
    ],
)
def test_a_captcha_is_verified_server_side_both_ways(
    moto_repo: Repository, captcha: Any, provider: str, token: str | None, status: int, reason: str | None
) -> None:
    from leadrouter.captcha import TOKEN_FIELDS
    from leadrouter.domain.forms import CaptchaSettings

    setting = CaptchaSettings(provider=provider, site_key="site", secret="s3cret")
    add_form_source(moto_repo, web_form=FormDoor(captcha=setting))
    pairs = [("name", "An"), ("phone", "0912345678")]
    if token is not None:
        pairs.append((TOKEN_FIELDS[provider], token))  # type: ignore[index]
    reply = post_form(pairs)
    assert reply.status == status, reply.body
    (record,) = _submissions()
    assert record["reason"] == reason
    assert all(not name.endswith("-response") for name, _ in record["fields"])  # tokens never stored
    assert len(_leads(moto_repo)) == (1 if status == 201 else 0)
    if token is not None:  # the provider was asked with the source's secret
        assert captcha.received[-1].form["secret"] == "s3cret"
        assert captcha.received[-1].form["response"] == token
    if status != 201:  # a visitor the check refused can still be let in by an admin, explicitly
        assert record["unverified_checks"] == ["captcha"]
        path = f"/intake/submissions/{record['submission_id']}/replay"
        assert call_as("POST", path).status == 422
        replayed = call_as("POST", path, {"release_unverified": True})
        assert replayed.status == 200 and len(_leads(moto_repo)) == 1
        assert replayed.body["unverified_checks"] == ["captcha"]


def test_a_new_source_returns_its_action_url_and_snippet_once_and_never_its_captcha_secret(
    moto_repo: Repository,
) -> None:
    captcha = {"provider": "turnstile", "site_key": "0x4AAA-site", "secret": "0x4AAA-very-secret"}
    created = call_as(
        "POST", "/form-sources", {"name": "Landing Tết", "pool": "web", "web_form": {"captcha": captcha}}
    )
    assert created.status == 201, created.body
    key = created.body["form_key"]
    assert created.body["action_url"].endswith(f"/f/{key}")
    assert f'action="{created.body["action_url"]}"' in created.body["snippet"]
    assert "cf-turnstile" in created.body["snippet"] and "0x4AAA-site" in created.body["snippet"]
    listed = call_as("GET", "/form-sources")
    assert "very-secret" not in str(created.body) and "very-secret" not in str(listed.body)
    # an edit without the secret keeps it; a stale revision is refused
    source_id = created.body["source"]["source_id"]
    edit = {"rev": 0, "web_form": {"captcha": {"provider": "turnstile", "site_key": "0x4BBB"}}}
    assert call_as("PATCH", f"/form-sources/{source_id}", edit).status == 200
    stored = moto_repo.get_form_source("acme", source_id)
    assert stored is not None and stored.web_form.captcha is not None
    context = captcha_secret_context("acme", source_id)
    assert stored.web_form.captcha.site_key == "0x4BBB"
    assert secret_box().open(stored.web_form.captcha.secret, context) == "0x4AAA-very-secret"
    assert call_as("PATCH", f"/form-sources/{source_id}", edit).status == 409


def test_a_honeypot_hit_is_redirected_exactly_like_a_success(moto_repo: Repository) -> None:
    add_form_source(moto_repo, web_form=FormDoor(redirect_hosts=["promo.example.vn"]))
    nxt = ("_next", "https://promo.example.vn/ok")
    human = post_form([("name", "An"), ("phone", "0912345678"), nxt], headers=NAVIGATION)
    bot = post_form([("name", "Bot"), ("phone", "0912345679"), nxt, ("_gotcha", "x")], headers=NAVIGATION)
    again = post_form([("name", "Bot"), ("phone", "0912345679"), nxt, ("_gotcha", "x")], headers=NAVIGATION)
    assert human.status == bot.status == again.status == 303
    assert human.headers["Location"] == bot.headers["Location"] == again.headers["Location"]


def test_a_new_leads_submission_is_accepted_by_its_lead_alone_with_no_second_write(
    moto_repo: Repository, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given two submissions: one becomes a lead, the other's lead insert crashed (claim written)
    add_form_source(moto_repo)
    ok = post_form([("name", "An"), ("phone", "0912345678")], headers={**FETCH, **SECRET})
    with monkeypatch.context() as patched:
        patched.setattr(Repository, "put_new_lead", _down)
        assert post_form([("name", "Bình"), ("phone", "0987654321")], headers=FETCH).status == 503
    # When an admin lists submissions by status
    accepted, failed, received = (_submissions(s) for s in ("accepted", "failed", "received"))
    # Then the lead's record reads accepted, with its answer, though it is stored as written first
    (record,) = accepted
    assert record["lead_id"] == ok.body["lead_id"] and record["answer"]["lead_id"] == ok.body["lead_id"]
    stored = moto_repo.get_submission(TENANT, record["submission_id"])
    assert stored is not None and stored.status == "received" and stored.rev == 0
    assert call_as("GET", f"/intake/submissions/{record['submission_id']}").body["status"] == "accepted"
    # …the crashed one is failed (replayable), and nothing is listed as still received
    assert [f["lead_id"] for f in failed] != [ok.body["lead_id"]] and len(failed) == 1
    assert received == []
    assert call_as("POST", f"/intake/submissions/{record['submission_id']}/replay").status == 409


def _down(self: Repository, *args: Any, **kwargs: Any) -> Any:
    raise ClientError({"Error": {"Code": "InternalServerError", "Message": "injected"}}, "PutItem")


def test_a_json_body_with_an_empty_field_name_is_a_422_and_stored_rejected(moto_repo: Repository) -> None:
    # Given a typed JSON body whose only key is "" (found by schemathesis: the problem's field name was
    # "", and DynamoDB refuses an empty map key, so the rejection's own write failed with a 500)
    add_form_source(moto_repo)
    reply = post_raw("/intake/leads", "application/json", b'{"": null}', {**FETCH, "X-Form-Key": FORM_KEY})
    # Then it is a 422 naming the empty field, and the submission is listed as rejected
    assert reply.status == 422, reply.body
    assert "(empty field name)" in {e["field"] for e in reply.body["errors"]}
    (record,) = _submissions("rejected")
    assert _leads(moto_repo) == []
    assert record["answer"]["problems"]["(empty field name)"]


# ------------------------------------------------------------------ pages a browser sees
def _page_text(reply: Any) -> str:
    assert reply.headers["Content-Type"].startswith("text/html"), reply.headers
    return str(reply.body)


def test_a_browser_over_its_rate_limit_gets_a_vietnamese_page_saying_to_wait(moto_repo: Repository) -> None:
    add_form_source(moto_repo, web_form=FormDoor(rate_per_ip_per_minute=1))
    post_form([("name", "An"), ("phone", "0912345678")], headers=NAVIGATION)
    limited = post_form([("name", "An"), ("phone", "0912345679")], headers=NAVIGATION)
    assert limited.status == 429 and int(limited.headers["Retry-After"]) >= 1
    page = _page_text(limited)
    assert "Bạn đã gửi nhiều lần trong thời gian ngắn." in page and "đợi một phút" in page
    assert "<strong></strong>" not in page and "để sửa" not in page and "correct and resend" not in page


def test_a_refused_origin_gets_a_page_that_does_not_ask_to_correct_the_form(moto_repo: Repository) -> None:
    add_form_source(moto_repo, web_form=FormDoor(allowed_origins=["https://shop.example.vn"]))
    other = {**NAVIGATION, "Origin": "https://copycat.example"}
    refused = post_form([("name", "An"), ("phone", "0912345678")], headers=other)
    assert refused.status == 403
    page = _page_text(refused)
    assert "Trang này không được phép gửi vào biểu mẫu này." in page and "liên hệ với chủ trang" in page
    assert "<strong>origin</strong>" not in page and "để sửa" not in page


@pytest.mark.parametrize("length", [129, 300, 2000])
def test_an_over_long_key_in_the_path_is_the_unknown_key_page(moto_repo: Repository, length: int) -> None:
    add_form_source(moto_repo)
    content_type, raw = urlencoded([("name", "An"), ("phone", "0912345678")])
    reply = post_raw("/f/" + "k" * length, content_type, raw, NAVIGATION)
    assert reply.status == 401
    assert "Biểu mẫu này không còn nhận thông tin." in _page_text(reply)
    assert post_raw("/f/" + "k" * length, content_type, raw, FETCH).status == 401  # JSON: the same 401
    assert _leads(moto_repo) == []


def test_an_over_size_body_is_a_page_for_a_browser_and_json_for_a_script(moto_repo: Repository) -> None:
    # Given bodies over the 64 KiB limit: at the form door, and at a JSON route the screen refuses
    add_form_source(moto_repo)
    content_type, raw = urlencoded([("name", "An"), ("phone", "0912345678"), ("ghi_chu", "x" * 70_000)])
    door = post_raw(f"/f/{FORM_KEY}", content_type, raw, NAVIGATION)
    big = json.dumps({"name": "x" * 70_000}).encode()
    screened = post_raw("/rules/preview", "application/json", big, NAVIGATION)
    screened_json = post_raw("/rules/preview", "application/json", big, FETCH)
    # Then a browser gets the page, a script JSON, each a 413
    assert door.status == screened.status == screened_json.status == 413
    for reply in (door, screened):
        assert "Nội dung gửi quá lớn." in _page_text(reply) and "để sửa" in _page_text(reply)
    assert screened_json.body["errors"][0]["field"] == "body"


def test_the_favicon_is_a_204_a_browser_accepts_and_the_pages_ask_for_none(moto_repo: Repository) -> None:
    icon = call_as("GET", "/favicon.ico", who=None)
    assert icon.status == 204 and not icon.body and "max-age" in icon.headers["Cache-Control"]
    page = call_as("GET", "/thanks", who=None)
    assert '<link rel="icon" href="data:,">' in page.body
    # …and the local API Gateway routes it without a token, from the template
    from leadrouter_local.apigw import routes
    from leadrouter_local.template import load_template

    (route,) = [r for r in routes(load_template()) if r.match("GET", "/favicon.ico") is not None]
    assert route.authenticated is False
