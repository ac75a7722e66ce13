"""Reading a customer list as Excel and the tools around it write it, streamed.

Every file is built here, byte for byte as its tool writes it, so each quirk is visible: an xlsx with
phones stored as numbers and serial dates, the same list as CSV in UTF-8 with a BOM (","), UTF-8 (";",
Excel in vi-VN), Windows-1258 (";", tones as combining marks) and UTF-16 ("Unicode Text", tabs).
"""

from __future__ import annotations

import codecs
import io
import tracemalloc
import unicodedata
from collections.abc import Iterator
from datetime import datetime

import pytest
from openpyxl import Workbook

from leadrouter.domain.errors import InvalidInput
from leadrouter.logic.imports.reading import SheetRow, Table, UnreadableFile, read_table

HEADERS = ["Họ tên", "Số điện thoại", "Email", "Ngày nhận", "Ghi chú"]
ANH = "Nguyễn Văn Ánh"
#: The list as its text: what each CSV below writes.
LIST = [
    HEADERS,
    [ANH, "0912345678", "anh@example.com", "05/03/2024 09:30", "Quan tâm căn hộ"],
    ["Trần Thị Bích Ngọc", "0169 123 4567", "", "06/03/2024", "Gọi lại; sau 5 giờ"],
]
#: Windows-1258 keeps letters with ^ ˘ ơ ư đ precomposed but writes the five tones as combining marks.
_TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}


def windows_1258(text: str) -> bytes:
    """``text`` as Vietnamese Windows (Excel's plain "CSV") writes it; Python's cp1258 codec itself
    only maps characters, so an NFC "ễ" would not encode: the tone is split off first, as Windows does."""
    out = []
    for char in text:
        try:
            out.append(char.encode("cp1258"))  # a letter cp1258 has whole (Á, ê, ă, đ…)
            continue
        except UnicodeEncodeError:
            pass
        parts = unicodedata.normalize("NFD", char)
        base = unicodedata.normalize("NFC", "".join(p for p in parts if p not in _TONES))
        tones = "".join(p for p in parts if p in _TONES)
        out.append((base + tones).encode("cp1258"))
    return b"".join(out)


def _csv(rows: list[list[str]], separator: str) -> str:
    # What Excel writes: quotes only where a cell holds the separator, CRLF line ends
    def cell(value: str) -> str:
        return f'"{value}"' if separator in value else value

    return "".join(separator.join(cell(v) for v in row) + "\r\n" for row in rows)


def _rows(table: Table) -> list[SheetRow]:
    return list(table.rows)


# ------------------------------------------------------------------ xlsx
def _xlsx(rows: list[list[object]], *, sheets: int = 1) -> io.BytesIO:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    for i in range(1, sheets):
        book.create_sheet(f"Khác {i}").append(["not", "this", "one"])
    data = io.BytesIO()
    book.save(data)
    data.seek(0)
    return data


def test_an_xlsx_is_read_with_numbers_dates_and_vietnamese_headers_as_excel_stored_them() -> None:
    # Given a workbook as Excel keeps it: phones typed as numbers (the 0 lost), a date cell and a serial
    # number in the date column, a blank row, cells with spaces, and a second sheet that is not read
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADERS)
    sheet.append([f"  {ANH}  ", 912345678, "anh@example.com", datetime(2024, 3, 5, 9, 30), None])
    sheet.append([])  # row 3: blank
    sheet.append(["Trần Bình", 84987654321, None, 45357, "  "])  # 45357: 2024-03-06 as a plain number
    sheet["D4"].number_format = "General"
    book.create_sheet("Khác").append(["not", "this", "one"])
    data = io.BytesIO()
    book.save(data)
    data.seek(0)
    # When read
    table = read_table(data, "Khách hàng.XLSX")
    # Then the first sheet's header and its rows come back, numbered as Excel numbers them
    assert (table.format, table.encoding, table.separator) == ("xlsx", None, None)
    assert table.headers == HEADERS
    first, second = _rows(table)
    assert first == SheetRow(2, (ANH, 912345678, "anh@example.com", datetime(2024, 3, 5, 9, 30), None))
    assert second == SheetRow(4, ("Trần Bình", 84987654321, None, 45357, None))


