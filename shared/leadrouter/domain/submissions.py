"""A submission: one request a source's endpoint received, stored before anything else is done with it.

It is the idempotency record too: its key is the sender's own id (``Idempotency-Key`` or the body's
``submission_id``), else the content within a short window, so a repeat finds the first record and
gets its answer. The lead id is chosen when the record is first written, so every copy and every
replay of one submission can only ever create that one lead.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field

from leadrouter.domain.base import Ident, Moment

#: Submissions are kept this long (DynamoDB TTL), then deleted with the PII they hold.
KEEP = timedelta(days=30)
#: Identical content from one source within this window is one submission (double clicks, a browser
#: re-posting after a dropped connection). Keys are per bucket; the previous bucket is checked too in
#: the first ``REPEAT_WINDOW`` of a bucket, so a repeat within that window is always found.
CONTENT_BUCKET = timedelta(minutes=10)
REPEAT_WINDOW = timedelta(minutes=2)
#: Headers worth keeping with a submission (to explain it later); never cookies, tokens or keys.
KEPT_HEADERS = (
    "content-type",
    "accept",
    "origin",
    "referer",
    "user-agent",
    "accept-language",
    "sec-fetch-mode",
    "sec-fetch-site",
    "x-forwarded-for",
)


class SubmissionStatus(StrEnum):
    #: Stored, not yet finished (in flight, or its processing crashed: replayable).
    RECEIVED = "received"
    #: Became a new lead.
    ACCEPTED = "accepted"
    #: Its contact was known: attached to that lead (or a ``duplicate_of`` lead in a rotate pool).
    LINKED = "linked"
    #: Honeypot filled: answered like a success, never assigned; an admin may release it.
    SPAM = "spam"
    #: Could not become a lead as sent (no phone or email after mapping, CAPTCHA failed, origin
    #: refused, malformed): listed and replayable once the mapping is fixed.
    REJECTED = "rejected"
    #: Processing failed (a dependency was down); the sender was told to retry; replayable.
    FAILED = "failed"
    #: A platform's test delivery (Google's "send test data"): kept to show the source works, never a lead.
    TEST = "test"
    #: A part of a submission sent ahead of the rest (a form left half-filled): kept, not a lead; the
    #: submission that completes it links it to its lead, else an admin may let it in (replay).
    HELD = "held"


#: Statuses an admin can replay (spam: "release into rotation").
REPLAYABLE = frozenset(
    {
        SubmissionStatus.RECEIVED,
        SubmissionStatus.REJECTED,
        SubmissionStatus.FAILED,
        SubmissionStatus.SPAM,
        SubmissionStatus.HELD,
    }
)
FINAL = frozenset(
    {
        SubmissionStatus.ACCEPTED,
        SubmissionStatus.LINKED,
        SubmissionStatus.SPAM,
        SubmissionStatus.REJECTED,
        SubmissionStatus.TEST,
        SubmissionStatus.HELD,
    }
)

#: The adapter that read a record (``form``, ``json``, or a platform source's kind).
Channel = Literal[
    "form", "json", "meta_lead_ads", "google_ads", "tiktok", "zalo_oa", "ladipage", "json_webhook"
]

#: What is stored of a submission's body at most: the UTF-8 bytes of its names and values *after*
#: NFC (which can triple a body: U+1D160 is 4 bytes, its NFC form 12). The door's 64 KiB limit
#: applies to the raw body; this one to what is stored, far under DynamoDB's 400 KB per item.
MAX_STORED_BYTES = 64 * 1024
#: What stands where a secret was (a form key, a CAPTCHA token) in a stored body.
REDACTED = "[redacted]"


class Check(StrEnum):
    """The door's checks against bots and other sites' pages, in the order they run."""

    ORIGIN = "origin"
    HONEYPOT = "honeypot"
    CAPTCHA = "captcha"


class CheckResult(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    #: Not run: stored before it ran (in flight, crashed, refused earlier), or the provider was down.
    NOT_RUN = "not_run"
    #: The source does not ask for it (no ``allowed_origins``, no ``captcha``).
    OFF = "off"
    #: An admin let the submission in without it passing (replay with ``release_unverified``).
    RELEASED = "released"


#: Results that count as verified: replaying such a submission needs no explicit release.
VERIFIED = frozenset({CheckResult.PASSED, CheckResult.OFF})


def unverified(checks: dict[Check, CheckResult]) -> list[Check]:
    """The checks a submission did not pass (a check never recorded was not run)."""
    return [check for check in Check if checks.get(check, CheckResult.NOT_RUN) not in VERIFIED]


class Submission(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tenant_id: Ident
    #: ``<source>.K.<hash of the sender's id>`` or ``<source>.C.<hash of the content>.<bucket>``.
    submission_id: Annotated[str, Field(min_length=1, max_length=128)]
    source_id: Ident
    received_at: Moment
    status: SubmissionStatus = SubmissionStatus.RECEIVED
    #: Why it ended as it did (``honeypot``, ``captcha_failed``, ``phone: invalid`` ...), never PII.
    reason: Annotated[str, Field(max_length=500)] | None = None
    #: Chosen when first stored: the only lead this submission can ever create.
    lead_id: Ident
    #: The first answer (lead id, status, duplicate_of, linked), served to every repeat.
    answer: dict[str, Any] | None = None
    #: The content's hash: a sender id reused with another content is stored apart and refused.
    payload_hash: str
    #: The record whose sender id this one reused with another content (it is stored under its own
    #: key, ``<that key>.<its hash>``, rejected, and replayable by an admin).
    conflicts_with: Annotated[str, Field(max_length=128)] | None = None
    channel: Channel
    content_type: Annotated[str, Field(max_length=200)] | None = None
    #: The decoded body as (name, value) pairs: PII (names, phones). Admins only; never logged.
    fields: list[tuple[str, str]] = Field(default_factory=list)
    #: KEPT_HEADERS only.
    headers: dict[str, str] = Field(default_factory=dict)
    client_ip: Annotated[str, Field(max_length=64)] | None = None
    #: What each of the door's checks said (``not_run`` until it ran): a replay of a submission that
    #: did not pass them all must be asked for with ``release_unverified``.
    checks: dict[Check, CheckResult] = Field(default_factory=dict)
    #: The body was over ``MAX_STORED_BYTES`` after normalisation: ``fields`` holds its first part.
    truncated: bool = False
    replays: int = 0
    rev: int = 0
    expires_at: int

    @computed_field  # type: ignore[prop-decorator]
    @property
    def unverified_checks(self) -> list[Check]:
        """The checks it did not pass (failed, not run, or released by an admin)."""
        return unverified(self.checks)


def payload_hash(fields: Sequence[tuple[str, str]]) -> str:
    """The content's fingerprint: the same fields in the same order are the same submission."""
    canonical = json.dumps(list(fields), ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def stored_size(fields: Sequence[tuple[str, str]]) -> int:
    """The UTF-8 bytes of a body's names and values, as they would be stored."""
    return sum(len(name.encode()) + len(value.encode()) for name, value in fields)


def bounded(fields: Sequence[tuple[str, str]], limit: int = MAX_STORED_BYTES) -> list[tuple[str, str]]:
    """The first ``limit`` bytes of a body's pairs (the pair that crosses it cut at a character)."""
    kept: list[tuple[str, str]] = []
    room = limit
    for name, value in fields:
        size = len(name.encode()) + len(value.encode())
        if size > room:
            head = name.encode()[:room].decode(errors="ignore")
            tail = value.encode()[: max(0, room - len(name.encode()))].decode(errors="ignore")
            kept.append((head, tail))
            break
        kept.append((name, value))
        room -= size
    return kept


def without_secrets(value: Any, names: frozenset[str], values: Sequence[str]) -> Any:
    """A decoded JSON value (or text) with every member named in ``names`` dropped, at any depth, and
    every occurrence of a secret value (the form key it was posted with) replaced by ``REDACTED``."""
    if isinstance(value, str):
        for secret in values:
            if secret:
                value = value.replace(secret, REDACTED)
        return value
    if isinstance(value, list):
        return [without_secrets(item, names, values) for item in value]
    if isinstance(value, dict):
        return {
            without_secrets(key, names, values): without_secrets(item, names, values)
            for key, item in value.items()
            if not (isinstance(key, str) and key.lower() in names)
        }
    return value


def conflict_key(submission_id: str, content_hash: str) -> str:
    """Where a submission that reused another's sender id with other content is stored: its own key,
    one per content, so its copies find it and nothing it sends can replace the first record."""
    return f"{submission_id}.{content_hash[:16]}"


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:40]


