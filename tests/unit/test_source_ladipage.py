"""LadiPage: a landing page's form as LadiPage's "Tích hợp API" posts it, in each of its content types,
with its key in a header; a capture (a form left half-filled) merged into the submission that follows."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from leadrouter.data.platform_http import PlatformApis
from leadrouter.data.repository import Repository
from leadrouter.domain.fetches import FetchOrder
from leadrouter.domain.leads import Lead
from leadrouter.logic.intake.fetches import Fetcher, FetchMessage, fetch_batch
from tests.support.api import call_as, config_items, frozen_api_clock
from tests.support.platforms import (
    create_platform_source,
    fixture,
    fixture_json,
    health,
    post_hook,
    submissions,
)

KEY = "ldp-key-5d1e9b7c"
BEARER = {"Authorization": f"Bearer {KEY}"}
BOUNDARY = "----LadiPageFormBoundary7MA4YWxkTrZu0gW"
CONTENT_TYPES = {
    "lead.json": "application/json",
    "lead.urlencoded": "application/x-www-form-urlencoded",
    "lead.multipart": f"multipart/form-data; boundary={BOUNDARY}",
}
NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def _source(**settings: Any) -> dict[str, Any]:
    return create_platform_source("ladipage", {"api_key": KEY, **settings})


def _post(key: str, body: dict[str, Any], headers: dict[str, str] | None = None) -> int:
    return post_hook(
        key, json.dumps(body, ensure_ascii=False).encode(), BEARER if headers is None else headers
    ).status


def _only_lead(repo: Repository) -> Lead:
    (lead,) = list(repo.tenant_leads("acme"))
    return lead


@pytest.mark.parametrize("name", list(CONTENT_TYPES))
def test_each_content_type_is_one_lead_with_its_contact_fields_and_attribution(
    moto_repo: Repository, name: str
) -> None:
    # Given a LadiPage source whose key is the one set in LadiPage's "API Request Header"
    created = _source()
    # When LadiPage posts a submission as JSON, urlencoded (its default) or multipart
    reply = post_hook(created["form_key"], fixture("ladipage", name), BEARER, CONTENT_TYPES[name])
    # Then it is answered 200 and becomes one lead: the Vietnamese field names read as name and phone
    assert reply.status == 200, reply.body
    lead = _only_lead(moto_repo)
    assert (lead.name, lead.phone, lead.email) == ("Trần Thị Bích", "+84987654321", "bich.tran@example.vn")
    # ...LadiPage's keys without a place on the touch, and the form's other answers, as its fields
    assert lead.attributes == {
        "Bạn quan tâm sản phẩm nào?": "Gói chăm sóc da",
        "variant_url": "https://khuyenmai.example.vn/cham-soc-da-b",
        "event_id": "ladi-evt-7f3a9c",
        "IP": "113.161.20.7",
        "user-agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X)",
    }
    # ...and the others as its touch (the click id read from the page's link)
    assert lead.attribution is not None
    assert lead.attribution.first.model_dump(exclude_none=True, exclude={"at"}) == {
        "landing_url": "https://khuyenmai.example.vn/cham-soc-da?utm_source=facebook&fbclid=IwAR0bich",
        "utm_source": "facebook",
        "utm_medium": "cpc",
        "utm_campaign": "tet-2027",
        "utm_content": "video-1",
        "fbclid": "IwAR0bich",
        "fbc": "fb.1.1733560000000.IwAR0bich",
        "fbp": "fb.1.1733550000000.1234567890",
        "form_id": "FORM12",
        "lead_platform": "ladipage",
    }
    (record,) = submissions()
    assert record["status"] == "accepted" and KEY not in json.dumps(record, ensure_ascii=False)


def test_the_key_is_read_bare_or_as_bearer_and_from_the_header_the_admin_named(moto_repo: Repository) -> None:
    body = fixture_json("ladipage", "lead.json")
    # Given a source reading the default header, and one reading X-Api-Key
    default = _source()["form_key"]
    named = _source(api_key_header="X-Api-Key")["form_key"]
    # When the key comes bare, as a bearer token, and in the named header
    bare = _post(default, {**body, "event_id": "e-bare"}, {"Authorization": KEY})
    bearer = _post(default, {**body, "event_id": "e-bearer"}, {"Authorization": f"bearer  {KEY}"})
    in_named = _post(named, {**body, "event_id": "e-named"}, {"X-Api-Key": KEY})
    # ...and in the default header to the source that names another one
    elsewhere = _post(named, {**body, "event_id": "e-elsewhere"}, BEARER)
    # Then the first three are let in and the last one is refused
    assert (bare, bearer, in_named, elsewhere) == (200, 200, 200, 401)
    assert len(submissions()) == 3


def test_a_wrong_or_missing_key_is_refused_counted_and_nothing_else_is_written(
    moto_repo: Repository, moto_tables: dict[str, str]
) -> None:
    created = _source()
    source_id = created["source"]["source_id"]
    before = config_items(moto_tables)
    raw = fixture("ladipage", "lead.json")
    for headers in ({"Authorization": "Bearer guessed"}, {"Authorization": KEY[:-1]}, {}):
        # When a delivery comes with a wrong key, or none
        reply = post_hook(created["form_key"], raw, headers)
        # Then it is refused
        assert reply.status == 401, reply.body
    # ...no lead and no submission exist, and the only write is the source's health, which counts them
    assert list(moto_repo.tenant_leads("acme")) == [] and submissions() == []
    after = config_items(moto_tables)
    assert [i for i in after if i not in before] == [
        i for i in after if i["sk"]["S"] == f"SOURCEHEALTH#{source_id}"
    ]
    seen = health(source_id)
    assert seen["refused"] == 3 and "Authorization" in seen["last_refusal"]
    assert KEY not in json.dumps(seen)


def test_a_delivery_sent_again_is_one_lead_with_or_without_an_event_id(moto_repo: Repository) -> None:
    created = _source()
    body = fixture_json("ladipage", "lead.json")
    without_event_id = {k: v for k, v in body.items() if k != "event_id"}
    # When LadiPage posts the same submission three times, with its event_id and then without one
    first = [_post(created["form_key"], body) for _ in range(3)]
    second = [_post(created["form_key"], {**without_event_id, "email": "b2@example.vn"}) for _ in range(3)]
    # Then every copy is answered 200 and each submission is one record; the second one's phone is
    # known, so it is linked to the first lead: one lead in all
    assert first + second == [200] * 6
    assert sorted(r["status"] for r in submissions()) == ["accepted", "linked"]
    assert len(list(moto_repo.tenant_leads("acme"))) == 1


def test_a_capture_then_the_full_submission_is_one_lead_carrying_the_full_data(
    moto_repo: Repository, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = frozen_api_clock(monkeypatch, NOW)
    created = _source()
    # Given a capture: the visitor typed a name and phone, then left the form
    assert post_hook(created["form_key"], fixture("ladipage", "capture.json"), BEARER).status == 200
    # Then it is held: stored, no lead
    (held,) = submissions()
    assert held["status"] == "held" and list(moto_repo.tenant_leads("acme")) == []
    # When the full submission from the same form and phone comes ten minutes later
    clock["now"] = NOW + timedelta(minutes=10)
    assert post_hook(created["form_key"], fixture("ladipage", "lead.json"), BEARER).status == 200
    # Then there is one lead, and it carries the full submission's data
    lead = _only_lead(moto_repo)
    assert (lead.name, lead.email) == ("Trần Thị Bích", "bich.tran@example.vn")
    assert lead.attributes["Bạn quan tâm sản phẩm nào?"] == "Gói chăm sóc da"
    # ...and the capture is linked to that lead, never to become one of its own
    by_id = {r["submission_id"]: r for r in submissions()}
    capture = by_id[held["submission_id"]]
    assert capture["status"] == "linked" and capture["answer"]["lead_id"] == lead.lead_id
    replay = call_as("POST", f"/intake/submissions/{held['submission_id']}/replay", {})
    assert replay.status == 409, replay.body


def test_a_capture_sent_again_is_one_held_record(moto_repo: Repository) -> None:
    created = _source()
    raw = fixture("ladipage", "capture.json")
    # When LadiPage sends the same capture twice
    replies = [post_hook(created["form_key"], raw, BEARER) for _ in range(2)]
    # Then both are answered 200 and one record is held
    assert [r.status for r in replies] == [200, 200]
    assert [r["status"] for r in submissions()] == ["held"]
    assert list(moto_repo.tenant_leads("acme")) == []


def test_a_capture_is_not_merged_into_another_form_or_phone_nor_after_its_window(
    moto_repo: Repository, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = frozen_api_clock(monkeypatch, NOW)
    created = _source(capture_window_minutes=15)
    key = created["form_key"]
    capture = fixture_json("ladipage", "capture.json")
    lead = fixture_json("ladipage", "lead.json")
    # Given captures on two forms, from two phones
    assert _post(key, capture) == 200
    assert _post(key, {**capture, "Số điện thoại": "0912345678", "ladi_form_id": "FORM7"}) == 200
    # When full submissions come: one from another form, one from another phone, and the capture's
    # own form and phone only after the window
    clock["now"] = NOW + timedelta(minutes=5)
    assert _post(key, {**lead, "ladi_form_id": "FORM99", "event_id": "e1"}) == 200
    assert (
        _post(key, {**lead, "Số điện thoại": "0903333333", "email": "x@example.vn", "event_id": "e2"}) == 200
    )
    clock["now"] = NOW + timedelta(minutes=16)
    assert _post(key, {**lead, "event_id": "e3"}) == 200
    # Then both captures are still held (the full submissions became leads, or were linked to one)
    held = [r for r in submissions() if r["status"] == "held"]
    assert sorted(json.loads(dict(r["fields"])["body"])["ladi_form_id"] for r in held) == ["FORM12", "FORM7"]
    assert len(submissions()) == 5


def test_a_capture_found_by_the_sources_field_map_is_merged(
    moto_repo: Repository, monkeypatch: pytest.MonkeyPatch
) -> None:
    frozen_api_clock(monkeypatch, NOW)
    created = _source(field_map={"Di động của bạn": "phone"})
    key = created["form_key"]
    capture = {"Di động của bạn": "0987654321", "ladi_form_id": "FORM12", "status_send": "capture"}
    full = {"name": "Bích", "Di động của bạn": "0987 654 321", "ladi_form_id": "FORM12"}
    # When a capture and its full submission name the phone as only the source's field map knows it
    assert (_post(key, capture), _post(key, full)) == (200, 200)
    # Then the full one is the lead, with that phone, and the capture is linked to it
    assert _only_lead(moto_repo).phone == "+84987654321"
    assert sorted(r["status"] for r in submissions()) == ["accepted", "linked"]


def test_an_admin_may_let_a_held_capture_in(moto_repo: Repository) -> None:
    created = _source()
    assert post_hook(created["form_key"], fixture("ladipage", "capture.json"), BEARER).status == 200
    (held,) = submissions("held")
    # When an admin replays a capture nothing completed
    # (a platform's delivery has no page whose checks the door ran: the replay says so, and lets it in)
    replay = call_as(
        "POST", f"/intake/submissions/{held['submission_id']}/replay", {"release_unverified": True}
    )
    # Then it becomes its lead, with what the visitor had typed
    assert replay.status == 200, replay.body
    lead = _only_lead(moto_repo)
    assert (lead.name, lead.phone) == ("Bích", "+84987654321")
    assert "status_send" not in lead.attributes


def test_the_key_is_write_only_required_and_kept_when_an_edit_leaves_it_out(moto_repo: Repository) -> None:
    # Given a source created with its key: the answer never shows the key
    created = _source()
    source = created["source"]
    assert created["webhook_url"].endswith(f"/hooks/{created['form_key']}")
    assert source["platform_secrets_set"] == ["api_key"] and "api_key" not in source["platform"]
    assert source["platform"]["api_key_header"] == "Authorization"
    assert source["platform"]["capture_window_minutes"] == 30
    assert KEY not in json.dumps(call_as("GET", "/form-sources").body)
    # When an admin edits the source's settings without the key
    edit = {"rev": source["rev"], "platform": {"kind": "ladipage", "capture_window_minutes": 45}}
    edited = call_as("PATCH", f"/form-sources/{source['source_id']}", edit)
    assert edited.status == 200, edited.body
    assert edited.body["platform"]["capture_window_minutes"] == 45
    # Then the stored key still opens LadiPage's deliveries
    assert post_hook(created["form_key"], fixture("ladipage", "lead.json"), BEARER).status == 200
    # ...and a source cannot be created without its key, nor read its key from a header that is stored
    missing = call_as(
        "POST",
        "/form-sources",
        {"name": "L", "pool": "web", "kind": "ladipage", "platform": {"kind": "ladipage"}},
    )
    assert missing.status == 422 and "platform.api_key" in json.dumps(missing.body)
    stored_header = call_as(
        "POST",
        "/form-sources",
        {
            "name": "L",
            "pool": "web",
            "kind": "ladipage",
            "platform": {"kind": "ladipage", "api_key": KEY, "api_key_header": "User-Agent"},
        },
    )
    assert stored_header.status == 422 and "api_key_header" in json.dumps(stored_header.body)


def test_a_second_different_capture_from_the_same_phone_is_held_too(moto_repo: Repository) -> None:
    created = _source()
    capture = fixture_json("ladipage", "capture.json")
    # When the visitor comes back, types another name and leaves again
    assert _post(created["form_key"], capture) == 200
    assert _post(created["form_key"], {**capture, "Họ và tên": "Trần Bích"}) == 200
    # Then both captures are kept, held, and none is a lead
    assert [r["status"] for r in submissions()] == ["held", "held"]
    assert list(moto_repo.tenant_leads("acme")) == []


# ------------------------------------------------------------------ a capture nothing completes
@dataclass
class _Queue:
    """The fetch queue as the door and the worker see it: orders sent, messages put off."""

    orders: list[FetchOrder] = field(default_factory=list)
    put_off: list[int] = field(default_factory=list)

    def request_fetch(self, order: FetchOrder) -> None:
        self.orders.append(order)

    def retry_in(self, receipt_handle: str, seconds: int) -> None:
        self.put_off.append(seconds)


def _work(queue: _Queue, orders: list[FetchOrder], at: datetime) -> list[str]:
    from leadrouter.runtime import repository

    messages = [FetchMessage(f"m{i}", f"r{i}", o.model_dump_json(), 1) for i, o in enumerate(orders)]
    return fetch_batch(repository(), queue, messages, Fetcher(http=PlatformApis({})), lambda: at)


def test_a_capture_nothing_completes_becomes_a_lead_once_its_window_is_over_when_the_admin_chose_so(
    moto_repo: Repository, monkeypatch: pytest.MonkeyPatch
) -> None:
    queue = _Queue()
    monkeypatch.setattr("leadrouter.api.door.fetch_queue", lambda: queue)
    clock = frozen_api_clock(monkeypatch, NOW)
    # Given a source whose admin lets captures in on their own after a 30-minute window, and one that
    # does not
    letting_in = _source(capture_becomes_lead=True)
    waiting = _source()
    # When each gets a capture that no full submission follows
    assert post_hook(letting_in["form_key"], fixture("ladipage", "capture.json"), BEARER).status == 200
    assert post_hook(waiting["form_key"], fixture("ladipage", "capture.json"), BEARER).status == 200
    # Then both are held, and only the first one's release is queued, for the end of its window
    assert sorted(r["status"] for r in submissions()) == ["held", "held"]
    (order,) = queue.orders
    assert order.not_before == NOW + timedelta(minutes=30)
    # When the worker gets it before then: it is put off until then, and nothing is made
    assert _work(queue, [order], NOW + timedelta(minutes=15)) == ["m0"]
    assert queue.put_off == [15 * 60] and list(moto_repo.tenant_leads("acme")) == []
    # When it comes back at the end of the window: the capture becomes a lead, once
    assert _work(queue, [order], NOW + timedelta(minutes=30)) == []
    assert _work(queue, [order], NOW + timedelta(minutes=31)) == []  # a duplicate of the message
    lead = _only_lead(moto_repo)
    assert (lead.name, lead.phone) == ("Bích", "+84987654321")
    statuses = {r["source_id"]: r["status"] for r in submissions()}
    assert statuses == {
        letting_in["source"]["source_id"]: "accepted",
        waiting["source"]["source_id"]: "held",
    }
    assert clock["now"] == NOW  # the door's clock never moved: the worker's time decided


def test_a_capture_its_full_submission_completes_in_time_is_not_let_in_again(
    moto_repo: Repository, monkeypatch: pytest.MonkeyPatch
) -> None:
    queue = _Queue()
    monkeypatch.setattr("leadrouter.api.door.fetch_queue", lambda: queue)
    clock = frozen_api_clock(monkeypatch, NOW)
    created = _source(capture_becomes_lead=True)
    assert post_hook(created["form_key"], fixture("ladipage", "capture.json"), BEARER).status == 200
    # When the full submission follows ten minutes later, then the release comes due
    clock["now"] = NOW + timedelta(minutes=10)
    assert post_hook(created["form_key"], fixture("ladipage", "lead.json"), BEARER).status == 200
    assert _work(queue, list(queue.orders), NOW + timedelta(minutes=30)) == []
    # Then one lead, with the full data; the capture stays linked to it
    lead = _only_lead(moto_repo)
    assert lead.email == "bich.tran@example.vn"
    assert sorted(r["status"] for r in submissions()) == ["accepted", "linked"]
