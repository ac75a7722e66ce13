"""Webhook và cảnh báo, in Chromium against `make run`'s stack: a webhook registered through the screen
at a real local receiver, its secret shown once, a test delivery and a real lead's deliveries in its log,
the API's 422 next to the form, deletion, and the escalation alert recipients with their 409."""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Page, expect

from leadrouter.signing import HEADER, verify
from leadrouter_local.demo_data import FORM_KEY, SOURCE_SECRET
from tests.support import stack as local_stack
from tests.support.console import ADMIN, ConsoleApp, assert_accessible, open_screen, sign_in
from tests.support.webhooks import Receiver, receiver_factory

SCREEN = "Webhook và cảnh báo"
#: How long a delivery may take to show in the log (the first page refreshes every 5 s).
LOG_WAIT_MS = 45_000


@pytest.fixture
def receivers() -> Iterator[Callable[..., Receiver]]:
    yield from receiver_factory()


def _webhook_ids(app: ConsoleApp) -> set[str]:
    status, body = app.call(ADMIN, "GET", "/webhooks")
    assert status == 200, body
    return {w["webhook_id"] for w in body["items"]}


def _signed_with(secret: str, receiver: Receiver, test: bool) -> list[dict[str, object]]:
    """The bodies the receiver got that verify with ``secret`` (every one of them must)."""
    bodies = []
    for got in list(receiver.received):
        headers = {k.lower(): v for k, v in got.headers.items()}
        verify(secret, headers[HEADER.lower()], got.body, time.time())
        body = json.loads(got.body)
        if body["test"] is test:
            bodies.append(body)
    return bodies


def test_a_webhook_registered_on_the_screen_shows_its_secret_once_and_logs_test_and_lead_deliveries(
    page: Page, console_app: ConsoleApp, receivers: Callable[..., Receiver]
) -> None:
    receiver = receivers(200)
    label = f"CRM {uuid.uuid4().hex[:8]}"
    sign_in(page, console_app, ADMIN)
    open_screen(page, SCREEN)
    before = _webhook_ids(console_app)
    assert_accessible(page, "70-webhooks-list")

    # When the admin registers the local receiver for every event type
    page.get_by_label("Địa chỉ nhận (URL)").fill(receiver.url)
    page.get_by_label("Mô tả").fill(label)
    page.get_by_role("button", name="Tạo webhook").click()

    # Then its signing secret is shown, once, with a warning and a copy button
    secret_box = page.get_by_label(re.compile("^Khóa ký của webhook"))
    expect(secret_box).to_have_value(re.compile(r"^whsec_[A-Za-z0-9_-]{43}$"))
    secret = secret_box.input_value()
    expect(page.get_by_text("Khóa này chỉ hiện MỘT LẦN")).to_be_visible()
    page.get_by_role("button", name="Sao chép khóa").click()
    expect(page.get_by_text("Đã sao chép khóa.")).to_be_visible()
    row = page.get_by_role("row").filter(has_text=label)
    expect(row).to_contain_text("Tất cả sự kiện")
    expect(row).to_contain_text("Chưa gửi lần nào")
    assert_accessible(page, "71-webhooks-created-secret")
    (webhook_id,) = _webhook_ids(console_app) - before
    # …kept nowhere by the console, and gone after a reload
    stored = page.evaluate("() => JSON.stringify({...localStorage}) + JSON.stringify({...sessionStorage})")
    assert secret not in stored
    page.reload()
    expect(page.get_by_role("row").filter(has_text=label)).to_be_visible()
    expect(page.get_by_label(re.compile("^Khóa ký của webhook"))).to_have_count(0)
    assert secret not in page.content()

    # When the admin opens its log and sends a test event
    page.get_by_role("link", name=f"Xem nhật ký gửi của {receiver.url}").first.click()
    expect(page).to_have_url(re.compile(f"#/webhooks/{webhook_id}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Webhook {receiver.url}")
    page.get_by_role("button", name="Gửi thử").click()

    # Then its outcome appears in the log: delivered on the first attempt, HTTP 200
    expect(page.get_by_text(re.compile(r"Sự kiện thử test-\w+ đã giao \(HTTP 200\)"))).to_be_visible(
        timeout=LOG_WAIT_MS
    )
    test_row = page.get_by_role("row").filter(has=page.locator(".wh-test"))
    expect(test_row).to_have_count(1)
    cells = test_row.get_by_role("cell")
    expect(cells.nth(0)).to_have_text("Đã giao")
    expect(cells.nth(1)).to_have_text("1")
    expect(cells.nth(2)).not_to_have_text("—")  # the attempt's time, in the tenant's zone
    expect(cells.nth(3)).to_have_text("200")
    # …and the receiver got it, signed with the secret the screen showed
    (test_body,) = _signed_with(secret, receiver, test=True)
    expect(test_row).to_contain_text(str(test_body["id"]))
    assert_accessible(page, "72-webhooks-delivery-log")
    # …readable on a phone: the log scrolls inside its frame, the page itself does not
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    assert_accessible(page, "76-webhooks-delivery-log-phone")
    page.set_viewport_size({"width": 1280, "height": 900})

    # When a lead arrives through the API
    phone = f"0912{uuid.uuid4().int % 10**6:06d}"  # 0912…: always valid (0992… is not)
    status, lead = local_stack.request(
        f"{console_app.url}/intake/leads",
        "POST",
        {"name": "Khách thử webhook", "phone": phone},
        {"X-Form-Key": FORM_KEY, "X-Source-Secret": SOURCE_SECRET},
    )
    assert status == 201, lead
    lead_id = lead["lead_id"]

    # Then its arrival and its assignment show in the open log as delivered, without reloading
    for event_id, kind in ((f"{lead_id}-0", "LeadReceived"), (f"{lead_id}-1", "LeadAssigned")):
        lead_row = page.get_by_role("row").filter(has_text=event_id)
        expect(lead_row).to_contain_text(kind, timeout=LOG_WAIT_MS)
        expect(lead_row.get_by_role("cell").nth(0)).to_have_text("Đã giao", timeout=LOG_WAIT_MS)
    assert {b["id"] for b in _signed_with(secret, receiver, test=False)} >= {f"{lead_id}-0", f"{lead_id}-1"}

    # When the admin deletes it from the list, confirming
    page.get_by_role("link", name="← Danh sách webhook").click()
    page.get_by_role("button", name=f"Xóa webhook {receiver.url}").first.click()
    dialog = page.get_by_role("dialog", name="Xóa webhook này?")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("button", name="Hủy")).to_be_focused()  # the safe choice first
    page.keyboard.press("Escape")  # changing one's mind keeps it
    expect(dialog).to_have_count(0)
    expect(page.get_by_role("row").filter(has_text=label)).to_have_count(1)
    page.get_by_role("button", name=f"Xóa webhook {receiver.url}").first.click()
    dialog.get_by_role("button", name="Xóa hẳn").click()
    # Then it is gone, from the screen and from the API
    expect(page.get_by_role("row").filter(has_text=label)).to_have_count(0)
    assert webhook_id not in _webhook_ids(console_app)


