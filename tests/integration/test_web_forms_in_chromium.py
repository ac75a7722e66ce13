"""A real web form in a real headless Chromium: the snippet on a landing page of another origin.

Against `make run`'s stack (started in-process, as for the Swagger UI test), with the system's Chromium
(Debian's ``chromium``; Playwright's own browser download is not used). A form source is created through
the API with the admin demo token; the HTML snippet it returns is put, as returned, on a static page
served from another port, opened with UTM tags and a click id in its URL. A visitor fills it with a
Vietnamese name and submits it with JavaScript off (urlencoded, then multipart) and on (the snippet's
inline script). What the visitor sees is asserted in the browser; what was stored, through the API.
A screenshot of each end page is kept in ``tests/artifacts/`` (ignored by git).
"""

from __future__ import annotations

import shutil
import unicodedata
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from playwright.sync_api import Browser, Page, Playwright

from leadrouter_local.demo_data import ASSIGN_RULE, STAFF
from tests.support import stack as local_stack
from tests.support.landing import LandingSite, landing_page, serve_landing

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
ADMIN = {"Authorization": "Bearer demo-admin"}
NAME = "Nguyễn Thị Ánh"
CAMPAIGN = "Tết 2027"
#: The ad's landing URL as Meta sends visitors to it: percent-encoded UTF-8, a case-sensitive click id.
QUERY = f"?utm_source=facebook&utm_campaign={quote(CAMPAIGN)}&fbclid=AbC123"
THANK_YOU_VI = "Cảm ơn bạn! Chúng tôi đã nhận được thông tin và sẽ liên hệ sớm."
THANK_YOU_EN = "Thank you! We received your details and will contact you soon."


@dataclass(frozen=True)
class Door:
    """The stack, the landing site, a browser, and the snippet of a source created through the API."""

    api: str
    site: LandingSite
    browser: Browser
    action_url: str
    snippet: str


@pytest.fixture(scope="module")
def door(playwright: Playwright) -> Iterator[Door]:
    if not shutil.which("chromium"):
        pytest.fail("Chromium is needed for the web form tests: apt-get install -y chromium", pytrace=False)
    ARTIFACTS.mkdir(exist_ok=True)
    port = local_stack.free_port()
    api = f"http://127.0.0.1:{port}"
    # Schedules that would not fire for an hour: only the leads-table stream can assign on arrival.
    process = local_stack.start(port, "--schedule-seconds", "3600")
    try:
        local_stack.wait_ready(process, api)
        with serve_landing() as site:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, args=["--no-sandbox", "--headless", "--disable-gpu"]
            )
            created = _create_source(api, "Landing page Tết", {"allowed_origins": [site.origin]})
            yield Door(
                api=api,
                site=site,
                browser=browser,
                action_url=created["action_url"],
                snippet=created["snippet"],
            )
            browser.close()
    finally:
        local_stack.stop(process)


def _create_source(api: str, name: str, web_form: dict[str, Any]) -> dict[str, Any]:
    """A form source in the demo pool (whose rule rotates A, B, C), created as the admin would."""
    status, created = local_stack.request(
        f"{api}/form-sources", "POST", {"name": name, "pool": "web", "web_form": web_form}, ADMIN
    )
    assert status == 201, created
    assert created["action_url"] == f"{api}/f/{created['form_key']}"
    assert created["action_url"] in created["snippet"]
    source: dict[str, Any] = created
    return source


def _visit(door: Door, path: str, html: str, *, javascript: bool) -> Page:
    """Publish ``html`` at ``path`` on the landing site; open it with the ad's query in a fresh context."""
    door.site.pages[path] = landing_page(html)
    context = door.browser.new_context(java_script_enabled=javascript, locale="vi-VN")
    page = context.new_page()
    page.goto(door.site.url(path) + QUERY)
    return page


def _fill_and_submit(page: Page, name: str, phone: str) -> None:
    page.fill("input[name=name]", name)
    page.fill("input[name=phone]", phone)
    page.click("button[type=submit]")


