"""One `make run` stack and one Chromium per test worker; a fresh browser context (nobody signed in) per
test; a failing test keeps a screenshot of where it stopped in tests/artifacts/console/."""

from __future__ import annotations

import os
from collections.abc import Generator, Iterator

import pytest
from playwright.sync_api import Browser, Page, Playwright

from tests.support import stack as local_stack
from tests.support.console import (
    CHROMIUM,
    CHROMIUM_ARGS,
    IMPORT_CHUNK_ROWS,
    OPERATOR_TOKEN,
    ConsoleApp,
    require_build,
    screenshot,
)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def console_browser(playwright: Playwright) -> Iterator[Browser]:
    require_build()
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture(scope="session")
def console_app(console_browser: Browser) -> Iterator[ConsoleApp]:
    port = local_stack.free_port()
    url = f"http://127.0.0.1:{port}"
    # The stack keeps a LOCAL_OPERATOR_TOKEN it is given (the operator's IAM stand-in); the tests use it.
    os.environ["LOCAL_OPERATOR_TOKEN"] = OPERATOR_TOKEN
    # Ten rows a chunk: the import screen's 30-row file goes through the worker in three chunks.
    process = local_stack.start(port, "--import-chunk-rows", str(IMPORT_CHUNK_ROWS))
    try:
        local_stack.wait_ready(process, url)
        yield ConsoleApp(url=url, browser=console_browser)
    finally:
        local_stack.stop(process)


@pytest.fixture
def page(console_app: ConsoleApp, request: pytest.FixtureRequest) -> Iterator[Page]:
    context = console_app.browser.new_context(
        viewport={"width": 1280, "height": 900}, locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh"
    )
    context.grant_permissions(["notifications"], origin=console_app.url)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        screenshot(page, f"FAILED-{request.node.name}")
    context.close()
    assert errors == [], f"uncaught errors in the page: {errors}"
