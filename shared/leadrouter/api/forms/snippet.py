"""TEMPORARY stub of helper A's module (same interface); replaced at merge."""

from __future__ import annotations

from html import escape


def form_snippet(
    action_url: str,
    *,
    honeypot_field: str = "_gotcha",
    captcha: tuple[str, str] | None = None,
    with_script: bool = True,
) -> str:
    return (f'<form method="post" action="{escape(action_url)}" accept-charset="UTF-8">'
            f'<input name="name"><input name="phone"><input name="{escape(honeypot_field)}" tabindex="-1">'
            "<button>Gửi</button></form>")
