"""POST /intake/leads: form-key auth, validation, phone normalisation, idempotency, duplicates."""

from __future__ import annotations

import pytest

from leadrouter.data.repository import Repository
from leadrouter.domain.models import Lead, LeadStatus, PoolSettings
from tests.support.api import FORM_KEY, add_form_source, call, event
from tests.support.builders import TENANT


def _post(body: object, key: str | None = FORM_KEY, **headers: str):
    hdrs = {"X-Form-Key": key} if key else {}
    return call(event("POST", "/intake/leads", body, headers={**hdrs, **headers}))


def _stored(repo: Repository) -> list[Lead]:
    return list(repo.tenant_leads(TENANT))


def test_a_form_lead_is_stored_pending_in_the_sources_pool(moto_repo: Repository) -> None:
    add_form_source(moto_repo, pool="facebook-ads", step="new")
    reply = _post({"name": "Trần Thị Bình", "phone": "0912 345 678", "fields": {"utm_source": "fb"}})
    assert reply.status == 201
    assert reply.body["status"] == "pending" and reply.body["status_label"] == "Lead gán tự động"
    (lead,) = _stored(moto_repo)
    assert lead.lead_id == reply.body["lead_id"]
    assert (lead.pool, lead.step, lead.phone) == ("facebook-ads", "new", "+84912345678")
    assert lead.attributes == {"utm_source": "fb"} and lead.source == "web-form"


@pytest.mark.parametrize("phone", ["0912 345 678", "+84 912345678", "84912345678", "0912.345.678"])
def test_vietnamese_phone_spellings_are_one_number(moto_repo: Repository, phone: str) -> None:
    add_form_source(moto_repo)
    assert _post({"name": "An", "phone": phone}).status == 201
    assert _stored(moto_repo)[0].phone == "+84912345678"


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"phone": "0912345678"}, {"name"}),
        ({"name": "An"}, {"email"}),
        ({"name": "An", "phone": "12345"}, {"phone"}),
        ({"name": "An", "email": "not-an-email"}, {"email"}),
        ({"name": "An", "phone": "0912345678", "tenant_id": "other"}, {"tenant_id"}),
        ({"name": "An", "phone": "0912345678", "campaign": "vip"}, {"campaign"}),
        ({"name": "x" * 201, "phone": "0912345678"}, {"name"}),
        ({"name": "An", "phone": "0912345678", "fields": {"k": "v" * 1001}}, {"fields.k"}),
        ({"name": "An", "phone": "0912345678", "fields": {f"k{i}": "v" for i in range(31)}}, {"fields"}),
        ({"name": 5, "phone": ["0912345678"]}, {"name", "phone"}),
    ],
)
def test_bad_input_is_a_422_naming_every_field_and_writes_nothing(
    moto_repo: Repository, body: dict[str, object], fields: set[str]
) -> None:
    add_form_source(moto_repo)
    reply = _post(body)
    assert reply.status == 422
    assert fields <= {e["field"] for e in reply.body["errors"]}
    assert _stored(moto_repo) == []


def test_malformed_json_and_oversized_bodies_are_refused(moto_repo: Repository) -> None:
    add_form_source(moto_repo)
    bad = call(event("POST", "/intake/leads", raw_body="{not json", headers={"X-Form-Key": FORM_KEY}))
    assert bad.status == 422 and bad.body["errors"][0]["field"] == "body"
    huge = _post({"name": "An", "phone": "0912345678", "fields": {"notes": "x" * 70_000}})
    assert huge.status == 413
    assert _stored(moto_repo) == []


@pytest.mark.parametrize("key", [None, "fk_wrong", "fk_other_tenant"])
def test_missing_wrong_or_foreign_key_is_401_and_writes_nothing(
    moto_repo: Repository, key: str | None
) -> None:
    add_form_source(moto_repo)
    add_form_source(moto_repo, key="fk_other_tenant", tenant_id="globex", active=False)
    reply = _post({"name": "An", "phone": "0912345678"}, key=key)
    assert reply.status == 401
    assert _stored(moto_repo) == []


