"""The copy-paste HTML form a source's owner puts on a landing page: it works with JavaScript off.

Without JavaScript the browser posts the form (urlencoded, UTF-8) to the source's action URL and shows
our thank-you page or the owner's. The landing URL's UTM tags reach us then only through the Referer
header, which browsers cut to the origin cross-site unless the page opts in with a referrer meta tag
(the snippet's comment says so). With JavaScript, the optional script also sends the landing URL and
referrer as fields, posts with ``fetch`` (``FormData`` and ``Accept: application/json`` keep it a CORS
simple request: no preflight) and shows the result inline instead of leaving the page. It can read the
answer from any site while the source lists no ``allowed_origins`` (the default), else from those.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from html import escape
from urllib.parse import quote

from leadrouter.domain.consent import CONSENT_FIELD, NOTICE_FIELD, Purpose

CAPTCHA_PROVIDERS = ("turnstile", "hcaptcha", "recaptcha_v3")
#: Off-screen rather than ``display:none`` only: some bots skip fields that are hidden outright.
_HONEYPOT_STYLE = "position:absolute;left:-10000px;top:auto;width:1px;height:1px;overflow:hidden"

_SUCCESS_VI = "Cảm ơn bạn! Chúng tôi đã nhận được thông tin và sẽ liên hệ sớm."
_SENDING_VI = "Đang gửi…"
_INVALID_VI = "Chưa gửi được: vui lòng kiểm tra lại họ tên, số điện thoại hoặc email."
_TOO_FAST_VI = "Bạn gửi hơi nhanh, vui lòng thử lại sau ít phút."
_FAILED_VI = "Chưa gửi được thông tin, vui lòng thử lại."


def form_snippet(
    action_url: str,
    *,
    honeypot_field: str = "_gotcha",
    captcha: tuple[str, str] | None = None,
    with_script: bool = True,
    purposes: Sequence[Purpose] = (),
) -> str:
    """HTML for a form posting to ``action_url``; ``captcha`` is (one of CAPTCHA_PROVIDERS, site key);
    one unticked consent box per purpose, its notice as the label (``consent_fields``)."""
    if captcha is not None and captcha[0] not in CAPTCHA_PROVIDERS:
        raise ValueError(f"unknown CAPTCHA provider {captcha[0]!r}; one of {', '.join(CAPTCHA_PROVIDERS)}")
    provider, site_key = captcha if captcha is not None else (None, "")
    lines = [
        "<!-- leadrouter form. Put this in the <head> of the page so that the landing URL, with its",
        "     UTM tags, reaches us even without JavaScript:",
        '     <meta name="referrer" content="no-referrer-when-downgrade">',
        "-->",
        '<div class="leadrouter-form">',
        f'<form method="post" action="{escape(action_url)}" accept-charset="UTF-8">',
        '  <p><label>Họ tên<br><input type="text" name="name" autocomplete="name" maxlength="200" required>'
        "</label></p>",
        '  <p><label>Số điện thoại<br><input type="tel" name="phone" autocomplete="tel" inputmode="tel"'
        ' maxlength="32" required></label></p>',
        '  <p><label>Email<br><input type="email" name="email" autocomplete="email" maxlength="254">'
        "</label></p>",
        f'  <div style="{_HONEYPOT_STYLE}" aria-hidden="true"><label>Để trống ô này / Leave this empty'
        f'<input type="text" name="{escape(honeypot_field)}" tabindex="-1" autocomplete="off" value="">'
        "</label></div>",
        *_captcha_markup(provider, site_key),
        *consent_lines(purposes),
        '  <p><button type="submit">Gửi</button></p>',
        "</form>",
        '<p class="leadrouter-note" role="status" aria-live="polite"></p>',
    ]
    if with_script or provider == "recaptcha_v3":
        lines.append(f"<script>\n{_script(provider, site_key, inline=with_script)}</script>")
    lines.append("</div>")
    return "\n".join(lines) + "\n"


def consent_lines(purposes: Sequence[Purpose]) -> list[str]:
    """One box per purpose, never ticked by default (silence is not consent), labelled with the exact
    notice text, and the notice's version in a hidden field: it proves the box was shown, so a box
    left unticked is recorded as refused and the record points at these very words."""
    if not purposes:
        return []
    lines = ['  <fieldset class="leadrouter-consents">', "    <legend>Sự đồng ý của bạn</legend>"]
    for purpose in purposes:
        key, version = escape(purpose.key), escape(purpose.notice_version)
        lines += [
            f'    <p><label><input type="checkbox" name="{CONSENT_FIELD}{key}" value="granted"> '
            f"{escape(purpose.notice_text)}</label>",
            f'    <input type="hidden" name="{NOTICE_FIELD}{key}" value="{version}"></p>',
        ]
    lines.append("  </fieldset>")
    return lines


def consent_fields(purposes: Sequence[Purpose]) -> str:
    """The consent boxes alone, to paste into a form made before the purposes or notices changed."""
    return "\n".join(line.removeprefix("  ") for line in consent_lines(purposes)) + "\n" if purposes else ""


def _captcha_markup(provider: str | None, site_key: str) -> list[str]:
    key = escape(site_key)
    if provider == "turnstile":
        return [
            f'  <div class="cf-turnstile" data-sitekey="{key}"></div>',
            '  <script src="https://challenges.cloudflare.com/turnstile/v0/api.js" async defer></script>',
        ]
    if provider == "hcaptcha":
        return [
            f'  <div class="h-captcha" data-sitekey="{key}"></div>',
            '  <script src="https://js.hcaptcha.com/1/api.js" async defer></script>',
        ]
    if provider == "recaptcha_v3":
        return [
            '  <input type="hidden" name="g-recaptcha-response" value="">',
            '  <script src="https://www.google.com/recaptcha/api.js?render='
            f'{escape(quote(site_key, safe=""))}"></script>',
        ]
    return []


def _js(value: str) -> str:
    """A JS string literal that cannot close the <script> element it stands in."""
    return json.dumps(value).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _script(provider: str | None, site_key: str, *, inline: bool) -> str:
    """The form's script: a reCAPTCHA v3 token before sending; with ``inline``, fetch and a message."""
    token = (
        "function token() {\n"
        "    return new Promise(function (resolve) {\n"
        "      grecaptcha.ready(function () {\n"
        f"        grecaptcha.execute({_js(site_key)}, {{action: 'submit'}}).then(resolve, function () {{\n"
        '          resolve("");\n'
        "        });\n"
        "      });\n"
        "    }).then(function (value) {\n"
        "      form.querySelector('[name=\"g-recaptcha-response\"]').value = value;\n"
        "    });\n"
        "  }\n"
        if provider == "recaptcha_v3"
        else "function token() { return Promise.resolve(); }\n"
    )
    head = (
        "(function () {\n"
        "  var box = document.currentScript.parentNode;\n"
        '  var form = box.querySelector("form");\n'
        '  var note = box.querySelector(".leadrouter-note");\n'
        f"  {token}"
    )
    if not inline:
        return (
            head + '  form.addEventListener("submit", function (event) {\n'
            "    event.preventDefault();\n"
            "    token().then(function () { form.submit(); });\n"
            "  });\n"
            "})();\n"
        )
    reset = "      if (window.turnstile) turnstile.reset();\n      if (window.hcaptcha) hcaptcha.reset();\n"
    return (
        head + "  function field(name, value) {\n"
        "    var input = form.querySelector('input[name=\"' + name + '\"]');\n"
        "    if (!input) {\n"
        '      input = document.createElement("input");\n'
        '      input.type = "hidden";\n'
        "      input.name = name;\n"
        "      form.appendChild(input);\n"
        "    }\n"
        "    input.value = value;\n"
        "  }\n"
        "  function show(text) { note.textContent = text; }\n"
        '  field("landing_url", location.href);\n'
        '  field("referrer", document.referrer);\n'
        '  form.addEventListener("submit", function (event) {\n'
        "    event.preventDefault();\n"
        '    var button = form.querySelector("[type=submit]");\n'
        "    button.disabled = true;\n"
        f"    show({_js(_SENDING_VI)});\n"
        "    token().then(function () {\n"
        '      return fetch(form.getAttribute("action"), {\n'
        '        method: "POST",\n'
        "        body: new FormData(form),\n"
        '        headers: {Accept: "application/json"}\n'
        "      });\n"
        "    }).then(function (response) {\n"
        "      if (response.ok) {\n"
        "        form.reset();\n"
        "        form.hidden = true;\n"
        f"        show({_js(_SUCCESS_VI)});\n"
        "        return;\n"
        "      }\n"
        f"      show(response.status === 429 ? {_js(_TOO_FAST_VI)} :\n"
        f"        response.status === 422 ? {_js(_INVALID_VI)} : {_js(_FAILED_VI)});\n"
        f"{reset}"
        "    }).catch(function () {\n"
        f"      show({_js(_FAILED_VI)});\n"
        "    }).then(function () {\n"
        "      button.disabled = false;\n"
        "    });\n"
        "  });\n"
        "})();\n"
    )
