"""Server-side CAPTCHA verification: Cloudflare Turnstile, hCaptcha and Google reCAPTCHA v3.

The widget on the page only hands the visitor's browser a token; anyone can post any string, so the
token means something only once the provider's ``siteverify`` endpoint has vouched for it. All three
take the same form-encoded POST (``secret``, ``response``, ``remoteip``) and answer JSON with
``success`` and ``error-codes``; reCAPTCHA v3 adds a ``score`` (1.0 human, 0.0 bot) and an ``action``.

Who is blamed matters, because a refused visitor is a lost lead:

- the visitor's token is missing, invalid, expired, scored low, minted for another action or solved on
  another site (the answer's ``hostname``, which all three report): the submission is refused
  (``missing``, ``failed``, ``expired``, ``low_score``, ``wrong_action``, ``wrong_hostname``);
- the provider cannot be reached, answers something that is not a verify answer, or rejects *our*
  request (a wrong or missing secret, a sitekey/secret mismatch, a bad request): ``unavailable``. A
  wrong secret is the admin's mistake, not the visitor's, so it is reported the same way as an outage
  (and logged as a warning for the admin); the caller decides whether ``unavailable`` fails open or
  stores the submission as rejected for replay.

The standard library's urllib does the I/O (no new dependency). The provider's scheme and host can be
replaced with ``base_url`` or the ``CAPTCHA_VERIFY_BASE_URL`` environment variable, keeping the path, so
tests and ``make run`` talk to :mod:`leadrouter_local.captcha_fake`. Neither the secret nor the token is
ever logged.
"""

from __future__ import annotations

import http.client
import ipaddress
import json
import math
import os
import urllib.error
import urllib.request
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlencode, urlsplit, urlunsplit

from leadrouter.observability import logger

Provider = Literal["turnstile", "hcaptcha", "recaptcha_v3"]
Reason = Literal[
    "passed", "missing", "failed", "expired", "low_score", "wrong_action", "wrong_hostname", "unavailable"
]

#: The form field each provider's widget adds to the form it sits in.
TOKEN_FIELDS: dict[Provider, str] = {
    "turnstile": "cf-turnstile-response",
    "hcaptcha": "h-captcha-response",
    "recaptcha_v3": "g-recaptcha-response",
}

#: The providers' verify endpoints (Cloudflare, hCaptcha and Google developer documentation).
VERIFY_URLS: dict[Provider, str] = {
    "turnstile": "https://challenges.cloudflare.com/turnstile/v0/siteverify",
    "hcaptcha": "https://api.hcaptcha.com/siteverify",
    "recaptcha_v3": "https://www.google.com/recaptcha/api/siteverify",
}

#: Replaces the scheme and host of every verify URL (a local fake in tests and ``make run``).
BASE_URL_ENV = "CAPTCHA_VERIFY_BASE_URL"

#: Real tokens are a few hundred bytes to a few KB (Turnstile's limit is 2,048 characters); anything far
#: longer is refused without forwarding it.
MAX_TOKEN_CHARS = 8_192
#: A verify answer is a small JSON object; more than this is not one.
MAX_ANSWER_BYTES = 64 * 1024

#: Error codes that mean our request was wrong (configuration), not the visitor's token.
_OUR_FAULT = frozenset(
    {
        "missing-input-secret",
        "invalid-input-secret",
        "sitekey-secret-mismatch",  # hCaptcha
        "bad-request",
        "internal-error",  # Turnstile: the provider failed
        "invalid-remoteip",  # hCaptcha
        "missing-remoteip",
        "not-using-dummy-passcode",  # hCaptcha test keys used with a real token
    }
)
#: Codes for a token that was good once: too old or already used (a double submit, a reloaded page).
#: hCaptcha reports both cases as ``invalid-or-already-seen-response``.
_EXPIRED = frozenset(
    {
        "timeout-or-duplicate",
        "expired-input-response",
        "already-seen-response",
        "invalid-or-already-seen-response",
    }
)
_MISSING = frozenset({"missing-input-response"})


@dataclass(frozen=True)
class Verdict:
    """What the provider said about a visitor's token; ``score`` only for reCAPTCHA v3."""

    ok: bool
    reason: Reason
    score: float | None = None


