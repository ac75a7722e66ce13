"""One webhook POST: one deadline for all of it, no redirects, and only to public addresses.

``http.client`` (what urllib is built on) formats the request and parses the answer: it follows no
redirects. The transport around it is ours, so that one deadline bounds every step:

* **DNS** runs in a daemon thread the caller waits on for what is left of the deadline
  (``getaddrinfo`` cannot be interrupted; a resolver that hangs is abandoned, not waited for).
* Every resolved address that is not public is dropped (``address_allowed``) and the socket connects to
  a kept one, the very address that was checked, while TLS still verifies the certificate for the host
  name: a name that resolves to 169.254.169.254 or 10.0.0.5, or is re-pointed there between a check and
  a connect (DNS rebinding), is never reached.
* **Connect, TLS handshake and send** each get the socket timeout set to what is left of the deadline
  (CPython bounds a whole ``sendall`` and a whole handshake by it).
* **Reading** the answer goes through a reader that sets the timeout to what is left before each
  ``recv`` and fails once nothing is left, so a receiver that trickles a byte a second is cut at the
  deadline rather than holding the worker for as long as it likes.

Why not a thread per delivery with a hard deadline: a thread cannot be stopped, so the trickling
connection would live on (and hold a socket and a thread) after the delivery was given up; here the
delivery's own thread gives up and closes it.

A transport failure reads the same whatever it was (refused, reset, timed out, TLS, not HTTP): the
text is stored in the tenant's delivery log, and distinct texts would let a tenant map the ports of
other hosts by registering them as webhooks.
"""

from __future__ import annotations

import http.client
import io
import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from leadrouter.domain.webhooks import address_allowed, bounded_error

USER_AGENT = "leadrouter-webhooks/1"
#: ``socket.getaddrinfo``'s shape; tests inject a slow one.
Resolver = Callable[..., Sequence[tuple[Any, ...]]]


def no_answer(deadline: float) -> str:
    """The one text for every transport failure (see the module's docstring)."""
    return f"no HTTP answer within {deadline:g} s (no connection, or it failed or timed out)"


NOT_RESOLVED = "cannot resolve the host"
NOT_PUBLIC = "the host resolves only to private or reserved addresses"


@dataclass(frozen=True, slots=True)
class PostResult:
    status_code: int | None
    error: str | None
    seconds: float

    @property
    def ok(self) -> bool:
        return self.error is None


class _Refused(Exception):
    """No address of the host may be reached (its message is the log's error)."""


class _Deadline:
    def __init__(self, seconds: float) -> None:
        self.at = time.monotonic() + seconds

    def left(self) -> float:
        """Seconds left; TimeoutError once there are none."""
        remaining = self.at - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("deadline")
        return remaining


class _DeadlineReader(io.RawIOBase):
    """A socket's incoming bytes, each ``recv`` bounded by what is left of the deadline."""

    def __init__(self, sock: socket.socket, deadline: _Deadline) -> None:
        super().__init__()
        self._sock, self._deadline = sock, deadline

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        self._sock.settimeout(self._deadline.left())
        return self._sock.recv_into(buffer)


class _DeadlineSocket:
    """What ``http.client`` uses of a socket (``sendall``, ``makefile``, ``close``), under the deadline."""

    def __init__(self, sock: socket.socket, deadline: _Deadline) -> None:
        self._sock, self._deadline = sock, deadline

    def sendall(self, data: bytes) -> None:
        self._sock.settimeout(self._deadline.left())
        self._sock.sendall(data)

    def makefile(self, mode: str, *args: Any, **kwargs: Any) -> io.BufferedReader:
        return io.BufferedReader(_DeadlineReader(self._sock, self._deadline))

    def close(self) -> None:
        self._sock.close()


class _Connection(http.client.HTTPConnection):
    """An HTTP connection over a socket opened (and checked) beforehand."""

    def __init__(self, host: str, port: int, sock: _DeadlineSocket) -> None:
        super().__init__(host, port)
        self._opened = sock

    def connect(self) -> None:
        self.sock = self._opened


