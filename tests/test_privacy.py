"""Privacy: analysing a page opens no socket; only the vendor watcher fetches, and only vendor URLs;
the log never holds page text at the default level (INFO), on success or on any error path."""

from __future__ import annotations

import ast
import copy
import json
import logging
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from conftest import EXT_ORIGIN, FIXTURES, TEST_EXTENSION_ID

PACKAGE = Path(__file__).resolve().parents[1] / "server" / "clausewatch"
NETWORK_EVENTS = ("socket.__new__", "socket.connect", "socket.bind", "socket.getaddrinfo", "socket.gethostbyname",
                  "socket.gethostbyaddr", "socket.sendto", "socket.sendmsg", "urllib.Request", "http.client.connect",
                  "ftplib.connect", "smtplib.connect", "webbrowser.open")
# A page that names every kind of external resource a parser might be tempted to load.
GREEDY_PAGE = """<!doctype html><html><head>
<base href="http://192.0.2.1/"><meta http-equiv="refresh" content="0; url=http://192.0.2.1/r">
<link rel="stylesheet" href="http://192.0.2.1/a.css"><link rel="prefetch" href="//192.0.2.1/p">
<link rel="dns-prefetch" href="//tracker.example"><script src="http://192.0.2.1/x.js"></script>
<style>@import url(http://192.0.2.1/i.css); body { background: url(http://192.0.2.1/b.png) }</style>
<!DOCTYPE foo SYSTEM "http://192.0.2.1/dtd"><title>Terms</title></head><body>
<img src="http://192.0.2.1/i.png" srcset="http://192.0.2.1/2x.png 2x"><iframe src="http://192.0.2.1/f"></iframe>
<object data="http://192.0.2.1/o"></object><svg><image href="http://192.0.2.1/s.png"/></svg>
<p>We may sell your personal information to data brokers.</p>
<p>Any dispute shall be resolved by <a href="http://192.0.2.1/arb">binding arbitration</a>.</p>
<p xmlns:xi="http://www.w3.org/2001/XInclude"><xi:include href="http://192.0.2.1/inc.xml"/></p>
</body></html>"""


class NetworkGuard:
    """An audit hook (they cannot be removed, so it is armed and disarmed) that records and refuses
    every network event of this process while armed."""

    def __init__(self):
        self.armed = False
        self.events: list[tuple[str, str]] = []
        self.thread = None
        sys.addaudithook(self._hook)

    def _hook(self, event, args):
        if self.armed and event in NETWORK_EVENTS and threading.get_ident() == self.thread:
            self.events.append((event, repr(args)[:200]))
            raise PermissionError(f"analysis tried the network: {event}")

    def __enter__(self):
        self.events.clear()
        self.thread = threading.get_ident()
        self.armed = True
        return self

    def __exit__(self, *exc):
        self.armed = False


GUARD = NetworkGuard()


def test_the_guard_sees_a_connection_attempt():
    import socket
    with GUARD, pytest.raises(PermissionError):
        socket.create_connection(("127.0.0.1", 9), timeout=1)
    assert GUARD.events and GUARD.events[0][0] in ("socket.__new__", "socket.getaddrinfo", "socket.connect")


@pytest.mark.parametrize("kind,content", [
    ("html", GREEDY_PAGE),
    ("html", (FIXTURES / "zoom_terms_2023.html").read_text(encoding="utf-8")),
    ("text", "We may sell your personal information. See http://192.0.2.1/more and www.example.com."),
])
def test_analysing_a_page_opens_no_socket(analyzer, kind, content):
    fresh = copy.copy(analyzer)                 # the same rules and model...
    fresh.cache = type(analyzer.cache)()        # ...without a cached answer
    with GUARD:
        analysis = fresh.analyze(**{kind: content}, url="https://vendor.example/terms")
    assert GUARD.events == []
    assert analysis.findings


def test_the_server_analyses_without_a_socket_and_its_workers_cannot_open_one(client, ext):
    """Through the app: the request path opens no socket in the server process (the extraction
    workers talk over pipes), and the workers run with the network denied."""
    with GUARD:
        r = client.post("/api/analyze", headers=ext, content_type="application/json",
                        data=json.dumps({"url": "https://vendor.example/terms", "html": GREEDY_PAGE}))
    assert GUARD.events == []
    assert r.status_code == 200 and {"data_sale", "arbitration"} <= {f["category"] for f in r.get_json()["findings"]}


