"""The local stack's console: one readable line per log event instead of Lambda's JSON.

Every function logs through the one Powertools Logger of this process; its records are rendered here as
time, function, level, message and the structured fields, and EMF metric blobs are kept out (there is
no CloudWatch to read them).
"""

from __future__ import annotations

import json
import logging
import warnings
from datetime import UTC, datetime

from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

from leadrouter_local.lambda_runtime import current_function

_NOISE = {
    "level",
    "location",
    "timestamp",
    "service",
    "cold_start",
    "function_memory_size",
    "function_arn",
    "function_request_id",
    "xray_trace_id",
    "sampling_rate",
    "message",
    "function_name",
}


class ConsoleFormatter(LambdaPowertoolsFormatter):
    """One readable line per log event: time, function, level, message, then the structured fields.

    It renders what the Powertools Logger produced, so phones and emails arrive already masked.
    """

    def format(self, record: logging.LogRecord) -> str:
        data = json.loads(super().format(record))
        fields = " ".join(
            f"{k}={json.dumps(v, ensure_ascii=False, default=str)}"
            for k, v in data.items()
            if k not in _NOISE
        )
        stamp = datetime.fromtimestamp(record.created, UTC).strftime("%H:%M:%S")
        # the thread's own function: concurrent functions share Powertools' one Logger and its keys
        where = current_function() or data.get("function_name", "-")
        return f"{stamp} {where:<15} {data.get('level', ''):<5} {data.get('message', '')} {fields}".rstrip()


def readable_console(quiet: bool = False) -> None:
    """Local console: readable log lines, no EMF metric blobs (there is no CloudWatch to read them)."""
    from leadrouter.observability import logger

    if quiet:
        logger.setLevel("WARNING")
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    logger.registered_handler.setFormatter(ConsoleFormatter())
