"""Server-side CAPTCHA verification against the local fake verify endpoints, for each provider.

The fake serves the providers' real paths on 127.0.0.1; ``verify`` is pointed at it with ``base_url``
(or ``CAPTCHA_VERIFY_BASE_URL``). A ``slow`` answer waits on an event that the fake's ``stop()`` sets, so
the timeout test waits only for the client's own 0.2 s timeout.
"""

from __future__ import annotations

import json
import logging
import socket
from collections.abc import Iterator
from typing import get_args

import pytest

from leadrouter.captcha import BASE_URL_ENV, TOKEN_FIELDS, VERIFY_URLS, Provider, Verdict, verify
from leadrouter_local.captcha_fake import FakeCaptcha

PROVIDERS: tuple[Provider, ...] = get_args(Provider)
SECRET = "test-secret-0x4AAA"
VISITOR_IP = "203.0.113.7"


@pytest.fixture
def fake() -> Iterator[FakeCaptcha]:
    with FakeCaptcha(SECRET) as running:
        yield running


def check(fake: FakeCaptcha, provider: Provider, token: str | None, **kwargs: object) -> Verdict:
    return verify(provider, SECRET, token, VISITOR_IP, base_url=fake.base_url, **kwargs)  # type: ignore[arg-type]


# --- the constants the snippets and the wiring rely on ------------------------------------------------


def test_each_provider_has_its_widget_field_and_real_endpoint() -> None:
    assert TOKEN_FIELDS == {
        "turnstile": "cf-turnstile-response",
        "hcaptcha": "h-captcha-response",
        "recaptcha_v3": "g-recaptcha-response",
    }
    assert VERIFY_URLS == {
        "turnstile": "https://challenges.cloudflare.com/turnstile/v0/siteverify",
        "hcaptcha": "https://api.hcaptcha.com/siteverify",
        "recaptcha_v3": "https://www.google.com/recaptcha/api/siteverify",
    }


# --- each provider, both ways -------------------------------------------------------------------------


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_genuine_token_passes(fake: FakeCaptcha, provider: Provider) -> None:
    # Given a visitor who solved the widget
    verdict = check(fake, provider, "pass")
    # Then the submission may go on (reCAPTCHA v3 also says how human it looked)
    expected_score = 0.9 if provider == "recaptcha_v3" else None
    assert verdict == Verdict(ok=True, reason="passed", score=expected_score)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_the_fake_received_secret_response_and_remoteip_form_encoded(
    fake: FakeCaptcha, provider: Provider
) -> None:
    # When a token is verified
    check(fake, provider, "pass")
    # Then the provider's own path got one form-encoded POST with the secret, the token and the IP
    (received,) = fake.received
    assert received.provider == provider
    assert received.content_type == "application/x-www-form-urlencoded"
    assert received.form == {"secret": SECRET, "response": "pass", "remoteip": VISITOR_IP}


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_forged_token_fails(fake: FakeCaptcha, provider: Provider) -> None:
    # Given a bot that posted a made-up token
    assert check(fake, provider, "fail") == Verdict(ok=False, reason="failed")
    # And any other unknown token is invalid too
    assert check(fake, provider, "eyJhbGciOi-made-up") == Verdict(ok=False, reason="failed")


@pytest.mark.parametrize("provider", PROVIDERS)
def test_an_expired_or_reused_token_is_expired(fake: FakeCaptcha, provider: Provider) -> None:
    # Given a token solved too long ago, or already verified once (each provider's own error code)
    verdict = check(fake, provider, "expired")
    # Then the visitor is told to try again rather than called a bot
    assert verdict == Verdict(ok=False, reason="expired")


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize("token", [None, "", "   "])
def test_a_missing_token_is_refused_without_asking(
    fake: FakeCaptcha, provider: Provider, token: str | None
) -> None:
    # Given a form posted without the widget's field (JavaScript off, widget blocked, a bot)
    verdict = check(fake, provider, token)
    # Then it is refused as missing, and the provider is not bothered
    assert verdict == Verdict(ok=False, reason="missing")
    assert fake.received == []


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_hanging_provider_is_unavailable(fake: FakeCaptcha, provider: Provider) -> None:
    # Given a provider that hangs (the fake holds a "slow" answer until it is stopped)
    verdict = check(fake, provider, "slow", timeout=0.2)
    # Then verify gives up after its timeout and says so, without raising
    assert verdict == Verdict(ok=False, reason="unavailable")


