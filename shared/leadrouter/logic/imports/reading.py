"""Reading a customer list (pure: a file object in, rows out), streamed so that any size fits in memory.

``.xlsx`` is read by openpyxl in read-only mode (its first worksheet, cached values rather than
formulas); ``.csv``, ``.txt`` and ``.tsv`` by ``csv`` over a decoding ``io.TextIOWrapper``. Rows are
produced one at a time: a million-row file is never held whole.

What Excel and the other tools that write such files do, and how it is read:
- the encoding of a text file is told from its first bytes, not guessed: UTF-8 with a BOM ("CSV UTF-8"),
  UTF-16 LE/BE with a BOM ("Unicode Text", tab-separated), UTF-8 without a BOM, and otherwise
  Windows-1258, what Vietnamese Excel's plain "CSV" writes. Windows-1258 writes tones as combining marks
  (``e`` + U+0303), so every text is normalised to NFC, the form the rest of the service stores;
- the separator is whichever of ``,`` ``;`` and tab splits the header line into the most columns
  (Excel in vi-VN writes ``;``);
- cells are trimmed (``""`` is no value), and Excel's ways of keeping a leading 0 as text are undone:
  ``="0912345678"`` and a leading apostrophe;
- an old binary ``.xls`` and a password-protected workbook (both Compound File, not zip) are refused
  with "save as .xlsx".

A row's ``number`` is the row number Excel shows (the header is row 1, blank rows are skipped but
counted), so a rejected row can be found in the file. Cell values are personal data: no message here
quotes one.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import shutil
import tempfile
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import PurePosixPath
from typing import IO, TYPE_CHECKING, BinaryIO, Literal

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException

from leadrouter.domain.errors import InvalidInput

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

#: One cell as read: text (trimmed, NFC, never empty), a number, a date or nothing.
Cell = str | int | float | datetime | date | None

XLSX_EXTENSIONS = frozenset({".xlsx"})
TEXT_EXTENSIONS = frozenset({".csv", ".txt", ".tsv"})
#: How much of the file's start is read to tell its kind and encoding (a UTF-8 file whose first 64 KiB
#: are all ASCII and that has Windows-1258 bytes later is refused at that row, never misread).
SAMPLE_BYTES = 64 * 1024
#: The longest header line read (a "CSV" without line breaks is refused, not read whole).
MAX_HEADER_LINE = 1024 * 1024
#: An xlsx is a zip: read from a stream that cannot seek, it is spooled, in memory up to this size.
SPOOL_IN_MEMORY = 8 * 1024 * 1024
SEPARATORS = (",", ";", "\t")

_ZIP = b"PK\x03\x04"
#: A Compound File (OLE2): an Excel 97-2003 ``.xls``, or an ``.xlsx`` encrypted with a password.
_COMPOUND_FILE = bytes.fromhex("d0cf11e0a1b11ae1")
_SAVE_AS_XLSX = (
    "this is an old Excel .xls file or a password-protected workbook: open it in Excel, remove any "
    "password and save it as .xlsx (Excel Workbook)"
)


class UnreadableFile(InvalidInput):
    """The file cannot be read as a table; ``reason`` tells the admin what to do (and quotes no cell)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason, {"file": reason})
        self.reason = reason


@dataclass(frozen=True)
class SheetRow:
    """A row that has a value: ``number`` as Excel shows it, ``cells`` one per header."""

    number: int
    cells: tuple[Cell, ...]


@dataclass(frozen=True)
class Table:
    """A file's header and its rows, read lazily (``rows`` can be iterated once)."""

    format: Literal["xlsx", "csv"]
    #: The text encoding found (``utf-8-sig``, ``utf-16-le``, ``utf-16-be``, ``utf-8``, ``windows-1258``);
    #: None for xlsx.
    encoding: str | None
    #: The separator found; None for xlsx.
    separator: str | None
    headers: list[str]
    rows: Iterator[SheetRow]


def cell_text(cell: Cell) -> str | None:
    """A cell as text: numbers as Excel shows them (``912345678.0`` → ``912345678``), dates in ISO."""
    if cell is None or isinstance(cell, str):
        return cell
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    if isinstance(cell, datetime | date):
        return cell.isoformat()
    return str(cell)


