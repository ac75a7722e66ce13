"""A customer list's columns: which lead field each holds.

The admin maps each header to a lead field (``ColumnMapping``), starting from ``suggest_mapping``,
which knows the headers Vietnamese and English lists use, and the ones our own export writes, so an
exported list maps back by itself. ``lead_rows.read_row`` reads a row through the mapping.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from enum import StrEnum
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, model_validator

from leadrouter.domain.leads import AttributeName, Attributes


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
