"""Every committed SAM event (events/) invoked through its function's handler on DynamoDB Local.

The stack is the one `make ddb` prepares for `sam local`: tables from the template, the demo tenant of
`make run`, its webhook and alert address (``sam_ddb.seed_webhook_and_alerts``), and the leads the
committed stream events describe (``sam_ddb.seed_stream_items``). EventBridge and SQS are the local
emulator (``leadrouter_local.aws_endpoint.AwsEmulator``, no consumers: each check reads the queues), a
webhook posts to a real local receiver, and SES is a recording client. Each event has its own check of
what it must do; an event without one fails ``test_every_committed_event_has_an_outcome_check``, so a
new event comes with an assertion.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from openpyxl import load_workbook

from leadrouter.api.auth import caller_from_claims
from leadrouter.data.repository import Repository
from leadrouter.data.stream import lead_from_image
from leadrouter.domain.contacts import contact_keys
from leadrouter.domain.dispatch import DISPATCH_SHARDS
from leadrouter.domain.events import EVENT_SOURCE
from leadrouter.domain.exports import Export, ExportFormat, ExportStatus
from leadrouter.domain.forms import FormSource
from leadrouter.domain.imports import Import, ImportStatus
from leadrouter.domain.keys import hash_form_key
from leadrouter.domain.leads import Lead, LeadEvent, LeadStatus
from leadrouter.domain.secrets import source_secret_context
from leadrouter.domain.submissions import OverflowedSubmission
from leadrouter.domain.webhooks import DeliveryRequest, DeliveryStatus
from leadrouter.logic.imports.store import upload_key
from leadrouter.runtime import repository, secret_box
from leadrouter.signing import HEADER, verify
from leadrouter_local.apigw import proxy_event
from leadrouter_local.aws_endpoint import AwsEmulator
from leadrouter_local.ddb_local import DynamoDBLocal
from leadrouter_local.demo_data import STAFF, TENANT, seed_demo
from leadrouter_local.fake_graph import FakeGraph
from leadrouter_local.lambda_runtime import Functions
from leadrouter_local.sam_ddb import (
    DEMO_ALERT_EMAIL,
    DEMO_WEBHOOK_ID,
    DEMO_WEBHOOK_SECRET,
    EVENTS_DIR,
    seed_stream_items,
    seed_webhook_and_alerts,
    stream_images,
)
from leadrouter_local.template import load_template
from tests.support.files import MemoryFiles
from tests.support.webhooks import Receiver

#: The lead of LeadArrived-pending-lead.json (pending) and of LeadArrived-assigned-lead-called.json (B's).
PENDING_LEAD = "L01a230d512805a4d6c6f63616c31"
CALLED_LEAD = "L01a230ca56005a4d6c6f63616c30"
#: The lead of PublishFunction/LeadChanged-lead-assigned.json: assigned to C by the demo rule.
ASSIGNED_LEAD = "L01a230c2c3005a4d6c6f63616c32"
#: Every lead the committed stream events carry (seeded like `make ddb`): the tenant's leads.
SEEDED_LEADS = {image["lead_id"]["S"] for table, image in stream_images() if table == "LeadsTable"}
ALERT_SENDER = "alerts@leadrouter.example.vn"
#: The Meta source the committed fetch event names, and the fixtures of its delivery and lead.
META_SOURCE = "meta-lead-ads"
PLATFORM_FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "platforms" / "meta_lead_ads"


def event(rel: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((EVENTS_DIR / rel).read_text(encoding="utf-8"))
    return loaded


def committed() -> list[str]:
    return sorted(str(p.relative_to(EVENTS_DIR)) for p in EVENTS_DIR.glob("*/*.json"))


def body_of(rel: str) -> Any:
    """The parsed body of the (one) SQS message a committed event carries."""
    (record,) = event(rel)["Records"]
    return json.loads(record["body"])


class SesOutbox:
    """A recording SESv2 client: what the alert function's real SesMailer asks SES to send."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []

    def send_email(self, **request: Any) -> dict[str, str]:
        self.sent.append(request)
        return {"MessageId": f"ses-{len(self.sent)}"}


