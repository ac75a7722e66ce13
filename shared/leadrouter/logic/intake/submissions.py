"""Stored first: every request at a form source's door is recorded, then checked, mapped and submitted.

The order is the point. The record (``domain.submissions.Submission``) is written before any business
logic, so nothing a source sent is ever lost: a submission that cannot become a lead (no phone or
email after mapping, CAPTCHA failed, malformed) is listed for admins and replayable; one whose
processing crashed stays ``received`` or ``failed`` and is replayable too. The record's key is the
sender's id (or the content in a short window) and it chose the lead's id, so repeats, concurrent
copies and replays all end in the one lead. A sender id reused with other content is stored too, under
a key of its own, and refused; a rejection is not final: the next attempt is checked anew. What each
check said is kept, so a replay (which cannot run them again) lets in nothing unverified unless asked.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from pydantic import ValidationError

from leadrouter.captcha import TOKEN_FIELDS, Verdict
from leadrouter.captcha import verify as verify_captcha
from leadrouter.data.repository import PageKey, Repository
from leadrouter.domain.attribution import ATTRIBUTION_FIELDS, Touch, touch_from
from leadrouter.domain.errors import Conflict, InvalidInput, NotFound, Unavailable
from leadrouter.domain.forms import FormDoor, FormSource
from leadrouter.domain.ids import new_id
from leadrouter.domain.leads import STATUS_LABELS_VI, LeadStatus
from leadrouter.domain.mapping import map_form
from leadrouter.domain.secrets import (
    NO_SECRETS,
    SecretBox,
    SecretsUnavailable,
    SecretUnreadable,
    captcha_secret_context,
    reveal,
)
from leadrouter.domain.spam import ANY_ORIGIN, honeypot_hit, origin_allowed
from leadrouter.domain.submissions import (
    FINAL,
    KEEP,
    MAX_STORED_BYTES,
    REDACTED,
    REPLAYABLE,
    Channel,
    Check,
    CheckResult,
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
from leadrouter.domain.users import Caller
from leadrouter.logic.intake.new_leads import IntakeRequest, IntakeResult, current_answer, submit_lead
from leadrouter.observability import logger, metrics

#: The one field a typed JSON submission is stored under (its body, verbatim after decoding).
JSON_FIELD = "json"
#: Fields never stored with a submission, whatever the encoding (and at any depth of a JSON body):
#: the key, and one-time CAPTCHA tokens.
SECRET_FIELDS = frozenset({"form_key", *TOKEN_FIELDS.values()})
#: A secret field in an unreadable body kept as text: ``name=value`` (urlencoded), ``"name": "value"``
#: (JSON) or a multipart part named so (its headers, a blank line, the value).
_RAW_SECRET = re.compile(
    r"(?i)((?:" + "|".join(re.escape(n) for n in sorted(SECRET_FIELDS)) + r")"
    r"(?:=|\"\s*:\s*\"|\"[^\r\n]*(?:\r?\n[^\r\n]+)*\r?\n\r?\n))[^&\"\r\n]*"
)
#: How long a sender is asked to wait when the submissions table cannot take the record (throttled,
#: down): the write is the first thing the door does, so nothing was stored and a retry is safe.
STORE_RETRY_SECONDS = 5

Verifier = Callable[..., Verdict]
#: How long a visitor waits on the CAPTCHA provider before the submission is "failed, retry" (503).
CAPTCHA_TIMEOUT_SECONDS = 3.0


@dataclass(frozen=True)
class Arrival:
    """One request at a source's door, as its adapter decoded it (before anything is decided)."""

    channel: Channel
    #: The decoded body as (name, value) pairs; a typed JSON body is one pair ``("json", text)``.
    pairs: tuple[tuple[str, str], ...]
    content_type: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    client_ip: str | None = None
    origin: str | None = None
    referer: str | None = None
    #: ``Idempotency-Key`` header, if sent.
    sender_id: str | None = None
    #: Why the body could not be read (then ``pairs`` holds what there was, for the record).
    malformed: str | None = None
    #: Values never stored, wherever the body holds them (the form key the request came with).
    secrets: tuple[str, ...] = ()


