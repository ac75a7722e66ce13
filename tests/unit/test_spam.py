"""Honeypot and allowed origins (pure): examples from real browsers, then properties over any input."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leadrouter.domain.spam import honeypot_hit, origin_allowed, origin_of

# --- honeypot -----------------------------------------------------------------------------------------


def test_an_untouched_honeypot_is_not_a_hit() -> None:
    # Given what a browser sends for a form whose hidden _gotcha input nobody saw
    pairs = [("ho_ten", "Nguyễn Thị Ánh"), ("_gotcha", ""), ("so_dien_thoai", "0912345678")]
    # Then it is not spam
    assert not honeypot_hit(pairs, "_gotcha")


def test_a_filled_honeypot_is_a_hit() -> None:
    # Given a bot that filled every field it found
    pairs = [("ho_ten", "Buy now"), ("_gotcha", "http://spam.example")]
    # Then it is spam
    assert honeypot_hit(pairs, "_gotcha")


@pytest.mark.parametrize("value", [" ", "\t\n", "\u3000"])
def test_whitespace_in_the_honeypot_is_blank(value: str) -> None:
    # Given a honeypot that came back with only whitespace (some form builders pad hidden inputs)
    # Then it is not a hit
    assert not honeypot_hit([("_gotcha", value)], "_gotcha")


def test_a_repeated_honeypot_counts_if_any_copy_is_filled() -> None:
    # Given the field twice, the second one filled
    # Then it is a hit, whichever copy a parser would keep
    assert honeypot_hit([("_gotcha", ""), ("_gotcha", "x")], "_gotcha")


def test_a_form_without_the_honeypot_is_not_a_hit() -> None:
    # Given a form (or a CRM) that never had the field
    # Then the check has nothing to say
    assert not honeypot_hit([("name", "An"), ("gotcha", "x")], "_gotcha")


field_names = st.sampled_from(["_gotcha", "name", "phone", "_Gotcha", "gotcha"])
pairs_strategy = st.lists(st.tuples(field_names, st.text(max_size=5)), max_size=8)


@given(pairs=pairs_strategy)
def test_honeypot_is_a_hit_exactly_when_the_field_has_visible_text(pairs: list[tuple[str, str]]) -> None:
    # Given any form body
    expected = any(name == "_gotcha" and value.strip() != "" for name, value in pairs)
    # Then the verdict depends only on the honeypot's own values, in any order
    assert honeypot_hit(pairs, "_gotcha") is expected
    assert honeypot_hit(list(reversed(pairs)), "_gotcha") is expected


@given(pairs=pairs_strategy, extra=st.lists(st.tuples(st.sampled_from(["a", "b"]), st.text(max_size=5))))
def test_other_fields_never_change_the_honeypot_verdict(
    pairs: list[tuple[str, str]], extra: list[tuple[str, str]]
) -> None:
    assert honeypot_hit(pairs + extra, "_gotcha") is honeypot_hit(pairs, "_gotcha")


# --- origin_of ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://shop.example.vn", "https://shop.example.vn"),
        ("HTTPS://Shop.Example.VN", "https://shop.example.vn"),
        ("https://shop.example.vn:443", "https://shop.example.vn"),
        ("http://shop.example.vn:80", "http://shop.example.vn"),
        ("http://localhost:8000", "http://localhost:8000"),
        ("https://shop.example.vn:8443", "https://shop.example.vn:8443"),
        ("https://shop.example.vn/khuyen-mai?utm_source=fb#form", "https://shop.example.vn"),
        ("https://user:pw@shop.example.vn/", "https://shop.example.vn"),
        ("http://127.0.0.1:5500/index.html", "http://127.0.0.1:5500"),
        ("http://[::1]:8080/", "http://[::1]:8080"),
        ("https://[2001:DB8::1]", "https://[2001:db8::1]"),
        ("https://cửahàng.vn", "https://xn--cahng-tqa2694c.vn"),
        ("https://cửahàng.vn/", "https://xn--cahng-tqa2694c.vn"),
        ("  https://shop.example.vn  ", "https://shop.example.vn"),
    ],
)
def test_origin_of_a_web_page(value: str, expected: str) -> None:
    assert origin_of(value) == expected


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "null",
        "NULL",
        "file:///home/an/form.html",
        "data:text/html,<form>",
        "chrome-extension://abcdef",
        "shop.example.vn",
        "//shop.example.vn",
        "https://",
        "https://shop.example.vn:99999",
        "https://shop.example.vn:port",
        "https://[::1",
        "https://shop example.vn",
        "https://a..b",
        "https://shop.example.vn https://other.example",
        "https://-bad.example",
        "https://bad\x00.example",
    ],
)
def test_origin_of_refuses_opaque_and_malformed_values(value: str | None) -> None:
    assert origin_of(value) is None


hosts = st.from_regex(
    r"[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?){0,3}", fullmatch=True
)
paths = st.sampled_from(["", "/", "/khuyen-mai", "/a/b?utm_source=zalo&x=1", "#top", "?q=Tết"])


@given(scheme=st.sampled_from(["http", "https"]), host=hosts, port=st.integers(1, 65535), path=paths)
def test_origin_of_keeps_scheme_host_and_a_non_default_port(
    scheme: str, host: str, port: int, path: str
) -> None:
    # Given any page URL, in any letter case
    url = f"{scheme.upper()}://{host.upper()}:{port}{path}"
    # Then its origin is the lower-cased scheme and host, with the port unless it is the default one
    default = {"http": 80, "https": 443}[scheme]
    expected = f"{scheme}://{host}" if port == default else f"{scheme}://{host}:{port}"
    assert origin_of(url) == expected


@given(value=st.text(max_size=40))
@settings(max_examples=300)
def test_origin_of_never_raises_and_is_idempotent(value: str) -> None:
    # Given any header value at all
    result = origin_of(value)
    # Then an origin, once normalised, normalises to itself
    if result is not None:
        assert origin_of(result) == result


# --- origin_allowed -----------------------------------------------------------------------------------

ALLOWED = ["https://shop.example.vn", "http://localhost:8000"]


def test_a_source_without_allowed_origins_takes_every_origin() -> None:
    assert origin_allowed("https://elsewhere.example", None, [])


def test_a_star_takes_every_origin() -> None:
    assert origin_allowed("https://elsewhere.example", None, ["https://shop.example.vn", "*"])


def test_the_sites_own_page_is_allowed() -> None:
    # Given a browser on the landing page itself (any case, default port spelled out)
    # Then it gets in
    assert origin_allowed("HTTPS://shop.example.vn:443", None, ALLOWED)
    assert origin_allowed("http://localhost:8000", None, ALLOWED)


def test_a_browser_on_another_site_is_refused() -> None:
    # Given someone who copied the snippet onto their own page
    # Then the browser's Origin gives them away
    assert not origin_allowed("https://copycat.example", None, ALLOWED)
    # And a different port or scheme of the same host is a different origin
    assert not origin_allowed("http://shop.example.vn", None, ALLOWED)
    assert not origin_allowed("http://localhost:8001", None, ALLOWED)


def test_the_referer_is_used_when_there_is_no_origin() -> None:
    # Given an old browser that sent a Referer but no Origin
    # Then the Referer's origin decides
    assert origin_allowed(None, "https://shop.example.vn/khuyen-mai?utm_source=fb", ALLOWED)
    assert not origin_allowed(None, "https://copycat.example/page", ALLOWED)


def test_the_origin_wins_over_the_referer() -> None:
    assert not origin_allowed("https://copycat.example", "https://shop.example.vn/", ALLOWED)
    assert origin_allowed("https://shop.example.vn", "https://copycat.example/", ALLOWED)


def test_a_request_with_neither_header_is_allowed() -> None:
    # Given a CRM or curl posting server to server (no browser, so no Origin and no Referer)
    # Then the origin check lets it through: bots are the honeypot's, CAPTCHA's and rate limit's job
    assert origin_allowed(None, None, ALLOWED)
    assert origin_allowed("", "  ", ALLOWED)


def test_an_opaque_origin_is_refused_unless_null_is_listed() -> None:
    # Given a page with Referrer-Policy: no-referrer or a sandboxed frame (Origin: null)
    # Then it cannot hide where it is, unless the admin listed "null" on purpose
    assert not origin_allowed("null", None, ALLOWED)
    assert not origin_allowed("null", "https://shop.example.vn/", ALLOWED)
    assert origin_allowed("null", None, [*ALLOWED, "null"])


def test_a_malformed_allowed_entry_matches_nothing() -> None:
    assert not origin_allowed("https://shop.example.vn", None, ["shop.example.vn"])


def test_allowed_entries_are_normalised_too() -> None:
    assert origin_allowed("https://shop.example.vn", None, ["HTTPS://Shop.Example.vn:443/"])


origins = st.builds(
    lambda scheme, host, port: f"{scheme}://{host}{port}",
    st.sampled_from(["http", "https"]),
    st.sampled_from(["shop.example.vn", "copycat.example", "localhost"]),
    st.sampled_from(["", ":8000", ":443", ":80"]),
)
maybe_header = st.one_of(st.none(), origins, st.just("null"))


@given(origin=maybe_header, referer=maybe_header, allowed=st.lists(origins, max_size=3))
def test_origin_allowed_matches_its_definition(
    origin: str | None, referer: str | None, allowed: list[str]
) -> None:
    # Given any pair of headers and any list of well-formed allowed origins
    claimed = origin if origin is not None else referer
    if not allowed or claimed is None:
        expected = True
    else:
        expected = origin_of(claimed) is not None and origin_of(claimed) in {origin_of(a) for a in allowed}
    # Then the verdict is: no list, or no browser claim, or the claimed origin is on the list
    assert origin_allowed(origin, referer, allowed) is expected
    # And adding "*" always lets it in
    assert origin_allowed(origin, referer, [*allowed, "*"])