def read_table(file: BinaryIO, filename: str) -> Table:
    """``file`` as a table, its kind told by ``filename``'s extension and its first bytes.

    Raises ``UnreadableFile`` for an empty file, no header row, blank or repeated header names, an
    ``.xls`` or encrypted workbook, or an extension that is not a table's; while ``rows`` is iterated,
    for a row that cannot be decoded.
    """
    extension = PurePosixPath(filename.replace("\\", "/")).suffix.lower()
    if extension == ".xls":
        raise UnreadableFile(_SAVE_AS_XLSX)
    if extension not in XLSX_EXTENSIONS | TEXT_EXTENSIONS:
        shown = extension[:16] or "a file without an extension"
        raise UnreadableFile(f"cannot read {shown}: upload an Excel workbook (.xlsx) or a CSV file (.csv)")
    head = file.read(SAMPLE_BYTES)
    if not head:
        raise UnreadableFile("the file is empty")
    if head.startswith(_COMPOUND_FILE):
        raise UnreadableFile(_SAVE_AS_XLSX)
    if extension in XLSX_EXTENSIONS or head.startswith(_ZIP):  # (a workbook named .csv is still one)
        return _read_xlsx(head, file)
    return _read_text(head, file)


# ------------------------------------------------------------------ xlsx
def _read_xlsx(head: bytes, file: BinaryIO) -> Table:
    if not head.startswith(_ZIP):
        raise UnreadableFile(
            "this .xlsx file is not an Excel workbook (a CSV renamed .xlsx?): "
            "save it as .xlsx or upload it as .csv"
        )
    spool = None if file.seekable() else _spooled(head, file)
    if spool is None:
        file.seek(-len(head), io.SEEK_CUR)
    source: IO[bytes] = spool or file

    def close() -> None:  # the caller's file stays open, as it is for a CSV
        if spool is not None:
            spool.close()

    try:
        workbook = load_workbook(source, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError) as error:
        close()
        raise UnreadableFile(
            "the workbook is damaged or incomplete: open it in Excel and save it again"
        ) from error
    if not workbook.worksheets:
        workbook.close()
        close()
        raise UnreadableFile("the workbook has no worksheet")
    sheet = workbook.worksheets[0]
    sheet.reset_dimensions()  # some tools write a wrong size: read the rows as they are
    values: Iterator[tuple[object, ...]] = sheet.iter_rows(values_only=True)

    def close_all() -> None:
        workbook.close()
        close()

    headers, rows = _split(enumerate(values, start=1), close_all)
    return Table(format="xlsx", encoding=None, separator=None, headers=headers, rows=rows)


def _spooled(head: bytes, file: BinaryIO) -> IO[bytes]:
    """A seekable copy of a stream (a zip is read from its end), in memory while it is small."""
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # noqa: SIM115 (closed with the rows)
    spool.write(head)
    shutil.copyfileobj(file, spool)
    spool.seek(0)
    return spool


# ------------------------------------------------------------------ csv
def _read_text(head: bytes, file: BinaryIO) -> Table:
    encoding, codec = _encoding(head, complete=len(head) < SAMPLE_BYTES)
    stream = io.BufferedReader(_Rejoined(head, file))
    text = io.TextIOWrapper(stream, encoding=codec, errors="surrogateescape", newline="")
    blank_lines = 0
    while (line := text.readline(MAX_HEADER_LINE)) and not line.strip():
        blank_lines += 1
    if not _decodes(line):
        raise UnreadableFile(_not_encoded(encoding, blank_lines + 1))
    if len(line) >= MAX_HEADER_LINE and not line.endswith(("\n", "\r")):
        raise UnreadableFile("the first line is over 1 MiB long: this is not a CSV table")
    separator = _separator(line)
    records = csv.reader(itertools.chain([line], text), delimiter=separator)
    numbered = _decoded(enumerate(records, start=blank_lines + 1), encoding, start=blank_lines + 1)
    headers, rows = _split(numbered, text.close)
    return Table(format="csv", encoding=encoding, separator=separator, headers=headers, rows=rows)


def _encoding(head: bytes, *, complete: bool) -> tuple[str, str]:
    """The encoding's name and Python codec, told by a BOM, else by whether the start is valid UTF-8."""
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig", "utf-8-sig"
    if head.startswith(codecs.BOM_UTF16_LE):
        return "utf-16-le", "utf-16"  # ("utf-16" reads the BOM and drops it)
    if head.startswith(codecs.BOM_UTF16_BE):
        return "utf-16-be", "utf-16"
    try:  # incremental: a character cut at the sample's end is not an error
        codecs.getincrementaldecoder("utf-8")().decode(head, final=complete)
    except UnicodeDecodeError:
        return "windows-1258", "cp1258"
    return "utf-8", "utf-8"


