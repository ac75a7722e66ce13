"""Every committed SAM event (events/) invoked through its function's handler on DynamoDB Local.

The stack is the one `make ddb` prepares for `sam local`: tables from the template, the demo tenant of
`make run`, and the leads the committed stream events describe (``sam_ddb.seed_stream_items``). Each
event has its own check of what it must do; an event without one fails
``test_every_committed_event_has_an_outcome_check``, so a new event comes with an assertion.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from leadrouter.data.repository import Repository
from leadrouter.domain.models import Lead, LeadStatus
from leadrouter.runtime import repository
from leadrouter_local.apigw import proxy_event
from leadrouter_local.ddb_local import DynamoDBLocal
from leadrouter_local.demo_data import STAFF, TENANT, seed_demo
from leadrouter_local.runner import Functions
from leadrouter_local.sam_ddb import EVENTS_DIR, seed_stream_items, stream_images
from leadrouter_local.template import load_template

#: The lead of LeadArrived-pending-lead.json (pending) and of LeadArrived-assigned-lead-called.json (B's).
PENDING_LEAD = "L01a230d512805a4d6c6f63616c31"
CALLED_LEAD = "L01a230ca56005a4d6c6f63616c30"
#: Every lead the committed stream events carry (seeded like `make ddb`): the tenant's leads.
SEEDED_LEADS = {image["lead_id"]["S"] for table, image in stream_images() if table == "LeadsTable"}


def event(rel: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((EVENTS_DIR / rel).read_text(encoding="utf-8"))
    return loaded


def committed() -> list[str]:
    return sorted(str(p.relative_to(EVENTS_DIR)) for p in EVENTS_DIR.glob("*/*.json"))


class Sam:
    """The seeded stack and the functions, invoked as Lambda would (CodeUri + Handler, a context)."""

    def __init__(self) -> None:
        self.functions = Functions(load_template())
        self.repo: Repository = repository()

    def invoke(self, rel: str, replace: dict[str, Any] | None = None) -> Any:
        function = rel.split("/", 1)[0]
        return self.functions.invoke(function, {**event(rel), **(replace or {})})

    def api(self, rel: str) -> tuple[int, Any, dict[str, str]]:
        answer = self.invoke(rel)
        body = answer.get("body")
        headers = {k.lower(): v for k, v in (answer.get("headers") or {}).items()}
        for name, values in (answer.get("multiValueHeaders") or {}).items():
            headers[name.lower()] = ", ".join(values)
        is_json = headers.get("content-type", "").startswith("application/json")
        parsed = json.loads(body) if body and is_json else body
        return int(answer["statusCode"]), parsed, headers

    def admin(self, method: str, path: str, body: Any = None) -> dict[str, Any]:
        claims = event("ApiFunction/GetLeads-admin.json")["requestContext"]["authorizer"]["claims"]
        raw = proxy_event(method, path, json.dumps(body) if body is not None else None, claims=claims)
        answer: dict[str, Any] = self.functions.invoke("ApiFunction", raw)
        return answer

    def lead(self, lead_id: str) -> Lead:
        found = self.repo.get_lead(TENANT, lead_id)
        assert found is not None, lead_id
        return found

    def repo_leads(self) -> list[Lead]:
        leads, _ = self.repo.list_leads(TENANT, received_from=None, received_to=None, filters={}, limit=100)
        return leads

    def listed(self, rel: str) -> list[str]:
        status, body, _ = self.api(rel)
        assert status == 200, body
        return [item["lead"]["lead_id"] for item in body["items"]]


@pytest.fixture
def sam(ddb_local: DynamoDBLocal, ddb_tables: dict[str, str]) -> Sam:
    """Given the stack `make ddb` prepares for `sam local` (demo tenant, the stream events' leads)."""
    seed_demo()
    assert seed_stream_items(ddb_local.client(), ddb_tables) == len(stream_images())
    return Sam()


# ------------------------------------------------------------------ one check per committed event
def assign_tick(sam: Sam) -> None:
    # When EventBridge Scheduler's input (the template's, placeholders filled) reaches the assign sweep
    report = sam.invoke("AssignFunction/EveryMinute-tick.json")
    # Then the demo rule was swept, the one pending lead assigned with its decision, nothing failed
    assert report["action"] == "assign"
    assert report["rules_swept"] == ["web-new-weighted"]
    assert report["rules_failed"] == [] and report["incomplete"] == []
    assert report["totals"]["assigned"] == 1
    assert "unrouted" in report  # the follow-up ran too
    lead = sam.lead(PENDING_LEAD)
    assert lead.status is LeadStatus.ASSIGNED and lead.owner in STAFF
    assert [d.rule_id for d in lead.decisions] == ["web-new-weighted"]


def reclaim_tick(sam: Sam) -> None:
    # Given B's lead was last called at 09:02 on 1 Dec 2026 (more than the rule's 30 minutes ago)
    assert sam.lead(CALLED_LEAD).owner == "B"
    # When the reclaim schedule's input reaches the reclaim sweep
    report = sam.invoke("ReclaimFunction/EveryMinute-tick.json")
    # Then the reclaim rule took the lead back and gave it to someone else
    assert report["action"] == "reclaim"
    assert report["rules_swept"] == ["web-new-reclaim"]
    assert report["rules_failed"] == []
    lead = sam.lead(CALLED_LEAD)
    assert lead.reclaim_count == 1
    assert lead.owner in STAFF and lead.owner != "B"


def pending_lead_arrives(sam: Sam) -> None:
    # When the stream delivers the INSERT of a pending lead (the demo rule has no delay: instant)
    result = sam.invoke("AssignFunction/LeadArrived-pending-lead.json")
    # Then the record succeeded and the lead is assigned at once, with its decision
    assert result == {"batchItemFailures": []}
    lead = sam.lead(PENDING_LEAD)
    assert lead.status is LeadStatus.ASSIGNED and lead.owner in STAFF
    assert len(lead.decisions) == 1


def non_pending_change(sam: Sam) -> None:
    # Given the other lead is still pending
    before = sam.lead(CALLED_LEAD), sam.lead(PENDING_LEAD)
    # When the stream delivers a MODIFY of an assigned lead (a call logged; AWS's filter would drop it,
    # `sam local invoke` does not filter)
    result = sam.invoke("AssignFunction/LeadArrived-assigned-lead-called.json")
    # Then the record succeeds and nothing is swept: both leads are exactly as they were
    assert result == {"batchItemFailures": []}
    assert (sam.lead(CALLED_LEAD), sam.lead(PENDING_LEAD)) == before
    assert sam.lead(PENDING_LEAD).status is LeadStatus.PENDING


def form_post(sam: Sam) -> None:
    # When a plain HTML form posts urlencoded to /f/{form_key} (a browser: Accept text/html)
    status, body, headers = sam.api("ApiFunction/PostFByFormKey-urlencoded.json")
    # Then the browser is sent to the thank-you page and the lead is stored from the form's fields
    assert status == 303, body
    assert headers["location"].endswith("/thanks")
    found = [x for x in sam.repo_leads() if x.name == "Trần Thị Bình"]
    assert len(found) == 1
    lead = found[0]
    assert (lead.pool, lead.email) == ("web", "binh@example.vn")
    assert lead.attribution is not None and lead.attribution.first.utm_source == "facebook"


def json_intake(sam: Sam) -> None:
    # When a CRM posts JSON to /intake/leads with X-Form-Key and an Idempotency-Key, twice
    first = sam.api("ApiFunction/PostIntakeLeads-json.json")
    again = sam.api("ApiFunction/PostIntakeLeads-json.json")
    # Then the lead is created once, pending in the form source's pool; the retry answers the same lead
    assert first[0] == 201, first[1]
    lead_id = first[1]["lead_id"]
    assert again[0] in (200, 201) and again[1]["lead_id"] == lead_id
    lead = sam.lead(lead_id)
    assert (lead.name, lead.pool, lead.status) == ("Lê Văn Cường", "web", LeadStatus.PENDING)
    assert [x.lead_id for x in sam.repo_leads() if x.name == "Lê Văn Cường"] == [lead_id]


def admin_lists(sam: Sam) -> None:
    # When an admin's request (Cognito claims in requestContext.authorizer.claims) lists leads
    # Then every lead of the demo tenant is listed (the two above, and any other stream event's)
    assert {PENDING_LEAD, CALLED_LEAD} <= SEEDED_LEADS
    assert set(sam.listed("ApiFunction/GetLeads-admin.json")) == SEEDED_LEADS


def staff_lists(sam: Sam) -> None:
    # Given the admin assigns the pending lead to A by hand (B owns the other)
    answer = sam.admin("POST", f"/leads/{PENDING_LEAD}/assignees", {"staff_ids": ["A"]})
    assert answer["statusCode"] == 200, answer["body"]
    # When staff member A lists leads (claims custom:role staff, custom:staff_id A)
    # Then A sees only A's lead, not B's
    assert sam.listed("ApiFunction/GetLeads-staff.json") == [PENDING_LEAD]


def demo_token(sam: Sam, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a request as `sam local start-api` delivers it: a demo bearer token, no authorizer claims
    # When AWS_SAM_LOCAL is unset (as on AWS, which never sets it), or anything but "true"
    for value in (None, "false", "1"):
        if value is None:
            monkeypatch.delenv("AWS_SAM_LOCAL", raising=False)
        else:
            monkeypatch.setenv("AWS_SAM_LOCAL", value)
        # Then the demo token opens nothing
        status, body, _ = sam.api("ApiFunction/GetLeads-demo-token.json")
        assert status == 401, (value, body)
    # When SAM CLI's container says AWS_SAM_LOCAL=true
    monkeypatch.setenv("AWS_SAM_LOCAL", "true")
    # Then the token stands for the demo admin, exactly as under `make run`
    assert set(sam.listed("ApiFunction/GetLeads-demo-token.json")) == SEEDED_LEADS


Check = Callable[..., None]
OUTCOMES: dict[str, Check] = {
    "AssignFunction/EveryMinute-tick.json": assign_tick,
    "ReclaimFunction/EveryMinute-tick.json": reclaim_tick,
    "AssignFunction/LeadArrived-pending-lead.json": pending_lead_arrives,
    "AssignFunction/LeadArrived-assigned-lead-called.json": non_pending_change,
    "ApiFunction/PostFByFormKey-urlencoded.json": form_post,
    "ApiFunction/PostIntakeLeads-json.json": json_intake,
    "ApiFunction/GetLeads-admin.json": admin_lists,
    "ApiFunction/GetLeads-staff.json": staff_lists,
    "ApiFunction/GetLeads-demo-token.json": demo_token,
}


def test_every_committed_event_has_an_outcome_check() -> None:
    assert sorted(OUTCOMES) == committed()


@pytest.mark.parametrize("rel", committed())
def test_a_committed_event_does_what_it_says(rel: str, sam: Sam, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_SAM_LOCAL", raising=False)
    check = OUTCOMES[rel]
    if check is demo_token:
        demo_token(sam, monkeypatch)
    else:
        check(sam)
