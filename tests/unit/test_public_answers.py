"""A public form key is no contact oracle; the source's secret is how a server learns its lead.

Anyone can read a landing page's form key. Its answers must be the same for a phone the tenant knows and
for a new one, and what its posts write on a known lead is bounded. A CRM posting server to server sends
the source's secret (``X-Source-Secret``) with the key and is answered with the lead's id and status.
"""

from __future__ import annotations

from typing import Any

import pytest

from leadrouter.data.repository import Repository
from leadrouter.domain.pools import PoolSettings
from tests.support.api import CRM, FORM_KEY, SOURCE_SECRET, Reply, add_form_source, call, call_as, event
from tests.support.builders import TENANT
from tests.support.forms import NAVIGATION, post_form

KNOWN, NEW = "0912 345 678", "0987 654 321"
PUBLIC = {"X-Form-Key": FORM_KEY}


def _intake(body: dict[str, Any], headers: dict[str, str]) -> Reply:
    return call(event("POST", "/intake/leads", body, headers=headers))


def _without_receipt_id(reply: Reply) -> tuple[int, dict[str, str], str]:
    """The whole answer, byte for byte, with only the receipt's own id blanked out."""
    body = dict(reply.body)
    assert isinstance(body.pop("submission_id"), str)
    return reply.status, reply.headers, str(sorted(body.items()))


@pytest.mark.parametrize("on_duplicate", ["link", "rotate"])
def test_a_known_and_an_unknown_phone_get_the_same_answer_from_the_public_key(
    moto_repo: Repository, on_duplicate: str
) -> None:
    # Given a tenant that knows one phone (a lead a CRM created), whatever its pool does with duplicates
    add_form_source(moto_repo)
    moto_repo.put_pool_settings(PoolSettings(tenant_id=TENANT, pool="web", on_duplicate=on_duplicate))
    known = _intake({"name": "Khách cũ", "phone": KNOWN}, CRM)
    assert known.status == 201 and known.body["linked"] is False
    # When a prober holding only the public key posts the known phone and a new one, as JSON and as a form
    answers = [
        _intake({"name": "Thử", "phone": KNOWN}, PUBLIC),
        _intake({"name": "Thử", "phone": NEW}, PUBLIC),
    ]
    forms = [post_form([("name", "Thử"), ("phone", phone)]) for phone in (KNOWN, NEW)]
    # Then both answers are the same status, headers and body but for the receipt's own id
    for pair in (answers, forms):
        first, second = (_without_receipt_id(reply) for reply in pair)
        assert first == second
        assert pair[0].body["submission_id"] != pair[1].body["submission_id"]
    # …a receipt that names no lead, no status of one, and no link
    assert set(answers[0].body) == {"submission_id", "status", "message"}
    assert answers[0].body["status"] == "received"
    assert known.body["lead_id"] not in str([a.body for a in answers + forms])
    # …while known phones were still linked (one lead each) or rotated (a lead per post) as the pool says
    assert len(list(moto_repo.tenant_leads(TENANT))) == (2 if on_duplicate == "link" else 5)


def test_a_browser_is_sent_to_the_same_page_for_a_known_and_a_new_phone(moto_repo: Repository) -> None:
    add_form_source(moto_repo)
    _intake({"name": "Khách cũ", "phone": KNOWN}, CRM)
    known, new = (post_form([("name", "Thử"), ("phone", p)], headers=NAVIGATION) for p in (KNOWN, NEW))
    assert (known.status, known.headers, known.body) == (new.status, new.headers, new.body)


def test_the_source_secret_is_answered_with_the_lead_and_its_link(moto_repo: Repository) -> None:
    add_form_source(moto_repo)
    first = _intake({"name": "An", "phone": KNOWN}, CRM)
    again = _intake({"name": "An", "phone": KNOWN, "fields": {"lan": "2"}}, CRM)
    assert first.status == again.status == 201
    assert again.body["lead_id"] == first.body["lead_id"] and again.body["linked"] is True
    assert again.body["status"] == "pending" and again.body["submission_id"] != first.body["submission_id"]
    # the form door takes the secret too (a form plugin posting from its server)
    form = post_form(
        [("name", "An"), ("phone", KNOWN), ("lan", "3")], headers={"X-Source-Secret": SOURCE_SECRET}
    )
    assert form.body["lead_id"] == first.body["lead_id"] and form.body["linked"] is True