class Sam:
    """The seeded stack and the functions, invoked as Lambda would (CodeUri + Handler, a context)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, cleanup: ExitStack) -> None:
        self.functions = Functions(load_template())
        self.repo: Repository = repository()
        self.monkeypatch = monkeypatch
        self._cleanup = cleanup
        self._aws: AwsEmulator | None = None

    def aws(self) -> AwsEmulator:
        """The template's EventBridge bus, rules and queues, the functions' env pointed at them."""
        if self._aws is None:
            emulator = AwsEmulator(load_template(), log=lambda _: None)
            emulator.start()
            self._cleanup.callback(emulator.stop)
            for var, value in emulator.environment().items():
                self.monkeypatch.setenv(var, value)
            self.monkeypatch.setenv("EVENT_BUS_NAME", emulator.refs["EventBus"])
            self.monkeypatch.setenv("WEBHOOK_DELIVERY_QUEUE_URL", emulator.refs["WebhookDeliveryQueue"])
            self.monkeypatch.setenv("DISPATCH_QUEUE_URL", emulator.refs["DispatchQueue"])
            self.monkeypatch.setenv("ASSIGN_QUEUE_URL", emulator.refs["AssignQueue"])
            self.monkeypatch.setenv("RECLAIM_QUEUE_URL", emulator.refs["ReclaimQueue"])
            self.monkeypatch.setenv("LEAD_FETCH_QUEUE_URL", emulator.refs["LeadFetchQueue"])
            self._aws = emulator
        return self._aws

    def drain(self, queue: str) -> list[str]:
        """The bodies of every message on a queue of the template (received and deleted)."""
        sqs, url, found = boto3.client("sqs"), self.aws().refs[queue], list[str]()
        while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
            for message in messages:
                found.append(message["Body"])
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        return found

    def receiver(self) -> Receiver:
        """A local HTTP endpoint answering 200; the demo webhook re-registered to post there."""
        receiver = Receiver().start()
        self._cleanup.callback(receiver.stop)
        self.monkeypatch.setenv("WEBHOOKS_ALLOW_LOCAL", "1")
        seed_webhook_and_alerts(self.repo, receiver.url)
        return receiver

    def ses(self) -> SesOutbox:
        """SES as the alert function's mailer reaches it (the root's SESv2 client, recorded)."""
        outbox = SesOutbox()
        self.monkeypatch.setattr("leadrouter.runtime._ses", lambda endpoint: outbox)
        return outbox

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
def sam(
    ddb_local: DynamoDBLocal, ddb_tables: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> Iterator[Sam]:
    """Given the stack `make ddb` prepares for `sam local` (demo tenant, its webhook and alert address,
    the stream events' leads)."""
    monkeypatch.delenv("AWS_SAM_LOCAL", raising=False)
    monkeypatch.delenv("ALERT_SENDER", raising=False)
    seed_demo()
    seed_webhook_and_alerts(repository())
    assert seed_stream_items(ddb_local.client(), ddb_tables) == len(stream_images())
    with ExitStack() as cleanup:
        yield Sam(monkeypatch, cleanup)


# ------------------------------------------------------------------ one check per committed event
def assign_tick(sam: Sam) -> None:
    # Given the template's queues (emulated), when EventBridge Scheduler's input reaches the dispatcher
    sam.aws()
    report = sam.invoke("DispatchFunction/AssignTick-tick.json")
    # Then it sent one order per shard, and touched no lead
    assert report == {"action": "assign", "shard_orders": DISPATCH_SHARDS}
    orders = [json.loads(body) for body in sam.drain("DispatchQueue")]
    assert sorted(o["shard"] for o in orders) == list(range(DISPATCH_SHARDS))
    assert {o["action"] for o in orders} == {"assign"}
    assert sam.lead(PENDING_LEAD).status is LeadStatus.PENDING


def reclaim_tick(sam: Sam) -> None:
    sam.aws()
    assert sam.invoke("DispatchFunction/ReclaimTick-tick.json")["shard_orders"] == DISPATCH_SHARDS
    assert {json.loads(body)["action"] for body in sam.drain("DispatchQueue")} == {"reclaim"}


def demo_shard(sam: Sam) -> None:
    # When the demo tenant's shard order reaches the dispatcher
    sam.aws()
    assert sam.invoke("DispatchFunction/ShardOrders-demo-shard.json") == {"batchItemFailures": []}
    # Then it ordered the demo rule (it has a due lead), and nothing else; no lead was touched
    (order,) = [json.loads(body) for body in sam.drain("AssignQueue")]
    assert (order["kind"], order["tenant_id"], order["rule_id"]) == ("sweep", "demo", "web-new-weighted")
    assert sam.lead(PENDING_LEAD).status is LeadStatus.PENDING


def assign_order(sam: Sam) -> None:
    # When the assign sweeper gets the demo rule's order
    result = sam.invoke("AssignFunction/Orders-sweep-order.json")
    # Then the order succeeded, the one pending lead is assigned with its decision
    assert result == {"batchItemFailures": []}
    lead = sam.lead(PENDING_LEAD)
    assert lead.status is LeadStatus.ASSIGNED and lead.owner in STAFF
    assert [d.rule_id for d in lead.decisions] == ["web-new-weighted"]


def reclaim_order(sam: Sam) -> None:
    # Given B's lead was last called at 09:02 on 1 Dec 2026 (more than the rule's 30 minutes ago)
    assert sam.lead(CALLED_LEAD).owner == "B"
    # When the reclaim sweeper gets the reclaim rule's order
    result = sam.invoke("ReclaimFunction/Orders-sweep-order.json")
    # Then the reclaim rule took the lead back and gave it to someone else
    assert result == {"batchItemFailures": []}
    lead = sam.lead(CALLED_LEAD)
    assert lead.reclaim_count == 1
    assert lead.owner in STAFF and lead.owner != "B"
    # …and stamped, where the dispatcher lists the rule, when the moved lead can next be due
    stamp = sam.repo.dispatch_listing("reclaim").stamps[("demo", "web-new-reclaim")]
    assert lead.idle_since is not None
    assert stamp.next_due == lead.idle_since + timedelta(minutes=30)


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


def demo_token(sam: Sam) -> None:
    monkeypatch = sam.monkeypatch
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


def lead_assigned_published(sam: Sam) -> None:
    # Given the stack's bus and its rules' queues (webhook events, escalation alerts)
    sam.aws()
    # When the leads table's stream delivers the demo rule's write giving the new lead to C (one more
    # decision in NewImage than in OldImage)
    result = sam.invoke("PublishFunction/LeadChanged-lead-assigned.json")
    # Then the record succeeded and exactly one event reached the bus: LeadAssigned, the lead's first
    # decision, to C by the demo rule, with ids and timings only
    assert result == {"batchItemFailures": []}
    (published,) = [json.loads(body) for body in sam.drain("WebhookEventsQueue")]
    assert (published["source"], published["detail-type"]) == (EVENT_SOURCE, "LeadAssigned")
    detail = published["detail"]
    assert detail["event_id"] == f"{ASSIGNED_LEAD}-1"
    assert (detail["tenant_id"], detail["lead_id"], detail["staff_id"]) == (TENANT, ASSIGNED_LEAD, "C")
    assert (detail["rule_id"], detail["rule_version"], detail["seconds_since_received"]) == (
        "web-new-weighted",
        1,
        1.0,
    )
    assert "Phạm Minh Đức" not in json.dumps(detail, ensure_ascii=False) and "+84" not in json.dumps(detail)
    # …no escalation alert; and it is the event the committed fan-out event carries
    assert sam.drain("EscalationAlertsQueue") == []
    assert body_of("WebhookFanoutFunction/LeadEvents-lead-assigned.json")["detail"] == detail


def webhook_fan_out(sam: Sam) -> None:
    # Given the demo tenant's one webhook (all event types) and the delivery queue
    sam.aws()
    assert [w.webhook_id for w in sam.repo.list_webhooks(TENANT)] == [DEMO_WEBHOOK_ID]
    # When WebhookEventsQueue delivers the LeadAssigned event as EventBridge sent it
    result = sam.invoke("WebhookFanoutFunction/LeadEvents-lead-assigned.json")
    # Then one delivery message for the webhook is on WebhookDeliveryQueue, carrying that event
    assert result == {"batchItemFailures": []}
    (message,) = sam.drain("WebhookDeliveryQueue")
    request = DeliveryRequest.model_validate_json(message)
    assert (request.tenant_id, request.webhook_id, request.test) == (TENANT, DEMO_WEBHOOK_ID, False)
    sent = body_of("WebhookFanoutFunction/LeadEvents-lead-assigned.json")["detail"]
    assert request.event.model_dump(mode="json") == sent
    # …and it is the message the committed delivery event carries
    committed_request = body_of("WebhookDeliveryFunction/Deliveries-lead-assigned.json")
    assert request == DeliveryRequest.model_validate(committed_request)


def webhook_delivery(sam: Sam) -> None:
    # Given the demo webhook registered at a local receiver that answers 200
    receiver = sam.receiver()
    sam.aws()
    rel = "WebhookDeliveryFunction/Deliveries-lead-assigned.json"
    # When WebhookDeliveryQueue delivers the message, and then (at least once) the same message again
    first = sam.invoke(rel)
    again = sam.invoke(rel)
    # Then one POST arrived, signed with the webhook's secret, for the event; the copy posted nothing
    assert first == again == {"batchItemFailures": []}
    (post,) = receiver.received
    headers = {k.lower(): v for k, v in post.headers.items()}
    verify(DEMO_WEBHOOK_SECRET, headers[HEADER.lower()], post.body, time.time())
    event_id = f"{ASSIGNED_LEAD}-1"
    assert (headers["leadrouter-event-id"], headers["leadrouter-webhook-id"]) == (event_id, DEMO_WEBHOOK_ID)
    body = json.loads(post.body)
    assert (body["id"], body["type"], body["tenant_id"]) == (event_id, "LeadAssigned", TENANT)
    # …and the webhook's log says delivered, at the first attempt, with the receiver's status
    deliveries, _ = sam.repo.list_deliveries(TENANT, DEMO_WEBHOOK_ID, limit=10)
    assert [(d.event_id, d.status, d.attempts, d.last_status_code) for d in deliveries] == [
        (event_id, DeliveryStatus.DELIVERED, 1, 200)
    ]


def escalation_alert(sam: Sam) -> None:
    # Given the demo tenant's alert address and SES as the alert function reaches it
    tenant = sam.repo.get_tenant(TENANT)
    assert tenant is not None and tenant.alerts.emails == [DEMO_ALERT_EMAIL]
    outbox = sam.ses()
    rel = "AlertFunction/Escalations-lead-escalated.json"
    # When EscalationAlertsQueue delivers the LeadEscalated without an SES sender (as under make run)
    # Then the record succeeds and nothing is sent
    assert sam.invoke(rel) == {"batchItemFailures": []}
    assert outbox.sent == []
    # When it arrives with the stack's sender set (template parameter AlertSenderEmail)
    sam.monkeypatch.setenv("ALERT_SENDER", ALERT_SENDER)
    assert sam.invoke(rel) == {"batchItemFailures": []}
    # Then one e-mail went from the sender to the tenant's alert address, naming the lead and the reason
    (mail,) = outbox.sent
    assert mail["FromEmailAddress"] == ALERT_SENDER
    assert mail["Destination"] == {"ToAddresses": [DEMO_ALERT_EMAIL]}
    content = mail["Content"]["Simple"]
    assert PENDING_LEAD in content["Subject"]["Data"]
    assert "Chờ quá lâu" in content["Body"]["Text"]["Data"]


def privacy_deadlines(sam: Sam) -> None:
    # Given an open access request of the demo tenant made a month ago (overdue)
    from leadrouter.domain.users import Caller
    from leadrouter.logic.privacy.requests import PrivacyRequestIn, create_request

    now = datetime.now(UTC)
    body = PrivacyRequestIn.model_validate(
        {"kind": "access", "phone": "0912345678", "received_at": now - timedelta(days=30)}
    )
    request = create_request(sam.repo, Caller(tenant_id=TENANT, role="admin", subject="dpo"), body, now)
    outbox = sam.ses()
    rel = "AlertFunction/PrivacyDeadlines-daily.json"
    # When the daily schedule reaches the alert function without an SES sender (as under make run)
    # Then the request is counted and nothing is sent
    assert sam.invoke(rel) == {"alerted": 1}
    assert outbox.sent == []
    # When it runs with the stack's sender set
    sam.monkeypatch.setenv("ALERT_SENDER", ALERT_SENDER)
    assert sam.invoke(rel) == {"alerted": 1}
    # Then one e-mail went to the tenant's alert address, naming the request and not the person
    (mail,) = outbox.sent
    assert mail["Destination"] == {"ToAddresses": [DEMO_ALERT_EMAIL]}
    text = mail["Content"]["Simple"]["Body"]["Text"]["Data"]
    assert request.request_id in text and "912345678" not in text


def meta_lead_fetched(sam: Sam) -> None:
    # Given the demo tenant's Meta source (its page token sealed), a fake Graph API serving the lead, and
    # Meta's signed delivery announcing it, stored by the door
    graph = FakeGraph().start()
    sam.monkeypatch.setenv("META_GRAPH_URL", graph.url)
    sam.aws()
    try:
        lead = json.loads((PLATFORM_FIXTURES / "lead_987654321000001.json").read_text(encoding="utf-8"))
        graph.add_lead(lead)
        secrets = secret_box()
        sealed = {
            name: secrets.seal(value, source_secret_context(TENANT, META_SOURCE, name))
            for name, value in (
                ("app_secret", "sam-app-secret"),
                ("verify_token", "v"),
                ("page_access_token", "t"),
            )
        }
        source = FormSource(
            tenant_id=TENANT,
            source_id=META_SOURCE,
            name="Meta",
            kind="meta_lead_ads",
            pool="web",
            platform={"kind": "meta_lead_ads", **sealed},
        )
        sam.repo.put_form_source(source, hash_form_key("fk_sam_meta"))
        body = json.loads((PLATFORM_FIXTURES / "webhook.json").read_text(encoding="utf-8"))
        body["entry"][0]["changes"] = body["entry"][0]["changes"][:1]
        raw = json.dumps(body)
        signature = "sha256=" + hmac.new(b"sam-app-secret", raw.encode(), hashlib.sha256).hexdigest()
        posted = proxy_event("POST", "/hooks/fk_sam_meta", raw, headers={"X-Hub-Signature-256": signature})
        assert sam.functions.invoke("ApiFunction", posted)["statusCode"] == 200
        # When LeadFetchQueue delivers the committed message for it, and then the same message again
        rel = "LeadFetchFunction/Fetches-meta-lead.json"
        first = sam.invoke(rel)
        again = sam.invoke(rel)
    finally:
        graph.stop()
    # Then the lead was read once with the page token and made once, with Meta's answers
    assert first == again == {"batchItemFailures": []}
    assert graph.state.reads == [("987654321000001", "t")]
    record = sam.repo.get_submission(TENANT, body_of(rel)["submission_id"])
    assert record is not None and record.status.value == "received"  # its lead exists: read as accepted
    made = sam.lead(record.lead_id)
    assert (made.name, made.phone, made.source) == ("Trần Thị Bình", "+84987654321", META_SOURCE)


def demo_export_made(sam: Sam) -> None:
    # Given the demo admin's export of every lead, recorded as POST /leads/exports records it (under the
    # committed message's id), and the tenant's files in memory
    rel = "LeadExportFunction/Exports-demo-export.json"
    export_id = body_of(rel)["export_id"]
    files = MemoryFiles()
    sam.monkeypatch.setattr("leadrouter.runtime.files", lambda: files)
    admin = caller_from_claims(
        event("ApiFunction/GetLeads-admin.json")["requestContext"]["authorizer"]["claims"]
    )
    sam.repo.put_export(
        Export(
            export_id=export_id,
            tenant_id=TENANT,
            requested_by=admin,
            requested_at=datetime(2026, 12, 7, 2, 0, tzinfo=UTC),
            format=ExportFormat.XLSX,
        )
    )
    # When ExportQueue delivers the committed message, and then the same message again
    first = sam.invoke(rel)
    again = sam.invoke(rel)
    # Then the file was made once, holding every lead of the tenant, and the record says done
    assert first == again == {"batchItemFailures": []}
    key = f"exports/{TENANT}/{export_id}.xlsx"
    assert files.puts == [key]
    sheet = load_workbook(io.BytesIO(files.objects[key]), read_only=True)["Leads"]
    listed = [str(row[0]) for row in sheet.iter_rows(min_row=2, values_only=True)]
    live = sorted((x.lead_id for x in sam.repo_leads() if x.status is not LeadStatus.DELETED), reverse=True)
    assert listed == live and set(live) >= SEEDED_LEADS  # the demo's leads and the stream events' own
    record = sam.repo.get_export(TENANT, export_id)
    assert record is not None and (record.status, record.rows, record.file_key) == (
        ExportStatus.DONE,
        len(live),
        key,
    )


def demo_import_read(sam: Sam) -> None:
    # Given the demo admin's upload of a Vietnamese CSV, recorded as POST /imports/{id}/uploaded leaves
    # it (reading, under the committed message's id), and the tenant's files in memory
    rel = "ImportFunction/Imports-demo-split.json"
    import_id = body_of(rel)["import_id"]
    files = MemoryFiles()
    sam.monkeypatch.setattr("leadrouter.runtime.files", lambda: files)
    admin = caller_from_claims(
        event("ApiFunction/GetLeads-admin.json")["requestContext"]["authorizer"]["claims"]
    )
    record = Import(
        import_id=import_id,
        tenant_id=TENANT,
        requested_by=admin,
        requested_at=datetime(2026, 12, 7, 2, 0, tzinfo=UTC),
        file_name="khach-hang.csv",
        size=1,
        status=ImportStatus.READING,
    )
    sam.repo.put_import(record)
    content = "Họ tên;SĐT\nNguyễn Văn An;0912345678\nTrần Thị Bình;912345679\n".encode("utf-8-sig")
    files.objects[upload_key(record)] = content
    # When ImportQueue delivers the committed message, and then the same message again
    first = sam.invoke(rel)
    again = sam.invoke(rel)
    # Then the file was read once into one chunk, and the record is ready with the suggested mapping
    assert first == again == {"batchItemFailures": []}
    assert files.puts == [f"imports/{TENANT}/{import_id}/chunks/0.jsonl"]
    read = sam.repo.get_import(TENANT, import_id)
    assert read is not None and (read.status, read.total_rows, read.chunk_count) == (ImportStatus.READY, 2, 1)
    assert read.mapping == {"columns": {"Họ tên": "name", "SĐT": "phone"}, "attributes": {}}
    assert read.sha256 == hashlib.sha256(content).hexdigest()


def overflowed_form_made(sam: Sam) -> None:
    # Given a form submission the door queued while the demo tenant's writes were throttled
    rel = "IntakeOverflowFunction/Overflow-throttled-form.json"
    item = OverflowedSubmission.model_validate(body_of(rel))
    # When IntakeOverflowQueue delivers it, and then the same message again
    first = sam.invoke(rel)
    again = sam.invoke(rel)
    # Then its record is stored and its one lead made, pending, the one the record chose
    assert first == again == {"batchItemFailures": []}
    lead = sam.lead(item.record.lead_id)
    assert (lead.phone, lead.status, lead.source) == ("+84903555017", LeadStatus.PENDING, "website")
    assert [x.lead_id for x in sam.repo_leads() if x.phone == lead.phone] == [lead.lead_id]
    record = sam.repo.get_submission(TENANT, item.record.submission_id)
    assert record is not None and record.lead_id == lead.lead_id


def expired_lead_forgotten(sam: Sam) -> None:
    # Given the lead of the committed TTL deletion, its two history lines, its phone's claim, and its
    # e-mail now claimed by another lead
    rel = "LeadExpiryFunction/LeadExpired-ttl-deletion.json"
    lead = lead_from_image(event(rel)["Records"][0]["dynamodb"]["OldImage"])
    assert lead is not None and lead.phone is not None
    other = lead.model_copy(update={"lead_id": "L-other", "phone": None, "email": "an@example.vn"})
    assert sam.repo.claim_contacts(lead, contact_keys(lead.phone, None), lead.received_at) is None
    assert sam.repo.claim_contacts(other, contact_keys(None, other.email), lead.received_at) is None
    for n in range(2):
        sam.repo.add_event(lead, LeadEvent(at=lead.received_at, kind="note", by="C", text=f"Gọi lại {n}"))
    # When the stream delivers DynamoDB's deletion of the lead, and then the same record again
    first = sam.invoke(rel)
    again = sam.invoke(rel)
    # Then its phone's claim and its history are gone, and the other lead keeps its claim
    assert first == again == {"batchItemFailures": []}
    assert sam.repo.contact_claims(TENANT, contact_keys(lead.phone, None)) == {}
    assert sam.repo.lead_events(TENANT, lead.lead_id) == []
    assert sam.repo.contact_holder(TENANT, contact_keys(None, other.email)[0]) == "L-other"


Check = Callable[[Sam], None]
OUTCOMES: dict[str, Check] = {
    "DispatchFunction/AssignTick-tick.json": assign_tick,
    "DispatchFunction/ReclaimTick-tick.json": reclaim_tick,
    "DispatchFunction/ShardOrders-demo-shard.json": demo_shard,
    "AssignFunction/Orders-sweep-order.json": assign_order,
    "ReclaimFunction/Orders-sweep-order.json": reclaim_order,
    "AssignFunction/LeadArrived-pending-lead.json": pending_lead_arrives,
    "AssignFunction/LeadArrived-assigned-lead-called.json": non_pending_change,
    "ApiFunction/PostFByFormKey-urlencoded.json": form_post,
    "ApiFunction/PostIntakeLeads-json.json": json_intake,
    "ApiFunction/GetLeads-admin.json": admin_lists,
    "ApiFunction/GetLeads-staff.json": staff_lists,
    "ApiFunction/GetLeads-demo-token.json": demo_token,
    "PublishFunction/LeadChanged-lead-assigned.json": lead_assigned_published,
    "WebhookFanoutFunction/LeadEvents-lead-assigned.json": webhook_fan_out,
    "WebhookDeliveryFunction/Deliveries-lead-assigned.json": webhook_delivery,
    "AlertFunction/Escalations-lead-escalated.json": escalation_alert,
    "AlertFunction/PrivacyDeadlines-daily.json": privacy_deadlines,
    "LeadFetchFunction/Fetches-meta-lead.json": meta_lead_fetched,
    "LeadExportFunction/Exports-demo-export.json": demo_export_made,
    "ImportFunction/Imports-demo-split.json": demo_import_read,
    "IntakeOverflowFunction/Overflow-throttled-form.json": overflowed_form_made,
    "LeadExpiryFunction/LeadExpired-ttl-deletion.json": expired_lead_forgotten,
}


def test_every_committed_event_has_an_outcome_check() -> None:
    assert sorted(OUTCOMES) == committed()


@pytest.mark.parametrize("rel", committed())
def test_a_committed_event_does_what_it_says(rel: str, sam: Sam) -> None:
    OUTCOMES[rel](sam)
