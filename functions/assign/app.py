"""Assign Lambda: one sweep per order on AssignQueue (sent by the dispatch tick), and one per new
pending lead on the leads table's stream.

An order sweeps one rule's due leads (or escalates leads of scopes no rule covers); a record that
fails is reported on its own and redelivered. The stream sweeps at once the scope of a lead that just
arrived, when its rule has no delay and runs continuously. Both use the same lease and conditional
writes, so a lead is assigned exactly once whichever gets there first.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.typing import LambdaContext

from leadrouter.logic.routing.assign import sweep_due_leads
from leadrouter.logic.routing.scheduled import run_arrivals, run_orders
from leadrouter.observability import logger, metrics, tracer

# A batch whose every order failed still answers per message (no invocation error: the ESM retries them)
orders = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
arrivals = BatchProcessor(event_type=EventType.DynamoDBStreams)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False, capture_error=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    records = event.get("Records") or [{}]
    if records[0].get("eventSource") == "aws:sqs":
        response = process_partial_response(
            event=event,
            record_handler=run_orders(sweep_due_leads, context),
            processor=orders,
            context=context,
        )
    else:
        response = process_partial_response(
            event=event, record_handler=run_arrivals(context), processor=arrivals, context=context
        )
    return dict(response)
