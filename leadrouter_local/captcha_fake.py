"""A local stand-in for the three CAPTCHA verify endpoints, for tests and ``make run``.

It serves the real paths (``/turnstile/v0/siteverify``, ``/siteverify``, ``/recaptcha/api/siteverify``)
so only the scheme and host change: point ``CAPTCHA_VERIFY_BASE_URL`` (or ``captcha.verify``'s
``base_url``) at :attr:`FakeCaptcha.base_url`. The token the page posts decides the answer:

=================  ==========================================================================
``pass``           success (reCAPTCHA: score 0.9)
``pass-0.2``       success with that score (any ``pass-<number>``)
``fail``           ``invalid-input-response``
``expired``        ``timeout-or-duplicate`` (hCaptcha: ``invalid-or-already-seen-response``)
``slow``           answers ``pass`` only once :meth:`FakeCaptcha.stop` is called (or after 30 s),
                   so a client with a short timeout times out without any test sleeping
``http-500``       an HTTP 500 page; ``not-json``: a 200 whose body is HTML
anything else      ``invalid-input-response``
=================  ==========================================================================

A request whose ``secret`` differs from the fake's gets ``invalid-input-secret`` (which ``verify``
reports as ``unavailable``: the admin's mistake, not the visitor's). Turnstile and reCAPTCHA answers
carry ``action`` = the fake's ``action`` and ``hostname`` = ``localhost``. Every request is recorded in
:attr:`FakeCaptcha.received` for tests to inspect.

Run it alone with ``python -m leadrouter_local.captcha_fake --port 8089 --secret local-captcha-secret``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl

DEFAULT_SECRET = "local-captcha-secret"  # noqa: S105 (a fake's own test secret)
PATHS = {
    "/turnstile/v0/siteverify": "turnstile",
    "/siteverify": "hcaptcha",
    "/recaptcha/api/siteverify": "recaptcha_v3",
}
#: How often the serving loop checks for shutdown (stop() waits up to this long).
POLL_SECONDS = 0.02
#: How long a ``slow`` answer waits at most if nobody calls stop() (a safety net, never reached in tests).
SLOW_LIMIT_SECONDS = 30.0


@dataclass(frozen=True)
class Received:
    """One verify request as the fake saw it: which endpoint, its content type and its decoded form."""

    provider: str
    content_type: str
    form: dict[str, str]


class FakeCaptcha:
    """A threaded HTTP server on 127.0.0.1 that imitates the providers' ``siteverify`` endpoints."""

    def __init__(
        self, secret: str = DEFAULT_SECRET, *, host: str = "127.0.0.1", port: int = 0, action: str = "submit"
    ) -> None:
        self.secret = secret
        self.action = action
        self.received: list[Received] = []
        self._lock = threading.Lock()
        self._release = threading.Event()
        self._server = ThreadingHTTPServer((host, port), _handler_for(self))
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> FakeCaptcha:
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(POLL_SECONDS,), name="captcha-fake", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Release any ``slow`` answer still waiting, then shut the server down."""
        self._release.set()
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join()
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> FakeCaptcha:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def _record(self, received: Received) -> None:
        with self._lock:
            self.received.append(received)

    def answer(self, provider: str, form: dict[str, str]) -> tuple[int, bytes, str]:
        """Status, body and content type for one verify request (the token table in the module doc)."""
        response = form.get("response", "")
        if response == "slow":
            self._release.wait(SLOW_LIMIT_SECONDS)
            response = "pass"
        if response == "http-500":
            return 500, b"<h1>500 Internal Server Error</h1>", "text/html"
        if response == "not-json":
            return 200, b"<html><body>Just a moment...</body></html>", "text/html"
        payload: dict[str, Any]
        if not form.get("secret"):
            payload = {"success": False, "error-codes": ["missing-input-secret"]}
        elif form["secret"] != self.secret:
            payload = {"success": False, "error-codes": ["invalid-input-secret"]}
        elif not response:
            payload = {"success": False, "error-codes": ["missing-input-response"]}
        elif response == "pass" or _score_of(response) is not None:
            payload = {"success": True, "challenge_ts": "2026-12-01T00:00:00Z", "hostname": "localhost"}
            if provider != "hcaptcha":
                payload["action"] = self.action
            if provider == "recaptcha_v3":
                score = _score_of(response)
                payload["score"] = 0.9 if score is None else score
        elif response == "expired":
            code = "invalid-or-already-seen-response" if provider == "hcaptcha" else "timeout-or-duplicate"
            payload = {"success": False, "error-codes": [code]}
        else:
            payload = {"success": False, "error-codes": ["invalid-input-response"]}
        if provider == "turnstile":
            payload.setdefault("error-codes", [])
        return 200, json.dumps(payload).encode(), "application/json"


def _score_of(token: str) -> float | None:
    if not token.startswith("pass-"):
        return None
    try:
        return float(token.removeprefix("pass-"))
    except ValueError:
        return None


def _handler_for(fake: FakeCaptcha) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            provider = PATHS.get(self.path.partition("?")[0])
            if provider is None:
                self._send(404, b'{"error": "not a verify path"}', "application/json")
                return
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode("utf-8", errors="replace")
            content_type = self.headers.get("Content-Type", "")
            form = dict(parse_qsl(body, keep_blank_values=True))
            fake._record(Received(provider=provider, content_type=content_type, form=form))
            self._send(*fake.answer(provider, form))

        def _send(self, status: int, body: bytes, content_type: str) -> None:
            try:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (a ``slow`` answer after its timeout)

        def log_message(self, format: str, *args: Any) -> None:
            """Silent: requests carry secrets and tokens."""

    return Handler


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m leadrouter_local.captcha_fake", description=__doc__)
    parser.add_argument("--port", type=int, default=8089)
    parser.add_argument("--secret", default=DEFAULT_SECRET)
    args = parser.parse_args(argv)
    with FakeCaptcha(args.secret, port=args.port) as fake:
        print(f"fake CAPTCHA verify on {fake.base_url} (export CAPTCHA_VERIFY_BASE_URL={fake.base_url})")
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()


if __name__ == "__main__":
    main()
