"""Nhân viên: the staff list, a member's page (shifts, caps, leave calendar, pause), revision conflicts,
the tenant's holiday calendar, and the team lead's read-only view — in real Chromium against make run."""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from playwright.sync_api import Page, expect

from tests.support.console import (
    ADMIN,
    TEAM_LEAD,
    ConsoleApp,
    assert_accessible,
    open_screen,
    sign_in,
)

CONFLICT = "Có người vừa thay đổi mục này. Hãy tải lại để xem bản mới nhất."


def _new_member(app: ConsoleApp, **fields: object) -> dict[str, object]:
    tag = uuid.uuid4().hex[:8]
    body = {"staff_id": f"T{tag}", "name": f"Thử {tag}", **fields}
    status, member = app.call(ADMIN, "POST", "/staff", body)
    assert status == 201, member
    return dict(member)


def _open_member(page: Page, app: ConsoleApp, staff_id: str, name: str) -> None:
    page.goto(f"{app.url}/#/staff/{staff_id}")
    expect(page.get_by_role("heading", level=1, name=f"Nhân viên: {name}")).to_be_visible()


def _next_month_days(*days: int) -> list[str]:
    today = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date()
    first = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
    return [date(first.year, first.month, d).isoformat() for d in days]


def test_the_admin_adds_a_member_sets_shifts_a_cap_and_leave_days_and_they_are_kept(
    page: Page, console_app: ConsoleApp
) -> None:
    tag = uuid.uuid4().hex[:8]
    name, staff_id = f"Nguyễn Văn {tag}", f"N{tag}"
    sign_in(page, console_app, ADMIN)
    open_screen(page, "Nhân viên")
    expect(page.get_by_role("table")).to_be_visible()
    assert_accessible(page, "30-staff-list")

    # Add a member through the screen: their page opens
    page.get_by_label("Họ tên").fill(name)
    page.get_by_label("Mã nhân viên (để trống để tự tạo)").fill(staff_id)
    page.get_by_label("Nhóm (không bắt buộc)").fill("kinh-doanh")
    page.get_by_role("button", name="Thêm nhân viên").click()
    expect(page.get_by_role("heading", level=1, name=f"Nhân viên: {name}")).to_be_visible()
    expect(page).to_have_url(re.compile(rf"#/staff/{staff_id}$"))

    # Monday 08:00–12:00 and 13:30–17:30, copied to Tuesday–Friday
    page.get_by_role("button", name="Thêm ca cho Thứ Hai").click()
    page.get_by_label("Thứ Hai, ca 1: bắt đầu").fill("08:00")
    page.get_by_label("Thứ Hai, ca 1: kết thúc").fill("12:00")
    page.get_by_role("button", name="Thêm ca cho Thứ Hai").click()
    page.get_by_label("Thứ Hai, ca 2: bắt đầu").fill("13:30")
    page.get_by_label("Thứ Hai, ca 2: kết thúc").fill("17:30")
    page.get_by_role("button", name="Chép ca thứ Hai sang thứ Ba – thứ Sáu").click()
    expect(page.get_by_label("Thứ Sáu, ca 2: kết thúc")).to_have_value("17:30")
    page.get_by_label("Tối đa lead đang mở").fill("7")
    assert_accessible(page, "31-staff-edit")

    # Two leave days next month: one by a click, one by the keyboard (two days later, Space)
    first, second = _next_month_days(10, 12)
    page.get_by_role("button", name="Tháng sau").click()
    page.locator(f'button[data-day="{first}"]').click()
    expect(page.locator(f'button[data-day="{first}"]')).to_have_attribute("aria-pressed", "true")
    # From the day just clicked (focused again: the grid may re-render when the holidays arrive), two
    # days to the right by the keyboard.
    page.locator(f'button[data-day="{first}"]').press("ArrowRight")
    between = _next_month_days(11, 11)[0]
    expect(page.locator(f'button[data-day="{between}"]')).to_be_focused()  # each key from where focus is
    page.keyboard.press("ArrowRight")
    expect(page.locator(f'button[data-day="{second}"]')).to_be_focused()
    page.keyboard.press("Space")
    expect(page.locator(f'button[data-day="{second}"]')).to_have_attribute("aria-pressed", "true")
    expect(page.locator("[data-leave]")).to_have_count(2)
    assert_accessible(page, "32-staff-calendar")

    page.get_by_role("button", name="Lưu", exact=True).click()
    expect(page.get_by_role("status").filter(has_text="Đã lưu.")).to_be_visible()

    # Kept after a reload, as entered
    page.reload()
    expect(page.get_by_label("Thứ Hai, ca 2: bắt đầu")).to_have_value("13:30")
    expect(page.get_by_label("Thứ Năm, ca 1: kết thúc")).to_have_value("12:00")
    expect(page.get_by_label("Thứ Bảy, ca 1: bắt đầu")).to_have_count(0)
    expect(page.get_by_label("Tối đa lead đang mở")).to_have_value("7")
    expect(page.locator("[data-leave]")).to_have_count(2)
    expect(page.locator(f'[data-leave="{first}"]')).to_be_visible()
    # …and stored in the member's zone, exactly as entered
    status, stored = console_app.call(ADMIN, "GET", f"/staff/{staff_id}")
    assert status == 200
    assert stored["time_zone"] == "Asia/Ho_Chi_Minh"
    assert stored["working_hours"] == [
        {"days": [1, 2, 3, 4, 5], "start": "08:00:00", "end": "12:00:00"},
        {"days": [1, 2, 3, 4, 5], "start": "13:30:00", "end": "17:30:00"},
    ]
    assert stored["leave_dates"] == [first, second]
    assert (stored["max_open_leads"], stored["team"], stored["name"]) == (7, "kinh-doanh", name)
    # On a phone the page wraps (the shifts table scrolls in its frame) and stays accessible
    page.set_viewport_size({"width": 390, "height": 844})
    expect(page.get_by_label("Thứ Hai, ca 1: bắt đầu")).to_be_visible()
    assert_accessible(page, "36-staff-edit-phone")


