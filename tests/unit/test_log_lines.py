"""A deployed log line carries what tells invocations apart, not what its log group already names."""

from __future__ import annotations

import io
import json
import logging

from leadrouter.observability import SAID_BY_THE_LOG_GROUP, logger
from tests.support.lambda_context import FakeContext


def test_a_handlers_line_keeps_the_request_id_and_drops_what_the_log_group_says() -> None:
    @logger.inject_lambda_context(clear_state=True)
    def handler(event: dict[str, str], context: FakeContext) -> None:
        logger.warning("lead received", extra={"lead_id": "L1"})  # the suite logs from WARNING up

    written = io.StringIO()
    lines = logger.registered_handler
    assert isinstance(lines, logging.StreamHandler)
    stream = lines.setStream(written)
    try:
        handler({}, FakeContext(function_name="leadrouter-api"))
    finally:
        lines.setStream(stream)

    [line] = [json.loads(raw) for raw in written.getvalue().splitlines()]
    assert line["message"] == "lead received" and line["lead_id"] == "L1"
    assert "function_request_id" in line and "cold_start" in line
    assert not set(SAID_BY_THE_LOG_GROUP) & set(line)
    assert set(SAID_BY_THE_LOG_GROUP) == {"function_name", "function_arn", "function_memory_size"}