def _screenshot(page: Page, scenario: str) -> Path:
    path = ARTIFACTS / f"web_form_{scenario}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 0
    return path


def _leads_with_phone(api: str, digits: str) -> list[dict[str, Any]]:
    """Every lead whose phone has these national digits (the door stores it normalised)."""
    status, page = local_stack.request(f"{api}/leads?limit=200", headers=ADMIN)
    assert status == 200, page
    return [
        item["lead"]
        for item in page["items"]
        if "".join(ch for ch in str(item["lead"].get("phone") or "") if ch.isdigit()).endswith(digits[1:])
    ]


def _the_assigned_lead(api: str, phone: str) -> dict[str, Any]:
    """The one lead of ``phone``, once the demo rule (by the stream trigger) has assigned it."""
    digits = "".join(ch for ch in phone if ch.isdigit())

    def assigned() -> bool:
        leads = _leads_with_phone(api, digits)
        return len(leads) == 1 and leads[0]["status"] == "assigned"

    local_stack.until(assigned, 30, "the lead to be stored once and assigned")
    (lead,) = _leads_with_phone(api, digits)
    status, detail = local_stack.request(f"{api}/leads/{lead['lead_id']}", headers=ADMIN)
    assert status == 200, detail
    decisions = [h for h in detail["history"] if h["type"] == "decision"]
    assert [(h["action"], h["rule_id"]) for h in decisions] == [("assigned", ASSIGN_RULE)], detail["history"]
    assert detail["lead"]["owner"] == decisions[0]["staff_id"] and detail["lead"]["owner"] in STAFF
    found: dict[str, Any] = detail["lead"]
    return found


def _assert_attributed_to_the_ad(lead: dict[str, Any], landing: str) -> None:
    """The first touch is the ad's: its tags, its click id, and the page the form was on."""
    first = lead["attribution"]["first"]
    assert first["utm_source"] == "facebook"
    assert first["utm_campaign"] == CAMPAIGN
    assert first["fbclid"] == "AbC123"  # a click id's case is kept exactly
    assert first["landing_url"] == landing


def _assert_on_the_built_in_thank_you_page(door: Door, page: Page) -> None:
    assert page.url == f"{door.api}/thanks"
    assert page.locator("h1").inner_text() == "Cảm ơn bạn! / Thank you!"
    text = page.locator("main").inner_text()
    assert THANK_YOU_VI in text and THANK_YOU_EN in text


def test_a_plain_form_without_javascript_lands_on_the_thank_you_page_and_the_lead_is_assigned(
    door: Door,
) -> None:
    # Given the snippet as the API returned it (urlencoded) on the landing page, JavaScript off
    page = _visit(door, "/uu-dai-tet", door.snippet, javascript=False)
    landing = page.url  # reaches the door in the Referer (the page's referrer policy)
    # When a visitor fills in a Vietnamese name and a phone and submits
    _fill_and_submit(page, NAME, "0912 345 601")
    page.wait_for_url(f"{door.api}/thanks")
    # Then the browser ends on the built-in thank-you page, in Vietnamese with an English line
    _assert_on_the_built_in_thank_you_page(door, page)
    _screenshot(page, "1_urlencoded_no_js")
    # …and the lead exists once, its name intact, attributed to the ad, and assigned by the demo rule
    lead = _the_assigned_lead(door.api, "0912 345 601")
    assert lead["name"] == unicodedata.normalize("NFC", NAME)
    _assert_attributed_to_the_ad(lead, landing)
    page.context.close()


