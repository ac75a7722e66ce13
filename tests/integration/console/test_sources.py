"""Nguồn lead in a real Chromium: create a form source, copy its snippet onto a page of another origin and
submit it; release a bot's submission from the inbox; edit a source's allowed origins; rotate its secret.

Each test makes its own source in its own data pool (no rule: its leads wait, nobody else's counts move).
"""

from __future__ import annotations

import random
import re
import urllib.error
import urllib.parse
import urllib.request
import uuid
from typing import Any

from playwright.sync_api import Page, expect

from tests.support.console import ADMIN, ConsoleApp, assert_accessible, open_screen, sign_in
from tests.support.landing import landing_page, serve_landing

THANK_YOU_VI = "Cảm ơn bạn! Chúng tôi đã nhận được thông tin và sẽ liên hệ sớm."


def _unique(prefix: str) -> str:
    return f"{prefix} {uuid.uuid4().hex[:8]}"


def _phone() -> str:
    """A Vietnamese mobile number nobody in the stack has yet (a known one would link, not create)."""
    return "0912" + "".join(random.choice("0123456789") for _ in range(6))  # 0992… would be refused


def _source_via_api(app: ConsoleApp, pool: str, **web_form: Any) -> dict[str, Any]:
    status, created = app.call(
        ADMIN, "POST", "/form-sources", {"name": _unique("Nguồn"), "pool": pool, "web_form": web_form}
    )
    assert status == 201, created
    source: dict[str, Any] = created
    return source


def _source(app: ConsoleApp, source_id: str) -> dict[str, Any]:
    status, listed = app.call(ADMIN, "GET", "/form-sources")
    assert status == 200, listed
    (source,) = [s for s in listed["items"] if s["source_id"] == source_id]
    found: dict[str, Any] = source
    return found


def _leads_in(app: ConsoleApp, pool: str) -> list[dict[str, Any]]:
    status, page = app.call(ADMIN, "GET", f"/leads?pool={urllib.parse.quote(pool)}&limit=200")
    assert status == 200, page
    return [item["lead"] for item in page["items"]]


def test_a_source_made_in_the_console_takes_a_lead_from_its_snippet_on_another_origin(
    page: Page, console_app: ConsoleApp
) -> None:
    pool = _unique("Landing")
    name = _unique("Landing Tết")
    with serve_landing() as site:
        sign_in(page, console_app, ADMIN)
        open_screen(page, "Nguồn lead")
        expect(page.get_by_role("link", name="Sửa Website form")).to_be_visible()
        assert_accessible(page, "40-sources-list")

        page.get_by_role("link", name="Tạo nguồn mới").click()
        expect(page.get_by_role("heading", level=1, name="Tạo nguồn biểu mẫu")).to_be_visible()
        page.get_by_label("Tên nguồn", exact=True).fill(name)
        page.get_by_label("Kho dữ liệu", exact=True).fill(pool)
        page.get_by_role("button", name="Thêm origin").click()
        page.get_by_label("Origin 1", exact=True).fill(site.origin)
        page.get_by_role("button", name="Thêm trường").click()
        page.get_by_label("Tên trường trên biểu mẫu, dòng 1").fill("dt_lien_he")
        page.get_by_label("Trường của lead, dòng 1").select_option("phone")
        # plain http on the internet is refused by the API: its message sits by the field, nothing is saved
        page.get_by_label("Trang cảm ơn (URL)").fill("http://landing.example.vn/cam-on")
        assert_accessible(page, "41-sources-form")
        page.get_by_role("button", name="Tạo nguồn").click()
        thanks = page.locator("#src-thanks-err")
        expect(thanks).to_contain_text("an absolute URL (https, or http only for localhost")
        expect(page.get_by_label("Trang cảm ơn (URL)")).to_have_attribute("aria-invalid", "true")
        expect(page.get_by_role("alert")).to_contain_text("thank_you_url")
        status, listed = console_app.call(ADMIN, "GET", "/form-sources")
        assert status == 200, listed
        assert name not in [s["name"] for s in listed["items"]]

        page.get_by_label("Trang cảm ơn (URL)").fill("")
        page.get_by_role("button", name="Tạo nguồn").click()
        expect(page.get_by_role("heading", level=1, name=f"Đã tạo nguồn {name}.")).to_be_visible()
        form_key = page.get_by_test_id("form-key").inner_text()
        assert form_key.startswith("fk_")
        expect(page.get_by_test_id("source-secret")).to_have_text(re.compile(r"^ss_"))

        # the snippet, copied with the button, is what the text area shows and posts to this source
        page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=console_app.url)
        page.get_by_role("button", name="Sao chép").click()
        expect(page.get_by_text("Đã sao chép đoạn mã.")).to_be_visible()
        snippet: str = page.evaluate("navigator.clipboard.readText()")
        assert snippet == page.get_by_label("Đoạn mã HTML để dán vào trang").input_value()
        assert f"/f/{form_key}" in snippet

        # the preview shows the form, sandboxed: no script of the snippet runs in it (its script adds
        # a landing_url field), and it has no permission to post or to reach the console
        frame = page.frame_locator("iframe.preview")
        expect(frame.locator("input[name=phone]")).to_be_visible()
        expect(frame.locator("button[type=submit]")).to_have_text("Gửi")
        expect(frame.locator("input[name=landing_url]")).to_have_count(0)
        assert page.locator("iframe.preview").get_attribute("sandbox") == ""
        assert_accessible(page, "42-sources-snippet-preview")

        # pasted into a page of another origin and submitted there by a visitor
        site.pages["/uu-dai"] = landing_page(snippet)
        visitor = console_app.browser.new_page(locale="vi-VN")
        try:
            visitor.goto(site.url("/uu-dai") + "?utm_source=facebook&utm_campaign=tet")
            phone = _phone()
            visitor.fill("input[name=name]", "Nguyễn Thị Ánh")
            visitor.fill("input[name=phone]", phone)
            visitor.click("button[type=submit]")
            expect(visitor.get_by_text(THANK_YOU_VI)).to_be_visible()
        finally:
            visitor.close()

    (lead,) = _leads_in(console_app, pool)
    assert lead["name"] == "Nguyễn Thị Ánh"
    assert lead["phone"].endswith(phone[1:])

    # and the inbox lists the submission as a lead, with its lead id
    page.get_by_role("link", name="Về danh sách nguồn").click()
    page.get_by_role("navigation", name="Nguồn lead: các mục").get_by_role("link", name="Hộp bài gửi").click()
    page.get_by_label("Nguồn", exact=True).select_option(label=name)
    row = page.get_by_role("row").filter(has_text=lead["lead_id"])
    expect(row).to_contain_text("Đã thành lead")


