"""Browser bodies → field pairs (``logic.intake.adapters.bodies``): every encoding, every refusal a 4xx."""

from __future__ import annotations

import json
import unicodedata
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadrouter.domain.bodies import MAX_BODY_BYTES
from leadrouter.logic.intake.adapters.bodies import (
    MAX_FIELDS,
    MAX_NAME_CHARS,
    BodyError,
    FormBody,
    decode_body,
)

URLENCODED = "application/x-www-form-urlencoded"
BOUNDARY = "----WebKitFormBoundary7MA4YWxkTrZu0gW"
MULTIPART = f"multipart/form-data; boundary={BOUNDARY}"
NFD_NAME = unicodedata.normalize("NFD", "Nguyễn Thị Ánh")
NFC_NAME = unicodedata.normalize("NFC", "Nguyễn Thị Ánh")


# --- encoders, the way browsers write each body ------------------------------------------------------


def urlencoded(pairs: list[tuple[str, str]], charset: str = "utf-8") -> bytes:
    return "&".join(f"{quote(n, encoding=charset)}={quote(v, encoding=charset)}" for n, v in pairs).encode()


def browser_name(name: str) -> str:
    """How the HTML standard escapes a name in Content-Disposition."""
    return name.replace("\r", "%0D").replace("\n", "%0A").replace('"', "%22")


def multipart(
    pairs: list[tuple[str, str]], charsets: list[str | None] | None = None, boundary: str = BOUNDARY
) -> bytes:
    body = b""
    for index, (name, value) in enumerate(pairs):
        charset = charsets[index] if charsets else None
        body += f'--{boundary}\r\nContent-Disposition: form-data; name="{browser_name(name)}"\r\n'.encode()
        if charset:
            body += f"Content-Type: text/plain; charset={charset}\r\n".encode()
        encoded = cp1258(value) if charset == "windows-1258" else value.encode(charset or "utf-8")
        body += b"\r\n" + encoded + b"\r\n"
    return body + f"--{boundary}--\r\n".encode()


def cp1258(text: str) -> bytes:
    """Windows-1258 has ê but not ễ: Vietnamese is written as a base letter and a combining tone mark."""
    out = b""
    for char in unicodedata.normalize("NFC", text):
        try:
            out += char.encode("cp1258")
        except UnicodeEncodeError:
            decomposed = unicodedata.normalize("NFD", char)
            out += unicodedata.normalize("NFC", decomposed[:-1]).encode("cp1258")
            out += decomposed[-1].encode("cp1258")
    return out


def outcome(content_type: str | None, raw: bytes) -> FormBody | BodyError:
    """The decoded body or its refusal; any other exception escapes and fails the test."""
    try:
        return decode_body(content_type, raw)
    except BodyError as error:
        return error


def refusal(content_type: str | None, raw: bytes) -> BodyError:
    with pytest.raises(BodyError) as caught:
        decode_body(content_type, raw)
    return caught.value


# --- properties ----------------------------------------------------------------------------------------

