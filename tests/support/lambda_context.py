"""A Lambda context for invoking handlers in tests."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class FakeContext:
    function_name: str = "leadrouter-assign"
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:ap-southeast-1:123456789012:function:leadrouter-assign"
    aws_request_id: str = "req-1"

    def get_remaining_time_in_millis(self) -> int:
        return 110_000
