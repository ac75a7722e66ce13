"""Exports API: admins and team leads request an export, follow it, download it; the records are the
audit; staff may not; the tenant comes from the token only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import boto3
import pytest

from leadrouter.data.repository import Repository
from leadrouter.domain.leads import LeadStatus
from tests.support.api import ADMIN, call, claims, event, frozen_api_clock
from tests.support.builders import NOW, TENANT, add_leads, rule, seed, staff
from tests.support.files import MemoryFiles
from tests.support.lambda_context import FakeContext
from tests.support.webhooks import sqs_event

RED_LEAD = claims("team_lead", staff_id="lead-red", team="red")
BLUE_LEAD = claims("team_lead", staff_id="lead-blue", team="blue")
SELLER = claims("staff", staff_id="A")
OTHER_TENANT_ADMIN = claims("admin", tenant="globex")


@dataclass
class Stack:
    sqs: Any
    queue_url: str
    files: MemoryFiles

    def run_worker(self) -> dict[str, Any]:
        """The export worker on what ExportQueue holds, as its event source mapping hands it over."""
        from functions.lead_export import app

        messages = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10).get(
            "Messages", []
        )
        assert messages, "nothing queued"
        answer: dict[str, Any] = app.handler(
            sqs_event(messages, "ExportQueue"), FakeContext(function_name="leadrouter-lead-export")
        )
        return answer


@pytest.fixture
def stack(moto_repo: Repository, monkeypatch: pytest.MonkeyPatch) -> Stack:
    """Given the tenant's leads (2 held by A of team red, 1 by B of team blue), ExportQueue (moto) and
    the tenant's files in memory, for the API and the worker."""
    seed(moto_repo, rule(weights={"A": 1, "B": 1}), [staff("A", team="red"), staff("B", team="blue")])
    for holder, count, at in (("A", 2, NOW), ("B", 1, NOW + timedelta(seconds=1))):
        add_leads(moto_repo, count, at, status=LeadStatus.ASSIGNED, owner=holder, assignees=[holder])
    sqs = boto3.client("sqs", region_name="ap-southeast-1")
    url = sqs.create_queue(QueueName="ExportQueue")["QueueUrl"]
    monkeypatch.setenv("EXPORT_QUEUE_URL", url)
    files = MemoryFiles()
    monkeypatch.setattr("leadrouter.api.routes.exports.files", lambda: files)
    monkeypatch.setattr("leadrouter.runtime.files", lambda: files)
    frozen_api_clock(monkeypatch, NOW + timedelta(hours=1))
    return Stack(sqs, url, files)


def test_an_admin_requests_an_export_follows_it_and_downloads_it(stack: Stack) -> None:
    # When the admin asks for an English CSV of the web pool
    body = {"pool": "web", "format": "csv", "language": "en"}
    reply = call(event("POST", "/leads/exports", body, claims=ADMIN))
    # Then it is accepted (202) and recorded: who, when, which filter, queued
    assert reply.status == 202, reply.body
    export = reply.body
    assert (export["status"], export["format"], export["language"]) == ("queued", "csv", "en")
    assert {k: v for k, v in export["filters"].items() if v is not None} == {"pool": "web"}
    assert export["requested_by"]["role"] == "admin" and export["tenant_id"] == TENANT
    assert export["requested_at"].startswith("2026-11-24T03:00:00")
    # And until the worker has made it there is no link
    path = f"/leads/exports/{export['export_id']}"
    pending = call(event("GET", path, claims=ADMIN))
    assert pending.status == 200 and pending.body["download_url"] is None
    # When the worker takes the message
    assert stack.run_worker() == {"batchItemFailures": []}
    # Then the export is done with its rows, and a link to its file (valid 15 minutes) is given
    done = call(event("GET", path, claims=ADMIN)).body
    assert (done["export"]["status"], done["export"]["rows"]) == ("done", 3)
    key = f"exports/{TENANT}/{export['export_id']}.csv"
    assert done["download_url"].startswith(f"memory://{key}?") and "expires_in=900" in done["download_url"]
    assert stack.files.objects[key].startswith(b"\xef\xbb\xbfLead id,Name,Phone,")
    # And the audit lists it
    listed = call(event("GET", "/leads/exports", claims=ADMIN)).body
    assert [x["export_id"] for x in listed["items"]] == [export["export_id"]] and listed["cursor"] is None


def test_team_leads_see_their_own_exports_admins_all_staff_none(stack: Stack) -> None:
    red = call(event("POST", "/leads/exports", {}, claims=RED_LEAD)).body
    blue = call(event("POST", "/leads/exports", {"format": "xlsx"}, claims=BLUE_LEAD)).body

    # Then each team lead lists only theirs, the admin both (newest first)
    def ids(who: dict[str, str]) -> list[str]:
        return [x["export_id"] for x in call(event("GET", "/leads/exports", claims=who)).body["items"]]

    assert ids(RED_LEAD) == [red["export_id"]]
    assert ids(ADMIN) == sorted([red["export_id"], blue["export_id"]], reverse=True)
    # And another team lead's export, or another tenant's, is not found
    assert call(event("GET", f"/leads/exports/{red['export_id']}", claims=BLUE_LEAD)).status == 404
    assert call(event("GET", f"/leads/exports/{red['export_id']}", claims=OTHER_TENANT_ADMIN)).status == 404
    assert call(event("GET", f"/leads/exports/{red['export_id']}", claims=ADMIN)).status == 200
    # And staff may not export, list or follow exports; nobody unauthenticated may
    assert call(event("POST", "/leads/exports", {}, claims=SELLER)).status == 403
    assert call(event("GET", "/leads/exports", claims=SELLER)).status == 403
    assert call(event("GET", f"/leads/exports/{red['export_id']}", claims=SELLER)).status == 403
    assert call(event("POST", "/leads/exports", {})).status == 401


def test_a_team_leads_export_holds_their_teams_leads_only(stack: Stack, moto_repo: Repository) -> None:
    export = call(event("POST", "/leads/exports", {"format": "csv"}, claims=RED_LEAD)).body
    assert stack.run_worker() == {"batchItemFailures": []}
    record = moto_repo.get_export(TENANT, export["export_id"])
    assert record is not None and record.rows == 2  # A's two leads; not B's


def test_a_request_the_console_could_not_have_sent_is_a_422(stack: Stack) -> None:
    for body in (
        {"format": "pdf"},
        {"language": "fr"},
        {"status": "lost"},
        {"tenant_id": "globex"},  # the tenant is the token's, never the body's
        {"received_from": "2026-12-01T00:00:00+07:00", "received_to": "2026-11-01T00:00:00+07:00"},
    ):
        assert call(event("POST", "/leads/exports", body, claims=ADMIN)).status == 422, body
    assert call(event("GET", "/leads/exports?cursor=bm9wZQ", claims=ADMIN)).status == 422
    assert call(event("GET", "/leads/exports/not%20an%20id", claims=ADMIN)).status == 422
    # And nothing was recorded or queued
    assert call(event("GET", "/leads/exports", claims=ADMIN)).body["items"] == []
