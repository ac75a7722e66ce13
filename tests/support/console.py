"""The console in a real headless Chromium against `make run`'s stack: sign-in, axe-core, screenshots.

The stack is started as `make run` starts it (console served at /, the local Cognito pool with the demo
users of both tenants); the console's build must exist (``make console``, which ``make test`` runs first).
"""

from __future__ import annotations

import json
import re
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from playwright.sync_api import Browser, Page, expect

from leadrouter_local.cognito import DEMO_PASSWORD

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"  # Debian's (make test installs it); never a downloaded one
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = ROOT / "tests" / "artifacts" / "console"
AXE = ROOT / "console" / "node_modules" / "axe-core" / "axe.min.js"
DIST = ROOT / "console" / "dist" / "index.html"

ADMIN = "admin@demo.test"
TEAM_LEAD = "lead@demo.test"
SALES_A = "an@demo.test"
SALES_B = "binh@demo.test"
ADMIN_B = "admin@demo-b.test"
#: What the console tests' stack takes as the operator's signature (IAM on AWS).
OPERATOR_TOKEN = "console-tests-operator"
#: The console tests' stack cuts customer lists into chunks of this many rows (the template's: 500).
IMPORT_CHUNK_ROWS = 10


@dataclass
class ConsoleApp:
    url: str
    browser: Browser

    def config(self) -> dict[str, str]:
        with urllib.request.urlopen(f"{self.url}/config.json", timeout=5) as answer:
            config: dict[str, str] = json.loads(answer.read())
            return config

    def id_token(self, email: str, password: str = DEMO_PASSWORD) -> str:
        """An ID token of a demo user, as the console gets it (for API calls made by the test)."""
        config = self.config()
        cognito = boto3.client(
            "cognito-idp",
            endpoint_url=config["cognitoEndpoint"].rstrip("/"),
            region_name=config["region"],
            aws_access_key_id="local",
            aws_secret_access_key="local",
        )
        answer = cognito.initiate_auth(
            ClientId=config["userPoolClientId"],
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": email, "PASSWORD": password},
        )
        token: str = answer["AuthenticationResult"]["IdToken"]
        return token

    def call(self, email: str, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        """The API as ``email`` (signed in through the local pool)."""
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            f"{self.url}{path}",
            data=data,
            method=method,
            headers={"Content-Type": "application/json", "Authorization": self.id_token(email)},
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                return int(answer.status), json.loads(answer.read() or b"null")
        except urllib.error.HTTPError as error:
            return int(error.code), json.loads(error.read() or b"null")


def require_build() -> None:
    if not DIST.exists():
        pytest.fail("the console is not built: run `make console` (make test does)", pytrace=False)
    if not AXE.exists():
        pytest.fail(
            "axe-core is missing: run `make console` (it installs console/node_modules)", pytrace=False
        )


def sign_in(page: Page, app: ConsoleApp, email: str, password: str = DEMO_PASSWORD) -> None:
    """Through the sign-in screen, in Vietnamese (the default), until the menu shows."""
    page.goto(f"{app.url}/")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Mật khẩu").fill(password)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.get_by_role("navigation", name="Menu chính")).to_be_visible(timeout=15_000)
    # The shell then moves to the role's landing screen; a navigation before that could be undone by it.
    expect(page).to_have_url(re.compile(r"#/(home|mywork)$"))


def open_screen(page: Page, name: str) -> None:
    """Click a menu entry by its (Vietnamese) label and wait for its heading."""
    page.get_by_role("navigation", name="Menu chính").get_by_role("link", name=name, exact=True).click()
    expect(page.get_by_role("heading", level=1, name=name)).to_be_visible(timeout=15_000)


def screenshot(page: Page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def axe_violations(page: Page, impacts: tuple[str, ...] = ("serious", "critical")) -> list[dict[str, Any]]:
    """axe-core's violations of the page as it is now, at the given impacts (WCAG 2.x A and AA rules)."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    result: dict[str, Any] = page.evaluate(
        """async () => await window.axe.run(document, {
             runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}
           })"""
    )
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [n["target"] for n in v["nodes"]][:5],
        }
        for v in result["violations"]
        if v["impact"] in impacts
    ]


def assert_accessible(page: Page, name: str) -> None:
    """No serious or critical axe-core violation; a screenshot of the screen is kept either way."""
    screenshot(page, name)
    violations = axe_violations(page)
    assert violations == [], json.dumps(violations, ensure_ascii=False, indent=1)


@dataclass
class LeadSource:
    """A form source on a pool of its own whose assign rule gives every lead to one salesperson."""

    app: ConsoleApp
    pool: str
    form_key: str
    source_secret: str

    def post_lead(self, name: str) -> str:
        """A lead through the public intake, as a CRM posts it (the secret: the answer names the lead)."""
        email = f"{uuid.uuid4().hex[:12]}@example.com"
        request = urllib.request.Request(
            f"{self.app.url}/intake/leads",
            data=json.dumps({"name": name, "email": email}).encode(),
            method="POST",
            headers={
                "Content-Type": "application/json",
                "X-Form-Key": self.form_key,
                "X-Source-Secret": self.source_secret,
            },
        )
        with urllib.request.urlopen(request, timeout=10) as answer:
            lead_id: str = json.loads(answer.read())["lead_id"]
            return lead_id


def lead_source_for(app: ConsoleApp, staff_id: str, reclaim_after_minutes: int | None = 240) -> LeadSource:
    """As the demo admin: a unique pool, a form source on it, a round-robin rule with only ``staff_id``
    (no delay: leads are assigned on arrival) and, unless None, a reclaim rule on step ``new``."""
    pool = f"p-{uuid.uuid4().hex[:10]}"
    status, made = app.call(ADMIN, "POST", "/form-sources", {"name": f"Form {pool}", "pool": pool})
    assert status == 201, made
    scope = {"pool": pool, "step": "new"}
    rule = {
        "name": f"To {staff_id} {pool}",
        "kind": "round_robin",
        "scope": scope,
        "staff": [{"staff_id": staff_id}],
    }
    status, answer = app.call(ADMIN, "POST", "/rules", rule)
    assert status == 201, answer
    if reclaim_after_minutes is not None:
        reclaim = rule | {
            "name": f"Reclaim {pool}",
            "kind": "reclaim",
            "reclaim_after_minutes": reclaim_after_minutes,
        }
        status, answer = app.call(ADMIN, "POST", "/rules", reclaim)
        assert status == 201, answer
    return LeadSource(app, pool, made["form_key"], made["source_secret"])


def sign_out(page: Page) -> None:
    """The header's sign-out, until the sign-in screen shows (the tokens are forgotten by then)."""
    page.get_by_role("button", name="Đăng xuất").click()
    expect(page.get_by_role("heading", level=1, name="Đăng nhập")).to_be_visible(timeout=15_000)
