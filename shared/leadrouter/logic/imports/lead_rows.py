"""One row of a customer list read as a lead: the intake request a form posts, or why it cannot be one.

``read_row`` turns a row into the very ``IntakeRequest`` a form posts (so a row is validated exactly as
a form lead is) plus what only an import carries (owner, pool, step, campaign, source, lead id, receipt
time), or into the reasons it is rejected.

Excel's quirks in cells: a phone typed as a number lost its leading 0 (``912345678``) or kept its
country code without ``+`` (``84912345678``); a date may be an Excel serial number; text dates are
day-first (``05/03/2024``) or ISO 8601; a time without an offset is the tenant's local time.
Reasons are in English and never quote a cell (cells are personal data); they name the column.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl.utils.datetime import from_excel
from pydantic import TypeAdapter, ValidationError

from leadrouter.domain.base import Ident, Label
from leadrouter.domain.contacts import PhoneReading
from leadrouter.domain.mapping import UNNAMED
from leadrouter.logic.imports.columns import (
    MAX_OWNER,
    NOTE_ATTRIBUTE,
    ColumnMapping,
    LeadField,
    attribute_name,
)
from leadrouter.logic.imports.reading import Cell, SheetRow, cell_text
from leadrouter.logic.intake.new_leads import IntakeRequest

_LABEL: TypeAdapter[str] = TypeAdapter(Label)
_IDENT: TypeAdapter[str] = TypeAdapter(Ident)


@dataclass(frozen=True)
class RowProblem:
    """Why a row cannot be imported: the lead ``field``, a stable ``code`` and an English message."""

    field: str
    code: str
    message: str


@dataclass(frozen=True)
class RowRejected:
    number: int
    reasons: list[RowProblem]


@dataclass(frozen=True)
class RowValues:
    """A row that can become a lead: the intake request a form would post, and the import's own."""

    number: int
    request: IntakeRequest
    #: How the phone was read (an old 11-digit number converted, what the file held); None without one.
    phone: PhoneReading | None
    owner: str | None
    pool: str | None
    step: str | None
    campaign: str | None
    source: str | None
    lead_id: str | None
    #: Aware (UTC); a time without an offset was the tenant's local time.
    received_at: datetime | None


def read_row(
    row: SheetRow, headers: list[str], mapping: ColumnMapping, tz: ZoneInfo
) -> RowValues | RowRejected:
    """``row`` as the lead it stands for, or every reason it cannot be one."""
    cells = dict(zip(headers, row.cells, strict=False))
    by_header = {header: _column(header) for header in mapping.columns}
    value: dict[LeadField, Cell] = {
        field: cells.get(header)
        for header, field in mapping.columns.items()
        if field is not LeadField.ATTRIBUTE
    }
    problems: list[RowProblem] = []
    fields: dict[str, str] = {}
    for header, field in mapping.columns.items():
        text = cell_text(cells.get(header))
        if text is not None and field is LeadField.ATTRIBUTE:
            fields[attribute_name(mapping, header)] = text
        elif text is not None and field is LeadField.NOTE:
            fields[NOTE_ATTRIBUTE] = text
    data: dict[str, Any] = {
        "name": cell_text(value.get(LeadField.NAME)) or UNNAMED,
        "phone": _phone_text(value.get(LeadField.PHONE)),
        "email": cell_text(value.get(LeadField.EMAIL)),
        "fields": fields,
    }
    request: IntakeRequest | None = None
    try:
        request = IntakeRequest.model_validate({k: v for k, v in data.items() if v is not None})
    except ValidationError as error:
        problems += _request_problems(error, mapping, by_header)
    labels = {f: _label(value.get(f), f, mapping, problems) for f in (LeadField.POOL, LeadField.STEP)}
    campaign = _label(value.get(LeadField.CAMPAIGN), LeadField.CAMPAIGN, mapping, problems)
    source = _label(value.get(LeadField.SOURCE), LeadField.SOURCE, mapping, problems)
    owner = cell_text(value.get(LeadField.OWNER))
    if owner is not None and len(owner) > MAX_OWNER:
        problems.append(_problem(LeadField.OWNER, "too_long", f"at most {MAX_OWNER} characters", mapping))
        owner = None
    lead_id = _lead_id(value.get(LeadField.LEAD_ID), mapping, problems)
    received_at = _received_at(value.get(LeadField.RECEIVED_AT), tz, mapping, problems)
    if problems or request is None:
        return RowRejected(row.number, problems)
    return RowValues(
        number=row.number,
        request=request,
        phone=request.phone_reading,
        owner=owner,
        pool=labels[LeadField.POOL],
        step=labels[LeadField.STEP],
        campaign=campaign,
        source=source,
        lead_id=lead_id,
        received_at=received_at,
    )


def _column(header: str) -> str:
    return f'column "{header}"'


def _header_of(field: LeadField, mapping: ColumnMapping) -> str | None:
    return next((h for h, f in mapping.columns.items() if f is field), None)


def _problem(field: LeadField, code: str, message: str, mapping: ColumnMapping) -> RowProblem:
    header = _header_of(field, mapping)
    return RowProblem(field.value, code, f"{_column(header)}: {message}" if header else message)