def test_extraction_workers_deny_themselves_the_network():
    code = ("import socket, sys\n"
            "from clausewatch.web.extraction_pool import deny_network\n"
            "deny_network()\n"
            "for attempt in (lambda: socket.create_connection(('127.0.0.1', 9), timeout=1),\n"
            "                lambda: socket.getaddrinfo('example.com', 80),\n"
            "                lambda: __import__('urllib.request').request.urlopen('http://127.0.0.1:9/')):\n"
            "    try:\n"
            "        attempt()\n"
            "    except PermissionError:\n"
            "        continue\n"
            "    sys.exit('not denied')\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr + done.stdout


NETWORK_MODULES = {"socket", "ssl", "http.client", "urllib.request", "requests", "httpx", "urllib3", "aiohttp",
                   "ftplib", "smtplib", "webbrowser", "xmlrpc.client", "asyncio"}
# Who may import them, and why.
NETWORK_ALLOWED = {
    "fetch.py": "the vendor watcher's one HTTP client, with its caps",
    "serve.py": "waitress, the loopback server itself",
}


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names |= {node.module} | {f"{node.module}.{a.name}" for a in node.names}
    return names


def test_only_the_fetcher_imports_a_network_client():
    offenders = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        found = {n for n in _imports(path) if n in NETWORK_MODULES or n.split(".")[0] in {"requests", "httpx", "urllib3"}}
        found |= {n for n in _imports(path) if "fetch_url" in n or n.startswith("trafilatura.downloads")}
        if found and path.name not in NETWORK_ALLOWED:
            offenders[str(path.relative_to(PACKAGE))] = sorted(found)
    assert offenders == {}
    source = "\n".join(p.read_text(encoding="utf-8") for p in PACKAGE.rglob("*.py") if p.name != "fetch.py")
    assert "fetch_url(" not in source and "urlopen(" not in source


def test_the_watcher_fetches_only_vendor_urls(settings, analyzer, monkeypatch):
    pytest.importorskip("clausewatch.vendors.watcher")
    from clausewatch.vendors import watcher
    from clausewatch.services import Services
    from clausewatch.web.app import create_app
    from clausewatch.vendors.fetch import FetchError
    from clausewatch.history.store import Store
    from clausewatch.vendors.catalog import load_vendors
    fetched: list[str] = []

    def fake_fetch(url, **_kw):
        fetched.append(url)
        raise FetchError(f"{url}: offline in this test")
    monkeypatch.setattr(watcher, "fetch", fake_fetch)
    settings.watch = True
    vendors = load_vendors(settings.vendors_path)
    app = create_app(settings, Services(settings=settings, analyzer=analyzer, store=Store(settings.db_path),
                                        vendors=vendors))
    client = app.test_client()
    allowed = {u for v in vendors.items for u in (*v.terms, *v.privacy)}
    # The page's own host, or any host a page names, is never fetched: only a known vendor's URLs.
    for host in ("evil.example", "127.0.0.1", "localhost:8787", "169.254.169.254", "zoom.us.evil.example"):
        client.get(f"/api/site?host={host}", headers={"Origin": EXT_ORIGIN})
        client.post("/api/site/fetch", json={"host": host}, headers={"Origin": EXT_ORIGIN})
    client.get("/api/site?host=zoom.us", headers={"Origin": EXT_ORIGIN})  # a read: fetches nothing
    client.post("/api/analyze", headers={"Origin": EXT_ORIGIN}, content_type="application/json",
                data=json.dumps({"url": "https://evil.example/terms", "html": GREEDY_PAGE}))
    time.sleep(0.5)
    assert fetched == []
    client.post("/api/site/fetch", json={"host": "zoom.us"}, headers={"Origin": EXT_ORIGIN})
    deadline = time.monotonic() + 10
    while not fetched and time.monotonic() < deadline:
        time.sleep(0.05)
    zoom = vendors.for_host("zoom.us")
    assert fetched and set(fetched) <= {*zoom.terms, *zoom.privacy}
    app.extensions["clausewatch"].watcher.run_round()
    assert set(fetched) <= allowed
    app.extensions["clausewatch"].watcher.stop()


MARKER = "Zq7xMarkerQv9"   # a string no log line could hold unless page text leaked into it


def _marker_requests():
    html = (f"<html><head><title>{MARKER} title</title></head><body><p>We may sell your data to {MARKER} "
            f"brokers.</p><p>Any dispute shall be settled by binding arbitration ({MARKER}).</p></body></html>")
    return [
        ("ok html", json.dumps({"url": "https://a.example/t", "html": html, "title": MARKER})),
        ("ok text", json.dumps({"url": "https://a.example/u", "text": f"We may sell your data {MARKER}."})),
        ("no text", json.dumps({"html": f"<script>var x = '{MARKER}';</script><style>{MARKER}</style>"})),
        ("bad json", '{"html": "<p>' + MARKER + '</p>", '),
        ("bad field", json.dumps({"html": [MARKER]})),
        ("bad utf-8", b'{"text": "' + MARKER.encode() + b'\xff"}'),
        ("too long", json.dumps({"text": (MARKER + " sells data. ") * 80_000})),
    ]


def test_logs_hold_no_page_text_on_any_path(client, ext, caplog, monkeypatch):
    caplog.set_level(logging.INFO)  # the server's default level (serve.py)
    for name, body in _marker_requests():
        r = client.post("/api/analyze", headers=ext, content_type="application/json", data=body)
        assert r.status_code < 500, name
    # The 500 path: an exception whose message quotes the page.
    services = client.application.extensions["clausewatch"]

    def broken(**kw):
        raise ValueError(f"cannot handle {kw.get('text') or kw.get('html')}")
    monkeypatch.setattr(services.analyzer, "analyze", broken)
    r = client.post("/api/analyze", headers=ext, content_type="application/json",
                    data=json.dumps({"text": f"We may sell {MARKER}."}))
    assert r.status_code == 500 and MARKER not in r.get_data(as_text=True)
    assert "unexpected ValueError on POST /api/analyze" in caplog.text  # the error is logged, the text is not
    assert MARKER not in caplog.text


def test_match_timeouts_and_extraction_failures_log_no_page_text(analyzer, caplog):
    from clausewatch.web.extraction_pool import ExtractionPool, ExtractionTimeout
    caplog.set_level(logging.INFO)
    pool = ExtractionPool(size=1, seconds=0.01)
    try:
        with pytest.raises(ExtractionTimeout) as info:
            pool.extract_html(f"<p>{MARKER}</p>" * 20000)
        assert MARKER not in str(info.value)
    finally:
        pool.close()
    assert MARKER not in caplog.text


def test_the_server_process_log_holds_no_page_text(tmp_path):
    """The real process, as started by `clausewatch serve`, at its default log level."""
    sys.path.insert(0, str(Path(__file__).parent))
    from test_server_process import free_port, request
    port = free_port()
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data"), "XDG_CONFIG_HOME": str(tmp_path / "config"),
           "CLAUSEWATCH_EXTENSION_IDS": TEST_EXTENSION_ID}
    log = tmp_path / "server.log"
    with open(log, "w") as out:
        proc = subprocess.Popen([str(Path(sys.executable).with_name("clausewatch")), "serve", "--port", str(port),
                                 "--no-watch"], env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                try:
                    if request(port, "/api/health", origin=None)[0] == 200:
                        break
                except OSError:
                    time.sleep(0.1)
            import urllib.request
            for name, body in _marker_requests():
                req = urllib.request.Request(f"http://127.0.0.1:{port}/api/analyze", method="POST",
                                             data=body if isinstance(body, bytes) else body.encode(),
                                             headers={"Origin": EXT_ORIGIN, "Content-Type": "application/json"})
                try:
                    urllib.request.urlopen(req, timeout=60).read()
                except urllib.error.HTTPError as e:
                    assert e.code < 500, (name, e.read())
        finally:
            proc.terminate()
            proc.wait(timeout=15)
    text = log.read_text(encoding="utf-8", errors="replace")
    assert "serving on" in text
    assert MARKER not in text
