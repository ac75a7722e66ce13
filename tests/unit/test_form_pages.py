"""The visitor's pages and the copy-paste form (``leadrouter.api.forms.pages`` and ``.snippet``)."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from leadrouter.api.forms.pages import error_page, problem_messages_vi, thank_you_page
from leadrouter.api.forms.snippet import form_snippet

VOID = {"meta", "input", "br", "link", "img", "hr"}
ACTION = "https://api.example.vn/f/fk_01H?x=1&y=2"
XSS = '"><script>alert(1)</script>'


class Document(HTMLParser):
    """Elements with their attributes, text, and a check that every opened element is closed in order."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.scripts: list[str] = []
        self.open: list[str] = []
        self.errors: list[str] = []
        self._raw: str | None = None
        self.feed(html)
        self.close()
        if self.open:
            self.errors.append(f"unclosed {self.open}")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))
        if tag not in VOID:
            self.open.append(tag)
        self._raw = tag if tag in ("script", "style") else None

    def handle_endtag(self, tag: str) -> None:
        if not self.open or self.open[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.open[-1:]}")
        else:
            self.open.pop()
        self._raw = None

    def handle_data(self, data: str) -> None:
        if self._raw == "script":
            self.scripts.append(data)
        elif self._raw is None:
            self.text.append(data)

    def all(self, tag: str) -> list[dict[str, str | None]]:
        return [attrs for name, attrs in self.elements if name == tag]

    def input(self, name: str) -> dict[str, str | None]:
        found = [attrs for attrs in self.all("input") if attrs.get("name") == name]
        assert len(found) == 1, f"one input named {name!r}, found {len(found)}"
        return found[0]

    @property
    def visible_text(self) -> str:
        return " ".join("".join(self.text).split())


def assert_self_contained_page(doc: Document) -> None:
    assert doc.errors == []
    assert {"charset": "utf-8"} in doc.all("meta")
    assert any(attrs.get("name") == "viewport" for attrs in doc.all("meta"))
    # the one link is an empty inline icon: the browser asks for no /favicon.ico
    assert doc.all("link") == [{"rel": "icon", "href": "data:,"}]
    assert doc.all("img") == [] and doc.all("script") == []
    assert len(doc.all("style")) == 1


# --- thank_you_page --------------------------------------------------------------------------------------


def test_the_default_thank_you_page_is_vietnamese_first_with_an_english_line():
    # When the built-in page is rendered without the source's own wording
    doc = Document(thank_you_page())
    # Then it is one self-contained UTF-8 page, Vietnamese before English
    assert_self_contained_page(doc)
    text = doc.visible_text
    vietnamese = text.index("Cảm ơn bạn! Chúng tôi đã nhận được thông tin và sẽ liên hệ sớm.")
    english = text.index("Thank you! We received your details and will contact you soon.")
    assert vietnamese < english


def test_the_sources_own_title_and_message_are_escaped():
    html = thank_you_page(title=f"Shop {XSS}", message=f"Hẹn gặp lại {XSS}")
    doc = Document(html)
    assert_self_contained_page(doc)
    assert "<script>alert" not in html
    assert f"Hẹn gặp lại {XSS}" in doc.visible_text


# --- error_page ------------------------------------------------------------------------------------------


def test_the_error_page_lists_each_problem_under_the_forms_own_label_in_vietnamese():
    # Given problems labelled as the form names its fields, with our English messages
    problems = [
        ("so_dien_thoai", "Value error, not a valid phone number (Vietnamese numbers: 10 digits...)"),
        ("ho_ten", "String should have at most 200 characters"),
        ("ghi_chu", "a message we have no Vietnamese for"),
    ]
    # When the page is rendered
    doc = Document(error_page(problems))
    # Then the bilingual heading, each label with the Vietnamese message (English kept), and a way back
    assert_self_contained_page(doc)
    text = doc.visible_text
    assert "Chưa gửi được thông tin" in text and "We could not send your details" in text
    assert "so_dien_thoai: Số điện thoại không hợp lệ." in text
    assert "ho_ten: Quá dài (tối đa 200 ký tự)." in text
    assert "ghi_chu: a message we have no Vietnamese for" in text
    assert len(doc.all("li")) == 3
    assert "nút Quay lại của trình duyệt" in text and "Back button" in text
    assert doc.all("a") == []


