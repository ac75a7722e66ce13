"""The webhook transport: one deadline from DNS to the answer, only checked addresses, and one text for
every way a connection can fail (so the delivery log cannot be used to map other hosts' ports).

Real sockets on 127.0.0.1 (``allow_local``); the resolver is injected where DNS is under test."""

from __future__ import annotations

import socket
import struct
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from leadrouter.logic.events.webhook_http import NOT_PUBLIC, NOT_RESOLVED, PostResult, no_answer, post
from tests.support.webhooks import SlowLoris

DEADLINE = 0.5


def _post(url: str, **kwargs: Any) -> PostResult:
    return post(url, b"{}", {}, timeout=DEADLINE, allow_local=True, **kwargs)


@pytest.fixture
def server() -> Iterator[Callable[[Callable[[socket.socket], None] | None], int]]:
    """A listener on 127.0.0.1 whose connections are handled by ``behave`` (None: never accepted)."""
    listeners: list[socket.socket] = []
    connections: list[socket.socket] = []

    def start(behave: Callable[[socket.socket], None] | None) -> int:
        listener = socket.create_server(("127.0.0.1", 0), backlog=8)
        listeners.append(listener)
        if behave is not None:

            def serve() -> None:
                try:
                    connection, _ = listener.accept()
                except OSError:
                    return
                connections.append(connection)
                behave(connection)

            threading.Thread(target=serve, daemon=True).start()
        return int(listener.getsockname()[1])

    yield start
    for item in connections + listeners:
        item.close()


def _closed_port() -> int:
    probe = socket.create_server(("127.0.0.1", 0))
    port = int(probe.getsockname()[1])
    probe.close()
    return port


def _reset(connection: socket.socket) -> None:
    connection.recv(65536)
    connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    connection.close()  # an RST, not a FIN


def _silent(connection: socket.socket) -> None:
    connection.recv(65536)  # takes the request and never answers (the fixture closes it afterwards)


def _not_http(connection: socket.socket) -> None:
    connection.recv(65536)
    connection.sendall(b"SSH-2.0-OpenSSH_9.6\r\n")
    connection.close()


# ------------------------------------------------------------------ deadline
def test_dns_resolution_slower_than_the_deadline_is_cut_at_the_deadline():
    # Given a resolver that hangs (until the test ends)
    release = threading.Event()
    asked = threading.Event()

    def hanging_resolver(host: str, port: int, **_: Any) -> list[tuple[Any, ...]]:
        asked.set()
        release.wait(30)
        raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")

    # When a delivery to a name is made with a deadline of 0.5 s
    try:
        result = post("https://hooks.example.com/x", b"{}", {}, timeout=DEADLINE, resolver=hanging_resolver)
    finally:
        release.set()

    # Then resolution was asked for and the attempt ended at the deadline, with the one transport text
    assert asked.is_set()
    assert result.error == no_answer(DEADLINE)
    assert DEADLINE <= result.seconds <= DEADLINE + 1.0


def test_a_receiver_dripping_its_answer_is_cut_at_the_deadline():
    # Given a receiver that answers one byte every 0.1 s, forever
    slow = SlowLoris(interval=0.1)
    try:
        # When a delivery is made to it
        result = _post(slow.url)
        assert slow.hung_up.wait(5)
    finally:
        slow.stop()

    # Then the attempt ended at the deadline, however willing the receiver was to go on
    assert result.error == no_answer(DEADLINE)
    assert DEADLINE <= result.seconds <= DEADLINE + 1.0
    assert slow.held <= DEADLINE + 1.0


# ------------------------------------------------------------------ one text for every failure
@pytest.mark.parametrize(
    "failure",
    ["refused", "no answer", "reset", "not HTTP", "TLS to a plain port"],
)
def test_every_transport_failure_reads_the_same_in_the_delivery_log(failure: str, server):
    # Given an endpoint on this machine that fails in one of the ways a port of another host can
    if failure == "refused":
        url = f"http://127.0.0.1:{_closed_port()}/hook"
    elif failure == "no answer":
        url = f"http://127.0.0.1:{server(None)}/hook"  # the kernel completes the handshake; nobody reads
    elif failure == "reset":
        url = f"http://127.0.0.1:{server(_reset)}/hook"
    elif failure == "not HTTP":
        url = f"http://127.0.0.1:{server(_not_http)}/hook"
    else:
        url = f"https://127.0.0.1:{server(_silent)}/hook"

    # When a delivery is attempted
    result = _post(url)

    # Then the error is the one generic text: refused, timed out, reset and the rest are alike
    assert result.status_code is None
    assert result.error == no_answer(DEADLINE)


def test_connection_refused_and_a_timeout_look_the_same_to_the_tenant(server):
    refused = _post(f"http://127.0.0.1:{_closed_port()}/hook")
    timed_out = _post(f"http://127.0.0.1:{server(None)}/hook")
    assert refused.error == timed_out.error == no_answer(DEADLINE)
    assert "refused" not in str(refused.error).split("(")[0]


# ------------------------------------------------------------------ only checked addresses
def test_the_connection_goes_to_the_resolved_address_that_was_checked(server):
    # Given a name that resolves to a private address first and to this machine's receiver second
    answered = threading.Event()

    def ok(connection: socket.socket) -> None:
        connection.recv(65536)
        answered.set()  # before the answer: the client may return as soon as it has read it
        connection.sendall(b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n")

    port = server(ok)

    def resolver(host: str, port_: int, **_: Any) -> list[tuple[Any, ...]]:
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.5", port_)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port_)),
        ]

    # When a delivery is made (the local stack allows loopback, never 10.0.0.0/8)
    result = post(
        f"http://hooks.example.com:{port}/x", b"{}", {}, timeout=2, allow_local=True, resolver=resolver
    )

    # Then it reached the checked address and nothing else
    assert (result.status_code, result.error) == (204, None)
    assert answered.is_set()


def test_an_address_that_fails_at_once_passes_to_the_next_one_resolved(server):
    # Given a name whose first address refuses at once (as an IPv6 address does with no IPv6 route) and
    # whose second answers
    def ok(connection: socket.socket) -> None:
        connection.recv(65536)
        connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")

    good, dead = server(ok), _closed_port()

    def resolver(host: str, port: int, **_: Any) -> list[tuple[Any, ...]]:
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", dead)),
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", good)),
        ]

    # When a delivery is made, then it reaches the second
    result = post("http://hooks.example.com/x", b"{}", {}, timeout=2, allow_local=True, resolver=resolver)
    assert (result.status_code, result.error) == (200, None)


@pytest.mark.parametrize(
    "address", ["10.0.0.5", "::ffff:10.0.0.5", "::10.0.0.5", "64:ff9b::a00:5", "2002:a00:5::1"]
)
def test_a_name_resolving_only_to_non_public_addresses_is_not_connected_to(address: str):
    family = socket.AF_INET6 if ":" in address else socket.AF_INET

    def resolver(host: str, port: int, **_: Any) -> list[tuple[Any, ...]]:
        return [(family, socket.SOCK_STREAM, 6, "", (address, port))]

    result = post("https://rebind.example.com/x", b"{}", {}, timeout=DEADLINE, resolver=resolver)
    assert result.error == NOT_PUBLIC


def test_a_name_that_does_not_resolve_says_so():
    def resolver(host: str, port: int, **_: Any) -> list[tuple[Any, ...]]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    assert (
        post("https://nx.example.com/x", b"{}", {}, timeout=DEADLINE, resolver=resolver).error == NOT_RESOLVED
    )
