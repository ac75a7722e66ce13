"""Erasing a person: how they are recognised in any store, what stands where they were, and the
receipt that proves it without naming them.

A person is named by a phone and/or an e-mail within a tenant. Stores hold them in many shapes: E.164
(``+84912345678``), national (``0912345678``), spaced or dotted (``0912 345 678``, ``0912.345.678``), a
number Excel kept without its leading zero (``912345678``), an e-mail in any case. ``Person.in_text``
finds each of them; ``Person.in_file`` looks inside a file (an xlsx is a zip of XML) in blocks.

Pure: no AWS here (``logic.privacy.erasure`` does the erasing through the data layer).
"""

from __future__ import annotations

import re
import tempfile
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import IO, BinaryIO

import phonenumbers
from pydantic import Field

from leadrouter.domain.base import Ident, Moment, _Model
from leadrouter.domain.contacts import contact_keys, normalise_email, normalise_phone

#: What stands where a person's name, free text or field value was.
ERASED = "[đã xoá]"
#: Separators people and spreadsheets put between a phone's digits.
_SEPARATORS = re.compile(r"[\s.\-()/\u00a0\u2007\u202f]")
#: A file is read in blocks this big, each searched with the end of the one before (so a contact cut
#: by a block's edge is still found).
BLOCK = 4 * 1024 * 1024
_OVERLAP = 512
_ZIP_MAGIC = b"PK\x03\x04"


@dataclass(frozen=True)
class Person:
    """A data subject as an erasure names them: a normalised phone (E.164) and/or e-mail (lower case)."""

    phone: str | None = None
    email: str | None = None
    #: Other exact texts that stand for them (digests a store keeps of their contact), lower case.
    also: tuple[str, ...] = ()
    _phone_pattern: re.Pattern[str] | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.phone and not self.email:
            raise ValueError("give a phone number or an e-mail address")
        if self.phone:
            number = phonenumbers.parse(self.phone)
            national = str(number.national_number)
            code = str(number.country_code)
            pattern = re.compile(rf"(?<!\d)(?:\+?{code}|00{code}|0)?{national}(?!\d)")
            object.__setattr__(self, "_phone_pattern", pattern)

    @classmethod
    def named(cls, phone: str | None, email: str | None) -> Person:
        """The person of a request: phone and e-mail normalised as leads store them (ValueError if
        neither is given or one is not valid)."""
        return cls(
            phone=normalise_phone(phone) if phone else None,
            email=normalise_email(email) if email else None,
        )

    def with_also(self, texts: Sequence[str]) -> Person:
        return Person(self.phone, self.email, tuple(t.lower() for t in texts))

    @property
    def contacts(self) -> list[str]:
        """The tenant-wide keys of their contacts (``phone#+84…``, ``email#…``): claims, digests."""
        return contact_keys(self.phone, self.email)

    def in_text(self, text: str) -> bool:
        """Whether ``text`` holds their phone (any of its usual shapes) or e-mail (any case)."""
        lowered = text.lower()
        if self.email and self.email in lowered:
            return True
        if any(needle in lowered for needle in self.also):
            return True
        return self._phone_pattern is not None and bool(self._phone_pattern.search(_SEPARATORS.sub("", text)))

    def in_bytes(self, data: bytes) -> bool:
        """``in_text`` of raw bytes in any ASCII-compatible encoding (UTF-8, windows-1258, UTF-16's
        NULs dropped): digits and e-mail addresses read the same in all of them."""
        return self.in_text(data.replace(b"\x00", b"").decode("latin-1"))

    def in_file(self, body: BinaryIO) -> bool:
        """Whether a stored file holds them: a zip (xlsx) member by member, anything else as bytes."""
        head = body.read(len(_ZIP_MAGIC))
        if head != _ZIP_MAGIC:
            return any(self.in_bytes(block) for block in _blocks(body, head))
        with tempfile.TemporaryFile() as spool:  # a zip is read from its end: S3's stream cannot seek
            spool.write(head)
            for block in iter(lambda: body.read(BLOCK), b""):
                spool.write(block)
            spool.seek(0)
            try:
                archive = zipfile.ZipFile(spool)
            except zipfile.BadZipFile:
                spool.seek(0)
                return any(self.in_bytes(block) for block in _blocks(spool, b""))
            with archive:
                for member in archive.infolist():
                    with archive.open(member) as part:
                        if any(self.in_bytes(block) for block in _blocks(part, b"")):
                            return True
        return False


def _blocks(body: IO[bytes], first: bytes) -> Iterator[bytes]:
    """The body in blocks, each starting with the last ``_OVERLAP`` bytes of the one before."""
    tail = b""
    pending = first
    while True:
        block = body.read(BLOCK)
        if not block and not pending:
            return
        data = tail + pending + block
        pending = b""
        yield data
        if not block:
            return
        tail = data[-_OVERLAP:]


class ErasureReceipt(_Model):
    """The proof of one erasure, without the person: what was done where, and the contacts' digests
    (``domain.privacy.contact_digest`` under the tenant's pepper), which the suppression list holds too."""

    request_id: Ident
    tenant_id: Ident
    at: Moment
    #: Who asked for it (the caller's subject, or ``operator`` for a replay).
    by: str = Field(max_length=128)
    digests: list[str] = Field(default_factory=list)
    #: Per store of the registry (``domain.personal_data``): what was erased or pseudonymised, counted.
    counts: dict[str, dict[str, int]] = Field(default_factory=dict)
    #: When it was applied again after a point-in-time restore (``leadrouter.replay_erasures``).
    replayed_at: list[Moment] = Field(default_factory=list)


class Suppression(_Model):
    """A contact that must not be imported again: its digest, since when and by which erasure."""

    digest: str = Field(pattern=r"^[0-9a-f]{64}$")
    at: Moment
    request_id: Ident
