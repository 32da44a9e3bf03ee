"""Only our extension gets in: every data route refuses web origins, foreign hosts and tricks."""

from __future__ import annotations

import json

import pytest

from conftest import EXT_ORIGIN

DATA_ROUTES = [
    ("POST", "/api/analyze"),
    ("GET", "/api/history"),
    ("DELETE", "/api/history"),
    ("GET", "/api/vendors"),
    ("GET", "/api/site?host=zoom.us"),
    ("POST", "/api/site/seen"),
    ("GET", "/report/anything"),
    ("POST", "/report/delete"),
]
BAD_ORIGINS = [
    None,
    "null",
    "https://evil.example",
    "http://127.0.0.1:9999",
    "http://localhost:1234",
    "chrome-extension://ponmlkjihgfedcbaponmlkjihgfedcba",
    "moz-extension://",
    "chrome-extension://abcdefghijklmnopabcdefghijklmnop.evil.example",
]


def _call(client, method, path, headers, body=None, content_type="application/json"):
    return client.open(path, method=method, headers=headers, data=body, content_type=content_type)


@pytest.fixture
def stored(client):
    """One analysed document, so a refused request has something it could have read or deleted."""
    r = client.post("/api/analyze", headers={"Origin": EXT_ORIGIN}, content_type="application/json",
                    data=json.dumps({"url": "https://a.example/terms", "text": "We may sell your personal data."}))
    assert r.status_code == 200
    return r.get_json()


def _history(client):
    return client.get("/api/history", headers={"Origin": EXT_ORIGIN}).get_json()["documents"]


@pytest.mark.parametrize("method,path", DATA_ROUTES)
@pytest.mark.parametrize("origin", BAD_ORIGINS)
def test_foreign_origins_are_refused_and_change_nothing(client, stored, method, path, origin):
    headers = {} if origin is None else {"Origin": origin}
    body = json.dumps({"url": "https://x.example", "text": "We may sell your data.", "host": "zoom.us"})
    r = _call(client, method, path, headers, body)
    assert r.status_code == 403
    assert r.get_json()["error"]["code"] == "forbidden_origin"
    assert len(_history(client)) == 1 and len(_history(client)[0]["versions"]) == 1


@pytest.mark.parametrize("host", ["attacker.example", "attacker.example:8787", "127.0.0.1.nip.io",
                                  "192.168.1.10:8787", "[::2]:8787", "", "localhost:notaport"])
@pytest.mark.parametrize("method,path", DATA_ROUTES + [("GET", "/api/health")])
def test_dns_rebinding_hosts_are_refused(client, stored, host, method, path):
    r = _call(client, method, path, {"Origin": EXT_ORIGIN, "Host": host})
    assert r.status_code == 403
    assert r.get_json()["error"]["code"] == "bad_host"
    assert len(_history(client)) == 1


@pytest.mark.parametrize("content_type,body", [
    ("text/plain", json.dumps({"text": "We may sell your data."})),
    ("application/x-www-form-urlencoded", "text=We+may+sell+your+data."),
    ("multipart/form-data; boundary=x", "--x\r\nContent-Disposition: form-data; name=text\r\n\r\nsell\r\n--x--\r\n"),
])
def test_simple_request_tricks_from_web_pages_are_refused(client, stored, content_type, body):
    r = client.post("/api/analyze", headers={"Origin": "https://evil.example"}, data=body, content_type=content_type)
    assert r.status_code == 403
    assert len(_history(client)[0]["versions"]) == 1


@pytest.mark.parametrize("origin", [EXT_ORIGIN, "moz-extension://0a1b2c3d-aaaa-bbbb-cccc-0123456789ab"])
def test_extension_origins_get_in_with_an_exact_cors_echo(client, origin):
    r = client.get("/api/vendors", headers={"Origin": origin})
    assert r.status_code == 200
    assert r.headers["Access-Control-Allow-Origin"] == origin
    pre = client.options("/api/analyze", headers={"Origin": origin, "Access-Control-Request-Method": "POST"})
    assert pre.status_code == 204 and pre.headers["Access-Control-Allow-Origin"] == origin


def test_no_wildcard_cors_for_web_pages(client):
    r = client.get("/api/health", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in r.headers
    pre = client.options("/api/analyze", headers={"Origin": "https://evil.example"})
    assert pre.status_code == 403 and "Access-Control-Allow-Origin" not in pre.headers


def test_reader_view_opens_on_user_navigation_but_not_from_a_web_page(client, stored):
    path = "/report/" + stored["report_id"]
    typed = client.get(path, headers={"Sec-Fetch-Mode": "navigate", "Sec-Fetch-Site": "none"})
    assert typed.status_code == 200 and typed.mimetype == "text/html"
    assert "frame-ancestors 'none'" in typed.headers["Content-Security-Policy"]
    linked = client.get(path, headers={"Sec-Fetch-Mode": "navigate", "Sec-Fetch-Site": "cross-site"})
    assert linked.status_code == 403
    fetched = client.get(path, headers={"Sec-Fetch-Mode": "cors", "Sec-Fetch-Site": "cross-site",
                                        "Origin": "https://evil.example"})
    assert fetched.status_code == 403
