"""The fetch worker: a platform's announced lead (Meta) read from the platform, then made like any lead.

Each LeadFetchQueue message names one stored delivery. Exactly once: the delivery keeps its one lead
id, the fetched answers are added to it on the revision read, and a delivery already finished is
left alone, so a duplicate message, a platform's retry and an admin's replay all end in the one lead.

A held part (a LadiPage capture) whose source lets such parts in comes with a time (``not_before``):
still held then, nothing completed it, and it becomes a lead on its own; before then its message is
put off (not a failed attempt).

What a failure does:
- the platform did not answer, or throttled us (``FetchFailed``): the message comes back after
  ``FETCH_SCHEDULE``'s next delay; after the last attempt the delivery is marked failed (listed,
  replayable) and its message goes to the dead-letter queue;
- the platform refused us the lead (``FetchRefused``: a revoked or expired token): no retry can help;
  the delivery is marked failed, the source unhealthy (its health says why) and the tenant's alert
  addresses are e-mailed once; a replay after the fix fetches it again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from math import ceil
from typing import Protocol

from pydantic import ValidationError

from leadrouter.domain.errors import Conflict, InvalidInput, StoreUnavailable, Unavailable
from leadrouter.domain.fetches import FETCH_SCHEDULE, FetchFailed, FetchOrder, FetchRefused
from leadrouter.domain.forms import FormSource
from leadrouter.domain.secrets import NO_SECRETS, SecretBox, SecretsUnavailable, SecretUnreadable
from leadrouter.domain.submissions import FINAL, Submission, SubmissionStatus
from leadrouter.domain.webhooks import RetrySchedule
from leadrouter.logic.events.alerts import Mailer, email_source_unhealthy
from leadrouter.logic.intake.adapters import ADAPTERS, Adapters
from leadrouter.logic.intake.adapters.base import PlatformHttp, SourceSecrets
from leadrouter.logic.intake.inbox import lead_of_stored
from leadrouter.logic.intake.pipeline import IntakePorts, make_stored_lead
from leadrouter.logic.ports import SourceHealthNotes, Sources, Tenants
from leadrouter.observability import logger, metrics


class FetchPorts(IntakePorts, Sources, SourceHealthNotes, Tenants, Protocol):
    """The delivery, its source and its health, the lead it becomes, the tenant's alert addresses."""


class RetryQueue(Protocol):
    def retry_in(self, receipt_handle: str, seconds: int) -> None: ...


@dataclass(frozen=True)
class FetchMessage:
    message_id: str
    receipt_handle: str
    body: str
    #: SQS's ApproximateReceiveCount: this is attempt ``receive_count`` of the schedule.
    receive_count: int


@dataclass(frozen=True)
class Fetcher:
    """What the worker reads with: the platforms' APIs, the sources' secrets, who to alert."""

    http: PlatformHttp
    secrets: SecretBox = NO_SECRETS
    mailer: Mailer | None = None
    schedule: RetrySchedule = FETCH_SCHEDULE
    adapters: Adapters = ADAPTERS


def fetch_batch(
    repo: FetchPorts,
    queue: RetryQueue,
    messages: Sequence[FetchMessage],
    fetcher: Fetcher,
    now: Callable[[], datetime],
) -> list[str]:
    """Fetch each message's lead; the ids of the messages to deliver again (failed this time)."""
    failed: list[str] = []
    for message in messages:
        try:
            done = fetch_one(repo, message, fetcher, now())
        except (StoreUnavailable, Unavailable, Conflict) as error:  # the table, or a racing replay
            logger.warning(
                "lead fetch interrupted", extra={"message": message.message_id, "error": str(error)}
            )
            done = False
        if isinstance(done, Later):  # not due yet: back when it is (not a failed attempt)
            queue.retry_in(message.receipt_handle, done.seconds)
            failed.append(message.message_id)
        elif not done:
            delay = fetcher.schedule.delay_after(max(message.receive_count, 1))
            queue.retry_in(message.receipt_handle, 0 if delay is None else delay)
            failed.append(message.message_id)
    return failed


@dataclass(frozen=True)
class Later:
    """The order is not due yet: its message is to come back in ``seconds``."""

    seconds: int


#: The longest a message can be put off at once (SQS: 12 h from its receive).
MAX_WAIT_SECONDS = 43_000