def test_bad_shifts_and_a_bad_cap_are_shown_by_field_and_nothing_is_saved(
    page: Page, console_app: ConsoleApp
) -> None:
    member = _new_member(console_app, max_open_leads=4)
    sign_in(page, console_app, ADMIN)
    _open_member(page, console_app, str(member["staff_id"]), str(member["name"]))
    # A shift ending before it starts is caught in the page: nothing is sent
    page.get_by_role("button", name="Thêm ca cho Thứ Ba").click()
    page.get_by_label("Thứ Ba, ca 1: bắt đầu").fill("17:00")
    page.get_by_label("Thứ Ba, ca 1: kết thúc").fill("09:00")
    expect(page.get_by_text("Giờ kết thúc phải sau giờ bắt đầu.")).to_be_visible()
    page.get_by_role("button", name="Lưu", exact=True).click()
    expect(page.get_by_role("alert")).to_have_text("Hãy sửa các ca làm việc được đánh dấu trước khi lưu.")
    page.get_by_role("button", name="Xóa ca 1 của Thứ Ba").click()
    # A cap of 0 reaches the API: its 422 is shown next to the field, and nothing is written
    page.get_by_label("Tối đa lead đang mở").fill("0")
    page.get_by_label("Đang hoạt động").uncheck()
    page.get_by_role("button", name="Lưu", exact=True).click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Chưa lưu: có trường không hợp lệ.")
    expect(alert.locator('[data-field="max_open_leads"]')).to_contain_text("Tối đa lead đang mở:")
    assert_accessible(page, "33-staff-edit-invalid")
    status, stored = console_app.call(ADMIN, "GET", f"/staff/{member['staff_id']}")
    assert status == 200 and stored["max_open_leads"] == 4 and stored["active"] is True
    assert stored["rev"] == member["rev"]


def test_the_admin_pauses_and_resumes_a_member_from_the_list(page: Page, console_app: ConsoleApp) -> None:
    member = _new_member(console_app)
    name = str(member["name"])
    sign_in(page, console_app, ADMIN)
    open_screen(page, "Nhân viên")
    row = page.locator(f'tr[data-staff="{member["staff_id"]}"]')
    expect(row.locator('[data-col="paused"]')).to_have_text("Đang nhận lead")
    row.get_by_role("button", name=f"Tạm dừng {name}").click()
    expect(page.get_by_role("status")).to_have_text(
        f"{name} đã tạm dừng: vẫn giữ các lead đang có, không nhận lead mới."
    )
    expect(row.locator('[data-col="paused"]')).to_have_text("Đang tạm dừng")
    status, stored = console_app.call(ADMIN, "GET", f"/staff/{member['staff_id']}")
    assert status == 200 and stored["paused"] is True and stored["pauses"][-1]["end"] is None
    # Its page says what a pause means
    row.get_by_role("link", name=name).click()
    expect(page.get_by_label("Tạm dừng nhận lead")).to_be_checked()
    expect(page.get_by_text("vẫn giữ các lead đang có nhưng không nhận lead mới")).to_be_visible()
    page.go_back()
    row.get_by_role("button", name=f"Tiếp tục nhận lead: {name}").click()
    expect(row.locator('[data-col="paused"]')).to_have_text("Đang nhận lead")
    status, stored = console_app.call(ADMIN, "GET", f"/staff/{member['staff_id']}")
    assert status == 200 and stored["paused"] is False and stored["pauses"][-1]["end"] is not None


