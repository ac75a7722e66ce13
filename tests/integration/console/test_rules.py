"""Quy tắc chia in a real Chromium: a 3:4:5 rule with its live preview (shares, the Friday-evening
timeline), saved and listed, disabled and enabled, a 422 shown by field, a stale edit's conflict."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from playwright.sync_api import Locator, Page, expect

from tests.support.console import ADMIN, ConsoleApp, assert_accessible, open_screen, sign_in

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
MON_FRI_8_TO_17 = [{"days": [1, 2, 3, 4, 5], "start": "08:00", "end": "17:00"}]


def _tag() -> str:
    return uuid.uuid4().hex[:8]


def _staff(app: ConsoleApp, tag: str, names: list[str]) -> list[dict[str, Any]]:
    """Staff of this test only (so the shares are exactly theirs), on Mon–Fri 08:00–17:00."""
    made = []
    for index, name in enumerate(names):
        status, member = app.call(
            ADMIN,
            "POST",
            "/staff",
            {
                "staff_id": f"T{tag}{index}",
                "name": f"{name} {tag}",
                "working_hours": MON_FRI_8_TO_17,
            },
        )
        assert status == 201, member
        made.append(member)
    return made


def _rule_body(tag: str, staff: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {
        "name": f"Quy tắc {tag}",
        "kind": "weighted",
        "scope": {"pool": f"kho-{tag}", "step": "new"},
        "staff": [{"staff_id": s["staff_id"], "weight": w} for s, w in zip(staff, (3, 4, 5), strict=False)],
        **extra,
    }


def _row(page: Page, name: str) -> Locator:
    return page.locator("tbody tr", has=page.get_by_role("link", name=f"Sửa quy tắc {name}", exact=True))


def _next_friday_evening(now: datetime) -> datetime:
    local = now.astimezone(HCM)
    for ahead in range(8):
        day = (local + timedelta(days=ahead)).date()
        candidate = datetime(day.year, day.month, day.day, 18, 30, tzinfo=HCM)
        if day.isoweekday() == 5 and candidate > local:
            return candidate
    raise AssertionError("a Friday comes within a week")


def test_a_weighted_rule_previews_its_shares_and_friday_timeline_then_is_saved_disabled_and_enabled(
    page: Page, console_app: ConsoleApp
) -> None:
    tag = _tag()
    staff = _staff(console_app, tag, ["Xuân", "Yến", "Zung"])
    x, y, z = (s["name"] for s in staff)
    name = f"Web 3:4:5 {tag}"
    sign_in(page, console_app, ADMIN)
    open_screen(page, "Quy tắc chia")
    page.get_by_role("link", name="Thêm mới").click()
    expect(page.get_by_role("heading", level=1, name="Thêm quy tắc chia")).to_be_visible()
    expect(page).to_have_url(re.compile(r"#/rules/new$"))

    # The default arrival: next Friday 18:30 in the tenant's zone.
    expected_default = _next_friday_evening(datetime.now(HCM)).strftime("%Y-%m-%dT%H:%M")
    expect(page.get_by_label("Thời điểm lead đến")).to_have_value(expected_default)

    page.get_by_label("Tên quy tắc").fill(name)
    page.get_by_label("Loại chia").select_option(label="Chia theo tỷ trọng")
    page.get_by_label("Kho dữ liệu", exact=True).fill(f"kho-{tag}")
    page.get_by_label("Bước", exact=True).fill("new")
    for member, weight in zip((x, y, z), ("3", "4", "5"), strict=True):
        page.get_by_label(member, exact=True).check()
        page.get_by_label(f"Tỷ trọng của {member}").fill(weight)

    preview = page.get_by_role("region", name="Xem trước")
    shares = preview.get_by_role("table")
    for member, weight, ideal in ((x, "3", "6"), (y, "4", "8"), (z, "5", "10")):
        row = shares.get_by_role("row").filter(has=page.get_by_role("rowheader", name=member, exact=True))
        # weight, ideal share (weight / 12), ideal in 24, received in 24
        expect(row.get_by_role("cell")).to_have_text([weight, re.compile(f"^{weight}/12 "), ideal, ideal])
    assignees = preview.get_by_role("list", name="24 lead tiếp theo sẽ chia cho").get_by_role("listitem")
    expect(assignees).to_have_count(24)
    names = assignees.all_inner_texts()
    assert [names.count(m) for m in (x, y, z)] == [6, 8, 10]
    assert names[:12] == names[12:]  # the 12-slot cycle, twice
    timeline = preview.locator("dl.timeline")
    expect(timeline.locator("[data-step='preview.arrivedAt'] dd")).to_contain_text("18:30 Thứ Sáu")

    # A Friday-evening lead for a Mon–Fri 08:00–17:00 team is assigned on Monday at 08:00.
    page.get_by_label("Thời điểm lead đến").fill("2027-03-05T18:30")
    expect(timeline.locator("[data-step='preview.arrivedAt'] dd")).to_have_text("18:30 Thứ Sáu, 5/3/2027")
    expect(timeline.locator("[data-step='preview.expected'] dd")).to_have_text("08:00 Thứ Hai, 8/3/2027")
    expect(timeline.locator("[data-step='preview.escalateAt'] dd")).to_have_text("10:00 Thứ Hai, 8/3/2027")
    expect(timeline.locator("[data-step='preview.firstAssignee'] dd")).to_have_text(z)  # slot 0 of C B A…
    assert_accessible(page, "20-rules-form-preview")

    page.get_by_role("button", name="Tạo quy tắc").click()
    expect(page.get_by_role("heading", level=1, name="Quy tắc chia")).to_be_visible()
    expect(page.get_by_role("status").filter(has_text=f"Đã tạo quy tắc “{name}”.")).to_be_visible()
    row = _row(page, name)
    expect(row.get_by_role("cell").first).to_have_text("Đang hoạt động")
    expect(row).to_contain_text("Chia theo tỷ trọng")
    expect(row).to_contain_text(f"Kho kho-{tag} · bước new")
    expect(row).to_contain_text(f"{x} × 3")
    expect(row).to_contain_text(f"{z} × 5")
    assert_accessible(page, "20-rules-list")
    page.set_viewport_size({"width": 390, "height": 844})  # a salesperson's phone: the table scrolls
    assert_accessible(page, "20-rules-list-phone")
    page.set_viewport_size({"width": 1280, "height": 900})

    row.get_by_role("button", name=f"Tắt quy tắc {name}").click()
    expect(row.get_by_role("cell").first).to_have_text("Không hoạt động")
    rules = console_app.call(ADMIN, "GET", "/rules")[1]["items"]
    assert [r["active"] for r in rules if r["name"] == name] == [False]
    row.get_by_role("button", name=f"Bật quy tắc {name}").click()
    expect(row.get_by_role("cell").first).to_have_text("Đang hoạt động")
    rules = console_app.call(ADMIN, "GET", "/rules")[1]["items"]
    assert [r["active"] for r in rules if r["name"] == name] == [True]

    # Delete, after a confirmation that can be cancelled.
    row.get_by_role("button", name=f"Xóa quy tắc {name}").click()
    page.get_by_role("alertdialog").get_by_role("button", name="Hủy").click()
    expect(row).to_be_visible()
    row.get_by_role("button", name=f"Xóa quy tắc {name}").click()
    page.get_by_role("alertdialog").get_by_role("button", name="Xóa hẳn").click()
    expect(row).to_have_count(0)
    rules = console_app.call(ADMIN, "GET", "/rules")[1]["items"]
    assert [r for r in rules if r["name"] == name] == []


def test_a_rule_the_api_refuses_shows_the_reason_by_field_and_nothing_is_saved(
    page: Page, console_app: ConsoleApp
) -> None:
    tag = _tag()
    (member,) = _staff(console_app, tag, ["Vy"])
    name = f"Sai lịch {tag}"
    sign_in(page, console_app, ADMIN)
    page.goto(f"{console_app.url}/#/rules/new")
    page.get_by_label("Tên quy tắc").fill(name)
    page.get_by_label("Kho dữ liệu", exact=True).fill(f"kho-{tag}")
    page.get_by_label("Bước", exact=True).fill("new")
    page.get_by_label(member["name"], exact=True).check()
    weight = page.get_by_label(f"Tỷ trọng của {member['name']}")
    weight.fill("0")  # refused by the request's schema: the field is staff.0.weight
    page.get_by_role("button", name="Tạo quy tắc").click()
    expect(weight).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_role("alert").filter(has_text="Chưa lưu")).to_contain_text("Chọn nhân viên")
    expect(page.get_by_role("alert").filter(has_text="Chưa lưu")).to_be_focused()

    weight.fill("2")  # now the window: refused by the rule's own check, the field is window.end
    page.get_by_label("Ngày & thời gian bắt đầu").fill("2027-01-10T09:00")
    page.get_by_label("Ngày & thời gian kết thúc").fill("2027-01-10T08:00")
    page.get_by_role("button", name="Tạo quy tắc").click()
    expect(weight).not_to_have_attribute("aria-invalid", "true")
    end = page.get_by_label("Ngày & thời gian kết thúc")
    expect(end).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#rule-window-end-error")).to_contain_text("end must be after start")
    expect(page.get_by_role("alert").filter(has_text="Chưa lưu")).to_contain_text("Ngày & thời gian kết thúc")
    expect(page).to_have_url(re.compile(r"#/rules/new$"))
    rules = console_app.call(ADMIN, "GET", "/rules")[1]["items"]
    assert [r for r in rules if r["name"] == name] == []


def test_saving_a_rule_someone_changed_meanwhile_says_so_and_reloads_it(
    page: Page, console_app: ConsoleApp
) -> None:
    tag = _tag()
    staff = _staff(console_app, tag, ["Quân", "Rạng", "Sơn"])
    status, rule = console_app.call(ADMIN, "POST", "/rules", _rule_body(tag, staff))
    assert status == 201, rule
    sign_in(page, console_app, ADMIN)
    page.goto(f"{console_app.url}/#/rules/{rule['rule_id']}")
    expect(page.get_by_role("heading", level=1, name=f"Sửa quy tắc: {rule['name']}")).to_be_visible()
    expect(page.get_by_label("Tên quy tắc")).to_have_value(rule["name"])

    # Another admin edits the rule through the API while the form is open.
    status, changed = console_app.call(
        ADMIN, "PUT", f"/rules/{rule['rule_id']}", _rule_body(tag, staff, priority=7)
    )
    assert status == 200 and changed["version"] == 2, changed

    page.get_by_label("Ưu tiên (số lớn hơn thắng khi cùng phạm vi)").fill("3")
    page.get_by_role("button", name="Lưu thay đổi").click()
    conflict = page.get_by_role("alert").filter(has_text="Có người vừa thay đổi quy tắc này, hãy tải lại")
    expect(conflict).to_be_visible()
    expect(conflict).to_be_focused()  # the answer is at the top of a long form: brought into view
    expect(
        page.get_by_role("list", name="24 lead tiếp theo sẽ chia cho").get_by_role("listitem")
    ).to_have_count(24)
    assert_accessible(page, "20-rules-conflict")
    status, now = console_app.call(ADMIN, "GET", f"/rules/{rule['rule_id']}")
    assert (now["version"], now["priority"]) == (2, 7)  # the stale edit saved nothing

    conflict.get_by_role("button", name="Tải lại").click()
    expect(page.get_by_label("Ưu tiên (số lớn hơn thắng khi cùng phạm vi)")).to_have_value("7")
    expect(conflict).to_have_count(0)
    page.get_by_label("Ưu tiên (số lớn hơn thắng khi cùng phạm vi)").fill("3")
    page.get_by_role("button", name="Lưu thay đổi").click()
    expect(page.get_by_role("status").filter(has_text="Đã lưu quy tắc")).to_be_visible()
    status, now = console_app.call(ADMIN, "GET", f"/rules/{rule['rule_id']}")
    assert (now["version"], now["priority"]) == (3, 3)