@pytest.mark.parametrize("secret", ["ss_wrong", "", SOURCE_SECRET + "x", "x" * 5000])
def test_a_wrong_secret_is_a_401_and_nothing_is_stored(moto_repo: Repository, secret: str) -> None:
    add_form_source(moto_repo)
    reply = _intake({"name": "An", "phone": KNOWN}, {**PUBLIC, "X-Source-Secret": secret})
    assert reply.status == 401 and reply.body["errors"] == [
        {"field": "X-Source-Secret", "message": "wrong source secret"}
    ]
    assert list(moto_repo.tenant_leads(TENANT)) == []
    assert call_as("GET", "/intake/submissions").body["items"] == []


def test_a_source_without_a_secret_answers_every_secret_401(moto_repo: Repository) -> None:
    add_form_source(moto_repo, secret_hash=None)
    assert _intake({"name": "An", "phone": KNOWN}, {**PUBLIC, "X-Source-Secret": SOURCE_SECRET}).status == 401
    assert _intake({"name": "An", "phone": KNOWN}, PUBLIC).status == 201


def test_an_admin_rotates_the_secret_and_the_old_one_stops_working(moto_repo: Repository) -> None:
    # Given a source created through the API, with the secret it showed once
    created = call_as("POST", "/form-sources", {"name": "CRM", "pool": "web"}).body
    key, old, source_id = created["form_key"], created["source_secret"], created["source"]["source_id"]
    # When an admin issues a new secret
    rotated = call_as("POST", f"/form-sources/{source_id}/secret")
    assert rotated.status == 201 and rotated.body["source_id"] == source_id
    new = rotated.body["source_secret"]
    assert new.startswith("ss_") and new != old
    # Then the new one is answered with the lead, the old one is refused
    ok = _intake({"name": "An", "phone": KNOWN}, {"X-Form-Key": key, "X-Source-Secret": new})
    refused = _intake({"name": "Bình", "phone": NEW}, {"X-Form-Key": key, "X-Source-Secret": old})
    assert ok.status == 201 and "lead_id" in ok.body and refused.status == 401
    # …the secret is never listed, and only admins may rotate it
    listed = call_as("GET", "/form-sources").body["items"]
    assert listed[0]["has_secret"] is True and new not in str(listed) and "secret_hash" not in str(listed)
    staff = {"sub": "s", "custom:tenant_id": TENANT, "custom:role": "staff", "custom:staff_id": "A"}
    assert call_as("POST", f"/form-sources/{source_id}/secret", who=staff).status == 403
    assert call_as("POST", "/form-sources/F-none/secret").status == 404


def test_probes_of_a_known_phone_write_one_event_and_one_touch_on_its_lead_per_hour(
    moto_repo: Repository,
) -> None:
    # Given a known lead
    add_form_source(moto_repo)
    lead_id = _intake({"name": "Khách cũ", "phone": KNOWN}, CRM).body["lead_id"]
    # When the public key posts its phone five times, each with other content and other UTM tags
    for n in range(5):
        probe = post_form([("name", f"Thử {n}"), ("phone", KNOWN), ("utm_source", f"probe-{n}")])
        assert probe.status == 201
    # Then every probe is stored and listed (linked), but the lead took one event and one latest touch
    linked = call_as("GET", "/intake/submissions?status=linked").body["items"]
    assert len(linked) == 5
    assert [e.kind for e in moto_repo.lead_events(TENANT, lead_id)] == ["resubmitted"]
    lead = moto_repo.get_lead(TENANT, lead_id)
    assert lead is not None and lead.attribution is not None
    assert lead.attribution.latest.utm_source == "probe-0"