def fetch_one(repo: FetchPorts, message: FetchMessage, fetcher: Fetcher, now: datetime) -> bool | Later:
    """One delivery's lead: True when nothing is left to do (made, finished, or cannot be helped)."""
    try:
        order = FetchOrder.model_validate_json(message.body)
    except ValidationError:
        logger.error("not a fetch order: dropped", extra={"message": message.message_id})
        return True
    record = repo.get_submission(order.tenant_id, order.submission_id)
    if record is not None and record.status is SubmissionStatus.HELD and order.not_before is not None:
        return _release(repo, record, order.not_before, fetcher, now)
    if record is None or record.status in FINAL:
        return True  # expired, or already a lead (a duplicate message, a replay)
    source = repo.get_form_source(order.tenant_id, order.source_id)
    if source is None:
        repo.finish_submission(record, SubmissionStatus.FAILED, reason="failed: the source was deleted")
        return True
    adapter = fetcher.adapters.of_channel(record.channel)
    if adapter.needs_fetch(record):
        try:
            pairs = adapter.fetch(source, record, fetcher.http, SourceSecrets(fetcher.secrets, source))
        except FetchRefused as error:
            _refused(repo, fetcher, source, record, str(error), now)
            return True
        except (FetchFailed, SecretsUnavailable) as error:
            return _failed(repo, fetcher, source, record, message, str(error), now)
        except SecretUnreadable as error:
            _refused(repo, fetcher, source, record, f"the source's token does not open: {error}", now)
            return True
        record = repo.add_submission_fields(record, pairs)
        if not repo.source_health(source.tenant_id, source.source_id).healthy:
            repo.note_source_healthy(source)
        metrics.add_metric(name="LeadsFetched", unit="Count", value=1)
    make_stored_lead(repo, source, record, adapters=fetcher.adapters)
    return True


def _release(
    repo: FetchPorts, record: Submission, due: datetime, fetcher: Fetcher, now: datetime
) -> bool | Later:
    """A held part nothing completed in time becomes a lead on its own (its source asked for it)."""
    wait = ceil((due - now).total_seconds())
    if wait > 0:
        return Later(min(wait, MAX_WAIT_SECONDS))
    source = repo.get_form_source(record.tenant_id, record.source_id)
    if source is None:
        return True
    reason = "let in: nothing completed this held part in time"
    try:
        lead_of_stored(repo, source, record, now, reason=reason, adapters=fetcher.adapters)
    except InvalidInput as error:
        problems = "; ".join(f"{k}: {v}" for k, v in error.fields.items())
        repo.finish_submission(record, SubmissionStatus.REJECTED, reason=f"{reason}, but {problems}"[:500])
    metrics.add_metric(name="HeldPartsLetIn", unit="Count", value=1)
    return True


def _refused(
    repo: FetchPorts, fetcher: Fetcher, source: FormSource, record: Submission, reason: str, now: datetime
) -> None:
    was_healthy = repo.source_health(source.tenant_id, source.source_id).healthy
    repo.note_source_error(source, reason, now, unhealthy=True)
    repo.finish_submission(record, SubmissionStatus.FAILED, reason=f"failed: {reason}"[:500])
    metrics.add_metric(name="LeadFetchesRefused", unit="Count", value=1)
    logger.error(
        "platform refuses the source's leads: source marked unhealthy",
        extra={"tenant_id": source.tenant_id, "source_id": source.source_id, "reason": reason[:200]},
    )
    if was_healthy and fetcher.mailer is not None:  # once per outage, not once per lead
        email_source_unhealthy(repo, fetcher.mailer, source, reason)


def _failed(
    repo: FetchPorts,
    fetcher: Fetcher,
    source: FormSource,
    record: Submission,
    message: FetchMessage,
    reason: str,
    now: datetime,
) -> bool:
    """A failed attempt: retried by the schedule; after the last one the delivery is marked failed."""
    attempt = max(message.receive_count, 1)
    metrics.add_metric(name="LeadFetchesFailed", unit="Count", value=1)
    if fetcher.schedule.delay_after(attempt) is not None:
        logger.warning(
            "lead fetch failed: retried", extra={"submission": record.submission_id, "attempt": attempt}
        )
        return False
    reason = f"failed: the lead could not be fetched after {attempt} attempts ({reason})"
    repo.finish_submission(record, SubmissionStatus.FAILED, reason=reason[:500])
    repo.note_source_error(source, reason, now, unhealthy=False)
    logger.error("lead fetch failed for good", extra={"submission": record.submission_id, "attempt": attempt})
    return False  # its message goes to the dead-letter queue