def verify(
    provider: Provider,
    secret: str,
    token: str | None,
    remote_ip: str | None,
    *,
    min_score: float = 0.5,
    action: str | None = None,
    hostnames: Collection[str] = (),
    base_url: str | None = None,
    timeout: float = 3.0,
) -> Verdict:
    """Ask the provider whether ``token`` is a fresh, genuine solve; never raises for network trouble.

    A missing or blank token is refused without a request. ``remote_ip`` is forwarded only when it is an
    IP address. ``action`` (Turnstile, reCAPTCHA v3) must equal the action the widget declared;
    ``hostnames``, when given, must hold the host the token was solved on (case-insensitive);
    ``min_score`` applies to reCAPTCHA v3 only (hCaptcha Enterprise scores run the other way and
    Turnstile has none). ``timeout`` bounds each socket operation of the one request.
    """
    if token is None or not token.strip():
        return Verdict(ok=False, reason="missing")
    if len(token) > MAX_TOKEN_CHARS:
        return Verdict(ok=False, reason="failed")
    url = _verify_url(provider, base_url if base_url is not None else os.environ.get(BASE_URL_ENV))
    if url is None:
        logger.warning("captcha verify base URL is malformed", extra={"captcha_provider": provider})
        return Verdict(ok=False, reason="unavailable")
    form = {"secret": secret, "response": token}
    if remote_ip and _is_ip(remote_ip):
        form["remoteip"] = remote_ip
    answer = _post(provider, url, urlencode(form).encode("ascii"), timeout)
    if answer is None:
        return Verdict(ok=False, reason="unavailable")
    return _judge(provider, answer, min_score=min_score, action=action, hostnames=hostnames)


def _verify_url(provider: Provider, base_url: str | None) -> str | None:
    """The provider's URL, or the same path under ``base_url``'s scheme and host (and path prefix)."""
    real = VERIFY_URLS[provider]
    if not base_url:
        return real
    base = urlsplit(base_url.strip())
    if base.scheme not in ("http", "https") or not base.netloc:
        return None
    return urlunsplit((base.scheme, base.netloc, base.path.rstrip("/") + urlsplit(real).path, "", ""))


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirected siteverify would be re-sent as a GET without the form: treat it as an outage."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def _post(provider: Provider, url: str, body: bytes, timeout: float) -> dict[str, Any] | None:
    """The provider's JSON object, or None when there is no usable answer (logged without secrets)."""
    request = urllib.request.Request(  # noqa: S310 (the scheme is http/https: VERIFY_URLS or checked base)
        url,
        data=body,
        method="POST",
        headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"},
    )
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            status = response.status
            raw = response.read(MAX_ANSWER_BYTES + 1)
    except urllib.error.HTTPError as error:
        error.close()
        logger.warning(
            "captcha verify answered an error", extra={"captcha_provider": provider, "status": error.code}
        )
        return None
    except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as error:
        # TimeoutError and ConnectionError are OSErrors; the message may hold the URL, never the body.
        logger.warning(
            "captcha verify unreachable", extra={"captcha_provider": provider, "error": type(error).__name__}
        )
        return None
    if status != 200 or len(raw) > MAX_ANSWER_BYTES:
        logger.warning(
            "captcha verify answered an error", extra={"captcha_provider": provider, "status": status}
        )
        return None
    try:
        answer = json.loads(raw)
    except ValueError:  # JSONDecodeError and UnicodeDecodeError
        answer = None
    if not isinstance(answer, dict) or not isinstance(answer.get("success"), bool):
        logger.warning("captcha verify answer is not a verify answer", extra={"captcha_provider": provider})
        return None
    return answer


def _judge(
    provider: Provider,
    answer: dict[str, Any],
    *,
    min_score: float,
    action: str | None,
    hostnames: Collection[str] = (),
) -> Verdict:
    """Turn a provider's JSON answer into a verdict (see the module docstring for who is blamed)."""
    raw_codes = answer.get("error-codes")
    codes = {c for c in raw_codes if isinstance(c, str)} if isinstance(raw_codes, list) else set()
    if not answer["success"]:
        if codes & _OUR_FAULT:
            logger.warning(
                "captcha verify rejected our request: check the source's CAPTCHA secret",
                extra={"captcha_provider": provider, "error_codes": sorted(codes & _OUR_FAULT)},
            )
            return Verdict(ok=False, reason="unavailable")
        if codes & _EXPIRED:
            return Verdict(ok=False, reason="expired")
        if codes & _MISSING:
            return Verdict(ok=False, reason="missing")
        return Verdict(ok=False, reason="failed")
    score = _score(answer) if provider == "recaptcha_v3" else None
    if provider == "recaptcha_v3" and score is None:
        # A success without a score is a reCAPTCHA v2 answer: the source was set up with v2 keys.
        logger.warning("reCAPTCHA answered without a score: v2 keys?", extra={"captcha_provider": provider})
        return Verdict(ok=False, reason="unavailable")
    if action is not None and provider != "hcaptcha" and answer.get("action") != action:
        return Verdict(ok=False, reason="wrong_action", score=score)
    hostname = answer.get("hostname")
    if hostnames and (
        not isinstance(hostname, str) or hostname.lower() not in {h.lower() for h in hostnames}
    ):
        return Verdict(ok=False, reason="wrong_hostname", score=score)
    if score is not None and score < min_score:
        return Verdict(ok=False, reason="low_score", score=score)
    return Verdict(ok=True, reason="passed", score=score)


def _score(answer: dict[str, Any]) -> float | None:
    value = answer.get("score")
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None  # NaN would pass every threshold comparison
    return float(value)


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True