def sender_key(source_id: str, sender_id: str) -> str:
    """The record key of a submission named by its sender (``Idempotency-Key``, ``submission_id``)."""
    return f"{source_id}.K.{_digest(sender_id)}"


def content_keys(source_id: str, content: str, at: datetime) -> tuple[str, str | None]:
    """(record key, key of the previous bucket to check too, if ``at`` is early in its bucket)."""
    bucket_seconds = int(CONTENT_BUCKET.total_seconds())
    bucket, into = divmod(int(at.timestamp()), bucket_seconds)
    key = f"{source_id}.C.{content[:40]}.{bucket}"
    previous = f"{source_id}.C.{content[:40]}.{bucket - 1}" if into < REPEAT_WINDOW.total_seconds() else None
    return key, previous


def kept_headers(headers: dict[str, str]) -> dict[str, str]:
    """The headers worth keeping, lower-cased and bounded; cookies, keys and tokens are never kept."""
    lowered = {k.lower(): v for k, v in headers.items()}
    return {name: str(lowered[name])[:500] for name in KEPT_HEADERS if name in lowered}


class OverflowedSubmission(BaseModel):
    """A submission the door screened and could not store or make into its lead for now (its
    tenant's tables throttled): queued whole, made later by the drain exactly as the door would have.

    It holds personal data (the record's fields): its queue is encrypted and it is never logged.
    """

    model_config = ConfigDict(extra="forbid")

    #: The record as the door built it (or had stored), with the checks its screen passed and the
    #: one lead id it may become.
    record: Submission
    #: The request's Referer (its marketing touch is read from it).
    referer: str | None = None
    #: ``Idempotency-Key``, when the sender named the submission there (a conflict is refused in its name).
    sender_id: str | None = None
    #: Held parts this submission completes (linked to its lead once it is made), and since when.
    completes: tuple[str, ...] = ()
    completes_since: Moment | None = None
    #: The door had stored the record before the lead's write failed.
    stored: bool = False
    queued_at: Moment

    def body(self) -> str:
        """The message body (the record's computed fields left out: they are computed when read)."""
        return self.model_dump_json(exclude={"record": {"unverified_checks"}})