def test_a_multipart_form_without_javascript_keeps_the_vietnamese_name(door: Door) -> None:
    # Given the same snippet posting multipart/form-data, JavaScript off
    multipart = door.snippet.replace(
        'accept-charset="UTF-8"', 'accept-charset="UTF-8" enctype="multipart/form-data"'
    )
    assert 'enctype="multipart/form-data"' in multipart
    page = _visit(door, "/uu-dai-tet-multipart", multipart, javascript=False)
    landing = page.url  # reaches the door in the Referer (the page's referrer policy)
    # When the name is typed decomposed (NFD, as some keyboards produce it) and the form submitted
    decomposed = unicodedata.normalize("NFD", NAME)
    page.fill("input[name=name]", decomposed)
    assert page.input_value("input[name=name]") == decomposed != NAME  # the browser sends it as typed
    page.fill("input[name=phone]", "0912 345 602")
    page.click("button[type=submit]")
    page.wait_for_url(f"{door.api}/thanks")
    # Then the visitor sees the thank-you page and the lead is stored once, NFC, attributed, assigned
    _assert_on_the_built_in_thank_you_page(door, page)
    _screenshot(page, "2_multipart_no_js")
    lead = _the_assigned_lead(door.api, "0912 345 602")
    assert lead["name"] == unicodedata.normalize("NFC", NAME)
    _assert_attributed_to_the_ad(lead, landing)
    page.context.close()


def test_with_javascript_the_inline_script_posts_and_shows_the_message_without_leaving(door: Door) -> None:
    # Given the snippet on the landing page with JavaScript on (its inline script runs)
    page = _visit(door, "/uu-dai-tet-js", door.snippet, javascript=True)
    landing = page.url  # the script sends it as a hidden landing_url field
    posts: list[dict[str, Any]] = []
    page.on(
        "response",
        lambda r: posts.append({"url": r.url, "status": r.status}) if r.request.method == "POST" else None,
    )
    # When a visitor submits
    _fill_and_submit(page, "Trần Văn Bình", "0912 345 603")
    note = page.locator(".leadrouter-note")
    note.filter(has_text=THANK_YOU_VI).wait_for(timeout=15_000)
    # Then the page shows the inline success message and stays where it is, the form hidden
    assert note.inner_text() == THANK_YOU_VI
    assert page.url == landing
    assert page.locator("form").is_hidden()
    assert [p["status"] for p in posts] == [201], posts  # fetch got the JSON answer (CORS allowed it)
    _screenshot(page, "3_inline_script")
    # …and the lead exists once, attributed from the landing URL the script sent, and assigned
    lead = _the_assigned_lead(door.api, "0912 345 603")
    assert lead["name"] == "Trần Văn Bình"
    _assert_attributed_to_the_ad(lead, landing)
    page.context.close()


def test_a_source_with_its_own_thank_you_page_sends_the_browser_there(door: Door) -> None:
    # Given a source whose thank-you page is on the landing site, its snippet there, JavaScript off
    thanks = door.site.url("/cam-on")
    door.site.pages["/cam-on"] = landing_page("<p>Hẹn gặp bạn tại cửa hàng!</p>\n", title="Cảm ơn quý khách")
    created = _create_source(
        door.api,
        "Landing page, own thank-you",
        {"allowed_origins": [door.site.origin], "thank_you_url": thanks},
    )
    page = _visit(door, "/uu-dai-rieng", created["snippet"], javascript=False)
    landing = page.url  # reaches the door in the Referer (the page's referrer policy)
    redirects: list[int] = []
    page.on("response", lambda r: redirects.append(r.status) if r.url.startswith(door.api) else None)
    # When a visitor submits
    _fill_and_submit(page, "Lê Thị Hồng Nhung", "0912 345 604")
    page.wait_for_url(thanks)
    # Then the door answered 303 and the browser ends on the source's own page
    assert redirects == [303], redirects
    assert page.url == thanks
    assert page.locator("h1").inner_text() == "Cảm ơn quý khách"
    _screenshot(page, "4_own_thank_you_page")
    lead = _the_assigned_lead(door.api, "0912 345 604")
    assert lead["name"] == "Lê Thị Hồng Nhung"
    _assert_attributed_to_the_ad(lead, landing)
    page.context.close()


