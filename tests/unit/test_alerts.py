"""Escalation alerts: admins name who is told (webhooks, e-mail); every escalation reaches them, with
ids and a reason, never the lead's name, phone or email."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import boto3
import pytest

from leadrouter.data.mail import SesMailer
from leadrouter.data.repository import Repository
from leadrouter.domain.events import LeadEscalated
from leadrouter.domain.tenants import Tenant
from leadrouter.domain.webhooks import DeliveryRequest
from leadrouter.logic.events.alerts import email_escalation
from tests.support.api import call_as, claims, config_items
from tests.support.builders import TENANT
from tests.support.lambda_context import FakeContext
from tests.support.webhooks import AT, Queues, assigned, create_queues, run_fanout, sqs_event, webhook

SECRET = "whsec_" + "s" * 43


@pytest.fixture
def queues(moto_tables: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Queues:
    return create_queues(monkeypatch)


def escalated(lead_id: str = "L0001", reason: str = "no_eligible_staff") -> LeadEscalated:
    return LeadEscalated(
        event_id=f"{lead_id}-2",
        tenant_id=TENANT,
        lead_id=lead_id,
        occurred_at=AT,
        received_at=AT,
        seconds_since_received=7200.0,
        pool="web",
        step="new",
        reason=reason,
        rule_id="R1",
        rule_version=1,
        previous_owner="B",
    )


class Outbox:
    def __init__(self) -> None:
        self.sent: list[tuple[list[str], str, str]] = []

    def send(self, to: Sequence[str], subject: str, text: str) -> None:
        self.sent.append((list(to), subject, text))


def test_an_admin_names_alert_webhooks_and_addresses(moto_repo: Repository) -> None:
    # Given a tenant with one webhook
    moto_repo.create_webhook(webhook("https://crm.example.com/h", webhook_id="W1"), SECRET)
    assert call_as("GET", "/settings/alerts").body == {
        "webhook_ids": [],
        "emails": [],
        "revision": 0,
        "email_enabled": False,
    }
    # When an admin names it and two addresses
    reply = call_as(
        "PUT", "/settings/alerts", {"webhook_ids": ["W1"], "emails": ["Sale.Lead@Example.VN", "b@example.vn"]}
    )
    # Then they are stored (addresses normalised) and read back, at the next revision
    assert reply.status == 200, reply.body
    assert reply.body["emails"] == ["sale.lead@example.vn", "b@example.vn"]
    assert call_as("GET", "/settings/alerts").body["webhook_ids"] == ["W1"]
    stored = moto_repo.get_tenant(TENANT)
    assert stored is not None and stored.alerts.webhook_ids == ["W1"] and stored.rev == reply.body["revision"]
    # …a write built on an old revision is a 409, and staff may not read or write them
    stale = call_as("PUT", "/settings/alerts", {"emails": [], "expected_revision": 0})
    assert stale.status == 409
    staff = claims("staff", staff_id="A")
    assert call_as("GET", "/settings/alerts", who=staff).status == 403
    assert call_as("PUT", "/settings/alerts", {"emails": []}, who=staff).status == 403


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"webhook_ids": ["W-missing"]}, "webhook_ids.0"),
        ({"webhook_ids": ["W1", "W1"]}, "webhook_ids"),
        ({"emails": ["not an address"]}, "emails"),
        ({"emails": ["a@example.vn", "A@example.vn"]}, "emails"),
        ({"emails": [f"a{i}@example.vn" for i in range(11)]}, "emails"),
        ({"webhook_ids": ["W1"], "extra": 1}, "extra"),
    ],
)
def test_bad_alert_settings_are_a_422_naming_the_field_and_nothing_is_written(
    moto_repo: Repository, moto_tables: dict[str, str], body: dict[str, Any], field: str
) -> None:
    moto_repo.create_webhook(webhook("https://crm.example.com/h", webhook_id="W1"), SECRET)
    before = config_items(moto_tables)
    reply = call_as("PUT", "/settings/alerts", body)
    assert reply.status == 422, reply.body
    assert any(e["field"].startswith(field) for e in reply.body["errors"]), reply.body
    assert config_items(moto_tables) == before


def test_an_alert_webhook_gets_every_escalation_even_unsubscribed_and_nothing_else(
    moto_repo: Repository, queues: Queues
) -> None:
    # Given W1 subscribed to assignments only, W2 to escalations, and W1 named in the alert settings
    moto_repo.create_webhook(
        webhook("https://a.example.com/h", webhook_id="W1", event_types=["LeadAssigned"]), SECRET
    )
    moto_repo.create_webhook(
        webhook("https://b.example.com/h", webhook_id="W2", event_types=["LeadEscalated"]), SECRET
    )
    moto_repo.create_webhook(
        webhook("https://c.example.com/h", webhook_id="W3", event_types=["LeadReceived"]), SECRET
    )
    assert call_as("PUT", "/settings/alerts", {"webhook_ids": ["W1"]}).status == 200
    # When an escalation and an assignment arrive
    queues.put_event(escalated())
    queues.put_event(assigned("L0002"))
    assert run_fanout(queues) == []
    # Then the escalation went to W1 (alert) and W2 (subscribed), the assignment to W1 only; W3 nothing
    requests = [DeliveryRequest.model_validate_json(m["Body"]) for m in queues.receive(queues.delivery)]
    assert sorted((r.event_id, r.webhook_id) for r in requests) == [
        ("L0001-2", "W1"),
        ("L0001-2", "W2"),
        ("L0002-1", "W1"),
    ]


def test_an_escalation_email_names_the_lead_and_the_reason_and_no_personal_data(
    moto_repo: Repository,
) -> None:
    # Given a tenant that wants e-mail, and an escalated lead (its name and phone are on the lead only)
    moto_repo.save_tenant(
        None,
        Tenant.model_validate(
            {"tenant_id": TENANT, "name": "Công ty An Phát", "alerts": {"emails": ["sale@example.vn"]}}
        ),
    )
    outbox = Outbox()
    # When the alert function handles the event
    assert email_escalation(moto_repo, outbox, escalated(reason="waited_too_long")) == 1
    # Then one message went to the address, in Vietnamese first, with the id, the reason and the rule
    ((to, subject, text),) = outbox.sent
    assert to == ["sale@example.vn"]
    assert "L0001" in subject and "cần xử lý thủ công" in subject
    assert "Chờ quá lâu" in text and "R1" in text and "Công ty An Phát" in text
    assert "@" not in text and "+84" not in text


def test_a_tenant_without_addresses_gets_no_email(moto_repo: Repository) -> None:
    outbox = Outbox()
    assert email_escalation(moto_repo, outbox, escalated()) == 0
    assert outbox.sent == []


def test_the_alert_function_sends_through_ses(moto_repo: Repository, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a verified SES sender (moto) and a tenant with an alert address
    ses = boto3.client("ses", region_name="ap-southeast-1")
    ses.verify_email_identity(EmailAddress="alerts@leadrouter.example.vn")
    monkeypatch.setenv("ALERT_SENDER", "alerts@leadrouter.example.vn")
    moto_repo.save_tenant(
        None,
        Tenant.model_validate(
            {"tenant_id": TENANT, "name": "An Phát", "alerts": {"emails": ["sale@example.vn"]}}
        ),
    )
    from functions.alerts import app

    envelope = {
        "version": "0",
        "id": "eb-1",
        "detail-type": "LeadEscalated",
        "source": "leadrouter",
        "detail": json.loads(escalated().model_dump_json()),
    }
    message = {"MessageId": "m1", "ReceiptHandle": "r1", "Body": json.dumps(envelope), "MD5OfBody": "x"}
    # When the function gets the event from its queue
    answer = app.handler(sqs_event([message], "EscalationAlertsQueue"), FakeContext(function_name="alerts"))
    # Then nothing failed and SES sent one message from the sender to the address
    assert answer["batchItemFailures"] == []
    sent = ses.get_send_statistics()["SendDataPoints"]
    assert sum(int(p["DeliveryAttempts"]) for p in sent) == 1


def test_the_mailer_speaks_sesv2() -> None:
    class Client:
        def __init__(self) -> None:
            self.calls: list[dict[str, Any]] = []

        def send_email(self, **kwargs: Any) -> None:
            self.calls.append(kwargs)

    client = Client()
    SesMailer("alerts@example.vn", client).send(["a@example.vn"], "Tiêu đề", "Nội dung")
    (call,) = client.calls
    assert call["FromEmailAddress"] == "alerts@example.vn"
    assert call["Destination"] == {"ToAddresses": ["a@example.vn"]}
    assert call["Content"]["Simple"]["Subject"] == {"Data": "Tiêu đề", "Charset": "UTF-8"}


def test_the_alert_function_may_read_the_tenant_and_send_only_from_the_configured_sender() -> None:
    from leadrouter_local.template import load_template

    resources = load_template()["Resources"]
    function = resources["AlertFunction"]["Properties"]
    (policy,) = function["Policies"]
    statements = {s["Sid"]: s for s in policy["Statement"]}
    assert set(statements) == {"TenantAlerts", "OpenPrivacyRequests", "SendAlertEmail"}
    assert statements["TenantAlerts"]["Action"] == "dynamodb:GetItem"
    # the daily privacy-deadline run reads only the sparse index its open requests are listed in
    assert statements["OpenPrivacyRequests"]["Action"] == "dynamodb:Query"
    assert statements["OpenPrivacyRequests"]["Resource"] == {
        "Fn::Sub": "${ConfigTable.Arn}/index/active_rules"
    }
    assert statements["SendAlertEmail"]["Action"] == "ses:SendEmail"
    assert statements["SendAlertEmail"]["Condition"] == {
        "StringEquals": {"ses:FromAddress": {"Ref": "AlertSenderEmail"}}
    }
    assert function["Environment"]["Variables"]["ALERT_SENDER"] == {"Ref": "AlertSenderEmail"}
    rule = resources["EscalationAlertsRule"]["Properties"]
    assert rule["EventPattern"] == {"source": ["leadrouter"], "detail-type": ["LeadEscalated"]}
