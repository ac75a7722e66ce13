"""Việc của tôi in a real Chromium: a salesperson's own open leads, a new one arriving without a reload
(highlighted, announced, notified, with a chime), a call and a step change in two clicks, the sound
choice kept. Each test sends its leads through a pool and rules of its own (``lead_source_for``).

The new-lead delay (POST of the lead → its row visible) is measured and written to
tests/artifacts/console/mywork-delay.json; the goal (< 5 s) is checked by bench/console_new_lead_delay.py,
not asserted here.
"""

from __future__ import annotations

import json
import re
import time
import uuid

from playwright.sync_api import Locator, Page, expect

from tests.support.console import (
    ARTIFACTS,
    SALES_A,
    ConsoleApp,
    assert_accessible,
    lead_source_for,
    sign_in,
)

#: Records what the page asks of the browser: each Notification made, each tone of the chime.
RECORDER = """
(() => {
  window.__notifications = [];
  window.__tones = 0;
  const Real = window.Notification;
  class Recorded extends Real {
    constructor(title, options) {
      super(title, options);
      window.__notifications.push({ title, body: (options || {}).body || "" });
    }
  }
  Object.defineProperty(Recorded, "permission", { get: () => Real.permission });
  Recorded.requestPermission = (...args) => Real.requestPermission(...args);
  window.Notification = Recorded;
  const oscillator = AudioContext.prototype.createOscillator;
  AudioContext.prototype.createOscillator = function () {
    window.__tones += 1;
    return oscillator.call(this);
  };
})();
"""


def _name() -> str:
    return f"Khách {uuid.uuid4().hex[:8]}"


def card(page: Page, name: str) -> Locator:
    return page.get_by_role("listitem").filter(
        has=page.get_by_role("heading", level=2, name=name, exact=True)
    )


def test_a_salesperson_sees_only_their_leads_and_a_new_one_arrives_without_a_reload(
    page: Page, console_app: ConsoleApp
) -> None:
    mine = lead_source_for(console_app, "A")
    theirs = lead_source_for(console_app, "B")
    before, of_b = _name(), _name()
    mine.post_lead(before)
    theirs.post_lead(of_b)
    page.add_init_script(RECORDER)
    sign_in(page, console_app, SALES_A)
    expect(page).to_have_url(re.compile(r"#/mywork$"))
    expect(page.get_by_role("heading", level=1, name="Việc của tôi")).to_be_visible()
    # Their own lead, with the working time left before the 240-minute reclaim (demo staff work all hours)
    first = card(page, before)
    expect(first).to_be_visible(timeout=10_000)
    expect(first).to_contain_text(re.compile(r"Còn (3 giờ 5\d phút|4 giờ) làm việc trước khi bị thu hồi"))
    expect(first).to_contain_text("Thu hồi lúc")
    expect(card(page, of_b)).to_have_count(0)  # B's lead is not theirs
    assert_accessible(page, "40-mywork-list")

    # A new lead assigned to them shows up while the page is open, without a reload
    arriving = _name()
    posted = time.monotonic()
    mine.post_lead(arriving)
    expect(card(page, arriving)).to_be_visible(timeout=10_000)
    delay = time.monotonic() - posted
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "mywork-delay.json").write_text(json.dumps({"delay_seconds": round(delay, 3)}) + "\n")
    new = card(page, arriving)
    expect(new.get_by_text("Mới", exact=True)).to_be_visible()  # highlighted, in words too
    expect(page.get_by_role("status").filter(has_text="Lead mới được giao cho bạn")).to_have_text(
        f"Lead mới được giao cho bạn: {arriving}"
    )
    notes = page.evaluate("window.__notifications")
    assert notes == [
        {"title": "Lead mới được giao cho bạn", "body": f"Lead mới được giao cho bạn: {arriving}"}
    ]
    assert page.evaluate("window.__tones") == 2  # the chime's two notes (sound is on by default)
    expect(card(page, before).get_by_text("Mới", exact=True)).to_have_count(0)  # only the new one
    assert_accessible(page, "41-mywork-new-lead")

    page.set_viewport_size({"width": 390, "height": 844})
    expect(new).to_be_visible()
    assert_accessible(page, "42-mywork-phone")


def test_a_call_and_a_step_change_each_take_two_clicks(page: Page, console_app: ConsoleApp) -> None:
    source = lead_source_for(console_app, "A")
    # a reclaim rule on step "contacted" too: staff may only move a lead between steps one covers
    status, answer = console_app.call(
        "admin@demo.test",
        "POST",
        "/rules",
        {
            "name": f"Reclaim {source.pool} contacted",
            "kind": "reclaim",
            "reclaim_after_minutes": 240,
            "scope": {"pool": source.pool, "step": "contacted"},
            "staff": [{"staff_id": "A"}],
        },
    )
    assert status == 201, answer
    name = _name()
    lead_id = source.post_lead(name)
    sign_in(page, console_app, SALES_A)
    row = card(page, name)
    expect(row).to_be_visible(timeout=10_000)
    expect(row).to_contain_text("Chưa chăm sóc")

    row.get_by_role("button", name="Ghi cuộc gọi").click()  # 1
    assert_accessible(page, "43-mywork-call-panel")
    row.get_by_role("button", name="Không nghe máy").click()  # 2
    expect(page.get_by_role("status").filter(has_text="Đã ghi cuộc gọi")).to_have_text(
        f"Đã ghi cuộc gọi cho {name}."
    )
    status, detail = console_app.call(SALES_A, "GET", f"/leads/{lead_id}")
    assert status == 200
    calls = [(h["kind"], h["text"]) for h in detail["history"] if h.get("kind") == "call"]
    assert calls == [("call", "Không nghe máy")]
    expect(row).not_to_contain_text("Chưa chăm sóc")

    row.get_by_role("button", name="Chuyển bước").click()  # 1
    row.get_by_role("button", name="contacted", exact=True).click()  # 2
    expect(page.get_by_role("status").filter(has_text="Đã chuyển")).to_have_text(
        f"Đã chuyển {name} sang bước contacted."
    )
    status, detail = console_app.call(SALES_A, "GET", f"/leads/{lead_id}")
    assert detail["lead"]["step"] == "contacted"
    assert [h["data"] for h in detail["history"] if h.get("kind") == "step_change"] == [
        {"from": "new", "to": "contacted"}
    ]
    expect(row.locator("dd").filter(has_text=re.compile("^contacted$"))).to_be_visible()


def test_the_sound_can_be_turned_off_and_stays_off(page: Page, console_app: ConsoleApp) -> None:
    source = lead_source_for(console_app, "A")
    page.add_init_script(RECORDER)
    sign_in(page, console_app, SALES_A)
    sound = page.get_by_role("button", name="Âm thanh: bật")
    expect(sound).to_have_attribute("aria-pressed", "true")
    sound.click()
    expect(page.get_by_role("button", name="Âm thanh: tắt")).to_have_attribute("aria-pressed", "false")
    page.reload()
    expect(page.get_by_role("button", name="Âm thanh: tắt")).to_be_visible(timeout=15_000)
    expect(page.get_by_text(re.compile(r"\d+ lead đang mở"))).to_be_visible(timeout=10_000)
    name = _name()
    source.post_lead(name)
    expect(card(page, name)).to_be_visible(timeout=10_000)
    assert len(page.evaluate("window.__notifications")) == 1  # still notified
    assert page.evaluate("window.__tones") == 0  # but silently
