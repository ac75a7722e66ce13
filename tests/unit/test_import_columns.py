"""A customer list's columns: suggested from the headers, checked, and each row read as a form lead.

The rows come from files built here (an xlsx with phones as numbers and serial dates, the same list as
a vi-VN CSV), read by ``read_table``, so each Excel quirk is seen end to end.
"""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook
from pydantic import ValidationError

from leadrouter.domain.mapping import UNNAMED
from leadrouter.logic.imports.columns import NOTE_ATTRIBUTE, ColumnMapping, LeadField, suggest_mapping
from leadrouter.logic.imports.lead_rows import RowProblem, RowRejected, RowValues, read_row
from leadrouter.logic.imports.reading import Cell, SheetRow, read_table

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
F = LeadField
#: What our own export writes (Vietnamese and English): every header but the status maps back.
EXPORT_VI = [
    "Mã lead",
    "Họ tên",
    "Số điện thoại",
    "Email",
    "Trạng thái",
    "Nhân viên phụ trách",
    "Kho dữ liệu",
    "Bước",
    "Chiến dịch",
    "Nguồn",
    "Ngày nhận",
]
EXPORT_EN = [
    "Lead id",
    "Name",
    "Phone",
    "Email",
    "Status",
    "Owner",
    "Pool",
    "Step",
    "Campaign",
    "Source",
    "Received at",
]
EXPORT_FIELDS = [
    F.LEAD_ID,
    F.NAME,
    F.PHONE,
    F.EMAIL,
    F.OWNER,
    F.POOL,
    F.STEP,
    F.CAMPAIGN,
    F.SOURCE,
    F.RECEIVED_AT,
]


# ------------------------------------------------------------------ suggestions
@pytest.mark.parametrize("headers", [EXPORT_VI, EXPORT_EN], ids=["vi", "en"])
def test_the_exports_headers_map_back_and_its_status_stays_unmapped(headers: list[str]) -> None:
    mapping = suggest_mapping(headers)
    status = headers[4]
    assert mapping.columns == dict(zip([h for h in headers if h != status], EXPORT_FIELDS, strict=True))
    ColumnMapping.model_validate(mapping.model_dump())  # a valid mapping as suggested


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("Họ tên", F.NAME),
        ("HỌ VÀ TÊN", F.NAME),
        ("Tên khách hàng", F.NAME),
        ("Khách hàng", F.NAME),
        ("Full name", F.NAME),
        ("SĐT", F.PHONE),
        ("SDT", F.PHONE),
        ("sđt.", F.PHONE),
        ("Số điện thoại", F.PHONE),
        ("so dien thoai", F.PHONE),
        ("Điện thoại", F.PHONE),
        ("Di động", F.PHONE),
        ("Mobile", F.PHONE),
        ("Tel", F.PHONE),
        ("E-mail", F.EMAIL),
        ("Thư điện tử", F.EMAIL),
        ("Nguồn", F.SOURCE),
        ("Người phụ trách", F.OWNER),
        ("NV phụ trách", F.OWNER),
        ("Sale", F.OWNER),
        ("Assigned to", F.OWNER),
        ("Kho", F.POOL),
        ("Giai đoạn", F.STEP),
        ("Stage", F.STEP),
        ("Campaign", F.CAMPAIGN),
        ("Ghi chú", F.NOTE),
        ("Notes", F.NOTE),
        ("Ngày tạo", F.RECEIVED_AT),
        ("Created at", F.RECEIVED_AT),
        ("created_at", F.RECEIVED_AT),
        ("ID", F.LEAD_ID),
    ],
)
def test_headers_are_recognised_whatever_their_accents_case_and_punctuation(
    header: str, field: LeadField
) -> None:
    assert suggest_mapping([header, "Email" if field is not F.EMAIL else "SĐT"]).columns[header] is field


def test_the_first_column_of_a_field_wins_and_unknown_headers_stay_unmapped() -> None:
    mapping = suggest_mapping(["Điện thoại", "Di động", "Sản phẩm quan tâm", "Trạng thái", "Họ tên"])
    assert mapping.columns == {"Điện thoại": F.PHONE, "Họ tên": F.NAME}


def test_a_suggestion_without_a_contact_column_is_not_yet_a_valid_mapping() -> None:
    suggested = suggest_mapping(["Họ tên", "Ghi chú"])
    assert suggested.columns == {"Họ tên": F.NAME, "Ghi chú": F.NOTE}
    with pytest.raises(ValidationError, match="map a phone or an email column"):
        ColumnMapping.model_validate(suggested.model_dump())


