"""Stored first: every request at a source's door is recorded, then screened, mapped and submitted.

The order is the point. The record (``domain.submissions.Submission``) is written before any business
logic, so nothing a source sent is ever lost: a submission that cannot become a lead (no phone or
email after mapping, CAPTCHA failed, malformed) is listed for admins and replayable; one whose
processing crashed stays ``received`` or ``failed`` and is replayable too. The record's key is the
sender's id (or the content in a short window) and it chose the lead's id, so repeats, concurrent
copies and replays all end in the one lead. A sender id reused with other content is stored too, under
a key of its own, and refused; a rejection is not final: the next attempt is checked anew. What each
check said is kept, so a replay (which cannot run them again) lets in nothing unverified unless asked.

What differs between source types (reading, the sender's id, screening, mapping) is the adapter's
(``logic.intake.adapters``), chosen by the channel the arrival and each stored record carry.

A burst beyond what the tenant's partitions take is absorbed, not refused: a screened, mapped
submission whose record or lead write fails is put on the overflow queue (``logic.intake.overflow``)
and answered as received; ``take_overflowed`` makes it later, exactly as the door would have.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from leadrouter.captcha import Verdict
from leadrouter.captcha import verify as verify_captcha
from leadrouter.clock import utc_now
from leadrouter.data.outages import store_outages
from leadrouter.data.webhook_queue import QueueError
from leadrouter.domain.errors import Conflict, InvalidInput, StoreUnavailable, Unavailable
from leadrouter.domain.forms import FormSource
from leadrouter.domain.ids import new_id
from leadrouter.domain.secrets import (
    NO_SECRETS,
    SecretBox,
    SecretsUnavailable,
    SecretUnreadable,
    captcha_secret_context,
    reveal,
)
from leadrouter.domain.submissions import (
    FINAL,
    KEEP,
    MAX_STORED_BYTES,
    OverflowedSubmission,
    Submission,
    SubmissionStatus,
    bounded,
    conflict_key,
    content_keys,
    payload_hash,
    sender_key,
    stored_size,
    without_secrets,
)
from leadrouter.logic.intake.adapters import ADAPTERS, Adapters
from leadrouter.logic.intake.adapters.base import Arrival, HeldParts, Screening, Verifier
from leadrouter.logic.intake.fetch_requests import NO_FETCHES, FetchRequests, request_fetch
from leadrouter.logic.intake.new_leads import IntakeResult, NewLeadPorts, submit_lead
from leadrouter.logic.intake.outcomes import (
    UNFINISHED,
    Outcome,
    finish_record,
    record_spam,
    redirect_of,
    reject_record,
    rejected_outcome,
    resolved,
    stored_outcome,
)
from leadrouter.logic.intake.overflow import OverflowQueue
from leadrouter.logic.ports import Submissions
from leadrouter.logic.privacy.consents import submission_evidence
from leadrouter.observability import logger, metrics


class IntakePorts(NewLeadPorts, Submissions, Protocol):
    """The stored-first record and the lead it becomes."""


#: How long a sender is asked to wait when the submissions table cannot take the record (throttled,
#: down): the write is the first thing the door does, so nothing was stored and a retry is safe.
STORE_RETRY_SECONDS = 5


def receive(
    repo: IntakePorts,
    source: FormSource,
    arrival: Arrival,
    now: datetime,
    *,
    verifier: Verifier = verify_captcha,
    secrets: SecretBox = NO_SECRETS,
    adapters: Adapters = ADAPTERS,
    fetches: FetchRequests = NO_FETCHES,
    overflow: OverflowQueue | None = None,
) -> Outcome:
    """Store the arrival first, then decide what it becomes; a repeat gets the first outcome.

    ``secrets`` opens the source's sealed CAPTCHA secret for ``verifier``.

    A write failing (throttled, down) for a submission that passed its screen and maps to a lead puts
    it on ``overflow`` (answered ``queued``). Otherwise, or when it cannot be queued either, the
    submissions table failing is ``Unavailable`` (503, retry): when the first write fails nothing was
    stored, and a retry is a repeat of whatever was.
    """
    intake = _Intake(repo, source, _opening(verifier, secrets, source), adapters, fetches, overflow)
    try:
        with store_outages():
            return intake.receive(arrival, now)
    except StoreUnavailable as error:
        logger.warning(
            "submission store unavailable", extra={"source": source.source_id, "error": error.code}
        )
        raise Unavailable(
            "the submission could not be stored right now; try again", retry_after=STORE_RETRY_SECONDS
        ) from error


def take_overflowed(
    repo: IntakePorts,
    source: FormSource,
    item: OverflowedSubmission,
    *,
    adapters: Adapters = ADAPTERS,
    fetches: FetchRequests = NO_FETCHES,
) -> Outcome:
    """Store and make an overflowed submission as the door would have, at the time it arrived.

    Its screen passed at the door (a CAPTCHA token cannot be checked twice): its checks are taken as
    they were. The record's key and its one lead id make a redelivered message, or a copy the sender
    posted meanwhile, the same submission and the same lead. A write failing again raises
    (``StoreUnavailable`` or ``Unavailable``): the message comes back later.
    """
    record = item.record
    arrival = Arrival(
        channel=record.channel,
        pairs=tuple(record.fields),
        content_type=record.content_type,
        headers=record.headers,
        client_ip=record.client_ip,
        referer=item.referer,
        sender_id=item.sender_id,
    )
    completes = (
        HeldParts(item.completes, item.completes_since)
        if item.completes and item.completes_since is not None
        else None
    )
    screened = Screening(verdict="passed", checks=dict(record.checks), completes=completes)
    intake = _Intake(repo, source, verify_captcha, adapters, fetches)
    with store_outages():
        return intake.overflowed(record, arrival, screened)


def make_stored_lead(
    repo: IntakePorts, source: FormSource, record: Submission, *, adapters: Adapters = ADAPTERS
) -> Outcome:
    """Make the lead of a stored record whose answers came later (a fetched platform lead), at the
    time it was received; its one lead id makes a second call (a duplicate, a replay) the same lead."""
    arrival = Arrival(channel=record.channel, pairs=tuple(record.fields), headers=record.headers)
    intake = _Intake(repo, source, verify_captcha, adapters, NO_FETCHES)
    with store_outages():
        return intake._process(record, arrival, record.received_at, repeat=True)


def _opening(verifier: Verifier, secrets: SecretBox, source: FormSource) -> Verifier:
    """``verifier`` handed the source's CAPTCHA secret opened from its sealed form."""

    def verify(provider: Any, sealed: str, *args: Any, **kwargs: Any) -> Verdict:
        secret = _captcha_secret(secrets, source, sealed)
        if secret is None:  # as if the provider were unreachable: stored as failed, replayable
            return Verdict(ok=False, reason="unavailable")
        return verifier(provider, secret, *args, **kwargs)

    return verify