def _resolve(host: str, port: int, deadline: _Deadline, resolver: Resolver) -> Sequence[tuple[Any, ...]]:
    """``resolver(host, port)`` in a daemon thread, waited for until the deadline (then TimeoutError)."""
    done = threading.Event()
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["infos"] = resolver(host, port, type=socket.SOCK_STREAM)
        except BaseException as error:  # handed to the waiting thread
            outcome["error"] = error
        finally:
            done.set()

    threading.Thread(target=run, name="webhook-dns", daemon=True).start()
    if not done.wait(deadline.left()):
        raise TimeoutError("resolving")
    if "error" in outcome:
        raise outcome["error"]
    infos: Sequence[tuple[Any, ...]] = outcome["infos"]
    return infos


def _public_addresses(infos: Sequence[tuple[Any, ...]], allow_local: bool) -> list[tuple[Any, ...]]:
    """The resolved (family, sockaddr) pairs whose address may be reached, in the resolver's order."""
    kept = [
        (family, sockaddr)
        for family, _, _, _, sockaddr in infos
        if address_allowed(ipaddress.ip_address(str(sockaddr[0]).split("%")[0]), allow_local=allow_local)
    ]
    if not kept:
        raise _Refused(NOT_PUBLIC)
    return kept


def _connect(addresses: list[tuple[Any, ...]], deadline: _Deadline) -> socket.socket:
    """A socket connected to the first kept address that takes the connection; one that fails at once
    (an IPv6 address where the network has no IPv6 route, say) passes to the next, within the deadline."""
    failure: OSError = ConnectionError("no address")
    for family, sockaddr in addresses:
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            sock.settimeout(deadline.left())
            sock.connect(sockaddr)
            return sock
        except TimeoutError:
            sock.close()
            raise
        except OSError as error:
            sock.close()
            failure = error
    raise failure


def _secured(sock: socket.socket, host: str, deadline: _Deadline) -> socket.socket:
    """TLS over ``sock``, the certificate verified for the host name (not the address connected to)."""
    try:
        tls = ssl.create_default_context().wrap_socket(
            sock, server_hostname=host, do_handshake_on_connect=False
        )
        tls.settimeout(deadline.left())
        tls.do_handshake()
        return tls
    except BaseException:
        sock.close()
        raise


def post(
    url: str,
    body: bytes,
    headers: Mapping[str, str],
    *,
    timeout: float,
    allow_local: bool = False,
    resolver: Resolver = socket.getaddrinfo,
) -> PostResult:
    """POST ``body`` to ``url`` within ``timeout`` seconds in all (DNS, connect, TLS, send, the answer's
    status line and headers); a 2xx answer is success, anything else (3xx included) an error."""
    started = time.monotonic()
    deadline = _Deadline(timeout)

    def result(code: int | None, error: str | None) -> PostResult:
        return PostResult(code, bounded_error(error) if error else None, round(time.monotonic() - started, 3))

    parts = urlsplit(url)
    host = parts.hostname or ""
    https = parts.scheme.lower() == "https"
    port = parts.port or (443 if https else 80)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        try:
            infos = _resolve(host, port, deadline, resolver)
        except (socket.gaierror, UnicodeError):
            return result(None, NOT_RESOLVED)
        sock = _connect(_public_addresses(infos, allow_local), deadline)
        if https:
            sock = _secured(sock, host, deadline)
        connection = _Connection(host, port, _DeadlineSocket(sock, deadline))
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
            response = connection.getresponse()
            code = response.status
            response.close()
        finally:
            connection.close()
    except _Refused as error:
        return result(None, str(error))
    except (OSError, http.client.HTTPException, ValueError):
        # TimeoutError, ConnectionError and ssl.SSLError are OSErrors: one text for all (see above)
        return result(None, no_answer(timeout))
    if 200 <= code < 300:
        return result(code, None)
    if 300 <= code < 400:
        return result(code, f"HTTP {code}: redirects are not followed")
    return result(code, f"HTTP {code}")
