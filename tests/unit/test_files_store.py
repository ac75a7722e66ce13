"""The file store (leadrouter.data.files.S3Files, from runtime.files) on the local stack's S3: the browser's
path (a signed form upload, a signed download) and the functions' (size, open, put, delete), with the
refusals S3 makes: too large, expired, another key, a field the policy does not name, no signature.

The emulator's clock is S3's time here, so an expiry is stepped past, never slept through.
"""

from __future__ import annotations

import io
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from email.message import Message
from email.utils import collapse_rfc2231_value
from typing import Any

import pytest
import requests
from hypothesis import given
from hypothesis import strategies as st

from leadrouter import runtime
from leadrouter.data.files import EXPORT_TRANSFER, content_disposition
from leadrouter.domain.errors import Unavailable
from leadrouter.domain.files import Files, tenant_key
from leadrouter_local.aws_endpoint import AwsEmulator
from leadrouter_local.template import load_template

CONSOLE = "http://127.0.0.1:3000"  # the local console's origin: another port than the emulator's
KEY = tenant_key("imports", "acme", "01JF-upload.xlsx")
LIST = "Họ tên;SĐT\nNguyễn Văn An;0912345678\n".encode("utf-8-sig")


class Clock:
    """S3's time in the emulator: now, until a test steps it on."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def stack() -> Iterator[tuple[AwsEmulator, Clock]]:
    """One emulator for the module (each test empties the bucket and resets the clock)."""
    clock = Clock()
    emulator = AwsEmulator(load_template(), log=lambda _: None, clock=clock)
    emulator.start()
    yield emulator, clock
    emulator.stop()


@pytest.fixture
def emulator(stack: tuple[AwsEmulator, Clock], monkeypatch: pytest.MonkeyPatch) -> AwsEmulator:
    emulator, _ = stack
    for name, value in emulator.environment().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("LEADS_TABLE", "files-test-leads")
    monkeypatch.setenv("CONFIG_TABLE", "files-test-config")
    bucket = emulator.refs["FilesBucket"]
    for key in emulator.s3.keys(bucket):
        emulator.s3.delete(bucket, key)
    return emulator


@pytest.fixture
def clock(stack: tuple[AwsEmulator, Clock]) -> Clock:
    _, clock = stack
    clock.now = time.time()
    return clock


@pytest.fixture
def files(emulator: AwsEmulator, clock: Clock) -> Files:
    return runtime.files()


def post(upload_url: str, fields: dict[str, str], content: bytes, **headers: str) -> requests.Response:
    """What a browser sends for the console's ``FormData``: the signed fields, then the file."""
    return requests.post(
        upload_url,
        data=fields,
        files={"file": ("Khách hàng.csv", content, "text/csv")},
        headers=headers,
        timeout=10,
    )


def error_code(answer: requests.Response) -> str:
    return str(ET.fromstring(answer.content).findtext("Code"))


def saved_name(disposition: str) -> str:
    """The name a browser saves under: RFC 6266's ``filename*`` (RFC 5987) wins over ``filename``."""
    message = Message()
    message["Content-Disposition"] = disposition
    params = message.get_params(header="content-disposition") or []
    extended = [value for name, value in params if name == "filename" and isinstance(value, tuple)]
    return collapse_rfc2231_value(extended[0]) if extended else str(message.get_filename())


# ---------------------------------------------------------------- wiring
def test_the_store_is_the_template_bucket_built_once_per_bucket(
    emulator: AwsEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the emulator's environment (FILES_BUCKET is the template's FilesBucket)
    assert emulator.refs["FilesBucket"] == emulator.environment()["FILES_BUCKET"]
    # Then warm invocations share one store, and another bucket gets its own
    first = runtime.files()
    assert runtime.files() is first
    monkeypatch.setenv("FILES_BUCKET", "consolebucket")
    assert runtime.files() is not first