def _captcha_secret(secrets: SecretBox, source: FormSource, stored: str) -> str | None:
    """The source's CAPTCHA secret, opened; None (logged for the admin) when it cannot be had now."""
    context = captcha_secret_context(source.tenant_id, source.source_id)
    try:
        return reveal(secrets, stored, context)
    except (SecretUnreadable, SecretsUnavailable) as error:
        level = logger.error if isinstance(error, SecretUnreadable) else logger.warning
        level(
            "captcha secret not opened: set the source's secret again if this lasts",
            extra={"tenant_id": source.tenant_id, "source_id": source.source_id, "error": str(error)},
        )
        return None


class _Intake:
    """One arrival's way through the pipeline, for one source."""

    def __init__(
        self,
        repo: IntakePorts,
        source: FormSource,
        verifier: Verifier,
        adapters: Adapters,
        fetches: FetchRequests,
        overflow: OverflowQueue | None = None,
    ) -> None:
        self.repo = repo
        self.source = source
        self.verifier = verifier
        self.adapters = adapters
        self.fetches = fetches
        self.overflow = overflow

    def receive(self, arrival: Arrival, now: datetime) -> Outcome:
        repo, source = self.repo, self.source
        record, previous_key = self._record_of(arrival, now)
        try:
            first = repo.store_submission(record)
        except StoreUnavailable as error:
            queued = self._overflow(record, arrival, now, error)
            if queued is None:
                raise
            return queued
        if first is None and previous_key is not None:
            earlier = repo.get_submission(source.tenant_id, previous_key)
            # a repeat across a bucket edge; a rejected one is not an answer: this attempt is checked anew
            repeated = earlier is not None and earlier.payload_hash == record.payload_hash
            if earlier is not None and repeated and earlier.status is not SubmissionStatus.REJECTED:
                outcome = self._again(earlier, arrival, now)
                repo.finish_submission(
                    record,
                    SubmissionStatus.LINKED,
                    reason=f"repeat of {earlier.submission_id}",
                    answer=outcome.answer.model_dump(mode="json") if outcome.answer else None,
                )
                return outcome
        if first is not None:
            sender = self.adapters.of_channel(arrival.channel).sender_id(arrival)
            if sender and first.payload_hash != record.payload_hash and not self._same_lead(first, record):
                return self._conflicting(first, record, arrival, now)
            return self._again(first, arrival, now)
        if record.status is SubmissionStatus.REJECTED:  # unreadable or too large: refused as sent
            metrics.add_metric(name="SubmissionsRejected", unit="Count", value=1)
            return rejected_outcome(record)
        return self._process(record, arrival, now)

    def overflowed(self, record: Submission, arrival: Arrival, screened: Screening) -> Outcome:
        """An overflowed submission: stored now (or found stored, by the door or a copy), then made."""
        now = record.received_at
        first = self.repo.store_submission(record)
        if first is None:
            return self._process(record, arrival, now, screened=screened)
        if first.payload_hash != record.payload_hash and not self._same_lead(first, record):
            return self._conflicting(first, record, arrival, now, screened=screened)
        return self._again(first, arrival, now, screened=screened)

    def _overflow(
        self,
        record: Submission,
        arrival: Arrival,
        now: datetime,
        error: StoreUnavailable,
        screened: Screening | None = None,
    ) -> Outcome | None:
        """Queue a submission whose write failed, if it passed its screen and maps to a lead (the
        door screens it here when the record itself could not be stored); None when it cannot be
        queued: then the sender is told to retry, as before."""
        if self.overflow is None or record.status is not SubmissionStatus.RECEIVED:
            return None
        if record.conflicts_with is not None:
            return None
        stored = screened is not None
        if screened is None:
            screened = self.adapters.of_channel(arrival.channel).screen(
                self.source, record, arrival, self.verifier
            )
        if screened.verdict != "passed":
            return None
        try:
            self.adapters.of_channel(record.channel).intake_request(record, self.source, arrival.referer, now)
        except InvalidInput:
            return None
        completes = screened.completes
        item = OverflowedSubmission(
            record=record.model_copy(update={"checks": screened.checks}),
            referer=arrival.referer,
            sender_id=arrival.sender_id,
            completes=completes.sender_ids if completes else (),
            completes_since=completes.since if completes else None,
            stored=stored,
            queued_at=utc_now(),
        )
        try:
            self.overflow.put(item)
        except QueueError as queue_error:
            logger.warning(
                "submission not queued",
                extra={"submission": record.submission_id, "error": str(queue_error)},
            )
            return None
        metrics.add_metric(name="SubmissionsOverflowed", unit="Count", value=1)
        logger.info(
            "submission queued: its write failed",
            extra={"submission": record.submission_id, "error": error.code, "stored": stored},
        )
        return Outcome(
            record.submission_id, SubmissionStatus.RECEIVED, queued=True, redirect=redirect_of(record.fields)
        )

    def _record_of(self, arrival: Arrival, now: datetime) -> tuple[Submission, str | None]:
        """The record stored first (secrets out, bounded in size) and the previous bucket's key to check."""
        source = self.source
        adapter = self.adapters.of_channel(arrival.channel)
        pairs = adapter.stored_fields(arrival)
        digest = payload_hash(pairs)
        sender = adapter.sender_id(arrival)
        previous_key: str | None = None
        if sender:
            key = sender_key(source.source_id, sender)
        else:
            key, previous_key = content_keys(source.source_id, digest, now)
        size = stored_size(pairs)
        status, reason = SubmissionStatus.RECEIVED, None
        answer: dict[str, Any] | None = None
        if arrival.malformed:
            status, reason = SubmissionStatus.REJECTED, f"malformed: {arrival.malformed}"
            answer = {"problems": {"body": arrival.malformed}}
        elif size > MAX_STORED_BYTES:
            status = SubmissionStatus.REJECTED
            reason = (
                f"too_large: {size} bytes after normalisation (limit {MAX_STORED_BYTES}); stored truncated"
            )
            problem = f"the form is over {MAX_STORED_BYTES} bytes; send less text"
            answer = {"problems": {"body": problem}, "message": problem, "http_status": 413}
        record = Submission(
            tenant_id=source.tenant_id,
            submission_id=key,
            source_id=source.source_id,
            received_at=now,
            status=status,
            reason=reason,
            lead_id=new_id("L", now),
            answer=answer,
            payload_hash=digest,
            channel=arrival.channel,
            content_type=(arrival.content_type or "")[:200] or None,
            fields=bounded(pairs) if size > MAX_STORED_BYTES else list(pairs),
            headers={k: without_secrets(v, frozenset(), arrival.secrets) for k, v in arrival.headers.items()},
            client_ip=arrival.client_ip,
            checks=adapter.unscreened(source),
            truncated=size > MAX_STORED_BYTES,
            expires_at=int((now + KEEP).timestamp()),
        )
        return record, previous_key

    def _same_lead(self, first: Submission, again: Submission) -> bool:
        """Two contents under one sender id that make the same intake request ("0912 345 678" and
        "0912345678"): a retry, not another submission."""
        try:
            made = [
                self.adapters.of_channel(r.channel)
                .intake_request(r, self.source, r.headers.get("referer"), r.received_at)[0]
                .model_dump()
                for r in (first, again)
            ]
        except InvalidInput:
            return False
        return made[0] == made[1]

    def _conflicting(
        self,
        first: Submission,
        record: Submission,
        arrival: Arrival,
        now: datetime,
        *,
        screened: Screening | None = None,
    ) -> Outcome:
        """A sender id reused with other content: stored under a key of its own (one per content, so its
        copies are one record), checked like any submission, then refused as a conflict (422), listed
        and replayable. Whoever posted the id first, nothing sent later can replace or hide either one."""
        conflict = record.model_copy(
            update={
                "submission_id": conflict_key(first.submission_id, record.payload_hash),
                "conflicts_with": first.submission_id,
            }
        )
        metrics.add_metric(name="SubmissionsConflicting", unit="Count", value=1)
        earlier = self.repo.store_submission(conflict)
        if earlier is not None:
            return self._again(earlier, arrival, now, screened=screened)
        if conflict.status is SubmissionStatus.REJECTED:
            return rejected_outcome(conflict)
        return self._process(conflict, arrival, now, screened=screened)

    def _again(
        self, first: Submission, arrival: Arrival, now: datetime, *, screened: Screening | None = None
    ) -> Outcome:
        """A repeat: the first outcome, with the lead's status as it is now; an unfinished one is finished.

        A rejection is not a final answer: a new attempt is checked anew (a new CAPTCHA token, another
        origin, a mapping fixed meanwhile); only a body refused as sent (unreadable, too large) is
        refused again as it was. Passing makes the record's one lead, so copies and replays stay one.
        """
        if first.status in UNFINISHED:
            first = resolved(self.repo, [first])[0]
            if first.answer is not None and first.status in FINAL:  # its lead exists: read just now
                answer = IntakeResult.model_validate(first.answer)
                return Outcome(
                    first.submission_id, first.status, answer=answer, redirect=redirect_of(first.fields)
                )
        if first.status is SubmissionStatus.REJECTED and not _refused_as_sent(first):
            return self._process(first, arrival, now, repeat=True, screened=screened)
        if first.status in FINAL:
            return stored_outcome(self.repo, first)
        # received (in flight, or crashed) or failed: finishing it is safe, it can only make its one
        # lead. At the first copy's time: every copy then makes the same lead, or the same event.
        return self._process(first, arrival, first.received_at, repeat=True, screened=screened)

    def _process(
        self,
        record: Submission,
        arrival: Arrival,
        now: datetime,
        *,
        repeat: bool = False,
        screened: Screening | None = None,
    ) -> Outcome:
        """The adapter's screen (unless ``screened`` already: an overflowed submission), mapping, the
        lead; then the record's outcome.

        What each check said is written with every outcome that is written (rejected, spam, failed,
        linked), so an admin sees what a replay would let in unverified.
        """
        repo, source = self.repo, self.source
        # the live request is screened as it came; the record is mapped as it was stored
        if screened is None:
            screener = self.adapters.of_channel(arrival.channel)
            screened = screener.screen(source, record, arrival, self.verifier)
        checks = screened.checks
        if screened.verdict == "refused":
            return reject_record(
                repo, record, screened.problems, screened.http_status, screened.reason, checks=checks
            )
        if screened.verdict == "spam":
            return record_spam(repo, record, checks, screened.reason)
        if screened.verdict == "fetch":
            request_fetch(self.fetches, record)
            return Outcome(record.submission_id, SubmissionStatus.RECEIVED)
        if screened.verdict == "test":
            finish_record(repo, record, SubmissionStatus.TEST, reason=screened.reason, checks=checks)
            metrics.add_metric(name="SubmissionsTest", unit="Count", value=1)
            return Outcome(record.submission_id, SubmissionStatus.TEST)
        if screened.verdict == "held":
            if screened.release_at is not None:  # queued first: a failure leaves it received, retried
                request_fetch(self.fetches, record, not_before=screened.release_at)
            finish_record(repo, record, SubmissionStatus.HELD, reason=screened.reason, checks=checks)
            metrics.add_metric(name="SubmissionsHeld", unit="Count", value=1)
            return Outcome(record.submission_id, SubmissionStatus.HELD)
        if screened.verdict == "unavailable":
            finish_record(repo, record, SubmissionStatus.FAILED, reason=screened.reason, checks=checks)
            metrics.add_metric(name="SubmissionsFailed", unit="Count", value=1)
            raise Unavailable(screened.message, retry_after=10)
        if record.conflicts_with is not None:
            named = "Idempotency-Key" if arrival.sender_id else "submission_id"
            return reject_record(
                repo,
                record,
                {named: "already used with another content; send a new one"},
                422,
                f"conflict: {named} reused with other content (first: {record.conflicts_with})",
                checks=checks,
                message=f"this {named} was already used for a different submission",
            )
        try:
            adapter = self.adapters.of_channel(record.channel)
            request, touch = adapter.intake_request(record, source, arrival.referer, now)
        except InvalidInput as error:
            reason = "; ".join(f"{k}: {v}" for k, v in error.fields.items())
            return reject_record(repo, record, error.fields, 422, reason, checks=checks)
        try:
            with store_outages():
                result = submit_lead(
                    repo,
                    source,
                    request,
                    now,
                    lead_id=record.lead_id,
                    touch=touch,
                    repeat=repeat,
                    evidence=submission_evidence(source, record),
                )
        except InvalidInput as error:  # e.g. a step this source may not use
            return reject_record(repo, record, error.fields, 422, str(error), checks=checks)
        except (StoreUnavailable, Conflict) as error:
            if isinstance(error, StoreUnavailable):
                queued = self._overflow(record, arrival, now, error, screened)
                if queued is not None:  # the record stays received; the drain makes its lead
                    return queued
            failure = type(error.__cause__ if isinstance(error, StoreUnavailable) else error).__name__
            logger.warning("submission failed", extra={"submission": record.submission_id, "error": failure})
            finish_record(repo, record, SubmissionStatus.FAILED, reason=f"failed: {failure}", checks=checks)
            metrics.add_metric(name="SubmissionsFailed", unit="Count", value=1)
            raise Unavailable("the lead could not be stored right now; try again") from error
        status = (
            SubmissionStatus.LINKED if result.linked or result.duplicate_of else SubmissionStatus.ACCEPTED
        )
        if result.linked or record.status is not SubmissionStatus.RECEIVED:
            finish_record(repo, record, status, answer=result.model_dump(mode="json"), checks=checks)
        # else a new lead with the id the record chose: "received" and that lead existing *is* its
        # outcome (see ``resolved``), so the record is not written twice (one write less per lead)
        if screened.completes is not None:
            self._link_held(screened.completes, record, result)
        metrics.add_metric(name="LeadsLinked" if result.linked else "LeadsReceived", unit="Count", value=1)
        logger.info(
            "lead received",
            extra={
                "lead_id": result.lead_id,
                "linked": result.linked,
                "source": source.source_id,
                "submission": record.submission_id,
            },
        )
        return Outcome(record.submission_id, status, answer=result, redirect=redirect_of(record.fields))

    def _link_held(self, parts: HeldParts, record: Submission, result: IntakeResult) -> None:
        """The held parts ``record`` completes, linked to its lead: never a lead of their own. One
        that cannot be linked now (the table failing) stays held: listed, and replayable by an admin."""
        repo, source = self.repo, self.source
        answer = result.model_copy(update={"linked": True}).model_dump(mode="json")
        try:
            with store_outages():
                for sender in parts.sender_ids:
                    held = repo.get_submission(source.tenant_id, sender_key(source.source_id, sender))
                    if held is None or held.status is not SubmissionStatus.HELD:
                        continue  # none, or completed (or let in) already
                    if held.received_at < parts.since:
                        continue  # an earlier visit's
                    reason = f"part of {record.submission_id}"
                    finish_record(repo, held, SubmissionStatus.LINKED, reason=reason, answer=answer)
                    metrics.add_metric(name="HeldPartsLinked", unit="Count", value=1)
        except StoreUnavailable as error:
            logger.warning(
                "held part not linked", extra={"submission": record.submission_id, "error": error.code}
            )


def _refused_as_sent(record: Submission) -> bool:
    """Rejected for the body itself (unreadable, too large): the same body is refused the same way."""
    return (record.reason or "").startswith(("malformed:", "too_large:"))
