"""Loose edges: invalid Unicode, Host and Origin forms, framing errors, bidi controls in what the
reader view shows. Each bad input gets a JSON answer with the right status; none is a 500."""

from __future__ import annotations

import json
import select
import socket

import pytest

from conftest import EXT_ORIGIN

H = {"Origin": EXT_ORIGIN}


@pytest.fixture
def client(settings, analyzer):
    from clausewatch.services import Services
    from clausewatch.web.app import create_app
    from clausewatch.history.store import Store
    from clausewatch.vendors.catalog import load_vendors
    services = Services(settings=settings, analyzer=analyzer, store=Store(settings.db_path),
                        vendors=load_vendors(settings.vendors_path))
    return create_app(settings, services).test_client()


# The rest of a short privacy policy: the API grades and stores only what reads as terms or a
# policy (screen.py), and these tests are about what is stored and shown.
POLICY = ("We collect your personal information when you create an account. "
          "We may share your personal data with third parties for advertising.")

SURROGATES = [
    {"url": "https://x.example/\ud800", "text": f"We may sell your data. {POLICY}"},
    {"url": "https://x.example/t", "title": "T\udfff", "text": f"We may sell your data. {POLICY}"},
    {"url": "https://x.example/t", "text": f"We may sell \ud800 your data. {POLICY}"},
    {"url": "https://x.example/t", "html": f"<title>\udbff</title><p>We may sell \udc00 your data. {POLICY}</p>"},
]


@pytest.mark.parametrize("body", SURROGATES)
def test_lone_surrogates_are_replaced_never_a_500(client, body):
    raw = json.dumps(body)  # json.dumps writes "\ud800" as an escape: valid JSON, invalid Unicode
    r = client.post("/api/analyze", headers=H, data=raw, content_type="application/json")
    assert r.status_code == 200, r.get_json()
    data = r.get_json()
    assert data["status"] == "analysed"  # graded and stored, not screened out
    # and the reader view of what was stored renders
    view = client.get(f"/report/{data['report_id']}", headers={"Sec-Fetch-Mode": "navigate", "Sec-Fetch-Site": "none"})
    assert view.status_code == 200
    # Replaced, not dropped: in the answer (URL, title, a finding's quote) or in the stored text the
    # reader view shows (which clauses the model flags is not this test's business).
    assert "\ufffd" in json.dumps(data, ensure_ascii=False) + view.get_data(as_text=True)


@pytest.mark.parametrize("path,method", [("/api/site/seen", "POST"), ("/api/site/fetch", "POST"),
                                         ("/api/site?host=%ED%A0%80", "GET")])
def test_lone_surrogates_in_a_host_are_a_json_answer(client, path, method):
    r = client.open(path, method=method, headers=H, data=json.dumps({"host": "\ud800.example"}),
                    content_type="application/json")
    assert r.status_code in (200, 400, 404) and "error" in r.get_json() or r.status_code == 200


HOSTS_REFUSED = ["localhost", "127.0.0.1", "[::1]", "user@localhost:8787", "localhost:8787/x", "localhost:8787?x",
                 "localhost:8787#x", "LOCALHOST:8787", "localhost:08787", "localhost:8787:8787", " localhost:8787"]


@pytest.mark.parametrize("host", HOSTS_REFUSED)
def test_host_must_be_exactly_a_loopback_name_with_our_port(client, host):
    for path in ("/api/health", "/api/history"):
        r = client.get(path, headers={**H, "Host": host})
        assert r.status_code == 403 and r.get_json()["error"]["code"] == "bad_host", (host, path)


@pytest.mark.parametrize("host", ["127.0.0.1:8787", "localhost:8787", "[::1]:8787"])
def test_the_exact_loopback_hosts_pass(client, host):
    assert client.get("/api/history", headers={**H, "Host": host}).status_code == 200


SELF = "http://127.0.0.1:8787"


