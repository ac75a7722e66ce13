"""The console's frame: sign-in through the local Cognito pool, the role's menu, the language switch."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.support.console import (
    ADMIN,
    SALES_A,
    ConsoleApp,
    assert_accessible,
    screenshot,
    sign_in,
)


def test_the_sign_in_screen_is_vietnamese_accessible_and_refuses_a_wrong_password(
    page: Page, console_app: ConsoleApp
) -> None:
    page.goto(f"{console_app.url}/")
    expect(page.get_by_role("heading", level=1, name="Đăng nhập")).to_be_visible()
    assert page.evaluate("document.documentElement.lang") == "vi"
    assert_accessible(page, "00-sign-in")
    page.get_by_label("E-mail").fill(ADMIN)
    page.get_by_label("Mật khẩu").fill("not-the-password")
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.get_by_role("alert")).to_have_text("E-mail hoặc mật khẩu không đúng.")
    expect(page.get_by_role("navigation")).to_have_count(0)


def test_the_admin_signs_in_sees_every_screen_and_switches_to_english_and_back(
    page: Page, console_app: ConsoleApp
) -> None:
    sign_in(page, console_app, ADMIN)
    menu = page.get_by_role("navigation", name="Menu chính")
    names = menu.get_by_role("link").all_inner_texts()
    assert names == [
        "Tổng quan",
        "Khách hàng tiềm năng",
        "Nhập khách hàng",
        "Quy tắc chia",
        "Nhân viên",
        "Phân bổ",
        "Nguồn lead",
        "Webhook và cảnh báo",
        "Người dùng",
        "Quyền riêng tư",
    ]
    expect(page).to_have_url(re.compile(r"#/home$"))
    page.get_by_role("button", name="Switch to English").click()
    expect(
        page.get_by_role("navigation", name="Main menu").get_by_role("link", name="Assignment rules")
    ).to_be_visible()
    assert page.evaluate("document.documentElement.lang") == "en"
    screenshot(page, "01-home-english")
    page.reload()  # the choice is kept
    expect(page.get_by_role("link", name="Overview")).to_be_visible()
    page.get_by_role("button", name="Chuyển sang tiếng Việt").click()
    expect(page.get_by_role("link", name="Tổng quan")).to_be_visible()
    page.get_by_role("button", name="Đăng xuất").click()
    expect(page.get_by_role("heading", level=1, name="Đăng nhập")).to_be_visible()
    page.reload()  # signed out for good: the tokens are gone
    expect(page.get_by_role("heading", level=1, name="Đăng nhập")).to_be_visible()


def test_a_salesperson_lands_on_their_own_work_and_sees_no_admin_screen(
    page: Page, console_app: ConsoleApp
) -> None:
    sign_in(page, console_app, SALES_A)
    expect(page).to_have_url(re.compile(r"#/mywork$"))
    names = page.get_by_role("navigation", name="Menu chính").get_by_role("link").all_inner_texts()
    assert names == ["Việc của tôi", "Khách hàng tiềm năng"]
    page.goto(f"{console_app.url}/#/rules")  # not in their menu: not shown, whatever the URL says
    expect(page.get_by_role("heading", level=1, name="Không tìm thấy trang này.")).to_be_visible()
    page.goto(f"{console_app.url}/#/privacy")  # nor the privacy screens (admins only)
    expect(page.get_by_role("heading", level=1, name="Không tìm thấy trang này.")).to_be_visible()


_EXPIRE_STORED_TOKENS = """() => {
  // The ID and access tokens as if an hour had passed: the same claims with an exp in the past.
  const expired = (token) => {
    const [head, body, signature] = token.split(".");
    const claims = JSON.parse(atob(body.replace(/-/g, "+").replace(/_/g, "/")));
    claims.exp = Math.floor(Date.now() / 1000) - 60;
    const encoded = btoa(JSON.stringify(claims)).replace(/\\+/g, "-").replace(/\\//g, "_").replace(/=+$/, "");
    return [head, encoded, signature].join(".");
  };
  const keys = Object.keys(localStorage).filter((k) => /\\.(idToken|accessToken)$/.test(k));
  for (const key of keys) localStorage.setItem(key, expired(localStorage.getItem(key)));
  return keys.map((k) => localStorage.getItem(k));
}"""


def test_an_expired_id_token_is_refreshed_with_the_refresh_token(page: Page, console_app: ConsoleApp) -> None:
    sign_in(page, console_app, ADMIN)
    expired = page.evaluate(_EXPIRE_STORED_TOKENS)
    assert len(expired) == 2
    # The expired tokens would be refused (the gateway verifies the signature and the expiry): the next
    # screen's API calls work only if the library refreshed them first.
    page.reload()
    expect(page.get_by_role("navigation", name="Menu chính")).to_be_visible()
    page.get_by_role("navigation", name="Menu chính").get_by_role("link", name="Người dùng").click()
    expect(page.get_by_role("table").get_by_role("row", name=re.compile("admin@demo.test"))).to_be_visible()
    stored = page.evaluate(
        "() => Object.keys(localStorage).filter((k) => /\\.idToken$/.test(k))"
        ".map((k) => localStorage.getItem(k))"
    )
    assert stored and stored[0] not in expired