def test_a_bots_post_is_spam_in_the_inbox_until_the_admin_releases_it_into_a_lead(
    page: Page, console_app: ConsoleApp
) -> None:
    pool = _unique("Spam")
    created = _source_via_api(console_app, pool)
    # a bot posts the form itself and fills every field, the honeypot included
    body = urllib.parse.urlencode(
        {"name": "Bot Trần", "phone": _phone(), "_gotcha": "http://spam.example"}
    ).encode()
    request = urllib.request.Request(
        created["action_url"],
        data=body,
        method="POST",
        headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert answer.status == 201  # answered like a success: the bot learns nothing
    assert _leads_in(console_app, pool) == []

    sign_in(page, console_app, ADMIN)
    page.goto(f"{console_app.url}/#/sources/inbox")
    expect(page.get_by_role("heading", level=1, name="Hộp bài gửi")).to_be_visible()
    page.get_by_label("Trạng thái", exact=True).select_option(label="Spam (trường bẫy)")
    page.get_by_label("Nguồn", exact=True).select_option(label=created["source"]["name"])
    rows = page.locator("table.inbox tbody tr")
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text("Trường bẫy bị điền: có thể là bot")
    expect(rows.locator("td").nth(4)).to_have_text("—")  # the bot's "success" made no lead
    assert_accessible(page, "43-sources-inbox")

    rows.get_by_role("link", name="Xem bài gửi").click()
    expect(page.get_by_role("heading", level=1, name=re.compile("^Bài gửi lúc"))).to_be_visible()
    expect(page.get_by_role("row", name=re.compile("Trường bẫy"))).to_contain_text("Không đạt")
    expect(page.get_by_text("Bài gửi này chưa qua kiểm tra: Trường bẫy.")).to_be_visible()
    assert_accessible(page, "44-sources-submission-spam")
    page.get_by_role("button", name="Thả vào vòng chia").click()
    result = page.get_by_role("status").filter(has_text="Kết quả: lead")
    expect(result).to_contain_text("Đã thả dù chưa qua: Trường bẫy.")
    lead_id = re.search(r"lead (\S+) \(", result.inner_text())
    assert lead_id is not None
    facts = page.locator(".facts")
    expect(facts).to_contain_text("Đã thành lead")
    expect(facts).to_contain_text("Quản trị viên đã thả dù chưa qua kiểm tra: Trường bẫy")

    (lead,) = _leads_in(console_app, pool)
    assert lead["lead_id"] == lead_id.group(1)
    assert lead["name"] == "Bot Trần"
    assert_accessible(page, "45-sources-submission-released")


def test_an_admin_edits_a_sources_origins_and_field_map_and_issues_a_new_secret(
    page: Page, console_app: ConsoleApp
) -> None:
    created = _source_via_api(console_app, _unique("Sửa"), allowed_origins=["https://a.example.vn"])
    source_id, name = created["source"]["source_id"], created["source"]["name"]

    sign_in(page, console_app, ADMIN)
    open_screen(page, "Nguồn lead")
    page.get_by_role("link", name=f"Sửa {name}").click()
    expect(page.get_by_role("heading", level=1, name=f"Sửa nguồn: {name}")).to_be_visible()
    origins = page.locator("#src-origins")
    expect(origins.get_by_label("Origin 1", exact=True)).to_have_value("https://a.example.vn")

    # a row the console can judge is flagged as typed, and the form is not sent
    origins.get_by_role("button", name="Thêm origin").click()
    origins.get_by_label("Origin 2", exact=True).fill("http://b.example.vn")
    expect(origins.get_by_text("Origin phải có dạng https://")).to_be_visible()
    page.get_by_role("button", name="Lưu", exact=True).click()
    expect(page.get_by_text("Hãy sửa các ô được đánh dấu trước khi lưu.")).to_be_visible()
    assert _source(console_app, source_id)["rev"] == 0

    origins.get_by_label("Origin 2", exact=True).fill("https://B.example.vn/")
    page.get_by_role("button", name="Thêm trường").click()
    page.get_by_label("Tên trường trên biểu mẫu, dòng 1").fill("dt_lien_he")
    page.get_by_label("Trường của lead, dòng 1").select_option("phone")
    # one the API judges: its 422 by the field, nothing saved
    page.get_by_label("Số bài gửi mỗi phút từ một IP").fill("0")
    page.get_by_role("button", name="Lưu", exact=True).click()
    expect(page.locator("#src-rate-ip-err")).to_have_text("Input should be greater than or equal to 1")
    assert _source(console_app, source_id)["rev"] == 0

    page.get_by_label("Số bài gửi mỗi phút từ một IP").fill("20")
    page.get_by_role("button", name="Lưu", exact=True).click()
    expect(page.get_by_text("Đã lưu.", exact=True)).to_be_visible()
    saved = _source(console_app, source_id)
    assert saved["rev"] == 1
    assert saved["web_form"]["allowed_origins"] == ["https://a.example.vn", "https://b.example.vn"]
    assert saved["web_form"]["field_map"] == {"dt_lien_he": "phone"}
    assert saved["web_form"]["rate_per_ip_per_minute"] == 20
    expect(origins.get_by_label("Origin 2", exact=True)).to_have_value("https://b.example.vn")

    # CAPTCHA: the secret is required the first time (the API names it), then write-only
    page.get_by_label("Bật CAPTCHA").check()
    page.get_by_label("Site key").fill("0x4AAAAAAA-site")
    page.get_by_role("button", name="Lưu", exact=True).click()
    expect(page.locator("#src-captcha-secret-err")).to_have_text("give the provider's secret")
    assert _source(console_app, source_id)["rev"] == 1
    page.get_by_label("Khoá bí mật CAPTCHA").fill("local-captcha-secret")
    page.get_by_role("button", name="Lưu", exact=True).click()
    expect(page.get_by_text("Đã lưu.", exact=True)).to_be_visible()
    captcha = _source(console_app, source_id)["web_form"]["captcha"]
    assert captcha["provider"] == "turnstile" and captcha["site_key"] == "0x4AAAAAAA-site"
    assert "secret" not in captcha
    expect(page.get_by_label("Khoá bí mật CAPTCHA")).to_have_value("")
    expect(page.get_by_text("Để trống để giữ khoá đã lưu.")).to_be_visible()
    assert_accessible(page, "46-sources-edit")
    page.get_by_label("Bật CAPTCHA").uncheck()  # off again: the server post below carries no token
    page.get_by_role("button", name="Lưu", exact=True).click()
    expect(page.get_by_label("Site key")).to_have_count(0)
    expect(page.get_by_text("Đã lưu.", exact=True)).to_be_visible()
    assert _source(console_app, source_id)["web_form"]["captcha"] is None
    page.set_viewport_size({"width": 390, "height": 844})
    assert_accessible(page, "47-sources-edit-phone")
    page.set_viewport_size({"width": 1280, "height": 900})

    # a new secret, shown once; the server is answered with the lead when it sends it
    page.get_by_role("button", name="Tạo khoá bí mật mới").click()
    expect(page.get_by_text("Khoá này sẽ không hiện lại.")).to_be_visible()
    secret = page.get_by_test_id("new-secret").inner_text()
    assert secret.startswith("ss_") and secret != created["source_secret"]
    request = urllib.request.Request(
        f"{console_app.url}/intake/leads",
        data=b'{"name": "Ph\\u1ea1m V\\u0103n C\\u01b0\\u1eddng", "phone": "' + _phone().encode() + b'"}',
        method="POST",
        headers={
            "Content-Type": "application/json",
            "X-Form-Key": created["form_key"],
            "X-Source-Secret": secret,
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            assert answer.status == 201
            body = answer.read().decode()
    except urllib.error.HTTPError as error:  # pragma: no cover - the assertion says what came back
        raise AssertionError(error.read().decode()) from error
    assert '"lead_id"' in body  # with the new secret a server is told the lead (a key alone: a receipt)
