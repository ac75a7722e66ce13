"""TEMPORARY stub of helper B's module (same interface); replaced at merge."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Provider = Literal["turnstile", "hcaptcha", "recaptcha_v3"]
TOKEN_FIELDS: dict[Provider, str] = {
    "turnstile": "cf-turnstile-response",
    "hcaptcha": "h-captcha-response",
    "recaptcha_v3": "g-recaptcha-response",
}


@dataclass(frozen=True)
class Verdict:
    ok: bool
    reason: str
    score: float | None = None


def verify(
    provider: Provider,
    secret: str,
    token: str | None,
    remote_ip: str | None,
    *,
    min_score: float = 0.5,
    action: str | None = None,
    base_url: str | None = None,
    timeout: float = 3.0,
) -> Verdict:
    if not token:
        return Verdict(False, "missing")
    return Verdict(token == "pass", "passed" if token == "pass" else "failed")
