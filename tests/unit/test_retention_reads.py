"""Retention per tenant on moto: writes stamp the tenant's periods, reads hide what is past them before
DynamoDB deletes it (no sweep assigns an expired lead), attribution goes after its own shorter period,
and a tenant that keeps no attribution gets none stored, whichever way its leads come in."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest

from leadrouter.clock import utc_now
from leadrouter.data import expiry
from leadrouter.data.attribution import FIRST_ATTR, LATEST_ATTR
from leadrouter.data.items import from_item, to_item
from leadrouter.data.repository import Repository
from leadrouter.domain.attribution import Attribution, Touch
from leadrouter.domain.privacy import PrivacySettings, Retention
from leadrouter.domain.retention import DAY_SECONDS
from leadrouter.domain.submissions import Submission
from leadrouter.domain.tenants import Tenant
from leadrouter.domain.webhooks import DeliveryRequest
from leadrouter.logic.routing.assign import sweep_due_leads
from leadrouter_local.template import ttl_attribute
from tests.support.api import FORM_KEY, add_form_source, call_as
from tests.support.builders import NOW, TENANT, add_leads, lead, rule, seed
from tests.support.forms import post_form, post_raw
from tests.support.template import template
from tests.support.ticks import run_sweeps
from tests.support.webhooks import assigned

LEASE = timedelta(minutes=3)
SHORT = Retention(leads_days=2, submissions_days=2, logs_days=2, attribution_days=1)


def _keep(repo: Repository, retention: Retention) -> None:
    repo.put_tenant(Tenant(tenant_id=TENANT, name="Acme", privacy=PrivacySettings(retention=retention)))


def _read_at(monkeypatch: pytest.MonkeyPatch, moment: datetime) -> None:
    """Reads judge expiry at ``moment`` (stamps are taken on the machine's clock at each write)."""
    monkeypatch.setattr(expiry, "now", lambda: moment)


def _days_on(days: float) -> datetime:
    return utc_now() + timedelta(days=days)


def _raw_lead(repo: Repository, lead_id: str) -> dict[str, Any]:
    item = repo._client.get_item(
        TableName=repo._leads, Key=to_item({"tenant_id": TENANT, "lead_id": lead_id})
    )
    return from_item(item["Item"])


@pytest.mark.parametrize("table", ["LeadsTable", "SubmissionsTable", "DeliveriesTable"])
def test_every_table_the_stamps_go_to_has_ttl_on_them(table: str) -> None:
    assert ttl_attribute(template(), table) == expiry.EXPIRES_ATTR


def test_a_lead_is_stamped_with_its_tenants_period_from_the_write(moto_repo: Repository) -> None:
    _keep(moto_repo, SHORT)
    before = int(utc_now().timestamp())
    (written,) = add_leads(moto_repo, 1)
    stamp = _raw_lead(moto_repo, written.lead_id)["expires_at"]
    assert before + 2 * DAY_SECONDS <= stamp <= int(utc_now().timestamp()) + 2 * DAY_SECONDS


def test_every_read_treats_a_lead_past_its_period_as_absent(
    moto_repo: Repository, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a tenant keeping leads 2 days, one lead assigned by the sweep and one still pending
    seed(moto_repo, rule())
    _keep(moto_repo, SHORT)
    (held,) = add_leads(moto_repo, 1)
    run_sweeps(moto_repo, "assign", sweep_due_leads, NOW, LEASE)
    (pending,) = add_leads(moto_repo, 1, received_at=NOW + timedelta(seconds=1))
    owner = moto_repo.get_lead(TENANT, held.lead_id)
    assert owner is not None and owner.owner is not None
    staff_id = owner.owner
    ids = [pending.lead_id, held.lead_id]
    late = NOW + timedelta(days=400)

    def reads() -> dict[str, object]:
        """What each read path finds of the two leads."""
        everything: dict[str, Any] = {"received_from": None, "received_to": None, "limit": 50}
        return {
            "get": [x for x in ids if moto_repo.get_lead(TENANT, x) is not None],
            "by_id": sorted(moto_repo.leads_by_id(TENANT, ids)),
            "tenant": len(list(moto_repo.tenant_leads(TENANT))),
            "between": len(list(moto_repo.leads_received_between(TENANT, NOW, NOW + timedelta(days=1)))),
            "list": len(moto_repo.list_leads(TENANT, filters={}, **everything)[0]),
            "owner_list": len(moto_repo.list_leads(TENANT, filters={"owner": staff_id}, **everything)[0]),
            "owner": len(moto_repo.owner_leads(TENANT, staff_id)),
            "due": len(moto_repo.due_leads(TENANT, pending.scope_key, late, 50)[0]),
            "idle": len(moto_repo.idle_leads(TENANT, staff_id, owner.scope_key, late, 50)[0]),
            "api": call_as("GET", f"/leads/{pending.lead_id}").status,
        }

    # …which every read finds within the period
    _read_at(monkeypatch, _days_on(2) - timedelta(minutes=1))
    assert reads() == {
        "get": ids, "by_id": sorted(ids), "tenant": 2, "between": 2, "list": 2, "owner_list": 1,
        "owner": 1, "due": 1, "idle": 1, "api": 200,
    }  # fmt: skip
    # When the period has passed (DynamoDB has not deleted them yet: the items are still there)
    _read_at(monkeypatch, _days_on(2) + timedelta(seconds=1))
    assert _raw_lead(moto_repo, pending.lead_id) and _raw_lead(moto_repo, held.lead_id)
    # Then no read finds them, and the API answers 404
    assert reads() == {
        "get": [], "by_id": [], "tenant": 0, "between": 0, "list": 0, "owner_list": 0,
        "owner": 0, "due": 0, "idle": 0, "api": 404,
    }  # fmt: skip


def test_a_sweep_never_assigns_a_lead_past_its_period(
    moto_repo: Repository, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given three pending leads of a tenant keeping leads 2 days
    seed(moto_repo, rule())
    _keep(moto_repo, SHORT)
    leads = add_leads(moto_repo, 3)
    # When the assign sweep runs after their period (before DynamoDB deleted them)
    _read_at(monkeypatch, _days_on(3))
    run_sweeps(moto_repo, "assign", sweep_due_leads, NOW + timedelta(minutes=5), LEASE)
    # Then none was assigned: each item is as written, still pending
    assert [_raw_lead(moto_repo, x.lead_id)["status"] for x in leads] == ["pending"] * 3
    # …though the same sweep assigns them all while they are within their period
    _read_at(monkeypatch, _days_on(1))
    run_sweeps(moto_repo, "assign", sweep_due_leads, NOW + timedelta(minutes=6), LEASE)
    assert [_raw_lead(moto_repo, x.lead_id)["status"] for x in leads] == ["assigned"] * 3


def test_a_persons_write_renews_the_period_and_a_sweeps_write_does_not(
    moto_repo: Repository, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed(moto_repo, rule())
    _keep(moto_repo, SHORT)
    (written,) = add_leads(moto_repo, 1)
    first = _raw_lead(moto_repo, written.lead_id)["expires_at"]
    # a sweep's assignment keeps the stamp
    run_sweeps(moto_repo, "assign", sweep_due_leads, NOW, LEASE)
    assert _raw_lead(moto_repo, written.lead_id)["expires_at"] == first
    # an API edit a day later renews it
    stored = moto_repo.get_lead(TENANT, written.lead_id)
    assert stored is not None
    monkeypatch.setattr(expiry, "stamp_now", lambda: utc_now() + timedelta(days=1))
    moto_repo.save_lead(stored, stored.model_copy(update={"name": "Trần Bình"}))
    assert _raw_lead(moto_repo, written.lead_id)["expires_at"] >= first + DAY_SECONDS - 1


def _submission(submission_id: str, at: datetime = NOW) -> Submission:
    return Submission(
        tenant_id=TENANT,
        submission_id=submission_id,
        source_id="web-form",
        received_at=at,
        lead_id="L-sub",
        payload_hash="h" * 64,
        channel="form",
        fields=[("name", "An"), ("phone", "0912345678")],
        expires_at=0,  # the store stamps the tenant's period
    )


def test_a_submission_past_its_period_is_absent_and_its_key_free_again(
    moto_repo: Repository, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a tenant keeping submissions 2 days and one stored record
    _keep(moto_repo, SHORT)
    assert moto_repo.store_submission(_submission("web-form.K.a")) is None
    stored = moto_repo.get_submission(TENANT, "web-form.K.a")
    assert stored is not None and stored.expires_at >= int(utc_now().timestamp()) + 2 * DAY_SECONDS - 5
    # …that a repeat within the period finds
    assert moto_repo.store_submission(_submission("web-form.K.a")) is not None
    # When its period has passed
    _read_at(monkeypatch, _days_on(2) + timedelta(seconds=1))
    # Then it is not read, not listed
    assert moto_repo.get_submission(TENANT, "web-form.K.a") is None
    page, _ = moto_repo.list_submissions(TENANT, source_id=None, limit=50)
    assert page == []
    # …and a new submission under its key is stored in its place, not answered as a repeat of it
    assert moto_repo.store_submission(_submission("web-form.K.a", NOW + timedelta(days=3))) is None


def test_a_delivery_log_past_its_period_is_absent(
    moto_repo: Repository, monkeypatch: pytest.MonkeyPatch
) -> None:
    _keep(moto_repo, SHORT)
    request = DeliveryRequest(tenant_id=TENANT, webhook_id="W1", event=assigned())
    assert moto_repo.claim_delivery(request, "m1", NOW, 60).attempt == 1
    assert moto_repo.get_delivery(request) is not None
    assert len(moto_repo.list_deliveries(TENANT, "W1", limit=10)[0]) == 1
    _read_at(monkeypatch, _days_on(2) + timedelta(seconds=1))
    assert moto_repo.get_delivery(request) is None
    assert moto_repo.list_deliveries(TENANT, "W1", limit=10)[0] == []


def _touch(at: datetime, source: str) -> Touch:
    return Touch(utm_source=source, gclid="Cj0KCQ-AbC", at=at)


def test_attribution_is_hidden_after_its_own_shorter_period_and_dropped_by_the_next_write(
    moto_repo: Repository, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a lead with a first touch at NOW, of a tenant keeping attribution 1 day (leads 2)
    _keep(moto_repo, SHORT)
    given = lead(lead_id="L-1", attribution=None)
    moto_repo.put_new_lead(given)
    moto_repo.record_touch(TENANT, "L-1", _touch(NOW, "fb"))
    stored = moto_repo.get_lead(TENANT, "L-1")
    assert stored is not None and stored.attribution is not None
    # When a day has passed since the visit
    _read_at(monkeypatch, NOW + timedelta(days=1))
    # Then the lead reads without it, though the item still holds it
    later = moto_repo.get_lead(TENANT, "L-1")
    assert later is not None and later.attribution is None
    assert FIRST_ATTR in _raw_lead(moto_repo, "L-1")
    listed, _ = moto_repo.list_leads(
        TENANT, received_from=None, received_to=None, filters={"utm_source": "fb"}, limit=10
    )
    assert listed == []
    # …and the lead's next full write (an API edit) leaves it out of the item
    moto_repo.save_lead(later, later.model_copy(update={"name": "Trần Bình"}))
    raw = _raw_lead(moto_repo, "L-1")
    assert FIRST_ATTR not in raw and LATEST_ATTR not in raw and "attribution_days" not in raw


def test_a_new_touch_replaces_a_first_touch_past_its_period(
    moto_repo: Repository, monkeypatch: pytest.MonkeyPatch
) -> None:
    _keep(moto_repo, SHORT)
    moto_repo.put_new_lead(lead(lead_id="L-1", attribution=None))
    moto_repo.record_touch(TENANT, "L-1", _touch(NOW, "fb"))
    _read_at(monkeypatch, NOW + timedelta(days=2))
    moto_repo.record_touch(TENANT, "L-1", _touch(NOW + timedelta(days=2), "zalo"))
    raw = _raw_lead(moto_repo, "L-1")
    assert raw[FIRST_ATTR]["utm_source"] == "zalo" and LATEST_ATTR not in raw
    stored = moto_repo.get_lead(TENANT, "L-1")
    assert stored is not None and stored.attribution is not None
    assert (stored.attribution.first.utm_source, stored.attribution.latest.utm_source) == ("zalo", "zalo")


def _web_form(utm: dict[str, str]) -> int:
    pairs = [("name", "Nguyễn Thị Ánh"), ("phone", "0912345678"), *utm.items()]
    return post_form(pairs, headers={"Referer": "https://shop.example.vn/?fbclid=IwAR0abc"}).status


def _json_api(utm: dict[str, str]) -> int:
    body = {"name": "Nguyễn Thị Ánh", "phone": "0912345678", "fields": utm}
    raw = json.dumps(body, ensure_ascii=False).encode()
    return post_raw("/intake/leads", "application/json", raw, {"X-Form-Key": FORM_KEY}).status


@pytest.mark.parametrize("door", [_web_form, _json_api], ids=["web-form", "json-api"])
def test_a_tenant_that_keeps_no_attribution_gets_none_stored_at_the_door(
    moto_repo: Repository, door: Callable[[dict[str, str]], int]
) -> None:
    # Given a tenant with the off switch, and its form source
    _keep(moto_repo, Retention(keep_attribution=False))
    add_form_source(moto_repo)
    # When a lead arrives with UTM tags and a click id
    assert door({"utm_source": "facebook", "utm_campaign": "tet", "gclid": "Cj0KCQ-AbC"}) == 201
    # Then the lead item holds no touch at all
    (stored,) = list(moto_repo.tenant_leads(TENANT))
    raw = _raw_lead(moto_repo, stored.lead_id)
    assert stored.attribution is None
    assert not {FIRST_ATTR, LATEST_ATTR, "attribution_days"} & set(raw), sorted(raw)
    assert "Cj0KCQ-AbC" not in json.dumps(raw) and "fbclid" not in json.dumps(raw)


def test_with_attribution_off_imports_and_resubmissions_store_none_either(moto_repo: Repository) -> None:
    _keep(moto_repo, Retention(keep_attribution=False))
    touched = lead(
        lead_id="L-imported", attribution=Attribution(first=_touch(NOW, "fb"), latest=_touch(NOW, "fb"))
    )
    moto_repo.import_leads([touched])
    moto_repo.record_touch(TENANT, "L-imported", _touch(NOW, "zalo"))
    raw = _raw_lead(moto_repo, "L-imported")
    assert not {FIRST_ATTR, LATEST_ATTR, "attribution_days"} & set(raw)
    # …while the resubmission still renewed the lead's period
    assert raw["expires_at"] >= int(utc_now().timestamp()) + 730 * DAY_SECONDS - 5