@pytest.mark.parametrize("provider", PROVIDERS)
def test_an_unreachable_provider_is_unavailable(provider: Provider) -> None:
    # Given nothing listening where the provider should be
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # When a token is verified there
    verdict = verify(provider, SECRET, "pass", VISITOR_IP, base_url=f"http://127.0.0.1:{port}", timeout=0.5)
    # Then the answer is unavailable, not an exception
    assert verdict == Verdict(ok=False, reason="unavailable")


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize("token", ["http-500", "not-json"])
def test_an_answer_that_is_not_a_verify_answer_is_unavailable(
    fake: FakeCaptcha, provider: Provider, token: str
) -> None:
    # Given a provider answering a 500 page, or a 200 HTML page (a captive portal, a WAF)
    # Then the visitor is not blamed for it
    assert check(fake, provider, token) == Verdict(ok=False, reason="unavailable")


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_wrong_secret_is_unavailable_not_the_visitors_fault(
    fake: FakeCaptcha, provider: Provider, caplog: pytest.LogCaptureFixture
) -> None:
    # Given a source configured with the wrong secret (the admin's mistake)
    verdict = verify(provider, "not-the-secret", "pass", VISITOR_IP, base_url=fake.base_url)
    # Then the visitor's genuine solve is not reported as a failed CAPTCHA
    assert verdict == Verdict(ok=False, reason="unavailable")
    # And the admin is told where to look
    assert "check the source's CAPTCHA secret" in caplog.text


# --- reCAPTCHA v3 scores and actions ------------------------------------------------------------------


def test_a_low_recaptcha_score_is_refused_with_the_score(fake: FakeCaptcha) -> None:
    # Given a v3 token that Google scored 0.2 (likely a bot)
    verdict = check(fake, "recaptcha_v3", "pass-0.2")
    # Then it is refused below the default 0.5 threshold, and the score is kept for the record
    assert verdict == Verdict(ok=False, reason="low_score", score=0.2)


def test_the_score_threshold_is_the_sources_choice(fake: FakeCaptcha) -> None:
    # Given a source that accepts lower scores (a lenient 0.1 threshold) or demands higher ones
    assert check(fake, "recaptcha_v3", "pass-0.2", min_score=0.1) == Verdict(
        ok=True, reason="passed", score=0.2
    )
    assert check(fake, "recaptcha_v3", "pass", min_score=0.95).reason == "low_score"
    # And a score exactly at the threshold passes
    assert check(fake, "recaptcha_v3", "pass-0.5", min_score=0.5).ok


def test_a_score_is_ignored_for_providers_that_do_not_score(fake: FakeCaptcha) -> None:
    # Given Turnstile and hCaptcha, whose answers carry no v3 score
    # Then a demanding threshold does not refuse them
    assert check(fake, "turnstile", "pass", min_score=0.99).ok
    assert check(fake, "hcaptcha", "pass", min_score=0.99).ok


@pytest.mark.parametrize("provider", ["recaptcha_v3", "turnstile"])
def test_a_token_minted_for_another_action_is_refused(fake: FakeCaptcha, provider: Provider) -> None:
    # Given the fake's widget action "submit"
    # Then the expected action passes and another action is refused
    assert check(fake, provider, "pass", action="submit").ok
    assert check(fake, provider, "pass", action="lead_form").reason == "wrong_action"