def test_an_invalid_webhook_shows_the_apis_messages_by_field_and_saves_nothing(
    page: Page, console_app: ConsoleApp
) -> None:
    sign_in(page, console_app, ADMIN)
    open_screen(page, SCREEN)
    before = _webhook_ids(console_app)
    # No event type ticked: the API's 422 names event_types
    for name in (
        "LeadReceived",
        "LeadAssigned",
        "LeadReclaimed",
        "LeadEscalated",
        "LeadReleased",
        "ConsentWithdrawn",
    ):
        page.get_by_role("checkbox", name=re.compile(name)).uncheck()
    page.get_by_label("Địa chỉ nhận (URL)").fill("https://crm.example.vn/hook")
    page.get_by_role("button", name="Tạo webhook").click()
    expect(page.locator("#wh-types-error")).to_contain_text("Loại sự kiện:")
    expect(page.get_by_role("alert")).to_contain_text("Chưa lưu")
    # A URL that is not https: the API's 422 names url, shown next to it
    page.get_by_role("checkbox", name=re.compile("LeadAssigned")).check()
    page.get_by_label("Địa chỉ nhận (URL)").fill("ftp://crm.example.vn/hook")
    page.get_by_role("button", name="Tạo webhook").click()
    expect(page.locator("#wh-url-error")).to_have_text("Địa chỉ nhận: must be an https:// URL")
    expect(page.get_by_label("Địa chỉ nhận (URL)")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#wh-types-error")).to_be_empty()
    assert_accessible(page, "73-webhooks-create-invalid")
    assert _webhook_ids(console_app) == before  # nothing saved
    expect(page.get_by_label(re.compile("^Khóa ký của webhook"))).to_have_count(0)


def _alerts_form_loaded(page: Page) -> None:
    expect(page.get_by_role("button", name="Lưu cảnh báo")).to_be_visible()


def test_two_alert_recipients_are_kept_after_a_reload(page: Page, console_app: ConsoleApp) -> None:
    tag = uuid.uuid4().hex[:8]
    url = f"https://alerts-{tag}.example.com/hook"
    status, made = console_app.call(
        ADMIN, "POST", "/webhooks", {"url": url, "event_types": ["LeadEscalated"]}
    )
    assert status == 201, made
    first, second = f"truong-phong-{tag}@example.vn", f"giam-doc-{tag}@example.vn"
    status, body = console_app.call(ADMIN, "PUT", "/settings/alerts", {"emails": [], "webhook_ids": []})
    assert status == 200, body
    sign_in(page, console_app, ADMIN)
    open_screen(page, SCREEN)
    _alerts_form_loaded(page)

    page.get_by_label("E-mail nhận cảnh báo 1", exact=True).fill(first)
    page.get_by_role("button", name="Thêm e-mail").click()
    page.get_by_label("E-mail nhận cảnh báo 2", exact=True).fill(second)
    page.get_by_role("checkbox", name=url).check()
    page.get_by_role("button", name="Lưu cảnh báo").click()
    expect(page.get_by_text("Đã lưu người nhận cảnh báo.")).to_be_visible()
    assert_accessible(page, "74-webhooks-alerts")

    page.reload()
    _alerts_form_loaded(page)
    emails = [page.get_by_label(f"E-mail nhận cảnh báo {n}", exact=True) for n in (1, 2)]
    expect(emails[0]).to_have_value(first)
    expect(emails[1]).to_have_value(second)
    expect(page.get_by_role("checkbox", name=url)).to_be_checked()
    status, saved = console_app.call(ADMIN, "GET", "/settings/alerts")
    assert (saved["emails"], saved["webhook_ids"]) == ([first, second], [made["webhook"]["webhook_id"]])


def test_an_invalid_alert_address_is_named_and_a_stale_edit_says_someone_changed_it(
    page: Page, console_app: ConsoleApp
) -> None:
    tag = uuid.uuid4().hex[:8]
    status, before = console_app.call(ADMIN, "PUT", "/settings/alerts", {"emails": [], "webhook_ids": []})
    assert status == 200, before
    sign_in(page, console_app, ADMIN)
    open_screen(page, SCREEN)
    _alerts_form_loaded(page)
    # An address that is not one: the API's 422 shown with the addresses, nothing saved
    page.get_by_label("E-mail nhận cảnh báo 1", exact=True).fill(f"mine-{tag}@example.vn")
    page.get_by_role("button", name="Thêm e-mail").click()
    page.get_by_label("E-mail nhận cảnh báo 2", exact=True).fill("not-an-address")
    page.get_by_role("button", name="Lưu cảnh báo").click()
    expect(page.locator("#wh-emails-error")).to_contain_text("E-mail: Value error, not a valid email address")
    _, after = console_app.call(ADMIN, "GET", "/settings/alerts")
    assert after == before
    page.get_by_role("button", name="Bỏ e-mail 2").click()

    # Someone else saves the alerts meanwhile
    theirs = f"someone-else-{tag}@example.vn"
    status, body = console_app.call(ADMIN, "PUT", "/settings/alerts", {"emails": [theirs], "webhook_ids": []})
    assert status == 200, body
    # Then this stale edit is refused with "someone changed this, reload", and reloading shows theirs
    page.get_by_role("button", name="Lưu cảnh báo").click()
    conflict = page.get_by_role("alert").filter(has_text="Có người vừa thay đổi mục này")
    expect(conflict).to_be_visible()
    assert_accessible(page, "75-webhooks-alerts-conflict")
    _, kept = console_app.call(ADMIN, "GET", "/settings/alerts")
    assert kept["emails"] == [theirs]
    conflict.get_by_role("button", name="Tải lại").click()
    expect(page.get_by_label("E-mail nhận cảnh báo 1", exact=True)).to_have_value(theirs)
    expect(conflict).to_have_count(0)


def test_a_long_delivery_log_pages_forward_and_back(
    page: Page, console_app: ConsoleApp, receivers: Callable[..., Receiver]
) -> None:
    # Given a webhook of arrivals only, and 27 leads arriving (more than a page of 25)
    receiver = receivers(200)
    status, made = console_app.call(
        ADMIN, "POST", "/webhooks", {"url": receiver.url, "event_types": ["LeadReceived"]}
    )
    assert status == 201, made
    webhook_id = made["webhook"]["webhook_id"]
    for _ in range(27):
        phone = f"0912{uuid.uuid4().int % 10**6:06d}"  # 0912…: always valid (0992… is not)
        status, lead = local_stack.request(
            f"{console_app.url}/intake/leads",
            "POST",
            {"name": "Khách trang nhật ký", "phone": phone},
            {"X-Form-Key": FORM_KEY, "X-Source-Secret": SOURCE_SECRET},
        )
        assert status == 201, lead

    def logged() -> int:
        _, page_of = console_app.call(ADMIN, "GET", f"/webhooks/{webhook_id}/deliveries?limit=100")
        return len(page_of["items"])

    local_stack.until(lambda: logged() == 27, 120, "27 deliveries in the log")

    # When the admin opens its log: the first page holds 25, the next the other 2
    sign_in(page, console_app, ADMIN)
    page.goto(f"{console_app.url}/#/webhooks/{webhook_id}")
    rows = page.locator("table.wh-log tbody tr")
    expect(rows).to_have_count(25)
    first_page = set(rows.evaluate_all("rows => rows.map(r => r.dataset.eventId)"))
    expect(page.get_by_role("button", name="Trang trước")).to_be_disabled()
    page.get_by_role("button", name="Trang sau").click()
    expect(page.get_by_text("Trang 2", exact=True)).to_be_visible()
    expect(rows).to_have_count(2)
    second_page = set(rows.evaluate_all("rows => rows.map(r => r.dataset.eventId)"))
    assert not first_page & second_page
    expect(page.get_by_role("button", name="Trang sau")).to_be_disabled()
    page.get_by_role("button", name="Trang trước").click()
    expect(page.get_by_text("Trang 1", exact=True)).to_be_visible()
    expect(rows).to_have_count(25)
    console_app.call(ADMIN, "DELETE", f"/webhooks/{webhook_id}")