def test_a_stale_edit_says_someone_changed_it_and_reload_shows_their_change(
    page: Page, console_app: ConsoleApp
) -> None:
    member = _new_member(console_app)
    staff_id = str(member["staff_id"])
    sign_in(page, console_app, ADMIN)
    _open_member(page, console_app, staff_id, str(member["name"]))
    page.get_by_label("Tối đa lead mỗi ngày").fill("9")
    # Someone else saves the member meanwhile
    status, _ = console_app.call(ADMIN, "PATCH", f"/staff/{staff_id}", {"name": "Đổi tên"})
    assert status == 200
    page.get_by_role("button", name="Lưu", exact=True).click()
    expect(page.get_by_role("alert")).to_contain_text(CONFLICT)
    status, stored = console_app.call(ADMIN, "GET", f"/staff/{staff_id}")
    assert status == 200 and stored["max_leads_per_day"] is None and stored["name"] == "Đổi tên"
    page.get_by_role("alert").get_by_role("button", name="Tải lại").click()
    expect(page.get_by_role("heading", level=1, name="Nhân viên: Đổi tên")).to_be_visible()
    expect(page.get_by_label("Tối đa lead mỗi ngày")).to_have_value("")


def test_the_holiday_calendar_names_tet_and_keeps_an_added_and_a_removed_day(
    page: Page, console_app: ConsoleApp
) -> None:
    sign_in(page, console_app, ADMIN)
    open_screen(page, "Nhân viên")
    page.get_by_role("link", name="Lịch nghỉ lễ").click()
    expect(page.get_by_role("heading", level=1, name="Lịch nghỉ lễ")).to_be_visible()
    holidays = page.get_by_role("table")
    expect(holidays.get_by_role("rowheader", name="Tết Nguyên Đán", exact=True)).to_be_visible()
    # A far year, so that no other test's calendar changes
    page.goto(f"{console_app.url}/#/staff/holidays?year=2030")
    expect(page.get_by_role("heading", level=2, name="Năm 2030")).to_be_visible()
    expect(page.locator('tr[data-holiday="2030-02-02"]')).to_contain_text("Tết Nguyên Đán")
    expect(page.locator('tr[data-holiday="2030-01-31"]')).to_contain_text("29 Tết")

    page.get_by_label("Ngày", exact=True).fill("2030-03-15")
    page.get_by_label("Tên ngày nghỉ").fill("Ngày thành lập công ty")
    page.get_by_role("button", name="Thêm ngày nghỉ").click()
    expect(page.locator('tr[data-holiday="2030-03-15"]')).to_contain_text("Công ty thêm")
    page.locator('tr[data-holiday="2030-11-24"]').get_by_role("button").click()
    expect(page.locator('tr[data-holiday="2030-11-24"]')).to_have_count(0)
    expect(page.locator('li[data-removed="2030-11-24"]')).to_be_visible()

    page.reload()
    expect(page.locator('tr[data-holiday="2030-03-15"]')).to_contain_text("Ngày thành lập công ty")
    expect(page.locator('tr[data-holiday="2030-11-24"]')).to_have_count(0)
    expect(page.locator('li[data-removed="2030-11-24"]')).to_be_visible()
    assert_accessible(page, "34-staff-holidays")
    status, view = console_app.call(ADMIN, "GET", "/holidays?year=2030")
    assert status == 200
    assert view["settings"]["added"] == [{"day": "2030-03-15", "name": "Ngày thành lập công ty"}]
    assert view["settings"]["removed"] == ["2030-11-24"] and view["settings"]["country"] == "VN"

    # Restore the default day; remove the company's day (the calendar is as it was)
    page.get_by_role("button", name=re.compile("^Khôi phục ngày lễ")).click()
    expect(page.locator('tr[data-holiday="2030-11-24"]')).to_contain_text("Ngày Văn hóa Việt Nam")
    page.locator('tr[data-holiday="2030-03-15"]').get_by_role("button").click()
    expect(page.locator('tr[data-holiday="2030-03-15"]')).to_have_count(0)
    status, view = console_app.call(ADMIN, "GET", "/holidays?year=2030")
    assert status == 200 and view["settings"]["added"] == [] and view["settings"]["removed"] == []


def test_the_team_lead_reads_the_staff_but_cannot_change_them(page: Page, console_app: ConsoleApp) -> None:
    sign_in(page, console_app, TEAM_LEAD)
    open_screen(page, "Nhân viên")
    expect(page.get_by_text("Bạn chỉ có quyền xem danh sách này.")).to_be_visible()
    expect(page.get_by_role("link", name="An", exact=True)).to_be_visible()
    main = page.get_by_role("main")
    expect(main.get_by_role("button")).to_have_count(0)  # no pause, no add
    expect(main.get_by_role("link", name="Lịch nghỉ lễ")).to_have_count(0)
    assert_accessible(page, "35-staff-list-team-lead")
    page.get_by_role("link", name="An", exact=True).click()
    expect(page.get_by_role("heading", level=1, name="Nhân viên: An")).to_be_visible()
    expect(page.get_by_role("button", name="Lưu")).to_have_count(0)
    expect(page.get_by_label("Tối đa lead đang mở")).to_be_disabled()
    expect(page.get_by_label("Tạm dừng nhận lead")).to_be_disabled()
