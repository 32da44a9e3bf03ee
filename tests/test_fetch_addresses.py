"""The watcher's fetcher connects to the address it checked, and only to public ones.

The name is resolved once per hop; the connection goes to that address with the name in the Host
header (and, for https, as the TLS server name), so a DNS answer that changes between the check
and the connection (rebinding) changes nothing. Loopback, private, link-local and metadata
addresses are refused on every hop unless a test opts in (settings.fetch_allow_private).

socket.getaddrinfo is the operating system's resolver; replacing it is how these tests play a
rebinding DNS server without a network.
"""

from __future__ import annotations

import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from clausewatch.vendors.fetch import FetchError, fetch


def policy_handler(seen: list[dict]):
    """A handler that serves one short policy page and records each request's path and Host."""
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            seen.append({"path": self.path, "host": self.headers.get("Host")})
            body = b"<html><body><p>We may sell your data.</p></body></html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass
    return Handler


@pytest.fixture
def local_site():
    seen: list[dict] = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), policy_handler(seen))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1], seen
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "10.0.0.1", "192.168.1.1", "172.16.0.1",
                                  "169.254.169.254", "100.64.0.1", "0.0.0.0", "[::1]", "[::ffff:127.0.0.1]",
                                  "[fd00:ec2::254]", "[fe80::1]", "app.localhost"])
def test_local_private_and_metadata_addresses_are_refused_without_a_request(host, local_site):
    port, seen = local_site
    with pytest.raises(FetchError) as err:
        fetch(f"http://{host}:{port}/terms", timeout=5)
    assert "refused" in str(err.value)
    assert seen == []


def _rebinding_dns(monkeypatch, answers: list[str]):
    """Each call of getaddrinfo for rebind.example answers the next address of `answers`."""
    real = socket.getaddrinfo
    calls = []

    def getaddrinfo(host, port, *args, **kwargs):
        if host != "rebind.example":
            return real(host, port, *args, **kwargs)
        address = answers[min(len(calls), len(answers) - 1)]
        calls.append(address)
        return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, port))]
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return calls


def test_the_connection_goes_to_the_address_that_was_checked(monkeypatch, local_site):
    # Opted in (the site is on loopback): the first answer is 127.0.0.1, every later one 127.0.0.2,
    # where nothing listens. The page still comes from 127.0.0.1, asked for by its name.
    port, seen = local_site
    calls = _rebinding_dns(monkeypatch, ["127.0.0.1", "127.0.0.2"])
    page = fetch(f"http://rebind.example:{port}/terms", timeout=5, allow_private=True)
    assert "sell your data" in page.text
    assert calls == ["127.0.0.1"]  # resolved once
    assert seen == [{"path": "/terms", "host": f"rebind.example:{port}"}]


def test_a_public_answer_then_a_loopback_one_never_reaches_loopback(monkeypatch, local_site):
    # The check sees a public address; a client that resolved again would get 127.0.0.1 and reach
    # the local site. Ours connects to the public address (unreachable here) or fails: never local.
    port, seen = local_site
    calls = _rebinding_dns(monkeypatch, ["8.8.8.8", "127.0.0.1"])
    with pytest.raises(FetchError):
        fetch(f"http://rebind.example:{port}/terms", timeout=2)
    assert calls == ["8.8.8.8"]
    assert seen == []


def test_a_name_that_resolves_to_loopback_is_refused_on_every_hop(monkeypatch, local_site):
    port, seen = local_site
    _rebinding_dns(monkeypatch, ["127.0.0.1"])
    with pytest.raises(FetchError) as err:
        fetch(f"http://rebind.example:{port}/terms", timeout=5)
    assert "refused rebind.example" in str(err.value) and seen == []


def _tls_site(tmp_path, name: str):
    """An https server on 127.0.0.1 whose self-signed certificate is for `name`, and that CA file."""
    import shutil
    import ssl
    import subprocess
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-keyout", str(key),
                    "-out", str(cert), "-subj", f"/CN={name}", "-addext", f"subjectAltName=DNS:{name}"],
                   check=True, capture_output=True)

    server = ThreadingHTTPServer(("127.0.0.1", 0), policy_handler([]))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, cert


@pytest.mark.parametrize("cert_name,ok", [("rebind.example", True), ("other.example", False)])
def test_tls_verifies_the_certificate_for_the_name_while_connecting_to_the_checked_address(
        tmp_path, monkeypatch, cert_name, ok):
    server, cert = _tls_site(tmp_path, cert_name)
    try:
        monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # create_default_context() trusts this CA file
        _rebinding_dns(monkeypatch, ["127.0.0.1"])
        url = f"https://rebind.example:{server.server_address[1]}/terms"
        if ok:
            assert "sell your data" in fetch(url, timeout=10, allow_private=True).text
        else:
            with pytest.raises(FetchError) as err:
                fetch(url, timeout=10, allow_private=True)
            assert "CERTIFICATE_VERIFY_FAILED" in str(err.value) or "hostname" in str(err.value).lower()
    finally:
        server.shutdown()
        server.server_close()
