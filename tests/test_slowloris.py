"""Slow clients cannot starve the extension: half-sent requests above waitress's old connection
limit leave room for the extension's request, and are closed once they idle or drip too long.

Bounded loops against 127.0.0.1 only; the timeouts are hang guards (the old server made the
extension's request wait 70 s behind 120 half-open connections)."""

from __future__ import annotations

import socket

import pytest

from live_server import LiveServer

pytestmark = pytest.mark.slow  # each test waits out the server's idle and drip timeouts

HALF_OPEN = 150  # above waitress's default connection_limit of 100


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    server = LiveServer(tmp_path_factory.mktemp("slowloris"))
    yield server
    server.stop()


def _closed_by_server(sock: socket.socket, guard: float) -> bool:
    sock.settimeout(guard)
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


def test_the_extension_is_served_past_150_half_open_connections_and_they_are_closed(live):
    partial = f"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1:{live.port}\r\nX-Wait: ".encode()
    slow = []
    try:
        for _ in range(HALF_OPEN):
            s = socket.create_connection(("127.0.0.1", live.port), timeout=10)
            s.sendall(partial)
            slow.append(s)
        status, body = live.request("/api/history", timeout=20)
        assert status == 200 and body == {"documents": []}
        # The half-sent requests are closed by the server (INCOMPLETE_SECONDS after their first byte).
        assert all(_closed_by_server(s, guard=60) for s in slow)
    finally:
        for s in slow:
            s.close()


def test_a_request_that_drips_forever_is_closed(live):
    s = socket.create_connection(("127.0.0.1", live.port), timeout=5)
    s.sendall(f"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1:{live.port}\r\n".encode())
    closed = False
    try:
        for _ in range(120):  # one header byte each half second: at most 60 s (guard)
            try:
                s.sendall(b"X")
            except (BrokenPipeError, ConnectionResetError):
                closed = True
                break
            s.settimeout(0.5)
            try:
                if s.recv(1) == b"":
                    closed = True
                    break
            except socket.timeout:
                pass
            except ConnectionResetError:
                closed = True
                break
    finally:
        s.close()
    assert closed
    assert live.request("/api/health", origin=None)[0] == 200