def test_hcaptcha_has_no_action_to_check(fake: FakeCaptcha) -> None:
    assert check(fake, "hcaptcha", "pass", action="lead_form").ok


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_token_solved_on_another_host_is_refused(fake: FakeCaptcha, provider: Provider) -> None:
    # Given the fake's tokens, solved on "localhost" (every provider's answer names the host)
    # Then the expected host passes (case aside), another host is refused, and none expected checks none
    assert check(fake, provider, "pass", hostnames=["LocalHost"]).ok
    assert check(fake, provider, "pass", hostnames=["landing.example.vn"]).reason == "wrong_hostname"
    assert check(fake, provider, "pass", hostnames=()).ok


def test_an_answer_without_a_hostname_fails_a_hostname_check() -> None:
    from leadrouter.captcha import _judge

    answer = {"success": True, "error-codes": []}
    assert (
        _judge("turnstile", answer, min_score=0.5, action=None, hostnames=["a.vn"]).reason == "wrong_hostname"
    )


# --- configuration and hygiene ------------------------------------------------------------------------


def test_the_base_url_comes_from_the_environment(fake: FakeCaptcha, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given make run's CAPTCHA_VERIFY_BASE_URL pointing at the fake
    monkeypatch.setenv(BASE_URL_ENV, fake.base_url + "/")
    # When verify is called without base_url
    verdict = verify("turnstile", SECRET, "pass", VISITOR_IP)
    # Then the fake answered on Turnstile's own path
    assert verdict.ok
    assert [r.provider for r in fake.received] == ["turnstile"]


def test_a_malformed_base_url_is_unavailable() -> None:
    assert verify("hcaptcha", SECRET, "pass", VISITOR_IP, base_url="localhost:8089") == Verdict(
        ok=False, reason="unavailable"
    )


def test_a_remote_ip_that_is_not_an_address_is_not_forwarded(fake: FakeCaptcha) -> None:
    # Given no usable client address (a test event, a mangled header)
    check_verdict = verify("turnstile", SECRET, "pass", "unknown", base_url=fake.base_url)
    # Then the token is still verified, without a remoteip the provider would reject
    assert check_verdict.ok
    assert "remoteip" not in fake.received[0].form


def test_an_oversized_token_is_refused_without_forwarding_it(fake: FakeCaptcha) -> None:
    assert check(fake, "turnstile", "x" * 100_000) == Verdict(ok=False, reason="failed")
    assert fake.received == []


@pytest.mark.parametrize("token", ["pass", "fail", "slow", "http-500"])
def test_neither_the_secret_nor_the_token_is_logged(
    fake: FakeCaptcha, token: str, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given verification that passes, fails, times out and meets an outage, with logging fully on
    caplog.set_level(logging.DEBUG)
    for provider in PROVIDERS:
        check(fake, provider, token, timeout=0.2)
        verify(provider, "wrong-secret-0xDEAD", token, VISITOR_IP, base_url=fake.base_url, timeout=0.2)
    # Then the outcomes were logged (so there is something to inspect)
    assert caplog.records
    # And nothing written anywhere holds the secret or the token's value
    out = capsys.readouterr()
    written = caplog.text + out.out + out.err + json.dumps([r.__dict__ for r in caplog.records], default=str)
    assert SECRET not in written
    assert "wrong-secret-0xDEAD" not in written
    assert f'"{token}"' not in written and f"'{token}'" not in written


@pytest.mark.parametrize(("token", "reason"), [("pass-0", "low_score"), ("pass-nan", "unavailable")])
def test_a_zero_or_nonsense_score_never_passes(fake: FakeCaptcha, token: str, reason: str) -> None:
    # Given a v3 answer scoring 0.0, or a NaN score (which would slip past every threshold comparison)
    verdict = check(fake, "recaptcha_v3", token, min_score=0.0001)
    # Then it does not pass
    assert not verdict.ok
    assert verdict.reason == reason
