"""The overflow's drain: each queued submission stored and made into its lead, as the door would have.

A write that fails again (the tenant's partitions still throttled) raises: the message is reported as a
batch item failure and comes back after ``retry_delay`` (its visibility set so), never lost; after the
queue's last attempt it moves to the dead-letter queue (an alarm). A redelivered message is the same record
key and the same lead id: it finds what the first delivery made and makes nothing more.
"""

from __future__ import annotations

from typing import Protocol

from pydantic import ValidationError

from leadrouter.data.outages import store_outages
from leadrouter.domain.submissions import OverflowedSubmission, SubmissionStatus
from leadrouter.logic.intake.outcomes import Outcome, finish_record
from leadrouter.logic.intake.pipeline import IntakePorts, take_overflowed
from leadrouter.logic.ports import Sources
from leadrouter.observability import logger, metrics

#: A throttled message comes back after 2, 4, 8 … seconds, at most this long (the partition cools down
#: in about a second; a table that is down takes longer).
MAX_RETRY_SECONDS = 60


def retry_delay(receive_count: int) -> int:
    """Seconds before a message that failed on its ``receive_count``-th delivery comes back."""
    exponent: int = max(1, min(receive_count, 6))
    return min(MAX_RETRY_SECONDS, 1 << exponent)


class DrainPorts(IntakePorts, Sources, Protocol):
    """The overflowed submission's source, its record and its lead."""


class UnreadableMessage(ValueError):
    """A message that is not an overflowed submission (its content is not repeated: personal data)."""


def drain_message(repo: DrainPorts, body: str) -> Outcome:
    """Store and make the submission of one overflow message (raises to have it delivered again)."""
    try:
        item = OverflowedSubmission.model_validate_json(body)
    except ValidationError as error:  # its text would quote the body
        raise UnreadableMessage(f"not an overflowed submission ({error.error_count()} problems)") from None
    record = item.record
    with store_outages():
        source = repo.get_form_source(record.tenant_id, record.source_id)
    if source is None:  # deleted since: the record is kept (stored first), it cannot become a lead
        with store_outages():
            first = repo.store_submission(record)
            if first is None:
                reason = "source deleted before its lead was made"
                finish_record(repo, record, SubmissionStatus.REJECTED, reason=reason)
        logger.warning("overflowed submission's source is gone", extra={"submission": record.submission_id})
        return Outcome(record.submission_id, SubmissionStatus.REJECTED)
    outcome = take_overflowed(repo, source, item)
    metrics.add_metric(name="SubmissionsDrained", unit="Count", value=1)
    logger.info(
        "overflowed submission drained",
        extra={
            "submission": record.submission_id,
            "status": outcome.status.value,
            "lead_id": outcome.answer.lead_id if outcome.answer else None,
        },
    )
    return outcome