FIX_ADVICE = ("để sửa", "to correct", "correct and resend")


@pytest.mark.parametrize(
    ("status", "message", "vietnamese", "advice"),
    [
        (429, "too many submissions; try again shortly", "Bạn đã gửi nhiều lần", "đợi một phút"),
        (
            403,
            "this page may not post to this form",
            "Trang này không được phép gửi",
            "liên hệ với chủ trang",
        ),
        (401, "unknown or disabled form key", "Biểu mẫu này không còn nhận", "liên hệ với chủ trang"),
        (503, "the lead could not be stored right now; try again", "Hệ thống đang bận", "thử gửi lại"),
    ],
)
def test_a_page_not_about_what_was_typed_says_so_in_vietnamese_without_an_empty_label(
    status, message, vietnamese, advice
):
    # Given a refusal of the door's own (no form field to name), as the door lists it
    for problems in ([("", message)], [("origin", message)], [("form_key", message)]):
        doc = Document(error_page(problems, status=status))
        assert_self_contained_page(doc)
        text = doc.visible_text
        # Then the one problem is in Vietnamese (English kept), with no label and no empty one
        assert vietnamese in text and message in text
        assert doc.all("strong") == [] and ": " + message not in text
        # …and the advice fits: wait, or contact the site, never "go back and correct the form"
        assert advice in text
        assert not any(phrase in text for phrase in FIX_ADVICE), text


def test_a_problem_with_what_was_typed_still_says_to_go_back_and_correct_it():
    for status in (400, 413, 415, 422):
        text = Document(error_page([("phone", "Field required")], status=status)).visible_text
        assert "nút Quay lại của trình duyệt để sửa" in text and "correct and resend" in text


def test_the_error_page_links_back_to_the_form_when_given_its_url():
    doc = Document(error_page([("phone", "Field required")], back_url="https://shop.vn/form?a=1&b=2"))
    assert doc.all("a") == [{"class": "back", "href": "https://shop.vn/form?a=1&b=2"}]


@pytest.mark.parametrize("back_url", ["javascript:alert(1)", "//evil.com", "data:text/html,x", ""])
def test_a_back_url_that_is_not_http_is_not_a_link(back_url):
    doc = Document(error_page([("phone", "Field required")], back_url=back_url))
    assert doc.all("a") == []


def test_labels_and_messages_are_escaped():
    html = error_page([(XSS, XSS)], back_url=f"https://shop.vn/{XSS}")
    doc = Document(html)
    assert doc.errors == [] and doc.all("script") == []
    assert XSS in doc.visible_text
    assert doc.all("a")[0]["href"] == f"https://shop.vn/{XSS}"


@pytest.mark.parametrize(
    ("english", "vietnamese"),
    [
        ("Value error, give a phone number or an email address", "Vui lòng nhập số điện thoại hoặc email."),
        ("missing phone", "Vui lòng nhập số điện thoại."),
        ("missing email", "Vui lòng nhập email."),
        ("Value error, not a phone number", "Số điện thoại không hợp lệ."),
        ("invalid phone", "Số điện thoại không hợp lệ."),
        ("Value error, not a valid email address: The email address is not valid.", "Email không hợp lệ."),
        ("invalid email", "Email không hợp lệ."),
        ("String should have at most 32 characters", "Quá dài (tối đa 32 ký tự)."),
        ("too long", "Nội dung quá dài."),
        ("Field required", "Vui lòng điền thông tin này."),
        ("required", "Vui lòng điền thông tin này."),
    ],
)
def test_common_messages_have_vietnamese(english, vietnamese):
    assert problem_messages_vi(english) == vietnamese


def test_an_unknown_message_has_no_translation():
    assert problem_messages_vi("Input should be a valid dictionary") is None


# --- form_snippet ----------------------------------------------------------------------------------------


