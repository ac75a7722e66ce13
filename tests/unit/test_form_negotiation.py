"""JSON or a page, CORS echoes and redirect targets (``leadrouter.api.forms.negotiate``)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leadrouter.api.forms.negotiate import cors_headers, redirect_target, wants_json
from leadrouter.domain.spam import origin_allowed

#: What Chromium sends for a form navigation (POST from a plain <form>).
CHROMIUM_NAVIGATION = {
    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,"
    "*/*;q=0.8,application/signed-exchange;v=b3;q=0.7",
    "Sec-Fetch-Mode": "navigate",
    "Sec-Fetch-Dest": "document",
    "Sec-Fetch-Site": "cross-site",
}
FIREFOX_NAVIGATION = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


# --- wants_json ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        CHROMIUM_NAVIGATION,
        FIREFOX_NAVIGATION,  # an old browser: no Sec-Fetch headers
        {"Accept": "text/html"},
        {"accept": "application/json;q=0.5, text/html"},
        {"Accept": "text/*, application/json;q=0.9"},
        {"Sec-Fetch-Mode": "navigate", "Accept": "*/*"},  # a navigation is shown to a person
        {"sec-fetch-mode": "NAVIGATE", "accept": "application/json"},
    ],
    ids=["chromium", "firefox", "html-only", "json-lower-q", "text-star", "navigate-star", "navigate-json"],
)
def test_a_browser_navigation_gets_a_page(headers):
    assert wants_json(headers) is False


@pytest.mark.parametrize(
    "headers",
    [
        {},  # curl without -H, a CRM webhook
        {"Accept": ""},
        {"Accept": "*/*"},  # fetch's default
        {"Accept": "application/json"},
        {"ACCEPT": "application/json; charset=utf-8"},
        {"Accept": "application/*, text/html;q=0.9"},
        {"Accept": "application/json, text/javascript, */*; q=0.01"},  # jQuery
        {"Accept": "application/json, text/html"},  # a tie, both named: JSON
        {"Accept": "image/png"},  # neither acceptable: our native answer
        {"X-Requested-With": "XMLHttpRequest", "Accept": "text/html"},
        {"Sec-Fetch-Mode": "cors", "Sec-Fetch-Dest": "empty", "Accept": "text/html,*/*"},
        {"sec-fetch-mode": "same-origin", "sec-fetch-dest": "empty"},
        {"Sec-Fetch-Mode": "no-cors", "Sec-Fetch-Dest": "empty", "Accept": "text/html"},
    ],
    ids=[
        "none", "empty", "star", "json", "json-charset", "application-star", "jquery", "tie", "neither",
        "xhr", "fetch-cors", "fetch-same-origin", "fetch-no-cors",
    ],
)  # fmt: skip
def test_a_script_or_an_api_client_gets_json(headers):
    assert wants_json(headers) is True


def test_a_range_with_a_malformed_q_value_is_skipped():
    # Given JSON offered with q=1.5 (out of range) beside text/html: only text/html counts
    assert wants_json({"Accept": "text/html, application/json;q=1.5"}) is False
    assert wants_json({"Accept": "text/html;q=x, application/json;q=0.1"}) is True


def test_a_fetch_that_is_not_for_an_empty_destination_falls_back_to_accept():
    # Given a cors-mode request for an image (not a fetch() of data)
    headers = {"Sec-Fetch-Mode": "cors", "Sec-Fetch-Dest": "image", "Accept": "text/html"}
    # Then Accept decides
    assert wants_json(headers) is False


def test_specificity_beats_order_and_wildcards():
    # text/html is named explicitly at 0.9; application/json only through */* at 1
    assert wants_json({"Accept": "*/*, text/html;q=0.9"}) is True
    # application/json excluded explicitly, even though */* allows it
    assert wants_json({"Accept": "*/*, application/json;q=0"}) is False


@settings(max_examples=300)
@given(
    headers=st.dictionaries(st.sampled_from(["Accept", "Sec-Fetch-Mode", "Sec-Fetch-Dest", "X"]), st.text())
)
def test_any_headers_give_an_answer(headers):
    assert isinstance(wants_json(headers), bool)


# --- cors_headers ----------------------------------------------------------------------------------------

ALLOWED = ["https://shop.example.vn", "http://localhost:8080", "HTTPS://Landing.Example.com:443"]


@pytest.mark.parametrize(
    "origin",
    ["https://shop.example.vn", "https://SHOP.example.vn", "https://shop.example.vn:443", "http://localhost:8080",
     "https://landing.example.com", "HTTPS://landing.example.com"],
)  # fmt: skip
def test_an_allowed_origin_is_echoed_as_sent(origin):
    assert cors_headers(origin, ALLOWED) == {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}


@pytest.mark.parametrize(
    "origin",
    [
        None,
        "",
        "null",
        "http://shop.example.vn",  # another scheme
        "https://shop.example.vn:8443",  # another port
        "https://evil.shop.example.vn",
        "https://shop.example.vn.evil.com",
        "https://shop.example.vn@evil.com",
        "https://evil.com/https://shop.example.vn",
        "http://localhost",  # port 80, not 8080
        "https://shop.example.vn/path",
        "https://shop.example.vn\r\nSet-Cookie: a=b",
        "ftp://shop.example.vn",
    ],
)
def test_any_other_origin_gets_only_vary(origin):
    assert cors_headers(origin, ALLOWED) == {"Vary": "Origin"}


def test_a_star_allows_any_well_formed_origin_but_not_null():
    assert cors_headers("https://anyone.example", ["*"]) == {
        "Access-Control-Allow-Origin": "https://anyone.example",
        "Vary": "Origin",
    }
    assert cors_headers("null", ["*"]) == {"Vary": "Origin"}


@pytest.mark.parametrize(
    "origin", ["https://anyone.example", "http://127.0.0.1:5173", "https://xn--c-hia.vn"]
)
def test_a_source_with_no_list_answers_any_well_formed_origin_with_that_origin(origin):
    # the default: a form key is public and plain forms post from anywhere
    assert cors_headers(origin, []) == {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}
    assert cors_headers(origin, None) == cors_headers(origin, [])  # a preflight before the key is known
    for opaque in ("null", "", "file:///x", "https://a.example/path"):
        assert cors_headers(opaque, []) == {"Vary": "Origin"}


@pytest.mark.parametrize("allowed", [[], ["*"], ALLOWED, ["https://a.example/"], ["http://[::1]:8080"]])
@pytest.mark.parametrize(
    "origin",
    ["https://shop.example.vn", "https://SHOP.example.vn:443", "http://localhost:8080", "http://localhost",
     "https://a.example", "https://b.example", "http://[::1]:8080", "https://landing.example.com"],
)  # fmt: skip
def test_the_cors_echo_agrees_with_the_submission_origin_check(origin, allowed):
    # a browser whose post is accepted can read the answer; one whose post is refused cannot
    echoed = "Access-Control-Allow-Origin" in cors_headers(origin, allowed)
    assert echoed is origin_allowed(origin, None, allowed)


def test_a_trailing_slash_in_the_allow_list_is_forgiven():
    assert "Access-Control-Allow-Origin" in cors_headers("https://a.example", ["https://a.example/"])


# --- redirect_target -------------------------------------------------------------------------------------

HOSTS = ["shop.example.vn", "cam-on.example.com"]
DEFAULT = "https://shop.example.vn/cam-on"


@pytest.mark.parametrize(
    ("requested", "expected"),
    [
        ("https://shop.example.vn/thanks?x=1#top", "https://shop.example.vn/thanks?x=1#top"),
        ("HTTP://SHOP.EXAMPLE.VN/a", "HTTP://SHOP.EXAMPLE.VN/a"),
        ("https://cam-on.example.com:8443/", "https://cam-on.example.com:8443/"),
        ("https://shop.example.vn/cảm-ơn", "https://shop.example.vn/c%E1%BA%A3m-%C6%A1n"),
        ("https://shop.example.vn/a%20b", "https://shop.example.vn/a%20b"),
    ],
)
def test_a_requested_url_on_an_allowed_host_is_taken(requested, expected):
    assert redirect_target(requested, DEFAULT, HOSTS) == expected


@pytest.mark.parametrize(
    "requested",
    [
        "https://evil.com/",
        "https://shop.example.vn@evil.com/",
        "https://shop.example.vn:443@evil.com/",
        "https://user:pw@shop.example.vn/",
        "//evil.com/",
        "//shop.example.vn/",
        "/thanks",
        "javascript:alert(1)//shop.example.vn",
        "JaVaScRiPt:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "https:\\\\evil.com",
        "https://shop.example.vn\\@evil.com/",
        "https:/\\evil.com",
        "https:///evil.com",
        "https:evil.com",
        " https://shop.example.vn/",
        "https://shop.example.vn/\r\nLocation: https://evil.com",
        "https://shop.example.vn\t.evil.com/",
        "https://shop.example.vn.evil.com/",
        "https://evil.com#https://shop.example.vn",
        "https://evil.com?https://shop.example.vn",
        "https://%73hop.example.vn/",
        "https://shop.example.vn:99999/",
        "https://shop.example.vn:abc/",
        "https://ѕhop.example.vn/",  # Cyrillic ѕ
        "https://shop.example.vn\uff0f@evil.com",
        "ftp://shop.example.vn/",
        "",
    ],
)
def test_any_other_requested_url_falls_back_to_the_default(requested):
    assert redirect_target(requested, DEFAULT, HOSTS) == DEFAULT


def test_without_a_safe_request_or_a_default_there_is_no_target():
    assert redirect_target(None, None, HOSTS) is None
    assert redirect_target("https://evil.com/", None, HOSTS) is None
    assert redirect_target(None, DEFAULT, HOSTS) == DEFAULT
    assert redirect_target("https://shop.example.vn/x", None, []) is None


@settings(max_examples=300)
@given(requested=st.text(max_size=60), suffix=st.text(max_size=20))
def test_a_target_is_only_ever_an_allowed_host_or_the_default(requested, suffix):
    for candidate in (requested, "https://shop.example.vn" + suffix, "https://" + requested):
        target = redirect_target(candidate, None, HOSTS)
        if target is not None:
            assert target.isascii()
            assert target.lower().startswith(("https://shop.example.vn", "https://cam-on.example.com"))
            rest = target.split("://", 1)[1]
            host = rest.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
            assert host.split(":")[0].lower() in HOSTS
