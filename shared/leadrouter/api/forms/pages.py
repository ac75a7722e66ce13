"""TEMPORARY stub of helper A's module (same interface); replaced at merge."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape


def thank_you_page(title: str | None = None, message: str | None = None) -> str:
    return ("<!doctype html><html lang='vi'><meta charset='utf-8'><title>Cảm ơn</title>"
            "<h1>Cảm ơn bạn!</h1><p>Thank you! We received your details.</p></html>")


def error_page(problems: Sequence[tuple[str, str]], *, back_url: str | None = None) -> str:
    items = "".join(f"<li>{escape(label)}: {escape(message)}</li>" for label, message in problems)
    return f"<!doctype html><html lang='vi'><meta charset='utf-8'><h1>Chưa gửi được</h1><ul>{items}</ul></html>"
