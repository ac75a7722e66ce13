"""/form-sources and /pools: keys shown once and stored only as hashes; per-pool duplicate handling."""

from __future__ import annotations

import json
from typing import Any

import pytest

from leadrouter.data.repository import Repository
from leadrouter.domain.keys import hash_form_key, hash_source_secret
from leadrouter.domain.leads import LeadStatus
from tests.support.api import call, call_as, claims, config_items, event
from tests.support.builders import TENANT

OTHER_ADMIN = claims("admin", tenant="globex")


def _intake(key: str, body: dict[str, Any], secret: str | None = None) -> Any:
    """A post with a source's key and, from a server, its secret (then the answer names the lead)."""
    headers = {"X-Form-Key": key, **({"X-Source-Secret": secret} if secret else {})}
    return call(event("POST", "/intake/leads", body, headers=headers))


# ------------------------------------------------------------------ form sources
def test_the_key_is_returned_once_works_on_intake_and_lands_in_the_sources_pool(
    moto_repo: Repository, moto_tables: dict[str, str]
) -> None:
    # Given an admin creates a source for pool "facebook-ads", step "contacted"
    reply = call_as(
        "POST", "/form-sources", {"name": "FB lead ads", "pool": "facebook-ads", "step": "contacted"}
    )
    assert reply.status == 201
    key, secret = reply.body["form_key"], reply.body["source_secret"]
    source = reply.body["source"]
    assert key.startswith("fk_") and len(key) >= 3 + 32
    assert secret.startswith("ss_") and len(secret) >= 3 + 43 and source["has_secret"] is True
    assert (source["tenant_id"], source["pool"], source["rate_per_minute"]) == (TENANT, "facebook-ads", 60)
    # When a CRM posts a lead with that key and the source's secret
    posted = _intake(key, {"name": "Trần Thị Bình", "phone": "0912 345 678"}, secret)
    # Then it is accepted into the caller's tenant, in that pool and step, from that source
    assert posted.status == 201
    stored = moto_repo.get_lead(TENANT, posted.body["lead_id"])
    assert stored is not None and stored.status is LeadStatus.PENDING
    assert (stored.pool, stored.step, stored.source) == ("facebook-ads", "contacted", source["source_id"])
    # …and the table holds only the key's and the secret's hashes, never the key or the secret
    dump = json.dumps(config_items(moto_tables))
    assert key not in dump and hash_form_key(key) in dump
    assert secret not in dump and hash_source_secret(secret) in dump


def test_listing_never_shows_a_key(moto_repo: Repository) -> None:
    # Given two sources
    keys = [
        call_as("POST", "/form-sources", {"name": f"Form {n}", "pool": "web"}).body["form_key"]
        for n in (1, 2)
    ]
    # When they are listed
    listed = call_as("GET", "/form-sources")
    # Then both appear, with neither key nor hash anywhere in the answer
    assert listed.status == 200 and sorted(s["name"] for s in listed.body["items"]) == ["Form 1", "Form 2"]
    text = json.dumps(listed.body)
    assert all(k not in text and hash_form_key(k) not in text for k in keys)
    assert "form_key" not in text
    # …and another tenant sees none of them
    assert call_as("GET", "/form-sources", who=OTHER_ADMIN).body["items"] == []


