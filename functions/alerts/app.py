"""Escalation e-mail Lambda: each LeadEscalated from EscalationAlertsQueue → one SES message to the
tenant's alert addresses. Without an SES sender (template parameter AlertSenderEmail empty, as under
``make run``) it sends nothing."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from leadrouter.domain.events import LeadEscalated
from leadrouter.logic.events.alerts import email_escalation
from leadrouter.logic.events.fanout import event_of_message
from leadrouter.observability import logger, metrics, tracer
from leadrouter.runtime import mailer, repository

processor = BatchProcessor(event_type=EventType.SQS)


def record_handler(record: SQSRecord) -> None:
    mail = mailer()
    event = event_of_message(record.body)
    if mail and isinstance(event, LeadEscalated):  # the rule sends only these; others are ignored
        email_escalation(repository(), mail, event)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False, capture_error=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return dict(
        process_partial_response(
            event=event, record_handler=record_handler, processor=processor, context=context
        )
    )