def _separator(header_line: str) -> str:
    """The separator that splits the header line into the most columns (quotes respected)."""

    def width(separator: str) -> int:
        return max((len(r) for r in csv.reader([header_line], delimiter=separator)), default=0)

    return max(SEPARATORS, key=width)  # a tie (one column) keeps the first: ","


def _decoded(
    records: Iterator[tuple[int, list[str]]], encoding: str, start: int
) -> Iterator[tuple[int, Iterable[object]]]:
    """``records``, a row that is not in the file's encoding or not valid CSV refused with its number.

    Bytes that do not decode were read as lone surrogates (``surrogateescape``): the decoder works a
    block at a time, so only the row itself can tell which row they are in.
    """
    number = start
    while True:
        try:
            number, record = next(records)
        except StopIteration:
            return
        except csv.Error as error:
            raise UnreadableFile(
                f"row {number + 1} is not valid CSV (a quote left open, or a cell too long)"
            ) from error
        if not all(map(_decodes, record)):
            raise UnreadableFile(_not_encoded(encoding, number))
        yield number, record


def _decodes(cell: str) -> bool:
    """False when the cell holds bytes its encoding could not decode (lone surrogates)."""
    if cell.isascii():
        return True
    try:
        cell.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _not_encoded(encoding: str, row: int) -> str:
    return (
        f"row {row} is not {encoding} text like the rows before it: save the file again as "
        '"CSV UTF-8 (Comma delimited)" or as .xlsx'
    )


class _Rejoined(io.RawIOBase):
    """The bytes already read to tell the file's kind, followed by the rest of the file."""

    def __init__(self, head: bytes, rest: BinaryIO) -> None:
        super().__init__()
        self._head = head
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int:
        target = memoryview(buffer).cast("B")
        if self._head:
            data, self._head = self._head[: len(target)], self._head[len(target) :]
        else:
            data = self._rest.read(len(target))
        target[: len(data)] = data
        return len(data)


# ------------------------------------------------------------------ both
def _split(
    numbered: Iterator[tuple[int, Iterable[object]]], close: Callable[[], None]
) -> tuple[list[str], Iterator[SheetRow]]:
    """The first row with a value as the headers (checked), and the rows after it, lazily."""
    for _number, values in numbered:
        named = [_header(v) for v in values]
        while named and named[-1] is None:
            named.pop()
        if named:
            try:
                headers = _checked_headers(named)
            except UnreadableFile:
                close()
                raise
            return headers, _rows(numbered, len(headers), close)
    close()
    raise UnreadableFile("no header row: the first row with values must name the columns")


def _rows(
    numbered: Iterator[tuple[int, Iterable[object]]], width: int, close: Callable[[], None]
) -> Iterator[SheetRow]:
    try:
        for number, values in numbered:
            cells = tuple(_cell(v) for v in itertools.islice(values, width))
            if any(c is not None for c in cells):
                yield SheetRow(number, cells + (None,) * (width - len(cells)))
    finally:
        close()


def _checked_headers(named: list[str | None]) -> list[str]:
    blank = [get_column_letter(i) for i, name in enumerate(named, start=1) if name is None]
    if blank:
        raise UnreadableFile(f"column {', '.join(blank)} has no header name: name it or delete the column")
    headers = [name for name in named if name is not None]
    columns: dict[str, list[str]] = {}
    for i, name in enumerate(headers, start=1):
        columns.setdefault(name, []).append(get_column_letter(i))
    repeated = [f'"{name}" (columns {", ".join(at)})' for name, at in columns.items() if len(at) > 1]
    if repeated:
        raise UnreadableFile(f"header names used more than once: {'; '.join(repeated)}: rename them")
    return headers


def _header(value: object) -> str | None:
    cell = _cell(value)
    return None if cell is None else cell if isinstance(cell, str) else str(cell)


def _cell(value: object) -> Cell:
    """A value as read: text cleaned (``_text``); numbers and dates kept; anything else as text."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"  # as Excel shows it
    if isinstance(value, str):
        return _text(value)
    if isinstance(value, int | float | datetime | date):
        return value
    if isinstance(value, time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    return _text(str(value))


def _text(value: str) -> str | None:
    """Trimmed, NFC, Excel's text protections (``="0912"``, ``'0912``) undone; None when empty."""
    text = unicodedata.normalize("NFC", value).strip()
    if len(text) >= 3 and text.startswith('="') and text.endswith('"'):
        text = text[2:-1].replace('""', '"').strip()
    elif text.startswith("'"):
        text = text[1:].strip()
    return text or None
