"""Reclaim Lambda: one sweep per order on ReclaimQueue (sent by the dispatch tick): take back the
rule's leads nobody cared for and give them to someone new. A record that fails is reported on its
own and redelivered, then dead-lettered."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.typing import LambdaContext

from leadrouter.logic.routing.reclaim import sweep_idle_leads
from leadrouter.logic.routing.scheduled import run_orders
from leadrouter.observability import logger, metrics, tracer

# A batch whose every order failed still answers per message (no invocation error: the ESM retries them)
orders = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False, capture_error=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    handle = run_orders(sweep_idle_leads, context)
    return dict(
        process_partial_response(event=event, record_handler=handle, processor=orders, context=context)
    )
