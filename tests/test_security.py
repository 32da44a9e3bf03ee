"""Only our extension gets in: every data route refuses web origins, foreign hosts and tricks,
and a refused request changes nothing (the whole history, seen marks included, is compared)."""

from __future__ import annotations

import json

import pytest

from conftest import EXT_ORIGIN

# {report} and {document} are filled in with the stored document's ids: a refused request is
# refused although it names data that exists.
DATA_ROUTES = [
    ("POST", "/api/analyze"),
    ("GET", "/api/history"),
    ("DELETE", "/api/history"),
    ("DELETE", "/api/history?document={document}"),
    ("GET", "/api/vendors"),
    ("GET", "/api/site?host=zoom.us"),
    ("POST", "/api/site/seen"),
    ("POST", "/api/site/fetch"),
    ("GET", "/report/{report}"),
    ("GET", "/report/{report}/export.html"),
    ("GET", "/report/{report}/export.json"),
    ("POST", "/report/delete"),
]
# Routes that answer without an Origin: the health check, and the stylesheet of the reader view.
PUBLIC_ENDPOINTS = {"api.health", "static"}
BAD_ORIGINS = [
    None,
    "null",
    "https://evil.example",
    "http://evil.example:8787",
    "http://127.0.0.1:9999",           # a page served on another loopback port
    "http://localhost:1234",
    "http://127.0.0.1",                # the right host, the wrong (default) port
    "http://[::1]:9999",
    "https://127.0.0.1:8787",          # our port, but another scheme is another origin
    "chrome-extension://ponmlkjihgfedcbaponmlkjihgfedcba",   # a foreign extension
    "chrome-extension://abcdefghijklmnopabcdefghijklmnop.evil.example",
    "chrome-extension://abcdefghijklmnopabcdefghijklmno",   # a prefix of ours
    "moz-extension://",
    "moz-extension://x/../evil",
    "moz-extension://evil.example",     # Firefox's extension hosts are UUIDs
    "file://",
    "data:",
    f"{EXT_ORIGIN}, https://evil.example",
]
REBINDING_HOSTS = ["attacker.example", "attacker.example:8787", "127.0.0.1.nip.io", "127.0.0.1.nip.io:8787",
                   "192.168.1.10:8787", "[::2]:8787", "", "localhost:notaport", "localhost.:8787",
                   "127.0.0.1@attacker.example", "attacker.example#@127.0.0.1:8787", "127.0.0.1:8788",
                   "0.0.0.0:8787", "127.1:8787", "2130706433:8787", "[", "[::1", "a]", "localhost:+8787",
                   "localhost: 8787", "localhost:8787\x00"]
BODY = json.dumps({"url": "https://x.example/terms", "text": "We may sell your data.", "host": "zoom.us"})


@pytest.fixture(scope="session")
def vendors():
    from clausewatch.settings import Settings
    from clausewatch.vendors.catalog import load_vendors
    return load_vendors(Settings().vendors_path)


@pytest.fixture
def client(settings, analyzer, vendors):
    """The real app with the session's analyzer (loading rules per test costs seconds) and a fresh
    history in this test's platformdirs data dir."""
    from clausewatch.services import Services
    from clausewatch.web.app import create_app
    from clausewatch.history.store import Store
    services = Services(settings=settings, analyzer=analyzer, store=Store(settings.db_path), vendors=vendors)
    return create_app(settings, services).test_client()


@pytest.fixture
def stored(client):
    """One analysed document, so a refused request has something it could have read or deleted."""
    r = client.post("/api/analyze", headers={"Origin": EXT_ORIGIN}, content_type="application/json",
                    data=json.dumps({"url": "https://zoom.us/terms",
                                     "text": "We may sell your personal data. Any dispute is settled by binding "
                                             "arbitration."}))
    assert r.status_code == 200, r.get_json()
    data = r.get_json()
    documents = client.get("/api/history", headers={"Origin": EXT_ORIGIN}).get_json()["documents"]
    data["document_id"] = documents[0]["id"]
    return data


def snapshot(client) -> str:
    """The whole history as the extension sees it: documents, versions, seen marks, grades."""
    r = client.get("/api/history", headers={"Origin": EXT_ORIGIN})
    assert r.status_code == 200
    return json.dumps(r.get_json(), sort_keys=True)


def _path(template: str, stored: dict) -> str:
    return template.format(report=stored["report_id"], document=stored["document_id"])


