"""POST /intake/leads: form-key auth, validation, phone normalisation, idempotency, duplicates."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from leadrouter.clock import to_iso, utc_now
from leadrouter.data.repository import Repository
from leadrouter.domain.contacts import CLAIM_GRACE
from leadrouter.domain.leads import Lead, LeadStatus
from leadrouter.domain.pools import PoolSettings
from leadrouter.logic.intake.new_leads import submit_lead
from tests.support.api import FORM_KEY, SOURCE_SECRET, add_form_source, call, call_as, event
from tests.support.builders import TENANT


def _post(body: object, key: str | None = FORM_KEY, secret: str = SOURCE_SECRET, **headers: str):
    """A CRM's post: the form key and the source's secret, so the answer names the lead."""
    hdrs = {"X-Form-Key": key, "X-Source-Secret": secret} if key else {}
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
    assert lead.attributes == {} and lead.source == "web-form"
    assert lead.attribution is not None and lead.attribution.first.utm_source == "fb"  # attribution, typed


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
    retry = _post({"name": "An", "phone": "0912 345 678"}, **{"Idempotency-Key": "sub-1"})
    assert retry.body == first.body
    other = _post({"name": "Bình", "email": "binh@example.vn"}, **{"Idempotency-Key": "sub-2"})
    assert other.body["lead_id"] != first.body["lead_id"]
    assert len(_stored(moto_repo)) == 2


def test_an_idempotency_key_reused_for_another_person_is_refused_not_answered(moto_repo: Repository) -> None:
    # Given a CRM that posted An with Idempotency-Key crm-42
    add_form_source(moto_repo)
    first = _post({"name": "An", "phone": "0912345678"}, **{"Idempotency-Key": "crm-42"})
    # When it reuses the key for a different person
    reused = _post({"name": "Bình", "phone": "0987654321"}, **{"Idempotency-Key": "crm-42"})
    # Then it is told so (422 naming the header), instead of getting An's lead id back
    assert first.status == 201
    assert reused.status == 422
    assert [e["field"] for e in reused.body["errors"]] == ["Idempotency-Key"]
    assert "different submission" in reused.body["message"]
    # and Bình is not silently dropped: with a new key, Bình is stored
    fresh = _post({"name": "Bình", "phone": "0987654321"}, **{"Idempotency-Key": "crm-43"})
    assert fresh.status == 201 and fresh.body["lead_id"] != first.body["lead_id"]
    assert len(_stored(moto_repo)) == 2


def test_a_submission_id_in_the_body_is_the_key_when_there_is_no_header(moto_repo: Repository) -> None:
    add_form_source(moto_repo)
    first = _post({"name": "An", "phone": "0912345678", "submission_id": "s-1"})
    again = _post({"name": "An", "phone": "0912345678", "submission_id": "s-1"})
    reused = _post({"name": "Bình", "phone": "0987654321", "submission_id": "s-1"})
    assert first.status == again.status == 201 and again.body == first.body
    assert reused.status == 422 and [e["field"] for e in reused.body["errors"]] == ["submission_id"]
    assert len(_stored(moto_repo)) == 1


def test_idempotency_keys_are_scoped_per_form_source(moto_repo: Repository) -> None:
    # Given two forms of one tenant whose CRMs happen to number submissions alike
    add_form_source(moto_repo)
    add_form_source(moto_repo, key="fk_test_zalo_form_0002", source_id="zalo-form", pool="zalo")
    # When both send key "1" for different people
    web = _post({"name": "An", "phone": "0912345678"}, **{"Idempotency-Key": "1"})
    zalo = _post(
        {"name": "Bình", "phone": "0987654321"}, "fk_test_zalo_form_0002", **{"Idempotency-Key": "1"}
    )
    # Then they are two submissions
    assert web.status == zalo.status == 201 and web.body["lead_id"] != zalo.body["lead_id"]
    assert len(_stored(moto_repo)) == 2


def test_a_duplicate_arriving_while_the_first_is_processed_gets_the_same_lead_not_an_error(
    moto_repo: Repository, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a submission whose processing is under way (the double click lands mid-request)
    add_form_source(moto_repo)
    body = {"name": "An", "phone": "0912345678"}
    seen: list[Any] = []
    started: list[bool] = []
    real_submit = submit_lead

    def submit_while_a_duplicate_arrives(*args: Any, **kwargs: Any) -> Any:
        if not started:
            started.append(True)
            seen.append(_post(body))
        return real_submit(*args, **kwargs)

    monkeypatch.setattr("leadrouter.logic.intake.pipeline.submit_lead", submit_while_a_duplicate_arrives)
    # When the duplicate arrives before the first has stored its lead
    first = _post(body)
    # Then both are answered 201 with the one lead the submission chose, and one lead is stored
    assert first.status == seen[0].status == 201
    assert first.body["lead_id"] == seen[0].body["lead_id"]
    assert len(_stored(moto_repo)) == 1


def test_an_identical_repost_of_a_deleted_lead_answers_its_current_status(moto_repo: Repository) -> None:
    # Given a lead an admin deleted
    add_form_source(moto_repo)
    body = {"name": "An", "phone": "0912345678"}
    first = _post(body)
    assert call_as("DELETE", f"/leads/{first.body['lead_id']}").status == 200
    # When the browser re-posts the very same form (a retry within the 24 h window)
    again = _post(body)
    # Then it is the same submission: the same lead, with its status now (not the cached "pending")
    assert again.status == 201 and again.body["lead_id"] == first.body["lead_id"]
    assert (again.body["status"], again.body["status_label"]) == ("deleted", "Đã xóa")
    assert len(_stored(moto_repo)) == 1


def test_a_new_enquiry_after_a_delete_is_a_new_lead(moto_repo: Repository) -> None:
    add_form_source(moto_repo)
    first = _post({"name": "An", "phone": "0912345678"})
    call_as("DELETE", f"/leads/{first.body['lead_id']}")
    # another payload, another key: a new enquiry from the same person
    again = _post({"name": "An", "phone": "0912345678", "fields": {"form": "2"}})
    keyed = _post({"name": "An", "phone": "0912345678"}, **{"Idempotency-Key": "crm-7"})
    assert again.status == 201 and again.body["linked"] is False and again.body["status"] == "pending"
    assert again.body["lead_id"] != first.body["lead_id"]
    assert keyed.body["lead_id"] == again.body["lead_id"] and keyed.body["linked"] is True
    assert moto_repo.contact_holder(TENANT, "phone#+84912345678") == again.body["lead_id"]


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


def test_a_rotate_pool_that_loses_the_claim_race_stores_the_duplicate_it_names(
    moto_repo: Repository, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a rotate pool, and a submission that read "nobody holds this phone" just before another
    # submission claimed it (a race made deterministic by a stale first read)
    add_form_source(moto_repo)
    moto_repo.put_pool_settings(PoolSettings(tenant_id=TENANT, pool="web", on_duplicate="rotate"))
    winner = _post({"name": "An", "phone": "0912345678"})
    monkeypatch.setattr(Repository, "contact_holders", lambda self, tenant_id, contacts: {})
    # When the loser's create is refused by the claim
    loser = _post({"name": "An", "phone": "0912345678", "fields": {"second": "yes"}})
    # Then it is created as a duplicate of the winner, and the id it was given exists
    assert loser.status == 201 and loser.body["duplicate_of"] == winner.body["lead_id"]
    stored = moto_repo.get_lead(TENANT, loser.body["lead_id"])
    assert stored is not None and stored.duplicate_of == winner.body["lead_id"]
    assert moto_repo.contact_holder(TENANT, "phone#+84912345678") == winner.body["lead_id"]


def test_a_form_may_ask_only_for_its_own_steps(moto_repo: Repository) -> None:
    # Given a form whose admin allows its default step "new" and the extra steps "hot" and "Bước 2"
    add_form_source(moto_repo, step="new", steps=["hot", "Bước 2"])
    # When it asks for them, they are used; without a step, the default is
    hot = _post({"name": "An", "phone": "0912345678", "step": "hot"})
    viet = _post({"name": "Bình", "phone": "0987654321", "step": "Bước  2"})
    plain = _post({"name": "Chi", "email": "chi@example.vn"})
    assert hot.status == viet.status == plain.status == 201
    steps = {x.lead_id: x.step for x in _stored(moto_repo)}
    assert [steps[r.body["lead_id"]] for r in (hot, viet, plain)] == ["hot", "Bước 2", "new"]


@pytest.mark.parametrize("step", ["vip", "closed-won", "Bước 3"])
def test_a_form_asking_for_any_other_step_is_a_422_and_writes_nothing(
    moto_repo: Repository, step: str
) -> None:
    # Given a form that allows "new" and "hot"; When its public key is used to target another rule's step
    add_form_source(moto_repo, step="new", steps=["hot"])
    reply = _post({"name": "An", "phone": "0912345678", "step": step})
    # Then it is refused, naming the field, and no lead or contact claim is written
    assert reply.status == 422 and [e["field"] for e in reply.body["errors"]] == ["step"]
    assert _stored(moto_repo) == []
    assert moto_repo.contact_holder(TENANT, "phone#+84912345678") is None


def test_a_form_field_name_the_lead_would_refuse_is_a_422_not_a_crash(moto_repo: Repository) -> None:
    add_form_source(moto_repo)
    reply = _post({"name": "An", "phone": "0912345678", "fields": {"utm#source": "fb"}})
    assert reply.status == 422 and reply.body["errors"][0]["field"].startswith("fields.")
    assert _stored(moto_repo) == []


@pytest.mark.parametrize("holder_state", ["deleted", "missing"])
def test_a_claim_left_by_a_deleted_or_missing_lead_does_not_swallow_the_enquiry(
    moto_repo: Repository, holder_state: str
) -> None:
    # Given a phone claim that outlived its lead (written before deletes released claims)
    add_form_source(moto_repo)
    old = _post({"name": "An", "phone": "0912345678"}).body["lead_id"]
    if holder_state == "deleted":
        lead = moto_repo.get_lead(TENANT, old)
        assert lead is not None
        moto_repo.save_lead(lead, Lead.model_validate({**lead.model_dump(), "status": LeadStatus.DELETED}))
    else:  # …or an intake that crashed between its claim and its lead, longer ago than the grace
        moto_repo._client.delete_item(
            TableName=moto_repo._leads, Key={"tenant_id": {"S": TENANT}, "lead_id": {"S": old}}
        )
        _age_claim(moto_repo, "phone#+84912345678", CLAIM_GRACE + timedelta(seconds=1))
    # When the customer enquires again
    again = _post({"name": "An", "phone": "0912345678", "fields": {"form": "2"}})
    # Then a new lead takes the claim over (before: linked to the dead lead, or a 500)
    assert again.status == 201 and again.body["linked"] is False and again.body["lead_id"] != old
    assert moto_repo.contact_holder(TENANT, "phone#+84912345678") == again.body["lead_id"]


def _age_claim(repo: Repository, contact: str, age: timedelta) -> None:
    repo._client.update_item(
        TableName=repo._config,
        Key={"pk": {"S": f"TENANT#{TENANT}"}, "sk": {"S": f"CONTACT#{contact}"}},
        UpdateExpression="SET claimed_at = :at",
        ExpressionAttributeValues={":at": {"S": to_iso(utc_now() - age)}},
    )


def test_a_claim_whose_lead_is_still_on_its_way_is_waited_for_then_the_sender_retries(
    moto_repo: Repository, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a phone claimed a moment ago by a submission whose lead is not stored yet
    add_form_source(moto_repo)
    waits: list[float] = []
    monkeypatch.setattr("leadrouter.logic.leads.claims.time.sleep", waits.append)
    in_flight = Lead(
        tenant_id=TENANT,
        lead_id="L-in-flight",
        name="An",
        phone="+84912345678",
        pool="web",
        step="new",
        received_at=utc_now(),
        queued_at=utc_now(),
    )
    assert moto_repo.claim_contacts(in_flight, ["phone#+84912345678"], utc_now()) is None
    # When another enquiry with that phone arrives
    reply = _post({"name": "Bình", "phone": "0912345678"})
    # Then it waited about a second for that lead, created nothing, and is asked to retry
    assert reply.status == 503 and int(reply.headers["Retry-After"]) > 0
    assert 0.9 <= sum(waits) <= 1.5
    assert _stored(moto_repo) == []
    assert moto_repo.contact_holder(TENANT, "phone#+84912345678") == "L-in-flight"
    # …and once the grace is over (the claiming request died), the retry takes the claim over
    _age_claim(moto_repo, "phone#+84912345678", CLAIM_GRACE + timedelta(seconds=1))
    again = _post({"name": "Bình", "phone": "0912345678", "submission_id": "retry-1"})
    assert again.status == 201 and again.body["linked"] is False
    assert moto_repo.contact_holder(TENANT, "phone#+84912345678") == again.body["lead_id"]


def test_an_admin_lists_a_forms_extra_steps_when_creating_it(moto_repo: Repository) -> None:
    # Given an admin creating a form source that may also send leads to "Bước 2"
    created = call_as("POST", "/form-sources", {"name": "Landing", "pool": "web", "steps": ["Bước 2"]})
    assert created.status == 201 and created.body["source"]["steps"] == ["Bước 2"]
    # When its key posts a lead for that step, and one for a step the admin did not list
    key, secret = created.body["form_key"], created.body["source_secret"]
    ok = _post({"name": "An", "phone": "0912345678", "step": "Bước 2"}, key=key, secret=secret)
    refused = _post({"name": "Bình", "phone": "0987654321", "step": "hot"}, key=key, secret=secret)
    # Then the first lands in that step and the second is refused
    assert ok.status == 201 and refused.status == 422
    assert [x.step for x in _stored(moto_repo)] == ["Bước 2"]
