"""Tổng quan and Phân bổ in Chromium: 60 leads on a 3:4:5 rule show as 15/20/25 in the report's table and
chart; with every member paused, new leads wait and the home screen says why, with a call to action; a
tenant-B admin sees none of it."""

from __future__ import annotations

import json
import re
import secrets
import time
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from playwright.sync_api import Locator, Page, expect

from tests.support.console import (
    ADMIN,
    ADMIN_B,
    TEAM_LEAD,
    ConsoleApp,
    assert_accessible,
    open_screen,
    sign_in,
    sign_out,
)

LEADS = 60
WEIGHTS = (3, 4, 5)


def _ok(answer: tuple[int, Any], status: int = 200) -> Any:
    code, body = answer
    assert code == status, (code, body)
    return body


def _post_lead(app: ConsoleApp, form_key: str, secret: str) -> None:
    body = {"name": "Khách thử", "phone": "0912" + "".join(secrets.choice("0123456789") for _ in range(6))}
    request = urllib.request.Request(
        f"{app.url}/intake/leads",
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Content-Type": "application/json", "X-Form-Key": form_key, "X-Source-Secret": secret},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            assert answer.status in (200, 201, 202), answer.status
    except urllib.error.HTTPError as error:
        raise AssertionError(f"{error.code}: {error.read()!r}") from error


def _today_utc_range() -> str:
    # The whole UTC day around now and a day either side: wide enough for the local day, under 92 days.
    now = datetime.now(UTC)
    start, end = now - timedelta(days=1), now + timedelta(days=1)
    return f"received_from={start:%Y-%m-%dT%H:%M:%SZ}&received_to={end:%Y-%m-%dT%H:%M:%SZ}"


def _wait_assigned(app: ConsoleApp, rule_id: str, count: int, deadline_s: float = 60) -> dict[str, Any]:
    """Poll the distribution report until the rule has assigned ``count`` leads (or fail at the deadline)."""
    deadline = time.monotonic() + deadline_s
    path = f"/reports/distribution?{_today_utc_range()}&rule_id={rule_id}"
    while True:
        report = _ok(app.call(ADMIN, "GET", path))
        (row,) = report["rules"]
        if row["assigned"] >= count or time.monotonic() > deadline:
            assert row["assigned"] == count, row
            return dict(row)
        time.sleep(0.5)


def _setup(app: ConsoleApp) -> dict[str, Any]:
    """Three staff, a 3:4:5 rule on a pool of its own, a form source for that pool, 60 leads, assigned."""
    tag = uuid.uuid4().hex[:6]
    names = [f"{n} {tag}" for n in ("Anh", "Bảo", "Cúc")]
    staff = [_ok(app.call(ADMIN, "POST", "/staff", {"name": n}), 201)["staff_id"] for n in names]
    pool = f"p{tag}"
    rule = _ok(
        app.call(
            ADMIN,
            "POST",
            "/rules",
            {
                "name": f"Chia 3:4:5 {tag}",
                "kind": "weighted",
                "scope": {"pool": pool, "step": "new"},
                "staff": [{"staff_id": s, "weight": w} for s, w in zip(staff, WEIGHTS, strict=True)],
            },
        ),
        201,
    )
    source = _ok(
        app.call(
            ADMIN, "POST", "/form-sources", {"name": f"Web {tag}", "pool": pool, "rate_per_minute": 600}
        ),
        201,
    )
    for _ in range(LEADS):
        _post_lead(app, source["form_key"], source["source_secret"])
    _wait_assigned(app, rule["rule_id"], LEADS)
    return {
        "tag": tag,
        "names": names,
        "staff": staff,
        "rule_id": rule["rule_id"],
        "rule_name": rule["name"],
        "source": source,
    }


def _cells(row: Locator) -> list[str]:
    return [c.strip() for c in row.locator("th, td").all_inner_texts()]


def test_the_report_shows_15_20_25_and_home_says_why_leads_wait_and_tenant_b_sees_none(
    page: Page, console_app: ConsoleApp
) -> None:
    made = _setup(console_app)
    sign_in(page, console_app, ADMIN)

    # Phân bổ, today: the rule's table holds 15/20/25 against an ideal of 15/20/25, and its chart is drawn
    open_screen(page, "Phân bổ")
    table = page.locator(f"table[data-rule='{made['rule_id']}']")
    expect(table.locator("caption")).to_have_text(f"Lý tưởng và thực tế: {made['rule_name']}")
    for staff_id, name, weight, count in zip(
        made["staff"], made["names"], WEIGHTS, (15, 20, 25), strict=True
    ):
        row = table.locator(f"tr[data-staff='{staff_id}']")
        expect(row).to_have_count(1)
        # the staff directory arrives after the report: until then a row names its member by id
        expect(row.locator("th, td").first).to_have_text(name)
        assert _cells(row) == [name, str(weight), str(count), str(count), "0", "0"]
    chart = page.get_by_role("img", name=re.compile(re.escape(made["rule_name"])))
    expect(chart).to_have_count(1)
    assert chart.evaluate("c => c.tagName") == "CANVAS"
    assert chart.get_attribute("aria-describedby") == table.get_attribute("id")
    assert f"{made['names'][2]}: 25 / 25" in (chart.get_attribute("aria-label") or "")
    drawn = chart.evaluate(
        """c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                  let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++; return n; }"""
    )
    assert drawn > 1000, "the chart's canvas is blank"
    # …the period picker: the last 7 days include today's leads
    page.get_by_label("7 ngày qua").check()
    expect(table.locator(f"tr[data-staff='{made['staff'][2]}'] td").nth(2)).to_have_text("25")
    assert_accessible(page, "40-distribution")

    # When every member of the rule is paused and two more leads arrive, they wait: nobody eligible
    for staff_id in made["staff"]:
        _ok(console_app.call(ADMIN, "PATCH", f"/staff/{staff_id}", {"paused": True}))
    for _ in range(2):
        _post_lead(console_app, made["source"]["form_key"], made["source"]["source_secret"])
    open_screen(page, "Tổng quan")
    waiting = page.locator("tr[data-reason='no_eligible_staff']", has_text=made["rule_name"])
    expect(waiting).to_have_count(1, timeout=15_000)
    for name in made["names"]:  # named once the staff directory has arrived (by id until then)
        expect(waiting.locator("th, td").nth(4)).to_contain_text(f"{name}: tạm dừng")
    cells = _cells(waiting)
    assert cells[0] == "Không có nhân viên nào nhận được" and cells[2] == "2"
    assert all(f"{n}: tạm dừng" in cells[4] for n in made["names"]), cells
    # …with a call to action to the staff screen, and the counts the API gives for today
    action = page.get_by_role("listitem").filter(has_text="lead đang chờ vì không có nhân viên nào nhận được")
    expect(action).to_have_count(1)
    expect(action.get_by_role("link", name="Xem nhân viên")).to_have_attribute("href", "#/staff")
    overview = _ok(console_app.call(ADMIN, "GET", "/reports/overview"))
    assert overview["received"] >= LEADS + 2 and overview["waiting_by_reason"]["no_eligible_staff"] >= 2
    for stat in ("received", "assigned", "waiting"):
        expect(page.locator(f"[data-stat='{stat}']")).to_have_text(
            re.sub(r"\B(?=(\d{3})+$)", ".", str(overview[stat]))
        )
    assert_accessible(page, "41-home-waiting")

    # A tenant-B admin: neither screen shows tenant A's rule, people or counts
    sign_out(page)
    sign_in(page, console_app, ADMIN_B)
    expect(page.get_by_role("heading", level=1, name="Tổng quan")).to_be_visible()
    overview_b = _ok(console_app.call(ADMIN_B, "GET", "/reports/overview"))
    assert overview_b["received"] < overview["received"]
    expect(page.locator("[data-stat='received']")).to_have_text(str(overview_b["received"]))
    expect(page.locator("body")).not_to_contain_text(made["rule_name"])
    assert_accessible(page, "42-home-tenant-b")
    open_screen(page, "Phân bổ")
    expect(page.get_by_role("heading", level=2, name="Theo quy tắc", exact=True)).to_be_visible()
    expect(page.locator("main")).not_to_contain_text(made["tag"])
    expect(page.locator(f"table[data-rule='{made['rule_id']}']")).to_have_count(0)


def test_a_team_lead_sees_the_overview_and_the_report_without_admin_only_parts(
    page: Page, console_app: ConsoleApp
) -> None:
    sign_in(page, console_app, TEAM_LEAD)
    expect(page.get_by_role("heading", level=1, name="Tổng quan")).to_be_visible()
    overview = _ok(console_app.call(TEAM_LEAD, "GET", "/reports/overview"))
    expect(page.locator("[data-stat='received']")).to_have_text(
        re.sub(r"\B(?=(\d{3})+$)", ".", str(overview["received"]))
    )
    # failed submissions and the rule/source calls to action are the admin's
    expect(page.locator("[data-stat='failed']")).to_have_count(0)
    expect(page.get_by_role("link", name="Tạo quy tắc")).to_have_count(0)
    assert_accessible(page, "43-home-team-lead")
    open_screen(page, "Phân bổ")
    expect(page.get_by_role("heading", level=2, name="Theo quy tắc", exact=True)).to_be_visible()
    assert_accessible(page, "44-distribution-team-lead")