FRAGMENTS = [
    f"--{BOUNDARY}".encode(),
    b"\r\n",
    b"\n",
    b'Content-Disposition: form-data; name="a"',
    b"Content-Disposition: form-data; name=b",
    b'; filename="x.txt"',
    b"Content-Type: text/plain; charset=windows-1258",
    b"Content-Type: text/plain; charset=bogus",
    b"--",
    b"_charset_",
    b"\xff",
    b"\xe1\xbb",
    b"\x00",
    b"%",
    b"%ff",
    b"%00",
    b"%E1%BB%85",
    b"&",
    b"=",
    b"+",
    b"{",
    b'"k":',
    b"}",
    b"[",
    b"\\ud800",
]
CONTENT_TYPES = st.one_of(
    st.none(),
    st.text(max_size=80),
    st.sampled_from(
        [
            URLENCODED,
            f"{URLENCODED}; charset=iso-8859-1",
            f"{URLENCODED}; charset=utf-16",
            "application/json",
            "application/json; charset=latin-1",
            MULTIPART,
            "multipart/form-data",
            "multipart/form-data; boundary=",
            f'multipart/form-data; boundary="{BOUNDARY}"; boundary=x',
            "text/plain",
        ]
    ),
    st.builds(lambda base, tail: base + tail, st.sampled_from([URLENCODED, MULTIPART]), st.text(max_size=30)),
)
BODIES = st.one_of(
    st.binary(max_size=600),
    st.lists(st.sampled_from(FRAGMENTS), max_size=40).map(b"".join),
)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(content_type=CONTENT_TYPES, raw=BODIES)
def test_any_bytes_with_any_content_type_give_a_body_or_a_body_error(content_type, raw):
    # Given arbitrary bytes and an arbitrary Content-Type
    # When they are decoded
    body = outcome(content_type, raw)
    if isinstance(body, BodyError):
        # Then a refusal is a 4xx we answer
        assert body.status in (400, 413, 415, 422)
        assert body.message
        return
    # Then what comes back is clean text: NFC, no NUL, bounded
    assert len(body.pairs) <= MAX_FIELDS
    for name, value in body.pairs:
        for text in (name, value):
            assert "\x00" not in text
            assert unicodedata.is_normalized("NFC", text)
        assert len(name) <= MAX_NAME_CHARS


NAMES = st.text(
    alphabet=st.characters(codec="utf-8", exclude_characters='\x00"\r\n%'),
    min_size=1,
    max_size=30,
)
VALUES = st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\x00"), max_size=60)


@settings(max_examples=150)
@given(
    fields=st.dictionaries(NAMES, VALUES, min_size=1, max_size=12),
    charsets=st.lists(st.sampled_from([None, "utf-8", "UTF-8", "utf-16"]), min_size=12, max_size=12),
)
def test_the_same_fields_decode_to_the_same_pairs_in_every_encoding(fields, charsets):
    # Given one set of fields (NFD or NFC alike)
    pairs = list(fields.items())
    expected = {(unicodedata.normalize("NFC", n), unicodedata.normalize("NFC", v)) for n, v in pairs}
    # When it is sent urlencoded, multipart with and without part charsets, and as JSON
    bodies = [
        decode_body(URLENCODED, urlencoded(pairs)),
        decode_body(MULTIPART, multipart(pairs)),
        decode_body(MULTIPART, multipart(pairs, charsets)),
    ]
    as_json = decode_body("application/json", json.dumps(fields).encode())
    # Then every encoding yields the same NFC (name, value) set
    for body in bodies:
        assert set(body.pairs) == expected
    assert as_json.data is not None
    assert set(as_json.data.items()) == expected


@pytest.mark.parametrize(
    ("content_type", "raw"),
    [
        (URLENCODED, urlencoded([("name", NFD_NAME)])),
        (MULTIPART, multipart([("name", NFD_NAME)])),
        (MULTIPART, multipart([("name", NFD_NAME)], ["utf-8"])),
        (MULTIPART, multipart([("name", NFD_NAME)], ["windows-1258"])),
        (f"{URLENCODED}; charset=windows-1258", ("name=" + quote(cp1258(NFD_NAME))).encode()),
    ],
    ids=["urlencoded", "multipart", "multipart-utf8-part", "multipart-cp1258-part", "urlencoded-cp1258"],
)
def test_a_vietnamese_name_in_nfd_comes_back_nfc(content_type, raw):
    # Given "Nguyễn Thị Ánh" typed as decomposed characters (macOS, iOS keyboards)
    # When the body is decoded
    body = decode_body(content_type, raw)
    # Then the name is the composed form
    assert body.pairs == (("name", NFC_NAME),)


def test_a_vietnamese_name_in_nfd_json_comes_back_nfc():
    body = decode_body("application/json", json.dumps({"name": NFD_NAME}, ensure_ascii=False).encode())
    assert body.data == {"name": NFC_NAME}


# --- JSON -------------------------------------------------------------------------------------------------


def test_a_json_object_is_parsed_with_nested_strings_normalised():
    raw = json.dumps({"name": "An", "fields": {"ghi_chú": [NFD_NAME, 1]}}).encode()
    assert decode_body("application/json; charset=UTF-8", raw) == FormBody(
        kind="json", data={"name": "An", "fields": {"ghi_chú": [NFC_NAME, 1]}}
    )


