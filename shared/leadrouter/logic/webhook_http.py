"""One webhook POST: short timeouts, no redirects, a bounded read, and only to public addresses.

``http.client`` (what urllib is built on) is used directly: it follows no redirects, and it lets the
connection go to the very address that was checked. The host name is resolved here, every address
that is not public is dropped (``address_allowed``), and the socket connects to a kept one while TLS
still verifies the certificate for the host name, so a name that resolves to 169.254.169.254 or
10.0.0.5 (or is re-pointed there between a check and a connect) is never reached.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import time
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from leadrouter.domain.webhooks import address_allowed, bounded_error

#: What is read of a receiver's answer (then the connection is closed): its status is what counts.
MAX_RESPONSE_BYTES = 4096
USER_AGENT = "leadrouter-webhooks/1"


@dataclass(frozen=True, slots=True)
class PostResult:
    status_code: int | None
    error: str | None
    seconds: float

    @property
    def ok(self) -> bool:
        return self.error is None


class _PinnedHTTP(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)  # type: ignore[attr-defined]


def _public_address(host: str, port: int, allow_local: bool) -> str:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise ConnectionError(f"cannot resolve the host ({error.strerror})") from error
    for info in infos:
        address = str(info[4][0])
        if address_allowed(ipaddress.ip_address(address.split("%")[0]), allow_local=allow_local):
            return address
    raise ConnectionError("the host resolves only to private or reserved addresses")


def post(
    url: str, body: bytes, headers: Mapping[str, str], *, timeout: float, allow_local: bool = False
) -> PostResult:
    """POST ``body`` to ``url``; a 2xx answer is success, anything else (3xx included) an error.

    ``timeout`` bounds connecting (and sending the small body); each read of the answer then waits at
    most what is left of ``2 * timeout``, and only MAX_RESPONSE_BYTES are read: a receiver that never
    answers costs ``2 * timeout`` (a pathological one that drips bytes a little more).
    """
    started = time.monotonic()

    def result(code: int | None, error: str | None) -> PostResult:
        return PostResult(code, bounded_error(error) if error else None, round(time.monotonic() - started, 3))

    parts = urlsplit(url)
    host = parts.hostname or ""
    https = parts.scheme.lower() == "https"
    port = parts.port or (443 if https else 80)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    answering = False  # connected and sent: a timeout now is the receiver's slowness, not the network's
    try:
        address = _public_address(host, port, allow_local)
        kind = _PinnedHTTPS if https else _PinnedHTTP
        connection = kind(host, port, address, timeout)
        try:
            connection.request(
                "POST",
                path,
                body=body,
                headers={
                    "Content-Type": "application/json; charset=utf-8",
                    "User-Agent": USER_AGENT,
                    **headers,
                },
            )
            answering = True
            if connection.sock is not None:  # the answer gets what is left of 2 × timeout
                connection.sock.settimeout(max(0.05, started + 2 * timeout - time.monotonic()))
            response = connection.getresponse()
            response.read(MAX_RESPONSE_BYTES)
            code = response.status
        finally:
            connection.close()
    except TimeoutError:
        if answering:
            return result(None, f"no answer within {2 * timeout:g} s")
        return result(None, f"could not connect within {timeout:g} s")
    except ssl.SSLError as error:
        return result(None, f"TLS error: {error.reason or type(error).__name__}")
    except ConnectionError as error:
        return result(None, str(error) or type(error).__name__)
    except (OSError, http.client.HTTPException) as error:
        return result(None, f"connection failed: {type(error).__name__}")
    if 200 <= code < 300:
        return result(code, None)
    if 300 <= code < 400:
        return result(code, f"HTTP {code}: redirects are not followed")
    return result(code, f"HTTP {code}")