def _request_problems(
    error: ValidationError, mapping: ColumnMapping, by_header: dict[str, str]
) -> list[RowProblem]:
    """The intake request's errors as row problems; messages are the validators' own, which quote
    no value, except the email library's (it may quote the domain): that one is replaced."""
    problems: list[RowProblem] = []
    attribute_header = {
        attribute_name(mapping, h): h for h, f in mapping.columns.items() if f is LeadField.ATTRIBUTE
    }
    for problem in error.errors():
        loc = [str(p) for p in problem["loc"]]
        message = str(problem["msg"]).removeprefix("Value error, ")
        too_long = problem["type"] == "string_too_long"
        if loc[:1] == ["email"] and "phone number or an email" in message:
            problems.append(RowProblem("phone", "missing_contact", "no phone number and no email address"))
        elif loc[:1] == ["phone"]:
            code = "too_long" if too_long else "invalid_phone"
            problems.append(_problem(LeadField.PHONE, code, message, mapping))
        elif loc[:1] == ["email"]:
            code, message = (
                ("too_long", message) if too_long else ("invalid_email", "not a valid email address")
            )
            problems.append(_problem(LeadField.EMAIL, code, message, mapping))
        elif loc[:1] == ["name"]:
            problems.append(
                _problem(LeadField.NAME, "too_long" if too_long else "invalid_text", message, mapping)
            )
        elif loc[:1] == ["fields"] and len(loc) > 1 and loc[1] == NOTE_ATTRIBUTE:
            problems.append(
                _problem(LeadField.NOTE, "too_long" if too_long else "invalid_text", message, mapping)
            )
        elif loc[:1] == ["fields"] and len(loc) > 1 and loc[1] in attribute_header:
            where = by_header.get(attribute_header[loc[1]], "an attribute column")
            code = "too_long" if too_long else "invalid_text"
            problems.append(RowProblem(LeadField.ATTRIBUTE.value, code, f"{where}: {message}"))
        else:  # not expected: the mapping's own checks keep attribute names valid
            problems.append(RowProblem(".".join(loc) or "row", "invalid", message))
    return problems


def _label(cell: Cell, field: LeadField, mapping: ColumnMapping, problems: list[RowProblem]) -> str | None:
    text = cell_text(cell)
    if text is None:
        return None
    try:
        return _LABEL.validate_python(text)
    except ValidationError as error:
        (first, *_) = error.errors()
        code = "too_long" if first["type"] == "string_too_long" else "invalid_label"
        problems.append(_problem(field, code, str(first["msg"]).removeprefix("Value error, "), mapping))
        return None


def _lead_id(cell: Cell, mapping: ColumnMapping, problems: list[RowProblem]) -> str | None:
    text = cell_text(cell)
    if text is None:
        return None
    try:
        return _IDENT.validate_python(text)
    except ValidationError:
        problems.append(
            _problem(LeadField.LEAD_ID, "invalid_lead_id", "not a lead id of this service", mapping)
        )
        return None


# ------------------------------------------------------------------ cells
def _phone_text(cell: Cell) -> str | None:
    """A phone cell as text, the digits Excel dropped put back: a number lost its leading 0
    (``912345678`` → ``0912345678``, ``1691234567`` → ``01691234567``) or its ``+``
    (``84912345678`` → ``+84912345678``); text of digits alone did the same in a CSV Excel saved."""
    if isinstance(cell, bool) or not isinstance(cell, int | float | str):
        return cell_text(cell)
    if isinstance(cell, float) and not cell.is_integer():
        return str(cell)  # not a phone number: read_phone says so
    digits = str(int(cell)) if isinstance(cell, int | float) else cell
    if not digits.isdigit() or not digits.isascii() or digits.startswith("0"):
        return digits
    if digits.startswith("84") and len(digits) in (11, 12):
        return "+" + digits
    return "0" + digits


#: Day-first dates as Vietnamese Excel shows them, with or without a time.
_DAY_FIRST = tuple(f"%d{sep}%m{sep}%Y{clock}" for sep in "/-." for clock in ("", " %H:%M", " %H:%M:%S"))


def _received_at(
    cell: Cell, tz: ZoneInfo, mapping: ColumnMapping, problems: list[RowProblem]
) -> datetime | None:
    if cell is None:
        return None
    moment = _moment(cell)
    if moment is None:
        message = "not a date: use dd/mm/yyyy [hh:mm], ISO 8601 or an Excel date"
        problems.append(_problem(LeadField.RECEIVED_AT, "invalid_date", message, mapping))
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=tz)).astimezone(UTC)


def _moment(cell: Cell) -> datetime | None:
    """A date cell as a (maybe naive) date-time: a date, an Excel serial number, or day-first/ISO text."""
    if isinstance(cell, datetime):
        return cell
    if isinstance(cell, date):
        return datetime.combine(cell, time())
    if isinstance(cell, int | float) and not isinstance(cell, bool):
        if not 0 < cell < 2958466:  # Excel's dates run from 1900 to 9999-12-31
            return None
        value = from_excel(cell)
        return value if isinstance(value, datetime) else None
    if not isinstance(cell, str):
        return None
    for pattern in _DAY_FIRST:
        try:
            return datetime.strptime(cell, pattern)  # naive: the tenant's time, set by the caller
        except ValueError:
            continue
    try:
        return datetime.fromisoformat(cell)
    except ValueError:
        return None