# ------------------------------------------------------------------ mapping checks
@pytest.mark.parametrize(
    ("columns", "attributes", "reason"),
    [
        ({"A": "phone", "B": "phone"}, {}, "phone mapped more than once"),
        ({"A": "name"}, {}, "map a phone or an email column"),
        ({"A": "phone", "B": "name"}, {"B": "Tên"}, "attributes names columns not mapped to attribute: B"),
        ({"A": "phone", "B": "attribute", "C": "attribute"}, {"B": "x", "C": "x"}, "same attribute: x"),
        ({"A": "phone", "B": "note", "C": "attribute"}, {"C": NOTE_ATTRIBUTE}, "same attribute: Ghi chú"),
        ({"A": "phone", "Tỉnh/Thành": "attribute"}, {}, "may not contain '/'"),
        ({"A": "phone", "B": "colour"}, {}, "Input should be"),
        ({"A": "email", **{f"c{i}": "attribute" for i in range(31)}}, {}, "at most 30"),
    ],
)
def test_a_mapping_is_checked(columns: dict[str, str], attributes: dict[str, str], reason: str) -> None:
    with pytest.raises(ValidationError, match=reason):
        ColumnMapping.model_validate({"columns": columns, "attributes": attributes})


def test_attribute_columns_may_be_renamed_and_several_columns_may_be_attributes() -> None:
    mapping = ColumnMapping.model_validate(
        {
            "columns": {"SĐT": "phone", "Tỉnh/Thành": "attribute", "Sản phẩm": "attribute"},
            "attributes": {"Tỉnh/Thành": "Tỉnh"},
        }
    )
    row = read_row(
        SheetRow(2, ("0912345678", "Hà Nội", "Căn hộ")), ["SĐT", "Tỉnh/Thành", "Sản phẩm"], mapping, HCM
    )
    assert isinstance(row, RowValues)
    assert row.request.fields == {"Tỉnh": "Hà Nội", "Sản phẩm": "Căn hộ"}


# ------------------------------------------------------------------ rows from real files
HEADERS = [
    "Mã lead",
    "Họ tên",
    "Số điện thoại",
    "Email",
    "Trạng thái",
    "Nhân viên phụ trách",
    "Kho dữ liệu",
    "Bước",
    "Chiến dịch",
    "Nguồn",
    "Ngày nhận",
    "Ghi chú",
    "Sản phẩm",
]


def _workbook() -> io.BytesIO:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADERS)
    # phones as Excel keeps numbers: the 0 gone, an old 11-digit number, a float, country code without +
    sheet.append(
        [
            None,
            "Nguyễn Văn Ánh",
            912345678,
            "anh@example.com",
            "Mới",
            "nv01",
            "web",
            "tu-van",
            "Tết",
            "Facebook",
            datetime(2024, 3, 5, 9, 30),
            "Gọi lại",
            "Căn hộ",
        ]
    )
    sheet.append(
        [None, "Trần Bình", 1691234567, None, None, None, None, None, None, None, 45357.5, None, None]
    )
    sheet.append(
        [
            None,
            "Lê Chi",
            912345679.0,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            "06/03/2024 14:05",
            None,
            None,
        ]
    )
    sheet.append(
        [
            "L20240301000000abc",
            "Phạm Dũng",
            84987654321,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
        ]
    )
    data = io.BytesIO()
    book.save(data)
    data.seek(0)
    return data


def _read(data: io.BytesIO | bytes, filename: str) -> list[RowValues | RowRejected]:
    table = read_table(io.BytesIO(data) if isinstance(data, bytes) else data, filename)
    mapping = ColumnMapping.model_validate(suggest_mapping(table.headers).model_dump())
    mapping = mapping.model_copy(update={"columns": {**mapping.columns, "Sản phẩm": F.ATTRIBUTE}})
    return [read_row(row, table.headers, mapping, HCM) for row in table.rows]