def test_an_xlsx_header_below_blank_rows_and_short_rows_are_aligned() -> None:
    data = _xlsx(
        [[], ["Name", "Phone", "Email"], ["An", "0912345678"], ["", "", ""], ["Bình", None, "b@example.com"]]
    )
    table = read_table(data, "list.xlsx")
    assert table.headers == ["Name", "Phone", "Email"]
    assert _rows(table) == [
        SheetRow(3, ("An", "0912345678", None)),
        SheetRow(5, ("Bình", None, "b@example.com")),
    ]


def test_the_callers_file_is_left_open_once_the_rows_are_read() -> None:
    # (the caller owns it: an S3 body, an upload's temporary file)
    for data, name in (
        (_xlsx([["Name", "Phone"], ["An", 912345678]]), "a.xlsx"),
        (io.BytesIO(b"Phone\n1\n"), "a.csv"),
    ):
        assert len(_rows(read_table(data, name))) == 1
        assert not data.closed


def test_a_workbook_named_csv_is_read_as_the_workbook_it_is() -> None:
    table = read_table(_xlsx([["Name", "Phone"], ["An", 912345678]]), "exported.csv")
    assert table.format == "xlsx" and _rows(table) == [SheetRow(2, ("An", 912345678))]


def test_an_xlsx_that_cannot_seek_is_read_all_the_same() -> None:
    # Given the workbook as a stream (an S3 body): a zip is read from its end, so it is spooled
    data = _xlsx([["Name", "Phone"], ["An", 912345678]]).getvalue()
    table = read_table(io.BufferedReader(_OneWay(iter([data[:1000], data[1000:]]))), "list.xlsx")
    assert _rows(table) == [SheetRow(2, ("An", 912345678))]


# ------------------------------------------------------------------ csv encodings and separators
@pytest.mark.parametrize(
    ("written", "encoding", "separator"),
    [
        (codecs.BOM_UTF8 + _csv(LIST, ",").encode(), "utf-8-sig", ","),  # "CSV UTF-8"
        (_csv(LIST, ";").encode(), "utf-8", ";"),  # a vi-VN Excel list separator, no BOM
        (windows_1258(_csv(LIST, ";")), "windows-1258", ";"),  # Excel's plain "CSV" in Vietnamese Windows
        (codecs.BOM_UTF16_LE + _csv(LIST, "\t").encode("utf-16-le"), "utf-16-le", "\t"),  # "Unicode Text"
        (codecs.BOM_UTF16_BE + _csv(LIST, "\t").encode("utf-16-be"), "utf-16-be", "\t"),
    ],
    ids=["utf-8-bom-comma", "utf-8-semicolon", "windows-1258-semicolon", "utf-16-le-tab", "utf-16-be-tab"],
)
def test_the_same_list_reads_the_same_in_every_encoding_excel_writes(
    written: bytes, encoding: str, separator: str
) -> None:
    # When the list is read as each tool wrote it
    table = read_table(io.BytesIO(written), "khach-hang.csv")
    # Then the encoding and separator are found, and the text is the same NFC text
    assert (table.format, table.encoding, table.separator) == ("csv", encoding, separator)
    assert table.headers == HEADERS
    rows = _rows(table)
    assert [r.number for r in rows] == [2, 3]
    assert rows[0].cells == (ANH, "0912345678", "anh@example.com", "05/03/2024 09:30", "Quan tâm căn hộ")
    assert rows[1].cells == ("Trần Thị Bích Ngọc", "0169 123 4567", None, "06/03/2024", "Gọi lại; sau 5 giờ")
    assert all(unicodedata.is_normalized("NFC", c) for r in rows for c in r.cells if isinstance(c, str))