def test_a_form_carrying_its_key_in_a_hidden_field_posts_to_the_intake_url(door: Door) -> None:
    # Given a hand-made form posting to /intake/leads with the key in a hidden form_key field (a form
    # cannot set the X-Form-Key header), JavaScript off
    created = _create_source(door.api, "Landing page, hidden key", {"allowed_origins": [door.site.origin]})
    hidden_key = f'<input type="hidden" name="form_key" value="{created["form_key"]}">\n  <p><button'
    html = (
        created["snippet"]
        .replace(created["action_url"], f"{door.api}/intake/leads")
        .replace("  <p><button", hidden_key)
    )
    assert f'action="{door.api}/intake/leads"' in html and 'name="form_key"' in html
    page = _visit(door, "/lien-he", html, javascript=False)
    landing = page.url
    # When a visitor submits
    _fill_and_submit(page, "Võ Thị Sáu", "0912 345 605")
    page.wait_for_url(f"{door.api}/thanks")
    # Then it ends on the thank-you page, and the lead is stored once, attributed and assigned
    _assert_on_the_built_in_thank_you_page(door, page)
    _screenshot(page, "5_hidden_form_key")
    lead = _the_assigned_lead(door.api, "0912 345 605")
    assert lead["name"] == "Võ Thị Sáu"
    _assert_attributed_to_the_ad(lead, landing)
    assert "form_key" not in (lead.get("attributes") or {})  # the key is how it got in, not what it says
    page.context.close()


def test_a_wrong_phone_without_javascript_shows_what_to_fix_and_the_submission_is_kept(door: Door) -> None:
    # Given the snippet as returned, JavaScript off
    page = _visit(door, "/uu-dai-tet-sai-so", door.snippet, javascript=False)
    answers: list[int] = []
    page.on("response", lambda r: answers.append(r.status) if r.request.method == "POST" else None)
    # When a visitor submits a phone that is not one
    _fill_and_submit(page, "Phạm Văn Cường", "12")
    page.locator("h1").filter(has_text="Chưa gửi được thông tin").wait_for(timeout=15_000)
    # Then the browser shows a 422 page saying, in Vietnamese first, what to fix and how to go back
    assert answers == [422], answers
    text = page.locator("main").inner_text()
    assert "Số điện thoại không hợp lệ." in text and "We could not send your details" in text
    assert "Quay lại" in text
    assert page.url == door.action_url  # the answer to the post itself: no form value in a URL
    _screenshot(page, "6_wrong_phone_error_page")
    # …and no lead was made, but the submission is listed as rejected, to be replayed once fixed
    status, rejected = local_stack.request(f"{door.api}/intake/submissions?status=rejected", headers=ADMIN)
    assert status == 200, rejected
    names = [dict(s["fields"]).get("name") for s in rejected["items"]]
    assert names.count("Phạm Văn Cường") == 1, names
    page.context.close()


# ------------------------------------------------------------------ CORS: the default, and a listed origin
def test_the_snippet_of_a_source_with_default_settings_works_from_another_origin_with_javascript(
    door: Door,
) -> None:
    # Given a source created with default settings (no allowed origins listed), its snippet as returned,
    # on a page of another origin (the landing site's port, not the API's), JavaScript on
    created = _create_source(door.api, "Landing page, defaults", {})
    assert created["source"]["web_form"]["allowed_origins"] == []
    page = _visit(door, "/mac-dinh", created["snippet"], javascript=True)
    posts: list[dict[str, Any]] = []
    page.on(
        "response",
        lambda r: (
            posts.append({"status": r.status, "acao": r.headers.get("access-control-allow-origin")})
            if r.request.method == "POST"
            else None
        ),
    )
    # When a visitor submits
    _fill_and_submit(page, "Đỗ Thị Mai", "0912 345 606")
    note = page.locator(".leadrouter-note")
    note.filter(has_text=THANK_YOU_VI).wait_for(timeout=15_000)
    # Then the page shows the snippet's success message: the answer echoed the page's origin
    assert note.inner_text() == THANK_YOU_VI
    assert posts == [{"status": 201, "acao": door.site.origin}], posts
    _screenshot(page, "7_default_source_inline_script")
    # …and the lead is stored once and assigned
    lead = _the_assigned_lead(door.api, "0912 345 606")
    assert lead["name"] == "Đỗ Thị Mai"
    page.context.close()


