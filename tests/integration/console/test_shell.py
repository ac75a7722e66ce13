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
        "Quy tắc chia",
        "Nhân viên",
        "Phân bổ",
        "Nguồn lead",
        "Webhook và cảnh báo",
        "Người dùng",
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
