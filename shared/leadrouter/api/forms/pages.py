"""The pages a visitor sees after posting a plain form: thank you, or what to fix (Vietnamese first).

Each page is one self-contained UTF-8 document (inline CSS, no scripts, no external assets; an empty
inline icon, so a browser does not ask for ``/favicon.ico``) so it shows the same behind any CDN and with
JavaScript off. Every interpolated value is HTML-escaped. An error page's advice follows its status: only
a problem with what was typed sends the visitor back to correct the form.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from html import escape

DEFAULT_THANK_YOU_TITLE = "Cảm ơn bạn! / Thank you!"
DEFAULT_THANK_YOU_VI = "Cảm ơn bạn! Chúng tôi đã nhận được thông tin và sẽ liên hệ sớm."
DEFAULT_THANK_YOU_EN = "Thank you! We received your details and will contact you soon."
ERROR_HEADING_VI = "Chưa gửi được thông tin"
ERROR_HEADING_EN = "We could not send your details"

#: Our common English validation messages (pydantic's and the domain's) → Vietnamese, matched on how the
#: message starts, lower-cased, after pydantic's "Value error, " prefix. The first match wins, so longer
#: prefixes come first. A message not listed is shown as it is.
PROBLEM_MESSAGES_VI: tuple[tuple[str, str], ...] = (
    ("give a phone number or an email address", "Vui lòng nhập số điện thoại hoặc email."),
    ("missing phone", "Vui lòng nhập số điện thoại."),
    ("missing email", "Vui lòng nhập email."),
    ("not a valid phone number", "Số điện thoại không hợp lệ."),
    ("not a phone number", "Số điện thoại không hợp lệ."),
    ("invalid phone", "Số điện thoại không hợp lệ."),
    ("not a valid email address", "Email không hợp lệ."),
    ("value is not a valid email address", "Email không hợp lệ."),
    ("invalid email", "Email không hợp lệ."),
    ("field required", "Vui lòng điền thông tin này."),
    ("required", "Vui lòng điền thông tin này."),
    ("string should have at least 1 character", "Vui lòng điền thông tin này."),
    ("too long", "Nội dung quá dài."),
    # the door's own refusals (no form field to name)
    ("too many submissions", "Bạn đã gửi nhiều lần trong thời gian ngắn."),
    ("this page may not post to this form", "Trang này không được phép gửi vào biểu mẫu này."),
    ("unknown or disabled form key", "Biểu mẫu này không còn nhận thông tin."),
    ("missing form key", "Biểu mẫu này thiếu mã nguồn (form key)."),
    ("request body over", "Nội dung gửi quá lớn."),
    ("too many fields", "Biểu mẫu có quá nhiều trường."),
    ("the lead could not be stored right now", "Hệ thống đang bận."),
    ("the captcha check is unavailable right now", "Hệ thống kiểm tra CAPTCHA đang bận."),
)
#: Problem keys that name no field the visitor sees (the door's own checks): shown without a label.
UNLABELLED = frozenset({"", "body", "form_key", "origin", "X-Source-Secret", "Idempotency-Key"})

#: What the visitor can do, by the answer's status (Vietnamese, English). A problem with what was typed
#: (400, 413, 415, 422) is corrected on the form; the others are not the form's content.
_FIX = (
    "Vui lòng bấm nút Quay lại của trình duyệt để sửa và gửi lại.",
    "Please use your browser's Back button to correct and resend the form.",
)
_ADVICE: dict[int, tuple[str, str]] = {
    429: (
        "Vui lòng đợi một phút rồi gửi lại; thông tin bạn đã nhập không có gì sai.",
        "Please wait a minute, then send it again; nothing is wrong with what you typed.",
    ),
    503: (
        "Vui lòng thử gửi lại sau ít phút; thông tin bạn đã nhập không có gì sai.",
        "Please try sending it again in a few minutes; nothing is wrong with what you typed.",
    ),
    401: (
        "Biểu mẫu trên trang này chưa được cài đặt đúng. Vui lòng liên hệ với chủ trang web theo cách khác.",
        "The form on this page is not set up correctly. Please contact the site's owner another way.",
    ),
    403: (
        "Biểu mẫu trên trang này không được phép gửi tới đây. "
        "Vui lòng liên hệ với chủ trang web theo cách khác.",
        "The form on this page may not send here. Please contact the site's owner another way.",
    ),
}
_AT_MOST = re.compile(r"string should have at most (\d+) characters?")

_STYLE = """
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;color:#1f2933;
background:#f5f7fa;display:flex;min-height:100vh;align-items:center;justify-content:center}
main{background:#fff;max-width:32rem;margin:1rem;padding:2rem;border-radius:12px;
box-shadow:0 2px 12px rgba(0,0,0,.08)}
h1{font-size:1.4rem;margin:0 0 .75rem}
.en{color:#616e7c;font-size:.95rem}
ul{padding-left:1.2rem}
li{margin:.35rem 0}
a.back{display:inline-block;margin-top:1rem;padding:.6rem 1.2rem;background:#2563eb;color:#fff;
border-radius:8px;text-decoration:none}
""".strip()


def problem_messages_vi(message: str) -> str | None:
    """The Vietnamese for one of our common English validation messages; None if it is not one of them."""
    text = message.strip().lower().removeprefix("value error, ")
    if (found := _AT_MOST.match(text)) is not None:
        return f"Quá dài (tối đa {found.group(1)} ký tự)."
    return next((vietnamese for english, vietnamese in PROBLEM_MESSAGES_VI if text.startswith(english)), None)


def _english(text: str) -> str:
    return f'<p class="en" lang="en">{escape(text)}</p>'


def _page(title: str, body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="vi">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="robots" content="noindex">\n'
        '<link rel="icon" href="data:,">\n'
        f"<title>{escape(title)}</title>\n<style>{_STYLE}</style>\n</head>\n"
        f"<body>\n<main>\n{body}\n</main>\n</body>\n</html>\n"
    )


def thank_you_page(title: str | None = None, message: str | None = None) -> str:
    """The built-in thank-you page; the source's own title and message replace the bilingual default."""
    heading = title or DEFAULT_THANK_YOU_TITLE
    if message:
        text = f"<p>{escape(message)}</p>"
    else:
        text = f"<p>{escape(DEFAULT_THANK_YOU_VI)}</p>\n{_english(DEFAULT_THANK_YOU_EN)}"
    return _page(heading, f"<h1>{escape(heading)}</h1>\n{text}")


def error_page(problems: Sequence[tuple[str, str]], *, status: int = 422, back_url: str | None = None) -> str:
    """What went wrong, as (label the form uses, message) pairs: Vietnamese, with our English under it,
    and what the visitor can do about it (``status``: correct the form, wait, or contact the site).

    A problem of the door's own (``UNLABELLED``: the rate limit, the origin, the key) has no label. With
    ``back_url`` (the form's page, http(s)) a link back follows the advice: no script needed either way.
    """
    items = []
    for label, message in problems:
        vietnamese = problem_messages_vi(message)
        shown = escape(message)
        if vietnamese:
            shown = f'{escape(vietnamese)} <span class="en" lang="en">({shown})</span>'
        named = f"<strong>{escape(label)}</strong>: " if label not in UNLABELLED else ""
        items.append(f"<li>{named}{shown}</li>")
    listing = "<ul>\n" + "\n".join(items) + "\n</ul>" if items else ""
    advice_vi, advice_en = _ADVICE.get(status, _FIX)
    back = f"<p>{escape(advice_vi)}</p>\n{_english(advice_en)}"
    if back_url and back_url.lower().startswith(("https://", "http://")):
        back += f'\n<a class="back" href="{escape(back_url)}">Quay lại biểu mẫu / Back to the form</a>'
    heading = f'{escape(ERROR_HEADING_VI)}<br><span class="en" lang="en">{escape(ERROR_HEADING_EN)}</span>'
    return _page(f"{ERROR_HEADING_VI} / {ERROR_HEADING_EN}", f"<h1>{heading}</h1>\n{listing}\n{back}")
