"""Swagger UI in a real headless Chromium: "Authorize" with a token, then "Try it out" works.

Driven through Playwright against `make run`'s stack, with the system's Chromium (Debian's ``chromium``
package; Playwright's own browser download is not used). A machine without it fails here with the line
that installs it: the test is never skipped.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, Playwright

from leadrouter_local.demo_data import FORM_KEY
from tests.support import stack as local_stack

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="module")
def swagger(playwright: Playwright) -> Iterator[tuple[str, Page, list[dict[str, Any]]]]:
    """The local stack, and a Chromium page on its /swagger that records the API calls it makes."""
    if not shutil.which("chromium"):
        pytest.fail("Chromium is needed for the Swagger UI test: apt-get install -y chromium", pytrace=False)
    port = local_stack.free_port()
    url = f"http://127.0.0.1:{port}"
    process = local_stack.start(port, "--schedule-seconds", "3600")
    try:
        local_stack.wait_ready(process, url)
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--headless", "--disable-gpu"]
        )
        page = browser.new_page()
        calls: list[dict[str, Any]] = []

        def record(response: Any) -> None:
            if "/swagger" not in response.url:
                calls.append(
                    {"url": response.url, "status": response.status, "headers": response.request.headers}
                )

        page.on("response", record)
        page.goto(f"{url}/swagger")
        page.wait_for_selector(".opblock", timeout=30_000)
        yield url, page, calls
        browser.close()
    finally:
        local_stack.stop(process)


def _authorize(page: Page, scheme: str, value: str) -> None:
    """Swagger UI's Authorize dialog: fill the scheme's field, authorize, close."""
    page.click("button.authorize")
    section = page.locator(".auth-container", has_text=scheme)
    section.locator("input").fill(value)
    section.locator("button.authorize").click()
    page.click("button.btn-done")


def _try_it_out(page: Page, operation_id: str, tag: str) -> str:
    """Open an operation, Try it out, Execute: the status Swagger UI shows for the live response."""
    block = page.locator(f"#operations-{tag}-{operation_id}")
    block.locator(".opblock-summary").click()
    block.locator("button.try-out__btn").click()
    block.locator("button.execute").click()
    status = block.locator(".live-responses-table tbody .response-col_status").first
    status.wait_for(timeout=30_000)
    return status.inner_text().strip()


def _operation_id(url: str, method: str, path: str) -> str:
    status, document = local_stack.request(f"{url}/openapi.json")
    assert status == 200
    return str(document["paths"][path][method]["operationId"])


def test_try_it_out_with_a_bearer_token_lists_the_leads(
    swagger: tuple[str, Page, list[dict[str, Any]]],
) -> None:
    url, page, calls = swagger
    # Given the admin's token entered in Authorize (the bearer scheme)
    _authorize(page, "cognito", "demo-admin")
    # When GET /leads is tried out
    shown = _try_it_out(page, _operation_id(url, "get", "/leads"), "leads")
    # Then it answered 200, called this server's /leads, and sent the token as a bearer
    assert shown == "200"
    (call,) = [c for c in calls if c["url"].startswith(f"{url}/leads")]
    assert call["status"] == 200
    assert call["headers"]["authorization"] == "Bearer demo-admin"


def test_try_it_out_with_the_form_key_posts_the_example_lead(
    swagger: tuple[str, Page, list[dict[str, Any]]],
) -> None:
    url, page, calls = swagger
    # Given the demo form key entered in Authorize (the X-Form-Key scheme)
    _authorize(page, "formKey", FORM_KEY)
    # When POST /intake/leads is tried out with the pre-filled example body
    shown = _try_it_out(page, _operation_id(url, "post", "/intake/leads"), "intake")
    # Then the lead was created with the key in X-Form-Key
    assert shown == "201"
    (call,) = [c for c in calls if c["url"] == f"{url}/intake/leads"]
    assert call["headers"]["x-form-key"] == FORM_KEY
    status, page_of_leads = local_stack.request(
        f"{url}/leads", headers={"Authorization": "Bearer demo-admin"}
    )
    assert status == 200
    assert [x["lead"]["name"] for x in page_of_leads["items"]] == ["Nguyễn Văn An"], json.dumps(page_of_leads)