@pytest.mark.parametrize("raw", [b"[]", b'"name"', b"1", b"null"])
def test_json_that_is_not_an_object_is_422(raw):
    assert refusal("application/json", raw).status == 422


@pytest.mark.parametrize(
    "raw", [b"{", b"{'a': 1}", b'{"a": NaN}', b"[" * 5000, b'{"a": 1' + b"0" * 50 + b"}", b"{} {}"]
)
def test_json_we_cannot_parse_safely_is_422(raw):
    assert refusal("application/json", raw).status == 422


def test_json_in_text_plain_is_415():
    assert refusal("text/plain", b'{"name": "An"}').status == 415


def test_json_in_another_charset_is_415():
    assert refusal("application/json; charset=iso-8859-1", b'{"name": "An"}').status == 415


def test_json_escapes_for_nul_and_lone_surrogates_are_422():
    assert refusal("application/json", b'{"name": "A\\u0000n"}').status == 422
    assert refusal("application/json", b'{"name": "\\ud800"}').status == 422


def test_json_with_too_long_a_key_is_422():
    raw = json.dumps({"k" * (MAX_NAME_CHARS + 1): "v"}).encode()
    assert refusal("application/json", raw).status == 422


# --- urlencoded -------------------------------------------------------------------------------------------


def test_urlencoded_plus_is_a_space_and_repeated_names_are_kept_in_order():
    body = decode_body(URLENCODED, b"name=Nguy%E1%BB%85n+An&tag=a&empty=&tag=b&&flag")
    assert body == FormBody(
        kind="urlencoded",
        pairs=(("name", "Nguyễn An"), ("tag", "a"), ("empty", ""), ("tag", "b"), ("flag", "")),
    )


@pytest.mark.parametrize("raw", [b"name=%FF", b"name=\xff", b"name=%E1%BB", b"%C0%AF=1", b"a=%ED%A0%80"])
def test_urlencoded_invalid_utf8_is_400(raw):
    error = refusal(URLENCODED, raw)
    assert (error.status, error.field) == (400, "body")


@pytest.mark.parametrize("raw", [b"name=A%00n", b"name=A\x00n", b"na%00me=An"])
def test_a_nul_character_is_422(raw):
    assert refusal(URLENCODED, raw).status == 422
    assert refusal(MULTIPART, multipart([("name", "A\x00n")])).status == 422


@pytest.mark.parametrize("charset", ["iso-8859-1", "latin1", "windows-1252"])
def test_a_known_urlencoded_charset_is_honoured(charset):
    body = decode_body(f"{URLENCODED}; charset={charset}", b"name=Ren%E9+M%FCller")
    assert body.pairs == (("name", "René Müller"),)


def test_windows_1258_urlencoded_is_decoded_to_nfc():
    raw = b"name=" + quote(cp1258("Trần Văn Ễ")).encode()
    assert decode_body(f'{URLENCODED}; charset="windows-1258"', raw).pairs == (("name", "Trần Văn Ễ"),)


@pytest.mark.parametrize("charset", ["klingon", "base64", "utf-7", "unicode_escape", "idna", "x\x00y"])
def test_an_unknown_or_unsafe_charset_is_415(charset):
    assert refusal(f"{URLENCODED}; charset={charset}", b"name=An").status == 415


def test_the_html_charset_field_is_honoured_when_the_header_has_none():
    raw = b"_charset_=windows-1258&name=" + quote(cp1258("Lê Thị Ánh")).encode()
    assert dict(decode_body(URLENCODED, raw).pairs)["name"] == "Lê Thị Ánh"


def test_emoji_and_bidi_overrides_are_decoded_faithfully():
    text = "An 😀 \u202egnp.exe"
    assert decode_body(URLENCODED, urlencoded([("name", text)])).pairs == (("name", text),)
    assert decode_body(MULTIPART, multipart([("name", text)])).pairs == (("name", text),)


# --- limits ----------------------------------------------------------------------------------------------