def test_every_route_is_in_the_table(client):
    """A route added later without a row here would be tested by nothing: fail instead."""
    rules = client.application.url_map.iter_rules()
    routes = {(m, r.rule) for r in rules if r.endpoint not in PUBLIC_ENDPOINTS for m in r.methods - {"HEAD", "OPTIONS"}}
    table = {(m, p.split("?")[0].replace("{report}", "<report_id>")) for m, p in DATA_ROUTES}
    assert routes == table


# One test per origin (or host) that walks every route: each refused request is checked on its own,
# and the app is set up once per row, not once per cell (that made this file take minutes).
@pytest.mark.parametrize("origin", BAD_ORIGINS)
def test_foreign_origins_are_refused_and_change_nothing(client, stored, origin):
    before = snapshot(client)
    headers = {} if origin is None else {"Origin": origin}
    for method, path in DATA_ROUTES:
        r = client.open(_path(path, stored), method=method, headers=headers, data=BODY,
                        content_type="application/json")
        where = f"{method} {path}"
        assert r.status_code == 403, where
        assert r.get_json()["error"]["code"] == "forbidden_origin", where
        assert "Access-Control-Allow-Origin" not in r.headers, where
        assert stored["report_id"] not in r.get_data(as_text=True), where
        assert snapshot(client) == before, where


@pytest.mark.parametrize("host", REBINDING_HOSTS)
def test_dns_rebinding_hosts_are_refused(client, stored, host):
    before = snapshot(client)
    for method, path in DATA_ROUTES + [("GET", "/api/health"), ("GET", "/static/report.css")]:
        r = client.open(_path(path, stored), method=method, headers={"Origin": EXT_ORIGIN, "Host": host},
                        data=BODY, content_type="application/json")
        where = f"{method} {path}"
        assert r.status_code == 403, where
        assert r.get_json()["error"]["code"] == "bad_host", where
        assert snapshot(client) == before, where


SIMPLE_BODIES = [
    ("text/plain", BODY),
    ("text/plain;charset=UTF-8", BODY),
    ("application/x-www-form-urlencoded", "text=We+may+sell+your+data.&document=1&host=zoom.us"),
    ("multipart/form-data; boundary=x", "--x\r\nContent-Disposition: form-data; name=document\r\n\r\n1\r\n--x--\r\n"),
]


@pytest.mark.parametrize("content_type,body", SIMPLE_BODIES)
@pytest.mark.parametrize("origin", [None, "null", "https://evil.example", "http://127.0.0.1:9999"])
def test_simple_request_tricks_from_web_pages_are_refused(client, stored, content_type, body, origin):
    """What a web page can send without a preflight: a form post or a no-cors fetch."""
    before = snapshot(client)
    headers = {"Sec-Fetch-Site": "cross-site", "Sec-Fetch-Mode": "navigate" if "form" in content_type else "no-cors"}
    if origin:
        headers["Origin"] = origin
    for path in ("/api/analyze", "/api/site/seen", "/report/delete"):
        r = client.post(path, headers=headers, content_type=content_type,
                        data=body.replace("document=1", f"document={stored['document_id']}"))
        assert r.status_code == 403, path
        assert snapshot(client) == before, path


@pytest.mark.parametrize("origin", ["https://evil.example", "http://127.0.0.1:9999", "null"])
def test_preflights_from_web_pages_are_refused(client, stored, origin):
    for method, path in DATA_ROUTES:
        r = client.options(_path(path, stored), headers={"Origin": origin, "Access-Control-Request-Method": method,
                                                          "Access-Control-Request-Headers": "content-type"})
        assert r.status_code == 403, (method, path)
        assert "Access-Control-Allow-Origin" not in r.headers, (method, path)


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
    assert r.headers["Vary"] == "Origin" and r.headers["X-Content-Type-Options"] == "nosniff"
    pre = client.options("/api/analyze", headers={"Origin": "https://evil.example"})
    assert pre.status_code == 403 and "Access-Control-Allow-Origin" not in pre.headers