def test_without_a_bucket_the_store_says_what_is_missing(
    emulator: AwsEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FILES_BUCKET")
    with pytest.raises(Unavailable, match="FILES_BUCKET"):
        runtime.files()


# ---------------------------------------------------------------- the browser's upload
def test_a_browser_posts_the_signed_form_and_the_store_reads_the_file_back(files: Files) -> None:
    # Given a signed upload of at most 1 KB to one key
    upload = files.upload(KEY, max_bytes=1024, expires_in=300)
    assert upload.max_bytes == 1024 and upload.expires_at is not None
    assert upload.fields["key"] == KEY and "policy" in upload.fields and "x-amz-signature" in upload.fields
    assert files.size(KEY) is None

    # When the browser posts the fields and then the file
    answer = post(upload.url, upload.fields, LIST)

    # Then S3's answer (204, no body), and the file is there, byte for byte
    assert answer.status_code == 204, answer.text
    assert files.size(KEY) == len(LIST)
    with files.open(KEY) as body:
        assert body.read() == LIST


@pytest.mark.parametrize(("size", "code"), [(1025, "EntityTooLarge"), (0, "EntityTooSmall")])
def test_a_file_outside_the_signed_size_is_refused_and_nothing_is_stored(
    files: Files, size: int, code: str
) -> None:
    upload = files.upload(KEY, max_bytes=1024, expires_in=300)
    answer = post(upload.url, upload.fields, b"x" * size)
    assert answer.status_code == 400
    assert error_code(answer) == code
    assert files.size(KEY) is None


def test_a_file_of_exactly_the_signed_size_is_taken(files: Files) -> None:
    upload = files.upload(KEY, max_bytes=1024, expires_in=300)
    assert post(upload.url, upload.fields, b"x" * 1024).status_code == 204
    assert files.size(KEY) == 1024


def test_an_upload_after_its_expiry_is_refused_and_nothing_is_stored(files: Files, clock: Clock) -> None:
    # Given an upload signed for 5 minutes, posted 5 minutes and 1 second later
    upload = files.upload(KEY, max_bytes=1024, expires_in=300)
    clock.now += 301
    answer = post(upload.url, upload.fields, LIST)
    # Then S3's refusal, and nothing stored
    assert answer.status_code == 403
    assert error_code(answer) == "AccessDenied"
    assert "Policy expired" in answer.text
    assert files.size(KEY) is None


def test_a_key_other_than_the_signed_one_is_refused(files: Files) -> None:
    # Given an upload signed for acme's key, posted to another tenant's
    upload = files.upload(KEY, max_bytes=1024, expires_in=300)
    other = tenant_key("imports", "globex", "01JF-upload.xlsx")
    answer = post(upload.url, {**upload.fields, "key": other}, LIST)
    # Then the policy's condition fails and neither key holds anything
    assert answer.status_code == 403
    assert error_code(answer) == "AccessDenied"
    assert "Policy Condition failed" in answer.text
    assert files.size(other) is None and files.size(KEY) is None


def test_a_field_the_policy_does_not_name_is_refused(files: Files) -> None:
    # A console that adds its own Content-Type field fails on AWS: it fails here too
    upload = files.upload(KEY, max_bytes=1024, expires_in=300)
    answer = post(upload.url, {**upload.fields, "Content-Type": "text/csv"}, LIST)
    assert answer.status_code == 403
    assert "Extra input fields: content-type" in answer.text
    assert files.size(KEY) is None


def test_an_unsigned_form_is_refused(files: Files) -> None:
    upload = files.upload(KEY, max_bytes=1024, expires_in=300)
    answer = post(upload.url, {"key": KEY}, LIST)
    assert answer.status_code == 403
    assert files.size(KEY) is None


def test_the_console_on_another_origin_may_post_and_get_but_not_put(files: Files) -> None:
    upload = files.upload(KEY, max_bytes=1024, expires_in=300)
    # The preflight a browser may send before the POST is answered for the console's origin
    preflight = requests.options(
        upload.url,
        headers={"Origin": CONSOLE, "Access-Control-Request-Method": "POST"},
        timeout=10,
    )
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] == CONSOLE
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    # and the POST itself carries the header the browser needs to read its answer
    answer = post(upload.url, upload.fields, LIST, Origin=CONSOLE)
    assert answer.status_code == 204
    assert answer.headers["Access-Control-Allow-Origin"] == CONSOLE
    # A method the bucket's CORS rule does not allow is refused at the preflight
    refused = requests.options(
        upload.url, headers={"Origin": CONSOLE, "Access-Control-Request-Method": "PUT"}, timeout=10
    )
    assert refused.status_code == 403
    assert "Access-Control-Allow-Origin" not in refused.headers


