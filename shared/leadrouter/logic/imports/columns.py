"""A customer list's columns: which lead field each holds, and one row read as an intake request.

The admin maps each header to a lead field (``ColumnMapping``), starting from ``suggest_mapping``,
which knows the headers Vietnamese and English lists use, and the ones our own export writes, so an
exported list maps back by itself. ``read_row`` turns a row into the very ``IntakeRequest`` a form
posts (so a row is validated exactly as a form lead is) plus what only an import carries (owner, pool,
step, campaign, source, lead id, receipt time), or into the reasons it is rejected.

Excel's quirks in cells: a phone typed as a number lost its leading 0 (``912345678``) or kept its
country code without ``+`` (``84912345678``); a date may be an Excel serial number; text dates are
day-first (``05/03/2024``) or ISO 8601; a time without an offset is the tenant's local time.
Reasons are in English and never quote a cell (cells are personal data); they name the column.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from enum import StrEnum
from typing import Annotated, Any, Self
from zoneinfo import ZoneInfo

from openpyxl.utils.datetime import from_excel
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, model_validator

from leadrouter.domain.base import Ident, Label
from leadrouter.domain.contacts import PhoneReading
from leadrouter.domain.leads import AttributeName, Attributes
from leadrouter.domain.mapping import UNNAMED
from leadrouter.logic.imports.reading import Cell, SheetRow
from leadrouter.logic.intake.new_leads import IntakeRequest


class LeadField(StrEnum):
    """What a column holds."""

    NAME = "name"
    PHONE = "phone"
    EMAIL = "email"
    #: The staff member who keeps the lead (migration from another CRM): staff id, email or name.
    OWNER = "owner"
    POOL = "pool"
    STEP = "step"
    CAMPAIGN = "campaign"
    SOURCE = "source"
    NOTE = "note"
    RECEIVED_AT = "received_at"
    #: A lead id from our own export: the row is that lead.
    LEAD_ID = "lead_id"
    #: A free-form field kept in the lead's attributes (``ColumnMapping.attributes`` names it).
    ATTRIBUTE = "attribute"


#: The attribute a note column is kept in (the seed users' word for it).
NOTE_ATTRIBUTE = "Ghi chú"
#: The longest owner reference read (a staff id, an email or a name).
MAX_OWNER = 254
#: A file has at most this many columns mapped (a bound on a stored mapping, not on the file).
MAX_COLUMNS = 200

Header = Annotated[str, Field(min_length=1, max_length=200)]
_ATTRIBUTE_NAME: TypeAdapter[str] = TypeAdapter(AttributeName)
_ATTRIBUTES: TypeAdapter[dict[str, str]] = TypeAdapter(Attributes)
_LABEL: TypeAdapter[str] = TypeAdapter(Label)
_IDENT: TypeAdapter[str] = TypeAdapter(Ident)


class ColumnMapping(BaseModel):
    """Header → lead field, as the admin confirmed it (remembered per tenant). Headers not named are
    not read. Each attribute column is kept under ``attributes[header]``, or under its header."""

    model_config = ConfigDict(extra="forbid")

    columns: dict[Header, LeadField] = Field(default_factory=dict, max_length=MAX_COLUMNS)
    attributes: dict[Header, AttributeName] = Field(default_factory=dict, max_length=MAX_COLUMNS)

    @model_validator(mode="after")
    def _check(self) -> Self:
        counted = Counter(f for f in self.columns.values() if f is not LeadField.ATTRIBUTE)
        twice = sorted(f.value for f, n in counted.items() if n > 1)
        if twice:
            raise ValueError(f"one column per field: {', '.join(twice)} mapped more than once")
        if LeadField.PHONE not in counted and LeadField.EMAIL not in counted:
            raise ValueError("map a phone or an email column: a lead needs one of them")
        attribute_columns = [h for h, f in self.columns.items() if f is LeadField.ATTRIBUTE]
        stray = sorted(set(self.attributes) - set(attribute_columns))
        if stray:
            raise ValueError(f"attributes names columns not mapped to attribute: {', '.join(stray)}")
        for header in attribute_columns:
            if header not in self.attributes:
                _ATTRIBUTE_NAME.validate_python(header)  # the header is the name: it must be one
        names = [attribute_name(self, h) for h in attribute_columns]
        names += [NOTE_ATTRIBUTE] if LeadField.NOTE in counted else []
        repeated = sorted(n for n, k in Counter(names).items() if k > 1)
        if repeated:
            raise ValueError(f"two columns kept under the same attribute: {', '.join(repeated)}")
        _ATTRIBUTES.validate_python(dict.fromkeys(names, ""))  # at most as many as a lead keeps
        return self


def attribute_name(mapping: ColumnMapping, header: str) -> str:
    """The attribute an attribute column is kept under: its name in the mapping, else its header."""
    return mapping.attributes.get(header, " ".join(header.split()))


# ------------------------------------------------------------------ suggestions
#: Header words each field is known by, Vietnamese and English; our export's headers among them.
SYNONYMS: dict[LeadField, tuple[str, ...]] = {
    LeadField.NAME: ("Họ tên", "Họ và tên", "Tên khách hàng", "Khách hàng", "Tên", "Name", "Full name"),
    LeadField.PHONE: (
        "SĐT",
        "Số điện thoại",
        "Điện thoại",
        "Di động",
        "Số di động",
        "Phone",
        "Phone number",
        "Mobile",
        "Tel",
        "Telephone",
    ),
    LeadField.EMAIL: ("Email", "E-mail", "Thư điện tử", "Địa chỉ email"),
    LeadField.SOURCE: ("Nguồn", "Nguồn khách hàng", "Source"),
    LeadField.OWNER: (
        "Nhân viên phụ trách",
        "Người phụ trách",
        "NV phụ trách",
        "Nhân viên",
        "Sale",
        "Sales",
        "Owner",
        "Assigned to",
    ),
    LeadField.POOL: ("Kho dữ liệu", "Kho", "Pool"),
    LeadField.STEP: ("Bước", "Giai đoạn", "Step", "Stage"),
    LeadField.CAMPAIGN: ("Chiến dịch", "Campaign"),
    LeadField.NOTE: ("Ghi chú", "Note", "Notes"),
    LeadField.RECEIVED_AT: ("Ngày tạo", "Ngày nhận", "Created", "Created at", "Received at", "Received"),
    LeadField.LEAD_ID: ("Mã lead", "Lead id", "ID"),
}
_NOT_LETTERS = re.compile(r"[\W_]+")


def _folded(header: str) -> str:
    """A header without accents, case, spaces or punctuation: ``"Số điện thoại"`` → ``"sodienthoai"``."""
    decomposed = unicodedata.normalize("NFD", header.replace("đ", "d").replace("Đ", "D"))
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _NOT_LETTERS.sub("", bare.casefold())


_KNOWN: dict[str, LeadField] = {_folded(word): field for field, words in SYNONYMS.items() for word in words}


def suggest_mapping(headers: list[str]) -> ColumnMapping:
    """The fields these headers are known to hold (the first column of each field wins; unknown
    headers, "Trạng thái"/"Status" among them, stay unmapped).

    A suggestion, not yet the admin's choice: it is built without validation, so it may map neither
    phone nor email; ``ColumnMapping.model_validate`` the confirmed mapping.
    """
    columns: dict[str, LeadField] = {}
    for header in headers:
        field = _KNOWN.get(_folded(header))
        if field is not None and field not in columns.values():
            columns[header] = field
    return ColumnMapping.model_construct(columns=columns, attributes={})


# ------------------------------------------------------------------ rows
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
        text = _text(cells.get(header))
        if text is not None and field is LeadField.ATTRIBUTE:
            fields[attribute_name(mapping, header)] = text
        elif text is not None and field is LeadField.NOTE:
            fields[NOTE_ATTRIBUTE] = text
    data: dict[str, Any] = {
        "name": _text(value.get(LeadField.NAME)) or UNNAMED,
        "phone": _phone_text(value.get(LeadField.PHONE)),
        "email": _text(value.get(LeadField.EMAIL)),
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
    owner = _text(value.get(LeadField.OWNER))
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
    text = _text(cell)
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
    text = _text(cell)
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
def _text(cell: Cell) -> str | None:
    """A cell as text: numbers as Excel shows them (``912345678.0`` → ``912345678``), dates in ISO."""
    if cell is None or isinstance(cell, str):
        return cell
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    if isinstance(cell, datetime | date):
        return cell.isoformat()
    return str(cell)


def _phone_text(cell: Cell) -> str | None:
    """A phone cell as text, the digits Excel dropped put back: a number lost its leading 0
    (``912345678`` → ``0912345678``, ``1691234567`` → ``01691234567``) or its ``+``
    (``84912345678`` → ``+84912345678``); text of digits alone did the same in a CSV Excel saved."""
    if isinstance(cell, bool) or not isinstance(cell, int | float | str):
        return _text(cell)
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