# What Chromium sends with each kind of request (Sec-Fetch-* cannot be set by a page's script).
WORKER_GET = {"Sec-Fetch-Site": "none", "Sec-Fetch-Mode": "cors", "Sec-Fetch-Dest": "empty"}
# Firefox's background script: its host permission makes the fetch "same-origin" (tests/e2e/test_firefox.py).
FIREFOX_WORKER_GET = {**WORKER_GET, "Sec-Fetch-Site": "same-origin"}
TYPED = {"Sec-Fetch-Site": "none", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Dest": "document", "Sec-Fetch-User": "?1"}


@pytest.mark.parametrize("method,path,allowed", [
    ("GET", "/api/vendors", True),          # the badge's reads: the service worker sends no Origin
    ("GET", "/api/site?host=zoom.us", True),
    ("GET", "/api/history", False),         # everything else still needs the Origin
    ("DELETE", "/api/history", False),
    ("POST", "/api/analyze", False),
    ("POST", "/api/site/seen", False),
    ("POST", "/api/site/fetch", False),     # asking for a fetch is a write: the Origin is needed
    ("POST", "/report/delete", False),
])
def test_originless_worker_reads_are_limited_to_the_badge_routes(client, stored, settings, method, path, allowed):
    before = snapshot(client)
    for headers in (WORKER_GET, FIREFOX_WORKER_GET):
        r = client.open(path, method=method, headers=headers, data=BODY, content_type="application/json")
        assert (r.status_code == 200) == allowed and (r.status_code == 403) == (not allowed)
    assert snapshot(client) == before
    for site in ("cross-site", "same-site"):  # a web page's fetch says where it is from
        r = client.open(path, method=method, headers={**WORKER_GET, "Sec-Fetch-Site": site}, data=BODY,
                        content_type="application/json")
        assert r.status_code == 403
    for mode in ("no-cors", "navigate"):  # an image, a link or a form: never a fetch that reads the answer
        r = client.open(path, method=method, headers={**FIREFOX_WORKER_GET, "Sec-Fetch-Mode": mode}, data=BODY,
                        content_type="application/json")
        assert r.status_code == 403
    # Firefox's form is accepted only while Firefox's extension is.
    settings.allow_firefox = False
    r = client.open(path, method=method, headers=FIREFOX_WORKER_GET, data=BODY, content_type="application/json")
    assert r.status_code == 403
    assert snapshot(client) == before


@pytest.mark.parametrize("path", ["/report/{report}", "/report/{report}/export.html", "/report/{report}/export.json"])
def test_reader_view_opens_on_user_navigation_but_not_from_a_web_page(client, stored, path):
    path = _path(path, stored)
    typed = client.get(path, headers=TYPED)
    assert typed.status_code == 200
    assert typed.headers["X-Frame-Options"] == "DENY"  # and a web page cannot frame it (below)
    for site in ("cross-site", "same-site"):  # a link, or an iframe/window.open from another loopback port
        linked = client.get(path, headers={**TYPED, "Sec-Fetch-Site": site})
        assert linked.status_code == 403
    fetched = client.get(path, headers={"Sec-Fetch-Mode": "cors", "Sec-Fetch-Site": "cross-site",
                                        "Origin": "https://evil.example"})
    assert fetched.status_code == 403
    framed = client.get(path, headers={**TYPED, "Sec-Fetch-Dest": "iframe", "Sec-Fetch-Site": "cross-site"})
    assert framed.status_code == 403


def test_reader_view_delete_form_works_from_the_server_origin_only(client, stored, settings):
    before = snapshot(client)
    form = {"document": str(stored["document_id"])}
    for origin in ("http://127.0.0.1:9999", f"http://evil.example:{settings.port}", "null"):
        assert client.post("/report/delete", data=form, headers={"Origin": origin}).status_code == 403
    assert snapshot(client) == before
    own = client.post("/report/delete", data=form, headers={"Origin": f"http://127.0.0.1:{settings.port}"})
    assert own.status_code == 200
    assert json.loads(snapshot(client))["documents"] == []


HOSTILE = "<script>window.pwned=1</script></mark><img src=x onerror=\"window.pwned=2\">"


def test_hostile_page_text_comes_back_as_data_never_as_markup(client, ext):
    """The API returns page text as JSON strings (the extension puts them in with textContent), in
    responses no browser will sniff as HTML; the reader view escapes it and runs no script at all."""
    escaped = HOSTILE.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    r = client.post("/api/analyze", headers=ext, content_type="application/json",
                    data=json.dumps({"url": "javascript:alert(1)//https://a.example/t", "title": HOSTILE,
                                     "html": f"<p>We may sell your personal information {escaped} to brokers.</p>"}))
    assert r.status_code == 200
    assert r.mimetype == "application/json" and r.headers["X-Content-Type-Options"] == "nosniff"
    data = r.get_json()
    assert any(HOSTILE in f["quote"] for f in data["findings"])       # the text, exactly, as data
    for path in (f"/report/{data['report_id']}", f"/report/{data['report_id']}/export.html"):
        page = client.get(path, headers=TYPED)
        html = page.get_data(as_text=True)
        assert page.status_code == 200, path
        assert "<script" not in html.lower() and "<img" not in html.lower() and "onerror=\"" not in html, path
        assert 'href="javascript' not in html.lower(), path
        csp = page.headers["Content-Security-Policy"]
        assert "script-src" not in csp and "unsafe-inline" not in csp and "default-src 'none'" in csp, path