def test_each_source_gets_its_own_key(moto_repo: Repository) -> None:
    first = call_as("POST", "/form-sources", {"name": "A", "pool": "web"}).body
    second = call_as("POST", "/form-sources", {"name": "B", "pool": "web"}).body
    assert first["form_key"] != second["form_key"]
    assert first["source"]["source_id"] != second["source"]["source_id"]


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"pool": "web"}, {"name"}),
        ({"name": "Form"}, {"pool"}),
        ({"name": "Form", "pool": "web", "rate_per_minute": 0}, {"rate_per_minute"}),
        ({"name": "Form", "pool": "web", "rate_per_minute": "60"}, {"rate_per_minute"}),
        ({"name": "Form", "pool": "no#hash"}, {"pool"}),
        ({"name": "Form", "pool": "web", "tenant_id": "globex", "key": "fk_mine"}, {"tenant_id", "key"}),
    ],
)
def test_invalid_sources_are_422_naming_every_field_and_write_nothing(
    moto_repo: Repository, moto_tables: dict[str, str], body: dict[str, Any], fields: set[str]
) -> None:
    before = config_items(moto_tables)
    reply = call_as("POST", "/form-sources", body)
    assert reply.status == 422 and {e["field"] for e in reply.body["errors"]} == fields
    assert config_items(moto_tables) == before


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/form-sources", {"name": "Form", "pool": "web"}),
        ("GET", "/form-sources", None),
        ("GET", "/pools/web", None),
        ("PUT", "/pools/web", {"on_duplicate": "rotate"}),
    ],
)
@pytest.mark.parametrize(
    ("who", "status"),
    [(None, 401), (claims("staff", staff_id="A"), 403), (claims("team_lead", staff_id="L", team="t"), 403)],
)
def test_only_admins_manage_sources_and_pools_and_refusals_write_nothing(
    moto_repo: Repository,
    moto_tables: dict[str, str],
    method: str,
    path: str,
    body: Any,
    who: dict[str, str] | None,
    status: int,
) -> None:
    before = config_items(moto_tables)
    assert call_as(method, path, body, who=who).status == status
    assert config_items(moto_tables) == before


# ------------------------------------------------------------------ pools
def test_pool_settings_default_to_link_and_are_per_tenant(moto_repo: Repository) -> None:
    # Given nothing was ever set / Then duplicates link
    assert call_as("GET", "/pools/web").body == {
        "tenant_id": TENANT,
        "pool": "web",
        "on_duplicate": "link",
        "rev": 0,
    }
    # When acme sets rotate for pool web
    reply = call_as("PUT", "/pools/web", {"on_duplicate": "rotate"})
    # Then acme reads rotate; another tenant's pool of the same name is unaffected
    assert reply.status == 200 and reply.body["on_duplicate"] == "rotate"
    assert call_as("GET", "/pools/web").body["on_duplicate"] == "rotate"
    assert moto_repo.get_pool_settings(TENANT, "web").rev == 1
    assert call_as("GET", "/pools/web", who=OTHER_ADMIN).body["on_duplicate"] == "link"
    assert moto_repo.get_pool_settings(TENANT, "web").on_duplicate == "rotate"


def test_rotate_makes_a_known_contact_enter_rotation_again(moto_repo: Repository) -> None:
    # Given a source for pool web, whose pool is set to rotate, and a first lead
    created = call_as("POST", "/form-sources", {"name": "Form", "pool": "web"}).body
    key, secret = created["form_key"], created["source_secret"]
    call_as("PUT", "/pools/web", {"on_duplicate": "rotate"})
    first = _intake(key, {"name": "An", "phone": "0912345678"}, secret).body
    # When the same phone comes in again
    second = _intake(key, {"name": "An", "phone": "+84 912 345 678", "submission_id": "s2"}, secret).body
    # Then it is a new pending lead, marked as a duplicate of the first (not linked to it)
    assert second["lead_id"] != first["lead_id"] and second["linked"] is False
    assert second["duplicate_of"] == first["lead_id"] and second["status"] == "pending"


@pytest.mark.parametrize(
    ("path", "body", "fields"),
    [
        ("/pools/web", {"on_duplicate": "merge"}, {"on_duplicate"}),
        ("/pools/web", {}, {"on_duplicate"}),
        ("/pools/web", {"on_duplicate": "link", "pool": "other"}, {"pool"}),
        (f"/pools/{'p' * 65}", {"on_duplicate": "link"}, {"pool"}),
    ],
)
def test_invalid_pool_settings_are_422_and_write_nothing(
    moto_repo: Repository, moto_tables: dict[str, str], path: str, body: dict[str, Any], fields: set[str]
) -> None:
    before = config_items(moto_tables)
    reply = call_as("PUT", path, body)
    assert reply.status == 422 and {e["field"] for e in reply.body["errors"]} == fields
    assert config_items(moto_tables) == before