#: A script on the landing page posting to the door: a simple POST (FormData, as the snippet does) and one
#: that needs a preflight (JSON with X-Form-Key); each says what the page could read.
_PROBE = """async ([formUrl, intakeUrl, key]) => {
  const tryIt = async (url, init) => {
    try { const r = await fetch(url, init); return "read " + r.status; }
    catch (e) { return e.name; }
  };
  const form = new FormData();
  form.append("name", "Lý Văn Tâm");
  form.append("phone", "0912345607");
  const simple = await tryIt(formUrl, {method: "POST", body: form, headers: {Accept: "application/json"}});
  const body = JSON.stringify({name: "Lý Văn Tâm", phone: "0912345608"});
  const headers = {"Content-Type": "application/json", "X-Form-Key": key};
  const preflighted = await tryIt(intakeUrl, {method: "POST", body, headers});
  const json = {"Content-Type": "application/json"};
  const preflightedForm = await tryIt(formUrl, {method: "POST", body, headers: json});
  return [simple, preflighted, preflightedForm];
}"""


def _probe(door: Door, path: str, created: dict[str, Any]) -> list[str]:
    """Run ``_PROBE`` on a landing page: what its script could read of each answer."""
    page = _visit(door, path, "<p>Trang thử</p>\n", javascript=True)
    read: list[str] = page.evaluate(
        _PROBE, [created["action_url"], f"{door.api}/intake/leads", created["form_key"]]
    )
    page.context.close()
    return read


def _answer_headers(request: urllib.request.Request) -> tuple[int, dict[str, str]]:
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return int(answer.status), dict(answer.headers)
    except urllib.error.HTTPError as error:
        return int(error.code), dict(error.headers)


def test_a_source_listing_other_origins_refuses_this_one_at_preflight_and_post(door: Door) -> None:
    # Given a source that lists only another origin than the landing site's
    created = _create_source(
        door.api, "Landing page, other site", {"allowed_origins": ["https://shop.example.vn"]}
    )
    # When a script on the landing page posts to it, simply and with a preflight
    read = _probe(door, "/trang-khac", created)
    # Then the page can read none of the answers: the simple POST's answer carries no ACAO, the
    # per-source preflight of /f/{key} refuses, and /intake/leads' POST (whose preflight cannot know the
    # key) carries no ACAO either
    assert read == ["TypeError", "TypeError", "TypeError"], read
    # …the simple POST reached the door and was refused (stored as rejected: origin), the JSON POST to
    # /intake/leads too; the form door's JSON POST never left the browser (its preflight failed)
    status, rejected = local_stack.request(f"{door.api}/intake/submissions?status=rejected", headers=ADMIN)
    assert status == 200
    mine = [s for s in rejected["items"] if s["source_id"] == created["source"]["source_id"]]
    assert [s["reason"] for s in mine] == ["origin", "origin"], mine
    # …and over plain HTTP: the form door's preflight and its POST's answer give this origin no ACAO,
    # while a listed origin passes the preflight
    asked = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}
    url = created["action_url"]
    refused = urllib.request.Request(url, method="OPTIONS", headers={"Origin": door.site.origin, **asked})
    shop = "https://shop.example.vn"
    listed = urllib.request.Request(url, method="OPTIONS", headers={"Origin": shop, **asked})
    post = urllib.request.Request(
        url, data=b"name=T&phone=0912345609", method="POST", headers={"Origin": door.site.origin}
    )
    status, headers = _answer_headers(refused)
    assert status == 204 and "Access-Control-Allow-Origin" not in headers, headers
    status, headers = _answer_headers(listed)
    assert status == 204 and headers["Access-Control-Allow-Origin"] == shop, headers
    assert "x-form-key" in headers["Access-Control-Allow-Headers"].lower()
    status, headers = _answer_headers(post)
    assert status == 403 and "Access-Control-Allow-Origin" not in headers, headers


def test_a_listed_origin_passes_the_preflight_and_reads_the_answers(door: Door) -> None:
    created = _create_source(door.api, "Landing page, this site", {"allowed_origins": [door.site.origin]})
    read = _probe(door, "/trang-nay", created)
    assert read == ["read 201", "read 201", "read 201"], read