@dataclass(frozen=True)
class Outcome:
    """What the door answers: a result (201), a spam result (answered like a success), or problems."""

    submission_id: str
    status: SubmissionStatus
    answer: IntakeResult | None = None
    #: field as the form names it → what is wrong (English; the door translates for its pages).
    problems: dict[str, str] = field(default_factory=dict)
    message: str = ""
    http_status: int = 201
    #: The form's own ``_next`` redirect request, if any (the door checks it against the allow-list).
    redirect: str | None = None
    #: A replay: the checks it was let in without passing (``release_unverified``).
    released: tuple[Check, ...] = ()


def receive(
    repo: Repository,
    source: FormSource,
    arrival: Arrival,
    now: datetime,
    *,
    verifier: Verifier = verify_captcha,
    secrets: SecretBox = NO_SECRETS,
) -> Outcome:
    """Store the arrival first, then decide what it becomes; a repeat gets the first outcome.

    ``secrets`` opens the source's sealed CAPTCHA secret for ``verifier``.

    The submissions table failing (throttled, down) is ``Unavailable`` (503, retry): when the first
    write fails nothing was stored, and a retry is a repeat of whatever was.
    """
    try:
        return _receive(repo, source, arrival, now, _opening(verifier, secrets, source))
    except (ClientError, BotoCoreError) as error:
        logger.warning(
            "submission store unavailable",
            extra={"source": source.source_id, "error": _error_code(error)},
        )
        raise Unavailable(
            "the submission could not be stored right now; try again", retry_after=STORE_RETRY_SECONDS
        ) from error


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


def _error_code(error: ClientError | BotoCoreError) -> str:
    if isinstance(error, ClientError):
        return str(error.response.get("Error", {}).get("Code") or type(error).__name__)
    return type(error).__name__


def _receive(
    repo: Repository, source: FormSource, arrival: Arrival, now: datetime, verifier: Verifier
) -> Outcome:
    record, previous_key = _record_of(source, arrival, now)
    first = repo.store_submission(record)
    if first is None and previous_key is not None:
        earlier = repo.get_submission(source.tenant_id, previous_key)
        # a repeat across a bucket edge; a rejected one is not an answer: this attempt is checked anew
        repeated = earlier is not None and earlier.payload_hash == record.payload_hash
        if earlier is not None and repeated and earlier.status is not SubmissionStatus.REJECTED:
            outcome = _again(repo, source, earlier, arrival, now, verifier)
            repo.finish_submission(
                record,
                SubmissionStatus.LINKED,
                reason=f"repeat of {earlier.submission_id}",
                answer=outcome.answer.model_dump(mode="json") if outcome.answer else None,
            )
            return outcome
    if first is not None:
        sender = arrival.sender_id or _submission_id(arrival)
        if sender and first.payload_hash != record.payload_hash and not _same_lead(first, record, source):
            return _conflicting(repo, source, first, record, arrival, now, verifier)
        return _again(repo, source, first, arrival, now, verifier)
    if record.status is SubmissionStatus.REJECTED:  # unreadable or too large: refused as sent
        metrics.add_metric(name="SubmissionsRejected", unit="Count", value=1)
        return _rejected_outcome(record)
    return _process(repo, source, record, arrival, now, verifier=verifier)


