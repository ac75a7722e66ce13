"""The intake overflow: where a screened submission waits when its tenant's tables are throttled.

One tenant's burst meets DynamoDB's per-partition-key limit (about 1,000 write units a second): the
submissions and leads tables are keyed by tenant, the due queue by tenant and scope. A submission the
door has screened (origin, honeypot, CAPTCHA: checks a later run cannot repeat) and mapped, whose write
then fails, is put whole on a queue (``domain.submissions.OverflowedSubmission``) and answered as
received; a worker drains the queue through the same pipeline (``pipeline.take_overflowed``) at the
rate the tables take. The message holds the record the door would have stored, with the lead id it
chose: the record's key makes a copy (the sender's retry, a redelivery) the same submission, and its
one lead id the same lead.
"""

from __future__ import annotations

from typing import Protocol

from leadrouter.domain.submissions import OverflowedSubmission


class OverflowQueue(Protocol):
    """Where an overflowed submission waits for the drain (``QueueError`` if it cannot be queued)."""

    def put(self, item: OverflowedSubmission) -> None: ...
