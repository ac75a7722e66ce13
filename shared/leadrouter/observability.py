"""The only Logger, Tracer and Metrics in the code base (one service name, one namespace)."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from typing import Any, cast

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter
from aws_lambda_powertools.logging.types import LogRecord


class Untraced:
    """What handlers decorate with when tracing is off: their handler as written. Powertools' Tracer
    imports the X-Ray SDK (and patches botocore) even when it is disabled, about a tenth of a
    second of every cold start for traces no one receives."""

    disabled = True

    def capture_lambda_handler(
        self,
        lambda_handler: Callable[..., Any] | None = None,
        capture_response: bool | None = None,
        capture_error: bool | None = None,
    ) -> Callable[..., Any]:
        if lambda_handler is None:
            return lambda handler: handler
        return lambda_handler


def _tracer() -> Tracer | Untraced:
    """Powertools' Tracer where it would trace (in Lambda, POWERTOOLS_TRACE_DISABLED not set), its
    documents sent by ``leadrouter.xray.FaultsWithoutMessages``; ``Untraced`` anywhere else."""
    if Tracer._is_tracer_disabled():  # Powertools' own rule (env, SAM local, outside Lambda)
        return Untraced()
    from aws_xray_sdk.core import xray_recorder

    from leadrouter.xray import FaultsWithoutMessages

    traced = Tracer()
    xray_recorder.configure(emitter=FaultsWithoutMessages())
    return traced


#: Context keys every line would repeat that its log group already names (one group per function):
#: about 170 bytes of a deployed line, a fifth of the log bill. ``function_request_id`` and
#: ``cold_start`` stay: they tell invocations apart.
SAID_BY_THE_LOG_GROUP = ("function_name", "function_arn", "function_memory_size")


class LambdaLines(LambdaPowertoolsFormatter):
    """Powertools' JSON lines without what the log group already says."""

    def serialize(self, log: LogRecord) -> str:
        lean = {key: value for key, value in log.items() if key not in SAID_BY_THE_LOG_GROUP}
        return super().serialize(cast(LogRecord, lean))


logger = Logger(logger_formatter=LambdaLines())
#: Libraries whose DEBUG lines quote whole payloads: botocore every item it writes or reads (a lead's
#: name, phone and email), the X-Ray SDK every trace document. Lambda sets the root logger to the
#: function's LogLevel, so at DEBUG they would log contacts: they log from INFO up whatever it is.
for _library in ("botocore", "boto3", "urllib3", "aws_xray_sdk"):
    logging.getLogger(_library).setLevel(max(logging.INFO, logging.getLogger(_library).level))
#: Handlers are traced with ``capture_response=False, capture_error=False`` (and template.yaml sets
#: POWERTOOLS_TRACER_CAPTURE_RESPONSE/ERROR to false): an answer or an error object recorded as trace
#: metadata would put a lead's name, phone and email in X-Ray.
tracer = _tracer()
#: The namespace has a default: without one, Powertools raises from ``add_metric`` once 100 values
#: accumulate (its automatic flush), which failed the 100th lead of a process that had imported this
#: before setting POWERTOOLS_METRICS_NAMESPACE (the local stack, the demo).
metrics = Metrics(namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE") or "LeadRouter")


def mask_phone(phone: str | None) -> str | None:
    """Keep the last three digits so support can match a complaint without logging the number."""
    if not phone:
        return phone
    return "*" * max(len(phone) - 3, 0) + phone[-3:]


def mask_email(email: str | None) -> str | None:
    if not email or "@" not in email:
        return email
    local, _, domain = email.partition("@")
    return f"{local[:1]}***@{domain}"