def _record_of(source: FormSource, arrival: Arrival, now: datetime) -> tuple[Submission, str | None]:
    """The record stored first (secrets out, bounded in size) and the previous bucket's key to check."""
    pairs = _without_secrets(arrival)
    digest = payload_hash(pairs)
    sender = arrival.sender_id or _submission_id(arrival)
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
        reason = f"too_large: {size} bytes after normalisation (limit {MAX_STORED_BYTES}); stored truncated"
        problem = f"the form is over {MAX_STORED_BYTES} bytes; send less text"
        answer = {"problems": {"body": problem}, "message": problem, "http_status": 413}
    door = source.web_form
    origin_on = bool(door.allowed_origins) and ANY_ORIGIN not in door.allowed_origins
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
        headers={k: without_secrets(v, SECRET_FIELDS, arrival.secrets) for k, v in arrival.headers.items()},
        client_ip=arrival.client_ip,
        checks={
            Check.ORIGIN: CheckResult.NOT_RUN if origin_on else CheckResult.OFF,
            Check.HONEYPOT: CheckResult.NOT_RUN,
            Check.CAPTCHA: CheckResult.NOT_RUN if door.captcha is not None else CheckResult.OFF,
        },
        truncated=size > MAX_STORED_BYTES,
        expires_at=int((now + KEEP).timestamp()),
    )
    return record, previous_key


def _without_secrets(arrival: Arrival) -> tuple[tuple[str, str], ...]:
    """The body as stored: no form key or CAPTCHA token, by name at any depth, nor the key's value."""
    secrets = tuple(s for s in arrival.secrets if s)
    pairs: list[tuple[str, str]] = []
    for name, value in arrival.pairs:
        if name.lower() in SECRET_FIELDS:
            continue
        if arrival.channel == "json" and name == JSON_FIELD:
            value = _json_without_secrets(value, secrets)
        elif arrival.malformed:
            value = _RAW_SECRET.sub(lambda m: m.group(1) + REDACTED, value)
        pairs.append(
            (without_secrets(name, SECRET_FIELDS, secrets), without_secrets(value, SECRET_FIELDS, secrets))
        )
    return tuple(pairs)