# ---------------------------------------------------------------- the browser's download
def test_the_signed_download_saves_the_file_under_its_vietnamese_name(files: Files) -> None:
    key = tenant_key("exports", "acme", "01JF-export.csv")
    files.put(key, io.BytesIO(LIST), content_type="text/csv; charset=utf-8")
    url = files.download_url(key, filename="Khách hàng Đà Nẵng.csv", expires_in=300)

    answer = requests.get(url, headers={"Origin": CONSOLE}, timeout=10)

    assert answer.status_code == 200
    assert answer.content == LIST
    assert answer.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert saved_name(answer.headers["Content-Disposition"]) == "Khách hàng Đà Nẵng.csv"
    assert answer.headers["Access-Control-Allow-Origin"] == CONSOLE


def test_a_signed_download_expires(files: Files, clock: Clock) -> None:
    files.put(KEY, io.BytesIO(LIST), content_type="text/csv")
    url = files.download_url(KEY, filename="list.csv", expires_in=60)
    clock.now += 61
    answer = requests.get(url, timeout=10)
    assert answer.status_code == 403
    assert error_code(answer) == "AccessDenied"
    assert "Request has expired" in answer.text


def test_the_bucket_is_private_to_an_unsigned_get(files: Files, emulator: AwsEmulator) -> None:
    files.put(KEY, io.BytesIO(LIST), content_type="text/csv")
    answer = requests.get(f"{emulator.endpoint}/{emulator.refs['FilesBucket']}/{KEY}", timeout=10)
    assert answer.status_code == 403
    assert error_code(answer) == "AccessDenied"


# ---------------------------------------------------------------- the functions' reads and writes
def test_a_large_export_goes_up_in_parts_and_streams_back(files: Files, emulator: AwsEmulator) -> None:
    # Given an export above the multipart threshold (one full part and a last, smaller one)
    key = tenant_key("exports", "acme", "01JF-big.csv")
    size = EXPORT_TRANSFER.multipart_threshold + 1024 * 1024 + 7
    content = bytes(range(256)) * (size // 256) + b"x" * (size % 256)

    files.put(key, io.BytesIO(content), content_type="text/csv")

    # Then it was stored from two parts (S3's ETag of a multipart object ends in -<parts>), whole
    stored = emulator.s3.head(emulator.refs["FilesBucket"], key)
    assert stored.etag.endswith('-2"') and stored.content_type == "text/csv"
    assert files.size(key) == size
    read = bytearray()
    with files.open(key) as body:
        while chunk := body.read(1024 * 1024):
            read += chunk
    assert bytes(read) == content


def test_a_missing_file_has_no_size_cannot_be_opened_and_deleting_it_is_harmless(files: Files) -> None:
    assert files.size(KEY) is None
    with pytest.raises(FileNotFoundError):
        files.open(KEY)
    files.delete(KEY)  # nothing there: no error


def test_a_deleted_file_is_gone(files: Files) -> None:
    files.put(KEY, io.BytesIO(LIST), content_type="text/csv")
    files.delete(KEY)
    assert files.size(KEY) is None
    with pytest.raises(FileNotFoundError):
        files.open(KEY)


def test_a_new_upload_replaces_the_file_at_its_key(files: Files) -> None:
    files.put(KEY, io.BytesIO(b"old"), content_type="text/csv")
    upload = files.upload(KEY, max_bytes=1024, expires_in=300)
    assert post(upload.url, upload.fields, LIST).status_code == 204
    with files.open(KEY) as body:
        assert body.read() == LIST


# ---------------------------------------------------------------- the saved name
def test_the_saved_name_has_an_ascii_fallback_and_the_exact_utf8_name() -> None:
    disposition = content_disposition("Khách hàng Đà Nẵng.xlsx")
    assert disposition.startswith('attachment; filename="Khach hang Da Nang.xlsx"; ')
    assert saved_name(disposition) == "Khách hàng Đà Nẵng.xlsx"


@given(st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=80))
def test_any_name_is_saved_exactly_and_cannot_break_the_header(filename: str) -> None:
    disposition = content_disposition(filename)
    assert disposition.isascii() and disposition.isprintable()  # no CR/LF: no header injection
    assert saved_name(disposition) == filename
    message: Any = Message()
    message["Content-Disposition"] = disposition
    assert message.get_content_disposition() == "attachment"