def test_a_form_key_cannot_read_anything(moto_repo: Repository) -> None:
    add_form_source(moto_repo)
    reply = call(event("GET", "/leads", headers={"X-Form-Key": FORM_KEY}))
    assert reply.status == 401


def test_a_key_over_its_rate_gets_429(moto_repo: Repository) -> None:
    add_form_source(moto_repo, rate_per_minute=3)
    statuses = [_post({"name": f"Lead {i}", "phone": f"091234567{i}"}).status for i in range(5)]
    assert statuses == [201, 201, 201, 429, 429]
    assert len(_stored(moto_repo)) == 3


def test_double_submitted_form_creates_one_lead_and_both_get_the_same_answer(moto_repo: Repository) -> None:
    add_form_source(moto_repo)
    body = {"name": "An", "phone": "0912345678"}
    first, second = _post(body), _post(body)
    assert first.status == second.status == 201
    assert first.body == second.body
    assert len(_stored(moto_repo)) == 1


def test_idempotency_key_header_wins_over_the_payload(moto_repo: Repository) -> None:
    add_form_source(moto_repo)
    first = _post({"name": "An", "phone": "0912345678"}, **{"Idempotency-Key": "sub-1"})
    retry = _post({"name": "An (edited)", "phone": "0912345678"}, **{"Idempotency-Key": "sub-1"})
    assert retry.body == first.body
    other = _post({"name": "Bình", "email": "binh@example.vn"}, **{"Idempotency-Key": "sub-2"})
    assert other.body["lead_id"] != first.body["lead_id"]
    assert len(_stored(moto_repo)) == 2


def test_known_phone_links_to_the_existing_lead(moto_repo: Repository) -> None:
    add_form_source(moto_repo)
    first = _post({"name": "An", "phone": "0912345678"})
    again = _post({"name": "Anh An", "phone": "+84 912 345 678", "fields": {"form": "2"}})
    assert again.status == 201
    assert again.body["linked"] is True and again.body["lead_id"] == first.body["lead_id"]
    assert len(_stored(moto_repo)) == 1
    events = moto_repo.lead_events(TENANT, first.body["lead_id"])
    assert [e.kind for e in events] == ["resubmitted"]


def test_known_email_links_too_and_is_case_insensitive(moto_repo: Repository) -> None:
    add_form_source(moto_repo)
    first = _post({"name": "An", "email": "An.Nguyen@Example.com"})
    again = _post({"name": "An", "email": "an.nguyen@example.COM"})
    assert again.body["lead_id"] == first.body["lead_id"]


def test_pool_set_to_rotate_enters_duplicates_into_rotation(moto_repo: Repository) -> None:
    add_form_source(moto_repo)
    moto_repo.put_pool_settings(PoolSettings(tenant_id=TENANT, pool="web", on_duplicate="rotate"))
    first = _post({"name": "An", "phone": "0912345678"})
    again = _post({"name": "An", "phone": "0912345678", "fields": {"second": "yes"}})
    assert again.body["lead_id"] != first.body["lead_id"]
    assert again.body["duplicate_of"] == first.body["lead_id"] and again.body["linked"] is False
    assert {x.status for x in _stored(moto_repo)} == {LeadStatus.PENDING}
    assert len(_stored(moto_repo)) == 2


def test_a_forms_campaign_is_set_by_the_admin_not_by_the_page(moto_repo: Repository) -> None:
    # Given a form source that the admin tied to the "tet" campaign
    add_form_source(moto_repo, campaign="tet")
    # When a lead comes in through it
    reply = _post({"name": "An", "phone": "0912345678"})
    # Then it sits in the campaign's scope (and a body cannot choose another: see the 422 cases)
    (lead,) = _stored(moto_repo)
    assert reply.status == 201 and lead.campaign == "tet" and lead.scope_key == "campaign#tet"