def test_our_own_origin_is_refused_on_every_route_but_the_reader_views_delete(client):
    r = client.post("/api/analyze", headers=H, json={"url": "https://x.example/t", "text": f"We may sell your data. {POLICY}"})
    assert r.get_json()["status"] == "analysed"  # stored, so there is a document to delete
    report_id = r.get_json()["report_id"]
    doc = client.get("/api/history", headers=H).get_json()["documents"][0]["id"]
    for method, path in [("POST", "/api/analyze"), ("GET", "/api/history"), ("GET", "/api/vendors"),
                         ("GET", "/api/site?host=zoom.us"), ("POST", "/api/site/seen"), ("POST", "/api/site/fetch"),
                         ("GET", f"/report/{report_id}"), ("GET", f"/report/{report_id}/export.json"),
                         ("DELETE", f"/api/history?document={doc}"), ("DELETE", "/api/history")]:
        r = client.open(path, method=method, headers={"Origin": SELF}, json={"host": "zoom.us"})
        assert r.status_code == 403, (method, path)
        assert "Access-Control-Allow-Origin" not in r.headers
    r = client.post("/report/delete", headers={"Origin": SELF}, data={"document": str(doc)})
    assert r.status_code == 200
    assert "Access-Control-Allow-Origin" not in r.headers  # a same-origin form needs no CORS
    assert client.get("/api/history", headers=H).get_json()["documents"] == []


BIDI = "\u202eevil\u202c \u2066x\u2069"


def test_bidi_controls_are_dropped_from_what_the_reader_view_and_export_show(client):
    r = client.post("/api/analyze", headers=H, json={"url": "https://x.example/t", "title": "Terms " + BIDI,
                                                     "text": f"We may sell your data {BIDI}. {POLICY}"})
    assert r.get_json()["status"] == "analysed"  # the reader view shows the stored text
    report_id = r.get_json()["report_id"]
    nav = {"Sec-Fetch-Mode": "navigate", "Sec-Fetch-Site": "none"}
    for path in (f"/report/{report_id}", f"/report/{report_id}/export.html"):
        html = client.get(path, headers=nav).get_data(as_text=True)
        assert "evil" in html and "We may sell your data" in html, path
        for ch in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069":
            assert ch not in html, (path, hex(ord(ch)))


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    from live_server import LiveServer
    server = LiveServer(tmp_path_factory.mktemp("edges"), CLAUSEWATCH_MAX_BODY_MB="0.01")
    yield server
    server.stop()


def _raw(port: int, payload: bytes) -> tuple[int, dict, bytes]:
    with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
        # In pieces, stopping once an answer is there: the server answers an oversized request
        # before reading all of it, and writing on past its close would reset the connection.
        for k in range(0, len(payload), 16384):
            if select.select([s], [], [], 0.2)[0]:
                break
            s.sendall(payload[k:k + 16384])
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status = int(head.split()[1])
    headers = dict(line.split(": ", 1) for line in head.decode("latin-1").split("\r\n")[1:])
    return status, headers, body


FRAMING = [
    ("bad chunk size", b"POST /api/analyze HTTP/1.1\r\nHost: {host}\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\nx\r\n0\r\n\r\n",
     400, "bad_request"),
    ("body past the cap", b"POST /api/analyze HTTP/1.1\r\nHost: {host}\r\nContent-Length: 999999\r\n\r\n", 413,
     "payload_too_large"),
    ("headers too large", b"GET /api/health HTTP/1.1\r\nHost: {host}\r\nX-Big: " + b"a" * 300_000 + b"\r\n\r\n", 431,
     "headers_too_large"),
    ("bad header name", b"GET /api/health HTTP/1.1\r\nHost: {host}\r\nBad Name: x\r\n\r\n", 400, "bad_request"),
    ("bad content length", b"POST /api/analyze HTTP/1.1\r\nHost: {host}\r\nContent-Length: +3\r\n\r\nabc", 400,
     "bad_request"),
]


@pytest.mark.parametrize("name,payload,status,code", FRAMING, ids=[f[0] for f in FRAMING])
def test_framing_errors_get_json(live, name, payload, status, code):
    got, headers, body = _raw(live.port, payload.replace(b"{host}", f"127.0.0.1:{live.port}".encode()))
    assert got == status, body
    assert headers["Content-Type"] == "application/json"
    assert json.loads(body)["error"]["code"] == code
    assert live.request("/api/health", origin=None)[0] == 200