def test_ten_thousand_fields_are_413_too_many_fields():
    # Given 10,000 tiny fields, under the byte limit
    raw = b"&".join([b"a=1"] * 10_000)
    assert len(raw) <= MAX_BODY_BYTES
    # When decoded, Then they are refused as too many fields
    error = refusal(URLENCODED, raw)
    assert (error.status, error.message) == (413, f"too many fields (at most {MAX_FIELDS})")


def test_as_many_fields_as_allowed_are_accepted():
    assert len(decode_body(URLENCODED, b"&".join([b"a=1"] * MAX_FIELDS)).pairs) == MAX_FIELDS
    assert len(decode_body(MULTIPART, multipart([("a", "1")] * MAX_FIELDS)).pairs) == MAX_FIELDS


def test_too_many_multipart_parts_are_413():
    raw = multipart([("a", "")] * 1_200, boundary="x")
    assert len(raw) <= MAX_BODY_BYTES
    assert refusal("multipart/form-data; boundary=x", raw).status == 413


def test_too_many_json_members_are_413():
    raw = json.dumps({f"k{i}": i for i in range(MAX_FIELDS + 1)}).encode()
    assert refusal("application/json", raw).status == 413


def test_a_body_at_the_limit_is_read_and_one_byte_over_is_413():
    at_limit = b"note=" + b"x" * (MAX_BODY_BYTES - 5)
    assert len(at_limit) == MAX_BODY_BYTES
    assert decode_body(URLENCODED, at_limit).pairs == (("note", "x" * (MAX_BODY_BYTES - 5)),)
    for content_type in (URLENCODED, MULTIPART, "application/json", None):
        assert refusal(content_type, at_limit + b"x").status == 413


def test_a_name_of_128_characters_is_read_and_129_is_422():
    assert decode_body(URLENCODED, b"n" * MAX_NAME_CHARS + b"=1").pairs == (("n" * MAX_NAME_CHARS, "1"),)
    assert refusal(URLENCODED, b"n" * (MAX_NAME_CHARS + 1) + b"=1").status == 422
    assert refusal(MULTIPART, multipart([("n" * (MAX_NAME_CHARS + 1), "1")])).status == 422


# --- content types and empty bodies ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "content_type", [None, "", "text/plain", "application/xml", "multipart/mixed; boundary=a"]
)
def test_a_non_empty_body_of_unknown_or_missing_type_is_415(content_type):
    assert refusal(content_type, b"name=An").status == 415


@pytest.mark.parametrize(
    ("content_type", "kind", "data"),
    [(None, "urlencoded", None), (URLENCODED, "urlencoded", None), (MULTIPART, "multipart", None),
     ("application/json", "json", {}), ("text/plain", "urlencoded", None)],
)  # fmt: skip
def test_an_empty_body_has_no_fields(content_type, kind, data):
    assert decode_body(content_type, b"") == FormBody(kind=kind, pairs=(), data=data)


def test_the_media_type_is_case_insensitive_and_parameters_may_be_quoted():
    raw = multipart([("name", "An")], boundary="a/b=c")
    assert decode_body('Multipart/Form-Data; BOUNDARY="a/b=c"', raw).pairs == (("name", "An"),)
    assert decode_body("multipart/form-data; boundary=a/b=c", raw).pairs == (("name", "An"),)


# --- multipart -------------------------------------------------------------------------------------------


def test_a_chromium_multipart_body_with_a_vietnamese_field_name_is_read():
    raw = multipart([("họ_tên", "Nguyễn Thị Ánh"), ("so_dien_thoai", "0901234567"), ("x", 'a "q"\r\nb')])
    assert decode_body(MULTIPART, raw).pairs == (
        ("họ_tên", "Nguyễn Thị Ánh"),
        ("so_dien_thoai", "0901234567"),
        ("x", 'a "q"\r\nb'),
    )


