"""The export's files, written for Excel: ``.xlsx`` (openpyxl, streamed) and ``.csv`` (UTF-8 with BOM).

Both are streamed row by row, so an export of any size holds one row in memory (openpyxl's write-only
workbook spools its rows to a temporary file until it zips them).

What Excel would otherwise get wrong, and how each writer prevents it:

* Phones lose their leading ``+`` or ``0`` when Excel reads them as numbers. In xlsx they are text cells
  (format ``@``). In CSV they are written in the international format with spaces (``+84 912 345 678``):
  Excel does not read a value with spaces and a ``+`` as a number, so it stays text, and an import
  reads it back as the same number.
* Excel opens a CSV without a byte order mark in the machine's code page (Vietnamese is mangled): the
  CSV is UTF-8 *with* BOM, ``,``-separated, CRLF line ends.
* Dates: real Excel dates in xlsx (format ``dd/mm/yyyy hh:mm``; Excel has no time zones, so the cell is
  the wall-clock time of the zone the row was made in); ``dd/mm/yyyy HH:MM`` text in CSV.
* Formula injection: a text cell starting with ``=``, ``+``, ``-``, ``@``, tab or CR (a lead's name can
  be ``=HYPERLINK(...)``) is never a formula: in xlsx every text cell is written as a string, in CSV it
  gets a leading apostrophe. Phones are the exception: their ``+`` is theirs, and they are never text
  a visitor wrote.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import BinaryIO

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from leadrouter.logic.exports.columns import Cell, Phone

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_DATE_FORMAT = "dd/mm/yyyy hh:mm"
CSV_DATE_FORMAT = "%d/%m/%Y %H:%M"
#: What spreadsheet programs read as the start of a formula (OWASP's CSV injection list).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_TEXT_FORMAT = "@"
_SHEET_TITLE = "Leads"


def neutralised(text: str) -> str:
    """The text as a CSV cell no spreadsheet runs: a leading apostrophe before a formula's start."""
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def _wall_clock(moment: datetime) -> datetime:
    """Excel dates have no zone: the time as the row's zone shows it."""
    return moment.replace(tzinfo=None)


def _xlsx_cell(sheet: WriteOnlyWorksheet, value: Cell) -> WriteOnlyCell | int | None:
    if value is None or isinstance(value, int):
        return value
    if isinstance(value, datetime):
        cell = WriteOnlyCell(sheet, value=_wall_clock(value))
        cell.number_format = XLSX_DATE_FORMAT
        return cell
    text = value.international() if isinstance(value, Phone) else value
    cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", text))
    cell.data_type = "s"  # openpyxl makes text starting with "=" a formula: never here
    if isinstance(value, Phone):
        cell.number_format = _TEXT_FORMAT
    return cell


def write_xlsx(headers: Sequence[str], rows: Iterable[Sequence[Cell]], out: BinaryIO) -> int:
    """The rows as one sheet under a bold, frozen header row; returns how many rows were written."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(_SHEET_TITLE)
    sheet.freeze_panes = "A2"
    for index, header in enumerate(headers, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(12, len(header) + 2)
    bold = Font(bold=True)
    titles = []
    for header in headers:
        title = WriteOnlyCell(sheet, value=header)
        title.data_type = "s"
        title.font = bold
        titles.append(title)
    sheet.append(titles)
    count = 0
    for row in rows:
        sheet.append([_xlsx_cell(sheet, value) for value in row])
        count += 1
    book.save(out)  # a file object as well as a path
    return count


def _csv_cell(value: Cell) -> str | int:
    if value is None:
        return ""
    if isinstance(value, int):
        return value
    if isinstance(value, datetime):
        return value.strftime(CSV_DATE_FORMAT)
    if isinstance(value, Phone):
        return value.international()
    return neutralised(value)


def write_csv(headers: Sequence[str], rows: Iterable[Sequence[Cell]], out: BinaryIO) -> int:
    """The rows as CSV for Excel: UTF-8 with BOM, ``,``, CRLF, phones in the international format
    (``+84 912 345 678``: with its spaces and ``+`` Excel keeps it text, never a number), dates as
    ``dd/mm/yyyy HH:MM`` text in the rows' zone, formulas neutralised. Returns how many rows."""
    text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="", write_through=True)
    try:
        writer = csv.writer(text, delimiter=",", lineterminator="\r\n")
        writer.writerow([neutralised(h) for h in headers])
        count = 0
        for row in rows:
            writer.writerow([_csv_cell(value) for value in row])
            count += 1
        text.flush()
    finally:
        text.detach()  # the caller's file stays open
    return count
