"""The X-Ray SDK's side of tracing, imported only where traces are sent (``observability._tracer``)."""

from __future__ import annotations

import json
import logging
from typing import Any

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
