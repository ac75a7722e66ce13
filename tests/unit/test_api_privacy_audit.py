"""The access audit as the API records it and as admins read it, and the processing inventory.

Every request that shows, changes, deletes or downloads an export of leads leaves one entry naming lead
ids only, by the caller the token names; only admins list and verify it, and only their own tenant's.
"""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from typing import Any

import pytest

from leadrouter.data.repository import Repository
from leadrouter.domain.leads import LeadStatus
from leadrouter.domain.privacy import PrivacySettings
from leadrouter.domain.tenants import Tenant
from leadrouter.domain.webhooks import Webhook
from tests.support.api import ADMIN, add_form_source, call, claims, event, frozen_api_clock
from tests.support.builders import NOW, TENANT, add_leads, rule, seed, staff

SELLER = claims("staff", staff_id="A")
TEAM_LEAD = claims("team_lead", staff_id="lead-red", team="red")
OTHER_ADMIN = claims("admin", tenant="globex")


@pytest.fixture
def leads(moto_repo: Repository, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Given a tenant with three leads held by A (team red), the API's clock an hour after they came."""
    seed(moto_repo, rule(weights={"A": 1}), [staff("A", team="red")])
    made = add_leads(moto_repo, 3, NOW, status=LeadStatus.ASSIGNED, owner="A", assignees=["A"])
    frozen_api_clock(monkeypatch, NOW + timedelta(hours=1))
    return [x.lead_id for x in made]


def audit(**query: str) -> list[dict[str, Any]]:
    path = "/privacy/audit" + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")
    reply = call(event("GET", path, claims=ADMIN))
    assert reply.status == 200, reply.body
    items: list[dict[str, Any]] = reply.body["items"]
    return items


def test_each_request_on_leads_leaves_one_entry_naming_the_caller_and_the_lead_ids(leads: list[str]) -> None:
    one = leads[0]
    # When an admin lists the leads, a salesperson opens one, and the admin edits it and deletes another
    assert call(event("GET", "/leads", claims=ADMIN)).status == 200
    assert call(event("GET", f"/leads/{one}", claims=SELLER)).status == 200
    assert (
        call(
            event("PATCH", f"/leads/{one}", {"name": "Trần Thị B", "phone": "0912345678"}, claims=ADMIN)
        ).status
        == 200
    )
    assert call(event("DELETE", f"/leads/{leads[1]}", claims=ADMIN)).status == 200
    assert call(event("POST", f"/leads/{leads[1]}/restore", claims=ADMIN)).status == 200
    # Then the audit holds one entry per request, newest first, by the token's user and role
    entries = audit()
    assert [e["action"] for e in entries] == ["change", "delete", "change", "read", "list"]
    assert [e["seq"] for e in entries] == [5, 4, 3, 2, 1]
    listing, read = entries[4], entries[3]
    assert sorted(listing["lead_ids"]) == sorted(leads) and listing["count"] == 3
    assert read["lead_ids"] == [one]
    assert read["actor"] == {"subject": "user-staff-A", "staff_id": "A", "role": "staff"}
    assert listing["actor"]["role"] == entries[0]["actor"]["role"] == "admin"
    assert entries[0]["tenant_id"] == TENANT
    assert all(e["request_id"] for e in entries)
    # And no entry holds a name, a phone or an e-mail, only ids
    text = str(entries)
    assert "Trần" not in text and "912345678" not in text and "@" not in text
    # And it is kept for the tenant's audit period (730 days by default)
    assert read["expires_at"] == int((NOW + timedelta(hours=1, days=730)).timestamp())


def test_a_lead_not_shown_and_an_empty_page_leave_no_entry(leads: list[str]) -> None:
    # When another salesperson asks for A's lead (not found) or lists their own (none)
    other = claims("staff", staff_id="B")
    assert call(event("GET", f"/leads/{leads[0]}", claims=other)).status == 404
    assert call(event("GET", "/leads", claims=other)).status == 200
    # Then nothing was shown, and nothing is recorded
    assert audit() == []


def test_the_audit_is_filtered_by_lead_and_by_actor_and_paged(leads: list[str]) -> None:
    for lead_id in leads:
        assert call(event("GET", f"/leads/{lead_id}", claims=SELLER)).status == 200
    assert call(event("GET", f"/leads/{leads[0]}", claims=ADMIN)).status == 200
    # When an admin asks for the entries naming the first lead, or those by staff A
    assert [e["actor"]["role"] for e in audit(lead_id=leads[0])] == ["admin", "staff"]
    assert {e["lead_ids"][0] for e in audit(actor="A")} == set(leads)
    assert len(audit(actor="user-admin-x")) == 1
    # And page by page, newest first, the pages join up
    first = call(event("GET", "/privacy/audit?limit=2", claims=ADMIN)).body
    rest = call(event("GET", f"/privacy/audit?limit=2&cursor={first['cursor']}", claims=ADMIN)).body
    assert [e["seq"] for e in first["items"] + rest["items"]] == [4, 3, 2, 1]
    # And a cursor that is not one is a 422 naming it
    bad = call(event("GET", "/privacy/audit?cursor=bm90LWEtY3Vyc29y", claims=ADMIN))
    assert bad.status == 422 and "cursor" in str(bad.body)


def test_only_admins_read_and_verify_the_audit_and_only_their_tenants(leads: list[str]) -> None:
    assert call(event("GET", f"/leads/{leads[0]}", claims=ADMIN)).status == 200
    for path in ("/privacy/audit", "/privacy/audit/verify", "/privacy/inventory"):
        # Then staff and team leads are refused
        assert call(event("GET", path, claims=SELLER)).status == 403
        assert call(event("GET", path, claims=TEAM_LEAD)).status == 403
        # And without a token there is no answer
        assert call(event("GET", path)).status == 401
    # And another tenant's admin sees their own (empty) audit, never this tenant's
    other = call(event("GET", "/privacy/audit", claims=OTHER_ADMIN))
    assert other.status == 200 and other.body["items"] == []
    assert call(event("GET", "/privacy/audit/verify", claims=OTHER_ADMIN)).body["checked"] == 0


def test_verify_reports_an_intact_chain_then_the_entry_edited_in_the_table(
    leads: list[str], moto_repo: Repository
) -> None:
    for lead_id in leads:
        assert call(event("GET", f"/leads/{lead_id}", claims=SELLER)).status == 200
    # Given an intact chain of three, Then it verifies to its head
    found = call(event("GET", "/privacy/audit/verify", claims=ADMIN)).body
    assert found["ok"] and found["checked"] == 3 and found["head"]["seq"] == 3
    assert (found["first_seq"], found["last_seq"], found["next_from_seq"]) == (1, 3, None)
    # And in pages of two it says where to continue, and the next page checks the link across
    page = call(event("GET", "/privacy/audit/verify?limit=2", claims=ADMIN)).body
    assert page["ok"] and page["next_from_seq"] == 3
    rest = call(event("GET", "/privacy/audit/verify?from_seq=3&limit=2", claims=ADMIN)).body
    assert rest["ok"] and rest["last_seq"] == 3 and rest["next_from_seq"] is None
    # And a head kept from this answer is still held by the chain
    head = found["head"]
    anchored = f"/privacy/audit/verify?anchor={head['seq']}:{head['hash']}"
    assert call(event("GET", anchored, claims=ADMIN)).body["anchor_matches"] is True
    wrong = f"/privacy/audit/verify?anchor={head['seq']}:{'f' * 64}"
    rewritten = call(event("GET", wrong, claims=ADMIN)).body
    assert rewritten["anchor_matches"] is False and not rewritten["ok"]
    half = call(event("GET", f"/privacy/audit/verify?anchor={head['seq']}", claims=ADMIN))
    assert half.status == 422
    # When someone edits entry 2 in the table (another lead id)
    moto_repo._client.update_item(
        TableName=moto_repo._config,
        Key={"pk": {"S": f"TENANT#{TENANT}"}, "sk": {"S": "AUDIT#000000000002"}},
        UpdateExpression="SET lead_ids = :ids",
        ExpressionAttributeValues={":ids": {"L": [{"S": leads[2]}]}},
    )
    # Then verify names entry 2 as the first broken link
    broken = call(event("GET", "/privacy/audit/verify", claims=ADMIN)).body
    assert not broken["ok"] and broken["broken"]["seq"] == 2 and broken["checked"] == 1


def test_a_download_link_of_an_export_is_an_export_entry(
    leads: list[str], moto_repo: Repository, monkeypatch: pytest.MonkeyPatch
) -> None:
    from leadrouter.domain.exports import Export, ExportFormat, ExportStatus, LeadFilters
    from leadrouter.domain.users import Caller
    from tests.support.files import MemoryFiles

    files = MemoryFiles()
    monkeypatch.setattr("leadrouter.api.routes.exports.files", lambda: files)
    admin = Caller(tenant_id=TENANT, role="admin", subject="user-admin-x")
    done = Export(
        export_id="E1",
        tenant_id=TENANT,
        requested_by=admin,
        requested_at=NOW,
        filters=LeadFilters(),
        format=ExportFormat.XLSX,
        status=ExportStatus.DONE,
        rows=3,
        file_key=f"exports/{TENANT}/E1.xlsx",
    )
    moto_repo.put_export(done)
    # When an admin fetches the done export (its download link)
    reply = call(event("GET", "/leads/exports/E1", claims=ADMIN))
    assert reply.status == 200 and reply.body["download_url"]
    # Then one export entry names the export and its row count, no lead data
    (entry,) = audit()
    assert (entry["action"], entry["ref"], entry["count"], entry["lead_ids"]) == ("export", "E1", 3, [])


def test_the_inventory_lists_data_purposes_sources_recipients_transfers_and_sub_processors(
    leads: list[str], moto_repo: Repository, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a tenant with a web form, a Meta source, two webhooks (one receiver's country declared)
    monkeypatch.setenv("AWS_REGION", "ap-southeast-1")
    privacy = PrivacySettings(recipient_countries={"crm.example.vn": "VN"})
    moto_repo.put_tenant(Tenant(tenant_id=TENANT, name="Công ty ABC", privacy=privacy))
    add_form_source(moto_repo)
    add_form_source(moto_repo, key="fk_meta_0001", source_id="meta", kind="meta_lead_ads")
    for webhook_id, url in (("W1", "https://crm.example.vn/hook"), ("W2", "https://hooks.example.com/x")):
        hook = Webhook(webhook_id=webhook_id, tenant_id=TENANT, url=url, created_at=NOW)
        moto_repo.create_webhook(hook, "s" * 32)
    # When an admin asks for the inventory
    reply = call(event("GET", "/privacy/inventory", claims=ADMIN))
    assert reply.status == 200, reply.body
    body = reply.body
    # Then it names the data held with each retention, the purposes, the sources
    categories = {c["category"]: c["retention_days"] for c in body["categories"]}
    assert categories["contact"] == 730 and categories["submissions as received"] == 90
    assert categories["access audit"] == 730 and categories["tracking"] == 90
    assert [p["key"] for p in body["purposes"]] == [p.key for p in privacy.purposes]
    assert {(s["source_id"], s["channel"]) for s in body["sources"]} == {
        ("web-form", "form"),
        ("meta", "meta_lead_ads"),
    }
    # And the recipients by host with their declared country, else unknown
    assert {(r["host"], r["country"]) for r in body["recipients"]} == {
        ("crm.example.vn", "VN"),
        ("hooks.example.com", "unknown"),
    }
    # And hosting in Singapore as a transfer out of Vietnam, and the unknown receiver's too
    assert {(t["destination"], t["country"]) for t in body["transfers"]} == {
        ("AWS ap-southeast-1", "SG"),
        ("hooks.example.com", "unknown"),
    }
    assert {s["name"].split(" ")[0] for s in body["sub_processors"]} == {"Amazon", "Meta"}
    assert body["controller"] == "Công ty ABC" and body["tenant_id"] == TENANT


def test_the_inventory_as_csv_opens_in_excel_with_vietnamese_intact(
    leads: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_REGION", "ap-southeast-1")
    reply = call(event("GET", "/privacy/inventory?format=csv", claims=ADMIN))
    assert reply.status == 200
    assert reply.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in reply.headers["Content-Disposition"]
    text: str = reply.body
    # Then it starts with the BOM, and its rows hold the Vietnamese purposes as written
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))
    assert rows[0][0] == "Mục / Section"
    assert ["purpose", "call"] in [r[:2] for r in rows]
    assert any("Gọi điện tư vấn" in r[2] for r in rows)
    assert [
        "transfer",
        "AWS ap-southeast-1",
        "hosting: every store of leadrouter is in this region",
        "SG",
    ] in [r[:4] for r in rows]
    # And a format it does not make is a 422
    assert call(event("GET", "/privacy/inventory?format=pdf", claims=ADMIN)).status == 422


def test_a_manual_assignment_and_a_mass_update_are_change_entries(leads: list[str]) -> None:
    # When an admin assigns one lead by hand, then moves two into a campaign in one request
    assert (
        call(event("POST", f"/leads/{leads[0]}/assignees", {"staff_ids": ["A"]}, claims=ADMIN)).status == 200
    )
    moved = call(event("POST", "/campaigns/Tết 2027/leads", {"lead_ids": leads[1:]}, claims=ADMIN))
    assert moved.status == 200, moved.body
    # Then each request is one change entry: the mass update names both leads and the campaign
    mass, manual = audit()
    assert (manual["action"], manual["lead_ids"]) == ("change", [leads[0]])
    assert (mass["action"], sorted(mass["lead_ids"]), mass["ref"]) == (
        "change",
        sorted(leads[1:]),
        "Tết 2027",
    )