@pytest.mark.parametrize(
    "content_type",
    ["multipart/form-data", "multipart/form-data; boundary=", 'multipart/form-data; boundary=""',
     f"multipart/form-data; boundary={BOUNDARY}; boundary=other",
     f"multipart/form-data; boundary={BOUNDARY}; Boundary={BOUNDARY}",
     "multipart/form-data; boundary=" + "b" * 71, "multipart/form-data; boundary"],
    ids=["missing", "empty", "empty-quoted", "duplicate", "duplicate-same", "too-long", "no-value"],
)  # fmt: skip
def test_a_missing_empty_or_repeated_boundary_is_400(content_type):
    error = refusal(content_type, multipart([("name", "An")]))
    assert (error.status, error.field) == (400, "body")


def test_a_file_part_is_422_naming_its_field():
    raw = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="cv"; filename="cv.pdf"\r\n'
        f"Content-Type: application/pdf\r\n\r\n%PDF-1.4\r\n--{BOUNDARY}--\r\n"
    ).encode()
    error = refusal(MULTIPART, raw)
    assert (error.status, error.message, error.field) == (422, "file uploads are not accepted", "cv")


def test_a_part_that_is_not_text_is_422():
    raw = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="blob"\r\n'
        f"Content-Type: application/octet-stream\r\n\r\n\x01\x02\r\n--{BOUNDARY}--\r\n"
    ).encode()
    assert (refusal(MULTIPART, raw).status, refusal(MULTIPART, raw).field) == (422, "blob")


@pytest.mark.parametrize(
    "raw",
    [
        multipart([("name", "An")])[: -len(f"--{BOUNDARY}--\r\n")],  # no closing delimiter
        multipart([("name", "An")])[:40],  # cut inside the headers
        b"garbage that is long enough to hold a boundary and then some more",
        # no Content-Disposition
        f"--{BOUNDARY}\r\nContent-Type: text/plain\r\n\r\nAn\r\n--{BOUNDARY}--\r\n".encode(),
        f"--{BOUNDARY}\nContent-Disposition: form-data; name=a\n\nAn\n--{BOUNDARY}--\n".encode(),  # bare LF
        f"--{BOUNDARY}\r\nContent-Disposition: form-data\r\n\r\nAn\r\n--{BOUNDARY}--\r\n".encode(),  # no name
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="\xff"\r\n\r\nAn\r\n--{BOUNDARY}--'.encode(
            "latin-1"
        ),  # a name that is not UTF-8
    ],
    ids=["unclosed", "truncated", "garbage", "no-disposition", "bare-lf", "no-name", "name-not-utf8"],
)
def test_a_malformed_multipart_body_is_400(raw):
    assert refusal(MULTIPART, raw).status == 400


def test_a_multipart_value_that_is_not_utf8_is_400():
    raw = multipart([("name", "An")]).replace(b"An", b"A\xffn")
    assert refusal(MULTIPART, raw).status == 400


def test_a_windows_1258_part_is_decoded_to_nfc():
    # Given a part declaring windows-1258 (an old Vietnamese Windows page) beside a UTF-8 part
    raw = (
        (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="name"\r\n'
            f"Content-Type: text/plain; charset=windows-1258\r\n\r\n"
        ).encode()
        + cp1258("Nguyễn Thị Ánh")
        + f"\r\n--{BOUNDARY}--\r\n".encode()
    )
    # When decoded, Then the value is the NFC text
    assert decode_body(MULTIPART, raw).pairs == (("name", NFC_NAME),)


def test_a_part_with_an_unknown_charset_is_415():
    raw = multipart([("name", "An")], ["utf-8"]).replace(b"charset=utf-8", b"charset=klingon")
    assert refusal(MULTIPART, raw).status == 415


def test_the_html_charset_field_sets_the_multipart_default():
    raw = (
        (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="_charset_"\r\n\r\nwindows-1258\r\n'
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="name"\r\n\r\n'
        ).encode()
        + cp1258("Lê Ánh")
        + f"\r\n--{BOUNDARY}--\r\n".encode()
    )
    assert decode_body(MULTIPART, raw).pairs == (("_charset_", "windows-1258"), ("name", "Lê Ánh"))


def test_an_empty_multipart_form_has_no_fields():
    assert decode_body(MULTIPART, f"--{BOUNDARY}--\r\n".encode()).pairs == ()