def test_windows_1258_writes_tones_as_combining_marks_and_they_are_read_back_composed() -> None:
    # Given "Nguyễn Văn Ánh" as Vietnamese Windows writes it: ê whole, then the tilde as a mark (0xDE)
    written = windows_1258(ANH)
    assert b"\xea\xde" in written  # ê + combining tilde: the decomposed form
    assert written.decode("cp1258") != ANH and unicodedata.normalize("NFC", written.decode("cp1258")) == ANH
    # When a file holding it is read
    table = read_table(io.BytesIO(windows_1258(f"Họ tên;SĐT\r\n{ANH};0912345678\r\n")), "a.csv")
    # Then the header and the name are NFC, equal to the same text typed anywhere else
    assert table.encoding == "windows-1258" and table.headers == ["Họ tên", "SĐT"]
    assert _rows(table)[0].cells == (ANH, "0912345678")


def test_a_tsv_or_txt_file_is_read_as_csv() -> None:
    for name in ("list.tsv", "Unicode Text.txt"):
        table = read_table(io.BytesIO(b"Name\tPhone\r\nAn\t0912345678\r\n"), name)
        assert table.separator == "\t" and _rows(table)[0].cells == ("An", "0912345678")


def test_the_separator_is_the_one_that_splits_the_header_line_into_most_columns() -> None:
    # a header with a comma inside quotes, written by a vi-VN Excel (";")
    table = read_table(io.BytesIO('"Họ, tên";SĐT;Email\nAn;0912345678;\n'.encode()), "a.csv")
    assert table.separator == ";" and table.headers == ["Họ, tên", "SĐT", "Email"]
    single = read_table(io.BytesIO(b"Phone\n0912345678\n"), "a.csv")
    assert single.separator == "," and _rows(single) == [SheetRow(2, ("0912345678",))]


def test_cells_are_trimmed_empty_is_none_and_excels_text_protection_is_undone() -> None:
    # Given what Excel users do to keep a leading 0: ="0912345678" and '0912345678
    text = (
        'Name,Phone,Note\r\n  An  ,"=""0912345678""",\r\n'
        'Bình,\'0987654321,  \r\n,,\r\nChi,="0911222333",ok\r\n'
    )
    table = read_table(io.BytesIO(text.encode()), "a.csv")
    assert _rows(table) == [
        SheetRow(2, ("An", "0912345678", None)),
        SheetRow(3, ("Bình", "0987654321", None)),
        SheetRow(5, ("Chi", "0911222333", "ok")),  # row 4 is blank: skipped, counted
    ]


def test_blank_lines_before_the_header_and_between_rows_are_counted() -> None:
    table = read_table(io.BytesIO(b"\r\n\r\nName,Phone\r\n\r\nAn,0912345678\r\n"), "a.csv")
    assert table.headers == ["Name", "Phone"] and _rows(table) == [SheetRow(5, ("An", "0912345678"))]


def test_a_row_that_stops_being_utf_8_is_refused_at_that_row() -> None:
    # Given a file whose first 64 KiB are plain ASCII (UTF-8), then a Windows-1258 name
    ascii_rows = "".join(f"Khach {i},09{i:08d}\r\n" for i in range(4000))
    written = b"Name,Phone\r\n" + ascii_rows.encode() + windows_1258(f"{ANH},0912345678\r\n")
    table = read_table(io.BytesIO(written), "a.csv")
    # When its rows are read, Then the one that is not UTF-8 stops the reading with its row number
    rows = table.rows
    assert sum(1 for _ in zip(range(4000), rows, strict=False)) == 4000
    with pytest.raises(UnreadableFile, match=r"^row 4002 is not utf-8 text"):
        next(rows)


