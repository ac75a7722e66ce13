"""Alert e-mail Lambda: each LeadEscalated from EscalationAlertsQueue → one SES message to the
tenant's alert addresses; and, once a day (``{"kind": "privacy_requests_due"}`` from the schedule),
the open data-subject requests due within a working day. Without an SES sender (template parameter
AlertSenderEmail empty, as under ``make run``) it sends nothing (the daily job still counts and logs)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from leadrouter.clock import utc_now
from leadrouter.domain.events import LeadEscalated
from leadrouter.logic.events.alerts import email_escalation
from leadrouter.logic.events.fanout import event_of_message
from leadrouter.logic.privacy.deadlines import alert_due_requests
from leadrouter.observability import logger, metrics, tracer
from leadrouter.runtime import mailer, repository

processor = BatchProcessor(event_type=EventType.SQS)
#: The daily schedule's Input kind (template.yaml, AlertFunction's PrivacyDeadlines event).
PRIVACY_TICK = "privacy_requests_due"


def record_handler(record: SQSRecord) -> None:
    mail = mailer()
    event = event_of_message(record.body)
    if mail and isinstance(event, LeadEscalated):  # the rule sends only these; others are ignored
        email_escalation(repository(), mail, event)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False, capture_error=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    if event.get("kind") == PRIVACY_TICK:
        return {"alerted": alert_due_requests(repository(), mailer(), utc_now())}
    return dict(
        process_partial_response(
            event=event, record_handler=record_handler, processor=processor, context=context
        )
    )