def test_reading_an_impossible_pool_name_is_422(moto_repo: Repository) -> None:
    reply = call_as("GET", f"/pools/{'p' * 65}")
    assert reply.status == 422 and [e["field"] for e in reply.body["errors"]] == ["pool"]


# ------------------------------------------------------------------ configured URLs
_NEWLINE_URL = "https://shop.example.vn/cam-on\r\nSet-Cookie: session=attacker"


@pytest.mark.parametrize(
    ("web_form", "field"),
    [
        ({"thank_you_url": _NEWLINE_URL}, "web_form.thank_you_url"),
        ({"thank_you_url": "https://shop.example.vn/cam\ton"}, "web_form.thank_you_url"),
        ({"thank_you_url": "https://shop.example.vn/cảm-ơn"}, "web_form.thank_you_url"),
        ({"thank_you_url": "http://shop.example.vn/cam-on"}, "web_form.thank_you_url"),
        ({"thank_you_url": "https://shop.example.vn\\@evil.example/"}, "web_form.thank_you_url"),
        ({"allowed_origins": ["http://landing.example.vn"]}, "web_form.allowed_origins.0"),
        ({"allowed_origins": ["https://landing.example.vn\n"]}, None),  # trailing: trimmed, accepted
        ({"allowed_origins": ["https://landing.example.vn\x00"]}, "web_form.allowed_origins.0"),
        ({"redirect_hosts": ["promo.example.vn\r\nX: y"]}, "web_form.redirect_hosts.0"),
    ],
)
def test_configured_urls_are_strict_and_a_bad_one_is_a_422_naming_it_that_writes_nothing(
    moto_repo: Repository, moto_tables: dict[str, str], web_form: dict[str, Any], field: str | None
) -> None:
    # Given a source an admin created with good settings
    created = call_as("POST", "/form-sources", {"name": "Landing", "pool": "web"})
    source_id, rev = created.body["source"]["source_id"], created.body["source"]["rev"]
    before = config_items(moto_tables)
    # When a new source, or an edit of that one, sets a URL with a line break, a tab, non-ASCII text,
    # plain http to a public host, a backslash, or a control character
    made = call_as("POST", "/form-sources", {"name": "Other", "pool": "web", "web_form": web_form})
    edited = call_as("PATCH", f"/form-sources/{source_id}", {"rev": rev, "web_form": web_form})
    if field is None:  # (only surrounding whitespace: trimmed like every text field)
        assert made.status == 201 and edited.status == 200
        return
    # Then both are a 422 naming the field, and nothing was written
    for reply in (made, edited):
        assert reply.status == 422, reply.body
        assert [e["field"] for e in reply.body["errors"]] == [field]
    assert config_items(moto_tables) == before


def test_local_pages_may_use_plain_http_and_public_ones_https(moto_repo: Repository) -> None:
    # Given a developer's page on this machine and a real landing page
    web_form = {
        "thank_you_url": "http://localhost:3000/cam-on?from=form#top",
        "allowed_origins": ["http://127.0.0.1:8080", "http://[::1]:5173", "https://Landing.Example.vn/"],
        "redirect_hosts": ["Promo.Example.vn"],
    }
    # When a source is created with them
    reply = call_as("POST", "/form-sources", {"name": "Dev", "pool": "web", "web_form": web_form})
    # Then they are taken (origins and hosts in their canonical lower-case form)
    assert reply.status == 201, reply.body
    saved = reply.body["source"]["web_form"]
    assert saved["thank_you_url"] == "http://localhost:3000/cam-on?from=form#top"
    assert saved["allowed_origins"] == [
        "http://127.0.0.1:8080",
        "http://[::1]:5173",
        "https://landing.example.vn",
    ]
    assert saved["redirect_hosts"] == ["promo.example.vn"]
