"""Each row's fate: the lead id it becomes, the owner it names, and the report that lists every row.

A row's lead id is derived from (tenant, file content, row number): every import of the same file names
the same leads, so intake's "this id exists" check (``submit_lead(repeat=True)``) makes each row a lead
at most once, across retries, redeliveries and re-uploads. The id keeps the system's shape
(``domain.ids``: ``L`` + 12 hex digits of milliseconds + 16 hex digits), its time part the lead's
received time, so listings by date still find it.
"""

from __future__ import annotations

import csv
import hashlib
import io
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO, Any

from leadrouter.domain.imports import KEPT_PROBLEMS, RowOutcome, RowProblem, StageCounts
from leadrouter.domain.staff import StaffMember


def row_lead_id(tenant_id: str, sha256: str, row: int, received_at: datetime) -> str:
    """The lead a file's row becomes: the same for every import of the same file by the same tenant."""
    digest = hashlib.sha256(f"{tenant_id}\n{sha256}\n{row}".encode()).hexdigest()[:16]
    return f"L{int(received_at.timestamp() * 1000):012x}{digest}"


def contact_digest(contact: str) -> str:
    """A phone or email key as the outcome files keep it: enough to spot the same contact twice in a
    file, without writing the contact itself once more."""
    return hashlib.sha256(contact.encode()).hexdigest()[:24]


# ------------------------------------------------------------------ owners
def folded(text: str) -> str:
    """A name without accents, case or repeated spaces: ``"Nguyễn  Văn Đức"`` → ``"nguyen van duc"``."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.casefold().split())


@dataclass(frozen=True)
class OwnerMatch:
    staff_id: str | None = None
    #: ``unknown_owner`` or ``ambiguous_owner`` when no single active member matches.
    problem: str | None = None


@dataclass
class StaffDirectory:
    """The tenant's active staff by id, by their users' e-mail (as a digest) and by folded name."""

    by_id: dict[str, StaffMember] = field(default_factory=dict)
    by_email: dict[str, set[str]] = field(default_factory=dict)
    by_name: dict[str, set[str]] = field(default_factory=dict)

    @classmethod
    def of(cls, members: Iterable[StaffMember], email_digests: Mapping[str, str]) -> StaffDirectory:
        """``email_digests``: ``email_digest(email)`` → staff id, from the tenant's user accounts."""
        directory = cls()
        for member in members:
            if not member.active:
                continue
            directory.by_id[member.staff_id] = member
            directory.by_name.setdefault(folded(member.name), set()).add(member.staff_id)
        for digest, staff_id in email_digests.items():
            if staff_id in directory.by_id:
                directory.by_email.setdefault(digest, set()).add(staff_id)
        return directory

    def match(self, owner: str) -> OwnerMatch:
        """Staff id first, then e-mail, then the exact name (case and accents aside)."""
        if owner in self.by_id:
            return OwnerMatch(staff_id=owner)
        for found in (self.by_email.get(email_digest(owner)), self.by_name.get(folded(owner))):
            if found and len(found) == 1:
                return OwnerMatch(staff_id=next(iter(found)))
            if found:
                return OwnerMatch(problem="ambiguous_owner")
        return OwnerMatch(problem="unknown_owner")


def email_digest(email: str) -> str:
    return hashlib.sha256(email.strip().casefold().encode()).hexdigest()


# ------------------------------------------------------------------ outcome lines
@dataclass
class Outcome:
    """One row's outcome, as a chunk's outcome file keeps it (one JSON object a line)."""

    row: int
    outcome: RowOutcome
    reasons: list[str] = field(default_factory=list)
    lead_id: str | None = None
    converted: bool = False
    contacts: list[str] = field(default_factory=list)
    staff_id: str | None = None
    #: The row names an existing lead of the tenant (a lead id column): it is that lead.
    named: bool = False
    #: Its pool creates duplicates (``on_duplicate: rotate``) instead of linking them.
    rotate: bool = False

    def line(self) -> dict[str, Any]:
        data: dict[str, Any] = {"row": self.row, "outcome": self.outcome.value}
        for name in ("reasons", "lead_id", "converted", "contacts", "staff_id", "named", "rotate"):
            value = getattr(self, name)
            if value:
                data[name] = value
        return data

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> Outcome:
        return cls(
            row=int(data["row"]),
            outcome=RowOutcome(data["outcome"]),
            reasons=[str(r) for r in data.get("reasons", [])],
            lead_id=data.get("lead_id"),
            converted=bool(data.get("converted", False)),
            contacts=[str(c) for c in data.get("contacts", [])],
            staff_id=data.get("staff_id"),
            named=bool(data.get("named", False)),
            rotate=bool(data.get("rotate", False)),
        )


def counts_of(outcomes: Iterable[Outcome]) -> dict[str, int]:
    counts = {"rows": 0, "created": 0, "linked": 0, "rejected": 0, "already_imported": 0, "converted": 0}
    for outcome in outcomes:
        counts["rows"] += 1
        counts[outcome.outcome.value] += 1
        counts["converted"] += int(outcome.converted and outcome.outcome is not RowOutcome.REJECTED)
    return counts


def linked_within_file(outcomes: Iterable[Outcome]) -> Iterator[Outcome]:
    """The rows in file order, a row that would be created linked instead to the earlier row of the
    file with its phone or email (as intake links a second submission; not in a rotate pool)."""
    earlier: dict[str, str] = {}
    for outcome in outcomes:
        if outcome.outcome is RowOutcome.CREATED and not outcome.rotate:
            first = next((earlier[c] for c in outcome.contacts if c in earlier), None)
            if first is not None:
                outcome.outcome = RowOutcome.LINKED
                outcome.reasons = ["same phone or email as an earlier row of this file"]
                outcome.lead_id = first
        if outcome.outcome is not RowOutcome.REJECTED and outcome.lead_id:
            for contact in outcome.contacts:
                earlier.setdefault(contact, outcome.lead_id)
        yield outcome


REPORT_HEADERS = ("row", "outcome", "reasons", "lead id", "converted")


@dataclass
class Report:
    """A stage's report, written as its rows go by: the CSV, the counts and the first problems."""

    out: IO[bytes]
    tally: dict[str, int] = field(default_factory=dict)
    problems: list[RowProblem] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._text = io.TextIOWrapper(self.out, encoding="utf-8-sig", newline="", write_through=True)
        self._writer = csv.writer(self._text)
        self._writer.writerow(REPORT_HEADERS)

    def add(self, outcome: Outcome) -> None:
        converted = outcome.converted and outcome.outcome is not RowOutcome.REJECTED
        self._writer.writerow(
            (
                outcome.row,
                outcome.outcome.value,
                "; ".join(outcome.reasons),
                outcome.lead_id or "",
                "yes" if converted else "",
            )
        )
        for name, added in counts_of([outcome]).items():
            self.tally[name] = self.tally.get(name, 0) + added
        if outcome.outcome is RowOutcome.REJECTED and len(self.problems) < KEPT_PROBLEMS:
            self.problems.append(RowProblem(row=outcome.row, reasons=outcome.reasons))

    def counts(self, chunks: int) -> StageCounts:
        return StageCounts.model_validate(self.tally | {"chunks": chunks})

    def close(self) -> None:
        self._text.flush()
        self._text.detach()


def problem_text(problems: Sequence[Any]) -> list[str]:
    """Row problems (``lead_rows.RowProblem``) as the report writes them: ``field: message``."""
    return [f"{p.code}: {p.message}" for p in problems]