# ------------------------------------------------------------------ streaming
class _OneWay(io.RawIOBase):
    """A file that can only be read forward, its bytes made on demand (an S3 body, a pipe)."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._pending = b""
        self.produced = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        while not self._pending:
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            self._pending = chunk
            self.produced += len(chunk)
        n = min(len(buffer), len(self._pending))
        buffer[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n


ROW_COUNT = 50_000


def _big_csv() -> Iterator[bytes]:
    yield codecs.BOM_UTF8 + "Họ tên;Số điện thoại;Email;Ghi chú\r\n".encode()
    for i in range(ROW_COUNT):
        yield f"Khách hàng số {i};09{i:08d};khach{i}@example.com;{'ghi chú dài ' * 8}\r\n".encode()


def test_a_50000_row_csv_is_read_row_by_row_never_whole() -> None:
    # Given a 50,000-row file whose bytes are made only as they are read
    size = sum(len(chunk) for chunk in _big_csv())
    assert size > 7_000_000
    source = _OneWay(_big_csv())
    tracemalloc.start()
    try:
        table = read_table(io.BufferedReader(source), "big.csv")
        # When the header is read, Then only the start of the file has been made
        assert table.headers == ["Họ tên", "Số điện thoại", "Email", "Ghi chú"]
        assert source.produced < 200_000
        # And at the middle row, half of the file at most has been made
        numbers = (row.number for row in table.rows)
        assert next(n for n in numbers if n == ROW_COUNT // 2) == ROW_COUNT // 2
        assert source.produced < size * 0.6
        # And reading on to the end keeps every row, in order, with memory far below the file's size
        last = max(numbers)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert last == ROW_COUNT + 1 and source.produced == size
    assert peak < size / 10, (peak, size)


# ------------------------------------------------------------------ unreadable files
def _compound_file() -> bytes:
    # The signature of an OLE2 Compound File: Excel 97-2003 .xls, and any password-protected .xlsx
    return bytes.fromhex("d0cf11e0a1b11ae1") + bytes(504)


@pytest.mark.parametrize(
    ("content", "filename", "reason"),
    [
        (b"", "empty.csv", "^the file is empty$"),
        (b"", "empty.xlsx", "^the file is empty$"),
        (b"\r\n  \r\n,,\r\n", "blank.csv", "^no header row"),
        (
            _compound_file(),
            "old.xls",
            "old Excel .xls file or a password-protected workbook.*save it as .xlsx",
        ),
        (b"anything", "old.xls", "save it as .xlsx"),
        (_compound_file(), "locked.xlsx", "password-protected workbook.*save it as .xlsx"),
        (b"Name,Phone\r\nAn,0912345678\r\n", "renamed.xlsx", "not an Excel workbook"),
        (b"PK\x03\x04 but not really a zip", "broken.xlsx", "damaged"),
        (b"Name,Phone\r\n", "list.pdf", r"cannot read \.pdf"),
        (b"Name,Phone\r\n", "list", "cannot read a file without an extension"),
        (b"Name,,Email\r\nAn,x,y\r\n", "a.csv", "^column B has no header name"),
        (b"Name,Phone,Name,Phone\r\n", "a.csv", r'"Name" \(columns A, C\); "Phone" \(columns B, D\)'),
        (b"x" * (1024 * 1024 + 10), "a.csv", "over 1 MiB"),
    ],
)
def test_unreadable_files_say_why_in_the_admins_words(content: bytes, filename: str, reason: str) -> None:
    with pytest.raises(UnreadableFile, match=reason) as raised:
        read_table(io.BytesIO(content), filename)
    # an InvalidInput: the API answers it as a 422 naming the file
    assert isinstance(raised.value, InvalidInput) and set(raised.value.fields) == {"file"}


def test_an_xlsx_without_a_header_row_or_with_a_repeated_header_is_refused() -> None:
    with pytest.raises(UnreadableFile, match=r"^no header row"):
        read_table(_xlsx([]), "empty-sheet.xlsx")
    with pytest.raises(UnreadableFile, match='"SĐT" \\(columns B, C\\)'):
        read_table(_xlsx([["Họ tên", "SĐT", "SĐT"]]), "a.xlsx")
    with pytest.raises(UnreadableFile, match=r"^column B has no header name"):
        read_table(_xlsx([["Họ tên", None, "SĐT"]]), "a.xlsx")


def test_the_reasons_never_quote_a_cell() -> None:
    # a row that is not valid text names its row, never its content
    written = b"Name,Phone\r\n" + b"x" * 70_000 + b"\r\n" + windows_1258(f"{ANH},0912345678\r\n")
    rows = read_table(io.BytesIO(written), "a.csv").rows
    with pytest.raises(UnreadableFile) as raised:
        list(rows)
    assert "Ánh" not in raised.value.reason and "0912345678" not in raised.value.reason
