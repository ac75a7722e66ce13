"""template.yaml's webhook path agrees with the code: attempts, visibility, retention, batch failures,
least privilege per function."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from leadrouter.domain.webhooks import SCHEDULE
from leadrouter.logic.events.delivery import LEASE_SECONDS, MARGIN_SECONDS, TENANT_SLOTS
from leadrouter.settings import Settings
from leadrouter_local.template import functions, load_template, ttl_attribute

TEMPLATE = load_template()
RESOURCES: dict[str, Any] = TEMPLATE["Resources"]
FUNCTIONS = functions(TEMPLATE)
QUEUE = RESOURCES["WebhookDeliveryQueue"]["Properties"]
TWELVE_HOURS = 12 * 3600


def _timeout(lid: str) -> int:
    return int(RESOURCES[lid]["Properties"].get("Timeout", TEMPLATE["Globals"]["Function"]["Timeout"]))


def _sqs_event(lid: str) -> dict[str, Any]:
    [event] = [e["properties"] for e in FUNCTIONS[lid]["events"].values() if e["type"] == "SQS"]
    found: dict[str, Any] = event
    return found


def _granted(lid: str) -> set[tuple[str, str]]:
    statements = [s for p in RESOURCES[lid]["Properties"]["Policies"] for s in p["Statement"]]
    found: set[tuple[str, str]] = set()
    for statement in statements:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        resources = (
            statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        )
        for action in actions:
            for resource in resources:
                found.add((action, resource["Fn::GetAtt"][0]))
    return found


def test_the_function_dead_letters_a_dead_delivery_and_the_queues_redrive_is_only_a_backstop():
    # The function sends a dead delivery's message to the DLQ itself (marked for its redrive); the
    # queue's redrive comes only after more receives than a message making every attempt needs
    assert QUEUE["RedrivePolicy"]["maxReceiveCount"] == SCHEDULE.max_attempts + 3
    assert QUEUE["RedrivePolicy"]["deadLetterTargetArn"] == {
        "Fn::GetAtt": ["WebhookDeliveryDeadLetterQueue", "Arn"]
    }
    environment = FUNCTIONS["WebhookDeliveryFunction"]["environment"]
    assert environment["WEBHOOK_DEAD_LETTER_QUEUE_URL"] == {"Ref": "WebhookDeliveryDeadLetterQueue"}
    for lid in ("WebhookFanoutFunction", "ApiFunction"):
        assert "WEBHOOK_DEAD_LETTER_QUEUE_URL" not in FUNCTIONS[lid]["environment"]


def test_messages_outlive_the_retries_and_every_delay_fits_sqs():
    assert int(QUEUE["MessageRetentionPeriod"]) >= 2 * 86_400
    assert int(QUEUE["MessageRetentionPeriod"]) > SCHEDULE.total_seconds + 3600
    assert max(SCHEDULE.delays) + _timeout("WebhookDeliveryFunction") < TWELVE_HOURS


def test_a_crashed_attempt_returns_after_its_lease_and_never_during_a_live_one():
    visibility = int(QUEUE["VisibilityTimeout"])
    timeout = _timeout("WebhookDeliveryFunction")
    assert visibility >= 6 * timeout  # AWS's advice for SQS event sources
    assert timeout < LEASE_SECONDS < visibility


def test_both_functions_report_batch_item_failures_with_bounded_concurrency():
    for lid, queue in (
        ("WebhookFanoutFunction", "WebhookEventsQueue"),
        ("WebhookDeliveryFunction", "WebhookDeliveryQueue"),
    ):
        event = _sqs_event(lid)
        assert event["Queue"] == {"Fn::GetAtt": [queue, "Arn"]}
        assert event["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        assert 2 <= event["ScalingConfig"]["MaximumConcurrency"] <= 1000
        assert event["BatchSize"] <= 10
    # a batch runs side by side, one tenant's TENANT_SLOTS at a time, each delivery within its deadline:
    # the worst batch (one tenant's, every receiver hanging) fits in the function's timeout
    deadline = next(f.default for f in fields(Settings) if f.name == "webhook_timeout_seconds")
    assert "WEBHOOK_TIMEOUT_SECONDS" not in FUNCTIONS["WebhookDeliveryFunction"]["environment"]
    assert isinstance(deadline, float)
    rounds = -(-_sqs_event("WebhookDeliveryFunction")["BatchSize"] // TENANT_SLOTS)
    assert rounds * deadline + MARGIN_SECONDS < _timeout("WebhookDeliveryFunction")


def test_each_webhook_function_gets_only_what_it_calls():
    assert _granted("WebhookFanoutFunction") == {
        ("dynamodb:Query", "ConfigTable"),
        ("dynamodb:GetItem", "ConfigTable"),  # the tenant's alert settings, for escalations
        ("sqs:SendMessage", "WebhookDeliveryQueue"),
    }
    assert _granted("WebhookDeliveryFunction") == {
        ("dynamodb:Query", "ConfigTable"),
        ("dynamodb:GetItem", "ConfigTable"),  # the tenant's retention: how long its delivery logs are kept
        ("dynamodb:GetItem", "DeliveriesTable"),
        ("dynamodb:UpdateItem", "DeliveriesTable"),
        ("sqs:ChangeMessageVisibility", "WebhookDeliveryQueue"),
        ("sqs:SendMessage", "WebhookDeliveryDeadLetterQueue"),  # a dead delivery, marked
        ("kms:Decrypt", "SecretsKey"),  # signing secrets only (tests/unit/test_secrets_template.py)
    }
    for lid in ("WebhookFanoutFunction", "WebhookDeliveryFunction", "ApiFunction"):
        assert FUNCTIONS[lid]["environment"]["WEBHOOK_DELIVERY_QUEUE_URL"] == {"Ref": "WebhookDeliveryQueue"}
        assert FUNCTIONS[lid]["environment"]["DELIVERIES_TABLE"] == {"Ref": "DeliveriesTable"}


def test_the_delivery_log_expires_after_30_days():
    assert ttl_attribute(TEMPLATE, "DeliveriesTable") == "expires_at"