def _json_without_secrets(text: str, secrets: tuple[str, ...]) -> str:
    try:
        data = json.loads(text)
    except ValueError:
        return text
    cleaned = without_secrets(data, SECRET_FIELDS, secrets)
    return json.dumps(cleaned, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _same_lead(first: Submission, again: Submission, source: FormSource) -> bool:
    """Two contents under one sender id that make the same intake request ("0912 345 678" and
    "0912345678"): a retry, not another submission."""
    try:
        made = [
            _intake_request(r, source.web_form, None, r.received_at)[0].model_dump() for r in (first, again)
        ]
    except InvalidInput:
        return False
    return made[0] == made[1]


def _conflicting(
    repo: Repository,
    source: FormSource,
    first: Submission,
    record: Submission,
    arrival: Arrival,
    now: datetime,
    verifier: Verifier,
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
    earlier = repo.store_submission(conflict)
    if earlier is not None:
        return _again(repo, source, earlier, arrival, now, verifier)
    if conflict.status is SubmissionStatus.REJECTED:
        return _rejected_outcome(conflict)
    return _process(repo, source, conflict, arrival, now, verifier=verifier)


def _submission_id(arrival: Arrival) -> str | None:
    if arrival.channel == "json":
        data = _json_body(arrival.pairs)
        value = data.get("submission_id") if data else None
        return value.strip() or None if isinstance(value, str) else None
    return next((v.strip() for k, v in arrival.pairs if k == "submission_id" and v.strip()), None)


def _again(
    repo: Repository,
    source: FormSource,
    first: Submission,
    arrival: Arrival,
    now: datetime,
    verifier: Verifier,
) -> Outcome:
    """A repeat: the first outcome, with the lead's status as it is now; an unfinished one is finished.

    A rejection is not a final answer: a new attempt is checked anew (a new CAPTCHA token, another
    origin, a mapping fixed meanwhile); only a body refused as sent (unreadable, too large) is
    refused again as it was. Passing makes the record's one lead, so copies and replays stay one.
    """
    if first.status in UNFINISHED:
        first = resolved(repo, [first])[0]
        if first.answer is not None and first.status in FINAL:  # its lead exists: read just now
            answer = IntakeResult.model_validate(first.answer)
            return Outcome(
                first.submission_id, first.status, answer=answer, redirect=_redirect_of(first.fields)
            )
    if first.status is SubmissionStatus.REJECTED and not _refused_as_sent(first):
        return _process(repo, source, first, arrival, now, verifier=verifier, repeat=True)
    if first.status in FINAL:
        return _stored_outcome(repo, first)
    # received (in flight, or crashed) or failed: finishing it is safe, it can only make its one lead.
    # At the first copy's time: every copy then makes the same lead, or the same event on a known one.
    return _process(repo, source, first, arrival, first.received_at, verifier=verifier, repeat=True)


def _refused_as_sent(record: Submission) -> bool:
    """Rejected for the body itself (unreadable, too large): the same body is refused the same way."""
    return (record.reason or "").startswith(("malformed:", "too_large:"))


def _stored_outcome(repo: Repository, record: Submission) -> Outcome:
    if record.status is SubmissionStatus.REJECTED:
        return _rejected_outcome(record)
    answer = IntakeResult.model_validate(record.answer) if record.answer else None
    if answer is not None and record.status is not SubmissionStatus.SPAM:
        answer = current_answer(repo, record.tenant_id, answer)
    return Outcome(record.submission_id, record.status, answer=answer, redirect=_redirect_of(record.fields))


def _rejected_outcome(record: Submission) -> Outcome:
    saved = record.answer or {}
    problems = {str(k): str(v) for k, v in (saved.get("problems") or {}).items()}
    return Outcome(
        record.submission_id,
        SubmissionStatus.REJECTED,
        problems=problems,
        message=str(saved.get("message") or "this submission cannot become a lead as sent"),
        http_status=int(saved.get("http_status") or 422),
    )


def _process(
    repo: Repository,
    source: FormSource,
    record: Submission,
    arrival: Arrival,
    now: datetime,
    *,
    verifier: Verifier = verify_captcha,
    repeat: bool = False,
) -> Outcome:
    """Checks (origin, honeypot, CAPTCHA), mapping, the lead; then the record's outcome.

    What each check said is written with every outcome that is written (rejected, spam, failed,
    linked), so an admin sees what a replay would let in unverified.
    """
    door = source.web_form
    pairs = record.fields
    checks = dict(record.checks)
    allowed = origin_allowed(arrival.origin, arrival.referer, door.allowed_origins)
    if checks.get(Check.ORIGIN) is not CheckResult.OFF:
        checks[Check.ORIGIN] = CheckResult.PASSED if allowed else CheckResult.FAILED
    if not allowed:
        problem = {"origin": "this page may not post to this form"}
        return _reject(repo, record, problem, 403, "origin", checks=checks)
    if honeypot_hit(pairs, door.honeypot_field):
        checks[Check.HONEYPOT] = CheckResult.FAILED
        return _spam(repo, record, checks)
    checks[Check.HONEYPOT] = CheckResult.PASSED
    if door.captcha is None:
        checks[Check.CAPTCHA] = CheckResult.OFF
    else:
        verdict = verifier(
            door.captcha.provider,
            door.captcha.secret,
            _token(arrival, TOKEN_FIELDS[door.captcha.provider]),
            arrival.client_ip,
            min_score=door.captcha.min_score,
            action=door.captcha.action,
            hostnames=door.captcha_hostnames(),
            timeout=CAPTCHA_TIMEOUT_SECONDS,
        )
        if not verdict.ok and verdict.reason == "unavailable":
            checks[Check.CAPTCHA] = CheckResult.NOT_RUN
            _finish(repo, record, SubmissionStatus.FAILED, reason="captcha_unavailable", checks=checks)
            raise Unavailable("the CAPTCHA check is unavailable right now; try again", retry_after=10)
        checks[Check.CAPTCHA] = CheckResult.PASSED if verdict.ok else CheckResult.FAILED
        if not verdict.ok:
            problem = {"captcha": f"verification {verdict.reason}; please try again"}
            return _reject(repo, record, problem, 422, f"captcha_{verdict.reason}", checks=checks)
    if record.conflicts_with is not None:
        named = "Idempotency-Key" if arrival.sender_id else "submission_id"
        return _reject(
            repo,
            record,
            {named: "already used with another content; send a new one"},
            422,
            f"conflict: {named} reused with other content (first: {record.conflicts_with})",
            checks=checks,
            message=f"this {named} was already used for a different submission",
        )
    try:
        request, touch = _intake_request(record, door, arrival, now)
    except InvalidInput as error:
        reason = "; ".join(f"{k}: {v}" for k, v in error.fields.items())
        return _reject(repo, record, error.fields, 422, reason, checks=checks)
    try:
        result = submit_lead(repo, source, request, now, lead_id=record.lead_id, touch=touch, repeat=repeat)
    except InvalidInput as error:  # e.g. a step this source may not use
        return _reject(repo, record, error.fields, 422, str(error), checks=checks)
    except (ClientError, BotoCoreError, Conflict) as error:
        logger.warning(
            "submission failed", extra={"submission": record.submission_id, "error": type(error).__name__}
        )
        _finish(
            repo, record, SubmissionStatus.FAILED, reason=f"failed: {type(error).__name__}", checks=checks
        )
        raise Unavailable("the lead could not be stored right now; try again") from error
    status = SubmissionStatus.LINKED if result.linked or result.duplicate_of else SubmissionStatus.ACCEPTED
    if result.linked or record.status is not SubmissionStatus.RECEIVED:
        _finish(repo, record, status, answer=result.model_dump(mode="json"), checks=checks)
    # else a new lead with the id the record chose: "received" and that lead existing *is* its
    # outcome (see ``resolved``), so the record is not written twice (one write less per lead)
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
    mapped_redirect = _redirect_of(pairs)
    return Outcome(record.submission_id, status, answer=result, redirect=mapped_redirect)


def _token(arrival: Arrival, name: str) -> str | None:
    """The CAPTCHA token as the request carried it (a form field, or a typed JSON body's member)."""
    token = next((v for k, v in arrival.pairs if k == name), None)
    if token is None and arrival.channel == "json":
        value = (_json_body(arrival.pairs) or {}).get(name)
        token = value if isinstance(value, str) else None
    return token


def _redirect_of(pairs: Sequence[tuple[str, str]]) -> str | None:
    return next((v.strip() for k, v in pairs if k == "_next" and v.strip()), None)


def _intake_request(
    record: Submission, door: FormDoor, arrival: Arrival | None, now: datetime
) -> tuple[IntakeRequest, Touch | None]:
    """The stored fields as the one intake request (typed JSON as is; forms through the source's map)."""
    referer = arrival.referer if arrival is not None else record.headers.get("referer")
    if record.channel == "json":
        data = _json_body(record.fields)
        if data is None:
            raise InvalidInput("the body is not a JSON object", {"body": "send a JSON object"})
        request = _validated(data, {})
        kept = {k: v for k, v in request.fields.items() if k not in ATTRIBUTION_FIELDS}
        touch = touch_from(request.fields, landing_url=None, referrer=None, at=now)
        return request.model_copy(update={"fields": kept}), touch
    ignored = {door.honeypot_field, *TOKEN_FIELDS.values()}
    mapped = map_form(record.fields, door, attribution_fields=ATTRIBUTION_FIELDS, ignored=ignored)
    request = _validated(mapped.request, mapped.labels)
    touch = touch_from(mapped.attribution, landing_url=referer, referrer=None, at=now)
    return request, touch


def _validated(data: dict[str, Any], labels: Mapping[str, str]) -> IntakeRequest:
    try:
        return IntakeRequest.model_validate(data)
    except ValidationError as error:
        problems: dict[str, str] = {}
        for problem in error.errors():
            loc = [str(p) for p in problem["loc"]] or ["body"]
            name = labels.get(loc[0], loc[0]) or "(empty field name)"  # {"": …}: stored as a map key
            if loc[0] == "email" and "phone or an email" in problem["msg"]:
                name = " / ".join(labels.get(k, k) for k in ("phone", "email"))
            problems[".".join([name, *loc[1:]])] = problem["msg"].removeprefix("Value error, ")
        raise InvalidInput("this submission cannot become a lead as sent", problems) from error


def _json_body(pairs: Sequence[tuple[str, str]]) -> dict[str, Any] | None:
    text = next((v for k, v in pairs if k == JSON_FIELD), None)
    try:
        data = json.loads(text) if text is not None else None
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _finish(
    repo: Repository,
    record: Submission,
    status: SubmissionStatus,
    *,
    reason: str | None = None,
    answer: dict[str, Any] | None = None,
    replayed: bool = False,
    checks: dict[Check, CheckResult] | None = None,
) -> Submission:
    try:
        return repo.finish_submission(
            record, status, reason=reason, answer=answer, replayed=replayed, checks=checks
        )
    except Conflict:
        # another copy (or a replay) finished it first; its outcome stands, and ours is the same lead
        return record


def _reject(
    repo: Repository,
    record: Submission,
    problems: Mapping[str, str],
    http_status: int,
    reason: str,
    *,
    checks: dict[Check, CheckResult],
    message: str = "this submission cannot become a lead as sent",
) -> Outcome:
    answer = {"problems": dict(problems), "message": message, "http_status": http_status}
    finished = _finish(
        repo, record, SubmissionStatus.REJECTED, reason=reason[:500], answer=answer, checks=checks
    )
    metrics.add_metric(name="SubmissionsRejected", unit="Count", value=1)
    logger.info("submission rejected", extra={"submission": record.submission_id, "reason": reason[:200]})
    return _rejected_outcome(finished.model_copy(update={"answer": answer}))


def _spam(repo: Repository, record: Submission, checks: dict[Check, CheckResult]) -> Outcome:
    """Answered exactly like a new pending lead (a bot learns nothing), stored as spam, never assigned."""
    answer = IntakeResult(
        lead_id=record.lead_id, status=LeadStatus.PENDING, status_label=STATUS_LABELS_VI[LeadStatus.PENDING]
    )
    _finish(
        repo,
        record,
        SubmissionStatus.SPAM,
        reason="honeypot",
        answer=answer.model_dump(mode="json"),
        checks=checks,
    )
    metrics.add_metric(name="SubmissionsSpam", unit="Count", value=1)
    logger.info("submission is spam", extra={"submission": record.submission_id, "reason": "honeypot"})
    return Outcome(
        record.submission_id, SubmissionStatus.SPAM, answer=answer, redirect=_redirect_of(record.fields)
    )


# ------------------------------------------------------------------ outcomes not written back
#: Stored statuses whose record may have become its lead without saying so.
UNFINISHED = (SubmissionStatus.RECEIVED, SubmissionStatus.FAILED)


def resolved(repo: Repository, records: Sequence[Submission]) -> list[Submission]:
    """Records as they stand: one still ``received`` (or ``failed``) whose chosen lead exists became it.

    A new lead's submission is not finished with a second write: the lead's insert is its outcome.
    A record whose lead does not exist is in flight, or its processing crashed: replayable.
    """
    unfinished = [r for r in records if r.status in UNFINISHED]
    if not unfinished:
        return list(records)
    leads = repo.leads_by_id(unfinished[0].tenant_id, [r.lead_id for r in unfinished])
    found: list[Submission] = []
    for record in records:
        lead = leads.get(record.lead_id) if record.status in UNFINISHED else None
        if lead is not None:
            answer = IntakeResult(
                lead_id=lead.lead_id,
                status=lead.status,
                status_label=lead.status_label,
                duplicate_of=lead.duplicate_of,
            )
            status = SubmissionStatus.LINKED if lead.duplicate_of else SubmissionStatus.ACCEPTED
            # its checks were not written back either: the door makes the lead only after they pass
            # (a replay writes its outcome, releases included)
            checks = {
                c: CheckResult.PASSED if r is CheckResult.NOT_RUN else r for c, r in record.checks.items()
            }
            update = {"status": status, "answer": answer.model_dump(mode="json"), "checks": checks}
            record = record.model_copy(update=update)
        found.append(record)
    return found


# ------------------------------------------------------------------ admins: list and replay
def list_submissions(
    repo: Repository,
    caller: Caller,
    *,
    status: SubmissionStatus | None,
    source_id: str | None,
    limit: int,
    start: PageKey = None,
) -> tuple[list[Submission], PageKey]:
    """A page of submissions as they stand (``resolved``): an accepted one may be stored as received."""
    stored: tuple[SubmissionStatus, ...] = ()
    if status in (SubmissionStatus.ACCEPTED, SubmissionStatus.LINKED):
        stored = (status, *UNFINISHED)
    elif status is not None:
        stored = (status,)
    records, last = repo.list_submissions(
        caller.tenant_id, statuses=stored, source_id=source_id, limit=limit, start=start
    )
    records = resolved(repo, records)
    return [r for r in records if status is None or r.status is status], last


def get_submission(repo: Repository, caller: Caller, submission_id: str) -> Submission:
    record = repo.get_submission(caller.tenant_id, submission_id)
    if record is None:
        raise NotFound(f"submission {submission_id} not found")
    return resolved(repo, [record])[0]


def replay(
    repo: Repository,
    caller: Caller,
    submission_id: str,
    now: datetime,
    *,
    release_unverified: bool = False,
) -> Outcome:
    """Run a stored submission again with its source as it is now (after a mapping fix).

    There is no request to check any more, so the origin, honeypot and CAPTCHA checks are not run:
    a submission that did not pass them all (spam, a failed CAPTCHA, one that crashed before its
    checks) is let in only when the admin says so (``release_unverified``), else ``InvalidInput``
    naming what was not verified; the outcome records them as ``released``. Exactly once: the
    submission's one lead id, and the outcome is written only if the record is still at the
    revision read (a concurrent replay gets a 409).
    """
    record = get_submission(repo, caller, submission_id)
    if record.status not in REPLAYABLE:
        raise Conflict(
            f"submission {submission_id} already became lead {(record.answer or {}).get('lead_id')}"
        )
    released = record.unverified_checks
    if released and not release_unverified:
        said = ", ".join(f"{c.value}: {record.checks.get(c, CheckResult.NOT_RUN).value}" for c in released)
        raise InvalidInput(
            f"submission {submission_id} did not pass the door's checks ({said})",
            {"release_unverified": f"not verified: {said}; send true to let it in anyway"},
        )
    source = repo.get_form_source(caller.tenant_id, record.source_id)
    if source is None:
        raise NotFound(f"form source {record.source_id} no longer exists")
    try:
        request, touch = _intake_request(record, source.web_form, None, record.received_at)
    except InvalidInput as error:
        raise InvalidInput(f"{error} (fix the form source's field_map, then replay)", error.fields) from error
    result = submit_lead(repo, source, request, now, lead_id=record.lead_id, touch=touch, repeat=True)
    status = SubmissionStatus.LINKED if result.linked or result.duplicate_of else SubmissionStatus.ACCEPTED
    checks = {c: CheckResult.RELEASED if c in released else r for c, r in record.checks.items()}
    checks |= {c: CheckResult.RELEASED for c in released if c not in checks}
    reason = "replayed" + (f"; released unverified: {', '.join(released)}" if released else "")
    repo.finish_submission(
        record, status, answer=result.model_dump(mode="json"), reason=reason, replayed=True, checks=checks
    )
    logger.info(
        "submission replayed",
        extra={"submission": submission_id, "lead_id": result.lead_id, "released": list(released)},
    )
    return Outcome(record.submission_id, status, answer=result, released=tuple(released))