def test_an_xlsx_row_becomes_the_intake_request_a_form_would_post_and_the_imports_own_values() -> None:
    first, old, floated, with_id = _read(_workbook(), "khach-hang.xlsx")
    # Then the first row is validated as intake validates a form: phone in E.164, the note and the
    # attribute column kept in the lead's fields; the import's own values beside it
    assert isinstance(first, RowValues) and first.number == 2
    assert first.request.model_dump() == {
        "name": "Nguyễn Văn Ánh",
        "phone": "+84912345678",
        "email": "anh@example.com",
        "step": None,
        "submission_id": None,
        "fields": {NOTE_ATTRIBUTE: "Gọi lại", "Sản phẩm": "Căn hộ"},
        "consents": [],  # a customer list says nothing of consent: every purpose stays unknown
    }
    assert (first.owner, first.pool, first.step, first.campaign, first.source) == (
        "nv01",
        "web",
        "tu-van",
        "Tết",
        "Facebook",
    )
    assert first.received_at == datetime(2024, 3, 5, 2, 30, tzinfo=UTC)  # 09:30 in Ho Chi Minh City
    assert first.phone is not None and not first.phone.converted and first.lead_id is None
    # an old 11-digit number stored as a number: the 0 put back, converted; a serial date with a time
    assert isinstance(old, RowValues) and old.request.phone == "+84391234567"
    assert old.phone is not None and old.phone.converted and old.phone.as_typed == "01691234567"
    assert old.request.phone_as_typed == "01691234567"
    assert old.received_at == datetime(2024, 3, 6, 5, 0, tzinfo=UTC)  # 45357.5 = 6 Mar 2024 12:00 local
    assert old.request.fields == {} and old.owner is None and old.pool is None
    # a phone that became a float, and a day-first text date
    assert isinstance(floated, RowValues) and floated.request.phone == "+84912345679"
    assert floated.received_at == datetime(2024, 3, 6, 7, 5, tzinfo=UTC)
    # a country code kept without its +, and our own export's lead id
    assert isinstance(with_id, RowValues) and with_id.request.phone == "+84987654321"
    assert with_id.lead_id == "L20240301000000abc"


def test_the_same_list_as_a_vietnamese_excel_csv_reads_the_same() -> None:
    # Given the list as Excel in vi-VN saves it: ";" separated, the phones' leading 0 lost on the way
    text = (
        ";".join(HEADERS)
        + "\r\n"
        + ";Nguyễn Văn Ánh;912345678;anh@example.com;Mới;nv01;web;tu-van;Tết;Facebook;"
        + "05/03/2024 09:30;Gọi lại;Căn hộ\r\n"
    )
    text += ";Trần Bình;1691234567;;;;;;;;2024-03-06T12:00:00+07:00;;\r\n"
    (first, old) = _read(text.encode("utf-8-sig"), "khach-hang.csv")
    assert isinstance(first, RowValues) and isinstance(old, RowValues)
    assert first.request.phone == "+84912345678" and first.received_at == datetime(
        2024, 3, 5, 2, 30, tzinfo=UTC
    )
    assert first.request.fields == {NOTE_ATTRIBUTE: "Gọi lại", "Sản phẩm": "Căn hộ"}
    assert old.request.phone == "+84391234567" and old.received_at == datetime(2024, 3, 6, 5, 0, tzinfo=UTC)


# ------------------------------------------------------------------ rejected rows
MAPPING = ColumnMapping.model_validate(
    {
        "columns": {
            "Họ tên": "name",
            "SĐT": "phone",
            "Email": "email",
            "Ngày nhận": "received_at",
            "Ghi chú": "note",
            "Kho": "pool",
            "Mã lead": "lead_id",
            "Sale": "owner",
            "Sản phẩm": "attribute",
        }
    }
)
COLUMNS = list(MAPPING.columns)


def _row(**cells: Cell) -> SheetRow:
    names = {
        "name": "Họ tên",
        "phone": "SĐT",
        "email": "Email",
        "received_at": "Ngày nhận",
        "note": "Ghi chú",
    }
    names |= {"pool": "Kho", "lead_id": "Mã lead", "owner": "Sale", "product": "Sản phẩm"}
    by_header = {names[k]: v for k, v in cells.items()}
    return SheetRow(7, tuple(by_header.get(h) for h in COLUMNS))