def test_the_snippet_is_a_form_that_works_without_the_script():
    # Given the snippet without its script (a page with JavaScript off sees the same form)
    doc = Document(form_snippet(ACTION, with_script=False))
    # Then it parses, and its form posts UTF-8 to the action URL with the lead's fields
    assert doc.errors == []
    assert doc.all("script") == []
    assert doc.all("form") == [{"method": "post", "action": ACTION, "accept-charset": "UTF-8"}]
    assert doc.input("name")["type"] == "text"
    assert doc.input("phone")["type"] == "tel"
    assert doc.input("email")["type"] == "email"
    assert [attrs.get("type") for attrs in doc.all("button")] == ["submit"]
    text = doc.visible_text
    assert "Họ tên" in text and "Số điện thoại" in text and "Gửi" in text


def test_the_honeypot_is_off_screen_not_only_display_none():
    doc = Document(form_snippet(ACTION, honeypot_field="_website"))
    honeypot = doc.input("_website")
    assert (honeypot["tabindex"], honeypot["autocomplete"]) == ("-1", "off")
    wrappers = [attrs for attrs in doc.all("div") if "left:-10000px" in (attrs.get("style") or "")]
    assert len(wrappers) == 1 and "display:none" not in (wrappers[0]["style"] or "")


def test_the_snippet_tells_how_to_keep_utm_tags_without_javascript():
    assert '<meta name="referrer" content="no-referrer-when-downgrade">' in form_snippet(ACTION)


def test_the_action_url_is_escaped():
    html = form_snippet(f"https://api.example.vn/f/k{XSS}")
    doc = Document(html)
    assert doc.errors == []
    assert doc.all("form")[0]["action"] == f"https://api.example.vn/f/k{XSS}"
    assert "<script>alert" not in html


def test_the_script_fills_attribution_and_posts_as_a_simple_cors_request():
    doc = Document(form_snippet(ACTION))
    assert doc.errors == []
    (script,) = doc.scripts
    assert 'field("landing_url", location.href)' in script
    assert 'field("referrer", document.referrer)' in script
    assert "body: new FormData(form)" in script
    assert 'headers: {Accept: "application/json"}' in script
    assert "event.preventDefault()" in script
    # no custom header, no JSON body: those would need a preflight
    assert "Content-Type" not in script and "JSON.stringify" not in script


@pytest.mark.parametrize(
    ("provider", "widget", "loader"),
    [
        ("turnstile", "cf-turnstile", "https://challenges.cloudflare.com/turnstile/v0/api.js"),
        ("hcaptcha", "h-captcha", "https://js.hcaptcha.com/1/api.js"),
    ],
)
def test_a_captcha_widget_is_included_with_its_site_key(provider, widget, loader):
    doc = Document(form_snippet(ACTION, captcha=(provider, f"key{XSS}"), with_script=False))
    assert doc.errors == []
    assert {"class": widget, "data-sitekey": f"key{XSS}"} in doc.all("div")
    assert [attrs["src"] for attrs in doc.all("script")] == [loader]


def test_recaptcha_v3_fills_its_hidden_token_even_without_the_inline_script():
    # Given reCAPTCHA v3 (invisible: a token from grecaptcha.execute, sent as g-recaptcha-response)
    html = form_snippet(ACTION, captcha=("recaptcha_v3", f"site{XSS}"), with_script=False)
    doc = Document(html)
    # Then the form carries the hidden field and a script that fills it, then submits natively
    assert doc.errors == []
    assert doc.input("g-recaptcha-response")["type"] == "hidden"
    srcs = [attrs.get("src") for attrs in doc.all("script")]
    assert srcs[0] is not None and srcs[0].startswith(
        "https://www.google.com/recaptcha/api.js?render=site%22"
    )
    (script,) = doc.scripts
    assert "grecaptcha.execute(" in script and "form.submit()" in script
    assert "</script" not in script.lower()


def test_an_unknown_captcha_provider_is_refused():
    with pytest.raises(ValueError, match="unknown CAPTCHA provider"):
        form_snippet(ACTION, captcha=("recaptcha_v2", "k"))
