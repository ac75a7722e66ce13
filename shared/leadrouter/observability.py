"""The only Logger, Tracer and Metrics in the code base (one service name, one namespace)."""

from __future__ import annotations

import json
import logging
import os
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_xray_sdk.core import xray_recorder
from aws_xray_sdk.core.emitters.udp_emitter import PROTOCOL_DELIMITER, PROTOCOL_HEADER, UDPEmitter


class FaultsWithoutMessages(UDPEmitter):  # type: ignore[misc]  # the SDK is untyped
    """The X-Ray SDK's UDP emitter, sending each trace document with its exceptions' messages left out.

    A failure still shows as a fault with the exception's type and stack (file, line, function); its
    message stays out because a message may quote input (pydantic's quote the value, a batch error
    quotes every record's). The invocation's logs, found by its request id, have the detail.
    """

    def send_entity(self, entity: Any) -> None:
        try:
            document = entity.to_dict()
            _drop_exception_messages(document)
            self._send_data(f"{PROTOCOL_HEADER}{PROTOCOL_DELIMITER}{json.dumps(document, default=str)}")
        except Exception:  # as the SDK's own emitter: a lost trace never fails an invocation
            logging.getLogger(__name__).exception("trace document not sent")


def _drop_exception_messages(document: dict[str, Any]) -> None:
    cause = document.get("cause")
    if isinstance(cause, dict):
        for exception in cause.get("exceptions") or []:
            exception.pop("message", None)
    for child in document.get("subsegments") or []:
        _drop_exception_messages(child)


logger = Logger()
#: Libraries whose DEBUG lines quote whole payloads: botocore every item it writes or reads (a lead's
#: name, phone and email), the X-Ray SDK every trace document. Lambda sets the root logger to the
#: function's LogLevel, so at DEBUG they would log contacts: they log from INFO up whatever it is.
for _library in ("botocore", "boto3", "urllib3", "aws_xray_sdk"):
    logging.getLogger(_library).setLevel(max(logging.INFO, logging.getLogger(_library).level))
#: Handlers are traced with ``capture_response=False, capture_error=False`` (and template.yaml sets
#: POWERTOOLS_TRACER_CAPTURE_RESPONSE/ERROR to false): an answer or an error object recorded as trace
#: metadata would put a lead's name, phone and email in X-Ray.
tracer = Tracer()
xray_recorder.configure(emitter=FaultsWithoutMessages())
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
