"""Meta Lead Ads: the subscription handshake, signed deliveries stored first, and the lead fetched from
the Graph API (a local fake that can fail, throttle and revoke) by the fetch worker."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest

from leadrouter.data.platform_http import PlatformApis
from leadrouter.data.repository import Repository
from leadrouter.domain.fetches import FETCH_SCHEDULE, FetchOrder
from leadrouter.logic.intake.fetches import Fetcher, FetchMessage, fetch_batch
from leadrouter.runtime import secret_box
from leadrouter_local.fake_graph import FakeGraph
from tests.support.api import FORM_KEY, add_form_source, call_as, config_items
from tests.support.platforms import (
    create_platform_source,
    fixture,
    fixture_json,
    get_hook,
    health,
    post_hook,
    submissions,
)

APP_SECRET = "meta-app-secret-0001"
VERIFY_TOKEN = "verify-me-0001"
PAGE_TOKEN = "EAAB-page-token-0001"
LEAD_1, LEAD_2 = "987654321000001", "987654321000002"


@dataclass
class Queue:
    """The fetch queue as the door and the worker see it: orders sent, retry delays asked."""

    orders: list[FetchOrder] = field(default_factory=list)
    delays: list[tuple[str, int]] = field(default_factory=list)

    def request_fetch(self, order: FetchOrder) -> None:
        self.orders.append(order)

    def retry_in(self, receipt_handle: str, seconds: int) -> None:
        self.delays.append((receipt_handle, seconds))


@dataclass
class Mailer:
    sent: list[tuple[list[str], str, str]] = field(default_factory=list)

    def send(self, to: Sequence[str], subject: str, text: str) -> None:
        self.sent.append((list(to), subject, text))


@pytest.fixture
def queue(monkeypatch: pytest.MonkeyPatch) -> Queue:
    recorded = Queue()
    monkeypatch.setattr("leadrouter.api.door.fetch_queue", lambda: recorded)
    monkeypatch.setattr("leadrouter.api.routes.submissions.fetch_queue", lambda: recorded)
    return recorded


@pytest.fixture
def graph() -> Iterator[FakeGraph]:
    fake = FakeGraph().start()
    for lead_id in (LEAD_1, LEAD_2):
        fake.add_lead(fixture_json("meta_lead_ads", f"lead_{lead_id}.json"))
    yield fake
    fake.stop()


def _source(**settings: Any) -> dict[str, Any]:
    secrets = {"app_secret": APP_SECRET, "verify_token": VERIFY_TOKEN, "page_access_token": PAGE_TOKEN}
    # the second fixture lead asks its phone with a question of the form's own
    mapping = {"field_map": {"so_dien_thoai_lien_he": "phone"}}
    return create_platform_source("meta_lead_ads", {**secrets, **mapping, **settings})


def _signed(raw: bytes, secret: str = APP_SECRET) -> dict[str, str]:
    return {"X-Hub-Signature-256": "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()}


def _deliver(key: str, raw: bytes | None = None) -> int:
    raw = raw if raw is not None else fixture("meta_lead_ads", "webhook.json")
    return post_hook(key, raw, _signed(raw)).status


def _work(
    queue: Queue, graph: FakeGraph, *, receive_count: int = 1, mailer: Mailer | None = None
) -> list[str]:
    """One worker invocation with every order queued so far (each at ``receive_count``)."""
    messages = [
        FetchMessage(f"m{i}", f"r{i}", order.model_dump_json(), receive_count)
        for i, order in enumerate(queue.orders)
    ]
    queue.orders.clear()
    fetcher = Fetcher(http=PlatformApis({"meta": graph.url}), secrets=secret_box(), mailer=mailer)
    return fetch_batch(_repo(), queue, messages, fetcher, lambda: datetime.now(UTC))


def _repo() -> Repository:
    from leadrouter.runtime import repository

    return repository()


# ------------------------------------------------------------------ the handshake
def test_the_subscription_handshake_echoes_the_challenge_only_with_the_verify_token(
    moto_repo: Repository,
) -> None:
    created = _source()
    key = created["form_key"]
    asked = {"hub.mode": "subscribe", "hub.challenge": "1158201444", "hub.verify_token": VERIFY_TOKEN}
    # When Meta verifies the callback URL with the right token, a wrong one, or no subscribe mode
    right = get_hook(key, asked)
    wrong = get_hook(key, {**asked, "hub.verify_token": "guess"})
    no_mode = get_hook(key, {k: v for k, v in asked.items() if k != "hub.mode"})
    # Then only the right token gets the challenge back, as text
    assert (right.status, right.body) == (200, 1158201444)
    assert right.headers["Content-Type"].startswith("text/plain")
    assert (wrong.status, no_mode.status) == (403, 403)
    # ...and a web form's URL or an unknown key answers no handshake
    add_form_source(moto_repo)
    assert get_hook(FORM_KEY, asked).status == 404
    assert get_hook("fk_unknown", asked).status == 404
    # ...nor does a web form's key open the webhook URL for posts (a form posts to /f/{key})
    assert post_hook(FORM_KEY, b'{"name": "An", "phone": "0912345678"}').status == 404


# ------------------------------------------------------------------ deliveries
def test_a_signed_delivery_is_stored_per_lead_acknowledged_at_once_and_each_lead_fetched_once(
    moto_repo: Repository, queue: Queue, graph: FakeGraph
) -> None:
    created = _source()
    # When Meta posts one delivery announcing two leads
    assert _deliver(created["form_key"]) == 200
    # Then each is stored first and waits for its fetch; no lead exists yet
    stored = submissions()
    assert sorted(r["status"] for r in stored) == ["received", "received"]
    assert health(created["source"]["source_id"])["pending"] == 2
    assert list(moto_repo.tenant_leads("acme")) == [] and len(queue.orders) == 2
    # When the worker runs: each lead is read from the Graph API with the page token
    assert _work(queue, graph) == []
    assert sorted(graph.state.reads) == [(LEAD_1, PAGE_TOKEN), (LEAD_2, PAGE_TOKEN)]
    leads = {lead.phone: lead for lead in moto_repo.tenant_leads("acme")}
    # Then two leads: answers mapped (a multi-value answer joined), attribution from Meta
    binh, an = leads["+84987654321"], leads["+84912345678"]
    assert (binh.name, binh.email) == ("Trần Thị Bình", "binh.tran@example.vn")
    assert binh.attributes == {"ban_quan_tam_san_pham_nao?": "Căn hộ 2PN, Căn hộ 3PN"}
    assert an.name == "An Nguyễn"
    assert binh.attribution is not None
    assert binh.attribution.first.model_dump(exclude_none=True, exclude={"at"}) == {
        "ad_id": "23851234567890001",
        "ad_group_id": "23851234567890100",
        "campaign_id": "23851234567890200",
        "form_id": "444444444444001",
        "lead_platform": "instagram",
        "platform_lead_id": LEAD_1,
        "platform_account_id": "153125381133",
        "is_organic": "false",
    }
    assert sorted(r["status"] for r in submissions()) == ["accepted", "accepted"]
    seen = health(created["source"]["source_id"])
    assert seen["last_delivery_at"] is not None and (seen["pending"], seen["failed"]) == (0, 0)


def test_a_wrong_or_missing_signature_is_refused_counted_and_nothing_else_is_written(
    moto_repo: Repository, moto_tables: dict[str, str], queue: Queue
) -> None:
    created = _source()
    source_id = created["source"]["source_id"]
    raw = fixture("meta_lead_ads", "webhook.json")
    before = config_items(moto_tables)
    # When a delivery comes signed with another secret, unsigned, or with its body changed after signing
    replies = [
        post_hook(created["form_key"], raw, _signed(raw, "another-secret")),
        post_hook(created["form_key"], raw),
        post_hook(created["form_key"], raw.replace(b"987654321000001", b"987654321000009"), _signed(raw)),
    ]
    # Then each is refused, counted on the source's health, and nothing else is written or queued
    assert [r.status for r in replies] == [401, 401, 401]
    assert submissions() == [] and queue.orders == []
    after = config_items(moto_tables)
    assert [i["sk"]["S"] for i in after if i not in before] == [f"SOURCEHEALTH#{source_id}"]
    assert health(source_id)["refused"] == 3


def test_a_delivery_meta_sends_again_is_one_lead(
    moto_repo: Repository, queue: Queue, graph: FakeGraph
) -> None:
    created = _source()
    # When Meta sends the same delivery twice, and the worker gets both copies of the orders
    assert _deliver(created["form_key"]) == 200
    assert _deliver(created["form_key"]) == 200
    assert len(submissions()) == 2 and len(queue.orders) == 4
    assert _work(queue, graph) == []
    # Then one lead per leadgen id
    assert len(list(moto_repo.tenant_leads("acme"))) == 2


# ------------------------------------------------------------------ the fetch's failures
def test_a_graph_failing_three_times_then_answering_makes_the_lead_once_on_the_schedule(
    moto_repo: Repository, queue: Queue, graph: FakeGraph
) -> None:
    created = _source()
    one_lead = fixture_json("meta_lead_ads", "webhook.json")
    one_lead["entry"][0]["changes"] = one_lead["entry"][0]["changes"][:1]
    assert _deliver(created["form_key"], json.dumps(one_lead).encode()) == 200
    order = queue.orders.pop()
    # Given the Graph API failing three times (500, then two rate limits)
    graph.fail_next(1)
    graph.throttle_next(2)
    for attempt in (1, 2, 3):
        queue.orders.append(order)
        # Then each failed attempt comes back after the schedule's delay, and nothing is made
        assert _work(queue, graph, receive_count=attempt) == ["m0"]
        assert list(moto_repo.tenant_leads("acme")) == []
    assert [seconds for _, seconds in queue.delays] == list(FETCH_SCHEDULE.delays[:3]) == [30, 120, 600]
    # When the fourth attempt reaches it, the lead arrives, once
    queue.orders.append(order)
    assert _work(queue, graph, receive_count=4) == []
    assert len(list(moto_repo.tenant_leads("acme"))) == 1
    queue.orders.append(order)  # a late duplicate of the message
    assert _work(queue, graph, receive_count=1) == []
    assert len(list(moto_repo.tenant_leads("acme"))) == 1
    assert health(created["source"]["source_id"])["healthy"] is True


def test_a_graph_failing_for_good_leaves_the_delivery_failed_and_replayable_exactly_once(
    moto_repo: Repository, queue: Queue, graph: FakeGraph
) -> None:
    created = _source()
    one_lead = fixture_json("meta_lead_ads", "webhook.json")
    one_lead["entry"][0]["changes"] = one_lead["entry"][0]["changes"][:1]
    assert _deliver(created["form_key"], json.dumps(one_lead).encode()) == 200
    # When the last attempt of the schedule fails too
    graph.fail_next(1)
    assert _work(queue, graph, receive_count=FETCH_SCHEDULE.max_attempts) == ["m0"]
    # Then its message comes back at once (the queue's redrive moves it to the DLQ) and the delivery
    # is listed as failed, saying why
    assert queue.delays == [("r0", 0)]
    (failed,) = submissions("failed")
    assert "could not be fetched after 10 attempts" in failed["reason"]
    assert health(created["source"]["source_id"])["failed"] == 1
    assert list(moto_repo.tenant_leads("acme")) == []
    # When the admin replays it (Graph is back): the fetch is queued again and the worker makes the lead
    replayed = call_as("POST", f"/intake/submissions/{failed['submission_id']}/replay", {})
    assert replayed.status == 200, replayed.body
    assert _work(queue, graph) == []
    assert len(list(moto_repo.tenant_leads("acme"))) == 1
    # ...and a second replay is refused: it already became its lead
    again = call_as("POST", f"/intake/submissions/{failed['submission_id']}/replay", {})
    assert again.status == 409


def test_a_revoked_token_marks_the_source_unhealthy_alerts_once_and_a_fixed_source_catches_up(
    moto_repo: Repository, queue: Queue, graph: FakeGraph
) -> None:
    created = _source()
    source = created["source"]
    assert call_as("PUT", "/settings/alerts", {"webhook_ids": [], "emails": ["lan@anphat.vn"]}).status == 200
    # Given the Page's token revoked in Leads Access Manager
    graph.revoke(PAGE_TOKEN)
    mailer = Mailer()
    assert _deliver(created["form_key"]) == 200
    # When the worker tries both leads
    assert _work(queue, graph, mailer=mailer) == []  # no retry can help: not retried
    # Then the deliveries are failed (replayable), the source is unhealthy and says why, and the
    # tenant's alert address got one e-mail for the outage (not one per lead)
    assert sorted(r["status"] for r in submissions()) == ["failed", "failed"]
    seen = health(source["source_id"])
    assert seen["healthy"] is False and "revoked" in seen["last_error"]
    assert len(mailer.sent) == 1 and mailer.sent[0][0] == ["lan@anphat.vn"]
    assert PAGE_TOKEN not in mailer.sent[0][2]
    # When the admin sets a new token and replays the failed deliveries
    new_token = "EAAB-page-token-0002"
    settings = {**source["platform"], "page_access_token": new_token}  # the settings whole, one secret new
    edit = {"rev": source["rev"], "platform": settings}
    assert call_as("PATCH", f"/form-sources/{source['source_id']}", edit).status == 200
    for record in submissions("failed"):
        assert call_as("POST", f"/intake/submissions/{record['submission_id']}/replay", {}).status == 200
    assert _work(queue, graph, mailer=mailer) == []
    # Then both leads exist, read with the new token, and the source is healthy again
    assert len(list(moto_repo.tenant_leads("acme"))) == 2
    assert {token for _, token in graph.state.reads[-2:]} == {new_token}
    assert health(source["source_id"])["healthy"] is True


def test_the_app_secret_verify_and_page_tokens_are_write_only(moto_repo: Repository) -> None:
    created = _source()
    listed = json.dumps(call_as("GET", "/form-sources").body)
    for secret in (APP_SECRET, VERIFY_TOKEN, PAGE_TOKEN):
        assert secret not in listed and secret not in json.dumps(created)
    assert created["source"]["platform_secrets_set"] == ["app_secret", "page_access_token", "verify_token"]