@pytest.mark.parametrize(
    ("cells", "problems"),
    [
        ({"name": "An"}, [("phone", "missing_contact")]),
        ({"phone": "0912 345"}, [("phone", "invalid_phone")]),
        ({"phone": 12345}, [("phone", "invalid_phone")]),
        ({"phone": 912345678.5}, [("phone", "invalid_phone")]),
        ({"phone": date(2024, 1, 1)}, [("phone", "invalid_phone")]),
        ({"email": "an@@example.com"}, [("email", "invalid_email")]),
        ({"email": "an@shop.test"}, [("email", "invalid_email")]),
        ({"phone": "0912345678", "received_at": "31/02/2024"}, [("received_at", "invalid_date")]),
        ({"phone": "0912345678", "received_at": "next week"}, [("received_at", "invalid_date")]),
        ({"phone": "0912345678", "received_at": -3}, [("received_at", "invalid_date")]),
        ({"phone": "0912345678", "name": "A" * 201}, [("name", "too_long")]),
        ({"phone": "0912345678", "note": "x" * 1001}, [("note", "too_long")]),
        ({"phone": "0912345678", "product": "x" * 1001}, [("attribute", "too_long")]),
        ({"phone": "0912345678", "pool": "kho/1"}, [("pool", "invalid_label")]),
        ({"phone": "0912345678", "pool": "k" * 65}, [("pool", "too_long")]),
        ({"phone": "0912345678", "lead_id": "not an id!"}, [("lead_id", "invalid_lead_id")]),
        ({"phone": "0912345678", "owner": "o" * 255}, [("owner", "too_long")]),
        (
            {"phone": "bad", "email": "bad", "received_at": "bad"},
            [("phone", "invalid_phone"), ("email", "invalid_email"), ("received_at", "invalid_date")],
        ),
    ],
)
def test_a_row_that_cannot_be_a_lead_is_rejected_with_every_reason(
    cells: dict[str, Cell], problems: list[tuple[str, str]]
) -> None:
    result = read_row(_row(**cells), COLUMNS, MAPPING, HCM)
    assert isinstance(result, RowRejected) and result.number == 7
    assert [(p.field, p.code) for p in result.reasons] == problems
    assert all(p.message for p in result.reasons)


def test_a_reason_names_the_column_and_never_quotes_the_cell() -> None:
    secret_phone, secret_email = "0912 3456", "nguyen.van.anh@private.test"
    result = read_row(_row(phone=secret_phone, email=secret_email, name="\x07Ánh"), COLUMNS, MAPPING, HCM)
    assert isinstance(result, RowRejected)
    by_field = {p.field: p for p in result.reasons}
    assert by_field["phone"] == RowProblem("phone", "invalid_phone", by_field["phone"].message)
    assert by_field["phone"].message.startswith('column "SĐT": not a valid phone number')
    assert (by_field["email"].code, by_field["name"].code) == ("invalid_email", "invalid_text")
    for reason in result.reasons:
        assert (
            "0912" not in reason.message
            and "private" not in reason.message
            and "nguyen" not in reason.message
        )
        assert "Ánh" not in reason.message


def test_a_row_without_a_name_is_named_as_a_form_without_one() -> None:
    result = read_row(_row(phone="0912345678"), COLUMNS, MAPPING, HCM)
    assert isinstance(result, RowValues) and result.request.name == UNNAMED


def test_an_aware_date_keeps_its_offset_and_a_plain_date_is_local_midnight() -> None:
    aware = read_row(_row(phone="0912345678", received_at="2024-03-05T09:30:00Z"), COLUMNS, MAPPING, HCM)
    assert isinstance(aware, RowValues) and aware.received_at == datetime(2024, 3, 5, 9, 30, tzinfo=UTC)
    plain = read_row(_row(phone="0912345678", received_at=date(2024, 3, 5)), COLUMNS, MAPPING, HCM)
    assert isinstance(plain, RowValues) and plain.received_at == datetime(2024, 3, 4, 17, 0, tzinfo=UTC)
    dashed = read_row(_row(phone="0912345678", received_at="5-3-2024 7:05:09"), COLUMNS, MAPPING, HCM)
    assert isinstance(dashed, RowValues) and dashed.received_at == datetime(2024, 3, 5, 0, 5, 9, tzinfo=UTC)


@given(
    subscriber=st.integers(0, 9_999_999),
    prefix=st.sampled_from(["3", "5", "7", "8", "9"]),
    second=st.integers(0, 9),
)
def test_a_phone_typed_as_a_number_reads_as_the_same_number_typed_as_text(
    subscriber: int, prefix: str, second: int
) -> None:
    # Given any 10-digit Vietnamese number, and the same number as Excel stores it once typed as a number
    text = f"0{prefix}{second}{subscriber:07d}"
    as_text = read_row(_row(phone=text), COLUMNS, MAPPING, HCM)
    as_number = read_row(_row(phone=int(text)), COLUMNS, MAPPING, HCM)
    as_float = read_row(_row(phone=float(int(text))), COLUMNS, MAPPING, HCM)
    # Then all three read alike: accepted with the same number, or rejected for the same reason
    if isinstance(as_text, RowValues):
        assert isinstance(as_number, RowValues) and isinstance(as_float, RowValues)
        assert as_text.request.phone == as_number.request.phone == as_float.request.phone
    else:
        assert isinstance(as_number, RowRejected) and isinstance(as_float, RowRejected)
        assert [p.code for p in as_text.reasons] == [p.code for p in as_number.reasons] == ["invalid_phone"]
