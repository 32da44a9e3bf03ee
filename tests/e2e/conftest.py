"""The extension in Debian's Chromium, against the real server, with pages from a local server.

The recipe is ../shared/DESIGN.md's: a persistent context with executable_path, the extension
loaded with --load-extension and --disable-extensions-except, one sw.evaluate before the first
navigation, and polling instead of sleeps. One browser and one server serve the whole session.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from live_server import stop_process

REPO = Path(__file__).resolve().parents[2]
EXTENSION = REPO / "extension"
FIXTURES = REPO / "tests" / "fixtures"
ARTIFACTS = REPO / "artifacts"
CHROMIUM = next((p for p in ("/usr/lib/chromium/chromium",) if Path(p).is_file()), None)
CLAUSEWATCH = Path(sys.executable).with_name("clausewatch")

sync_api = pytest.importorskip("playwright.sync_api")


def pytest_collection_modifyitems(config, items):
    # Every test here drives a browser, marked or not, so `-m "not browser"` never starts one.
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.browser)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def extension_id() -> str:
    sys.path.insert(0, str(REPO / "server"))
    from clausewatch.settings import extension_id_from_key
    return extension_id_from_key(json.loads((EXTENSION / "manifest.json").read_text())["key"])


def wait_for(predicate, timeout=15.0, interval=0.05, message="condition"):
    """Poll until predicate() is truthy; return its value."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {message} (last value: {value!r})")
        time.sleep(interval)


class Pages:
    """A tiny HTTP server: path -> (bytes, content type). Any Host header (zoom.us included)."""

    def __init__(self):
        self.routes: dict[str, bytes] = {}
        self.types: dict[str, str] = {}  # path -> Content-Type, when not HTML (a PDF)
        pages = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                # A proxy's request names the whole URL ("GET http://zoom.us/ HTTP/1.1"): Firefox
                # reaches the vendor hosts through this server as its proxy (firefox.py).
                path = urllib.parse.urlsplit(self.path).path
                body = pages.routes.get(path)
                if body is None:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", pages.types.get(path, "text/html; charset=utf-8"))
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def add(self, path: str, html: str | bytes, content_type: str | None = None) -> str:
        self.routes[path] = html.encode("utf-8") if isinstance(html, str) else html
        if content_type:
            self.types[path] = content_type
        return self.base + path

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="session")
def pages():
    p = Pages()
    yield p
    p.close()


class Server:
    """`clausewatch serve` as a subprocess; started early, waited for only when first needed, so
    its start-up overlaps Chromium's."""

    def __init__(self, data_dir: Path, config_dir: Path, log_path: Path, vendors_file: Path):
        self.data_dir, self.vendors_file = data_dir, vendors_file
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("CLAUSEWATCH_")}
        env["CLAUSEWATCH_DATA_DIR"] = str(data_dir)
        env["XDG_CONFIG_HOME"] = str(config_dir)
        env["CLAUSEWATCH_VENDORS_FILE"] = str(vendors_file)
        cmd = [str(CLAUSEWATCH)] if CLAUSEWATCH.exists() else [sys.executable, "-m", "clausewatch"]
        self.log = open(log_path, "w+", encoding="utf-8")
        self.proc = subprocess.Popen(cmd + ["serve", "--port", str(self.port), "--no-watch"], env=env,
                                     stdout=self.log, stderr=subprocess.STDOUT)

    def healthy(self) -> bool:
        if self.proc.poll() is not None:
            self.log.seek(0)
            raise RuntimeError(f"clausewatch serve exited: {self.log.read()}")
        try:
            with urllib.request.urlopen(self.base + "/api/health", timeout=1) as r:
                return r.status == 200
        except (urllib.error.URLError, OSError):
            return False

    def wait(self):
        wait_for(self.healthy, timeout=30, interval=0.1, message="the clausewatch server")

    def stop(self):
        stop_process(self.proc)
        self.log.close()


# Vendors whose policies the tests serve themselves: the server fetches them from the page server.
WATCHED_VENDOR, WATCHED_HOST = "lyft", "lyft.com"
PENDING_VENDOR, PENDING_HOST = "viber", "viber.com"
# A sample of the vendors added when the list grew from 101 to 444 (test_vendor_sample.py), each with an
# unknown look-alike neighbour; none is on the HSTS preload list (tildes.net and mouthshut.com are).
NEW_VENDOR_HOSTS = ("letterboxd.com", "bandcamp.com", "timeanddate.com", "wordfeud.com")
NEIGHBOUR_HOSTS = tuple(f"not{h}" for h in NEW_VENDOR_HOSTS)


@pytest.fixture(scope="session")
def server_process(tmp_path_factory, pages):
    import yaml
    data = yaml.safe_load((REPO / "rules" / "vendors.yaml").read_text(encoding="utf-8"))
    served = {WATCHED_VENDOR, PENDING_VENDOR}
    for vendor in data["vendors"]:
        if vendor["id"] in served:
            served.discard(vendor["id"])
            vendor["terms"] = [f"{pages.base}/{vendor['id']}/terms"]
            vendor["privacy"] = [f"{pages.base}/{vendor['id']}/privacy"]
    assert not served, f"vendors {served} are no longer in rules/vendors.yaml: pick others"
    vendors = yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    vendors_file = tmp_path_factory.mktemp("cw-vendors") / "vendors.yaml"
    vendors_file.write_text(vendors, encoding="utf-8")
    s = Server(tmp_path_factory.mktemp("cw-data"), tmp_path_factory.mktemp("cw-config"),
               tmp_path_factory.mktemp("cw-log") / "server.log", vendors_file)
    yield s
    s.stop()


@pytest.fixture(scope="session")
def watcher(server_process):
    """The server's vendor watcher, run in this process on the server's own history and vendors
    (the server itself runs with --no-watch, so only the test decides when a vendor is fetched)."""
    from clausewatch.web.app import create_app
    from clausewatch.settings import Settings
    settings = Settings(data_dir=server_process.data_dir, vendors_file=server_process.vendors_file, watch=False,
                        fetch_allow_private=True)  # the page server is on loopback
    return create_app(settings).extensions["clausewatch"].watcher


@pytest.fixture(scope="session")
def server(server_process) -> str:
    """The base URL of the real clausewatch server, once it answers."""
    server_process.wait()
    return server_process.base


def post_json(server: str, path: str, body: dict, ext_id: str) -> dict:
    req = urllib.request.Request(server + path, data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json",
                                          "Origin": f"chrome-extension://{ext_id}"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.load(r)


class Browser:
    def __init__(self, ctx, sw, ext_id: str, server: str):
        self.ctx, self.sw, self.ext_id, self.server = ctx, sw, ext_id, server

    def tab_id(self, url: str) -> int:
        return wait_for(lambda: self.sw.evaluate(
            "async (u) => (await chrome.tabs.query({})).find((t) => t.url === u)?.id ?? null", url),
            message=f"a tab at {url}")

    def badge(self, tab_id: int) -> str:
        return self.sw.evaluate("(t) => chrome.action.getBadgeText({tabId: t})", tab_id)

    def badge_title(self, tab_id: int) -> str:
        return self.sw.evaluate("(t) => chrome.action.getTitle({tabId: t})", tab_id)

    def set_server(self, address: str):
        self.sw.evaluate("(s) => chrome.storage.local.set({server: s})", address)

    def tab_state(self, tab_id: int):
        return self.sw.evaluate("async (t) => (await chrome.storage.session.get(`tab:${t}`))[`tab:${t}`] ?? null", tab_id)

    def open(self, url: str):
        page = self.ctx.new_page()
        page.goto(url, wait_until="domcontentloaded")
        return page, self.tab_id(url)

    def changed_badge(self, tab_id: int) -> str:
        """The tab's badge once it carries the "changed since you last read it" mark ("C!")."""
        return wait_for(lambda: self.badge(tab_id).endswith("!") and self.badge(tab_id),
                        message=f"a changed badge on tab {tab_id}")

    def popup(self, tab_id: int):
        """The popup opened as a tab, pointed at the page's tab with ?tabId=."""
        page = self.ctx.new_page()
        page.set_viewport_size({"width": 400, "height": 600})
        page.goto(f"chrome-extension://{self.ext_id}/src/popup/popup.html?tabId={tab_id}")
        return page


def launch_with_extension(playwright, profile, extension, resolver_rules: str):
    """Debian's Chromium with `extension` loaded (never a downloaded browser), and its worker."""
    ctx = playwright.chromium.launch_persistent_context(
        str(profile), executable_path=CHROMIUM, headless=True,
        viewport={"width": 1200, "height": 800},
        args=["--disable-gpu", "--no-first-run", "--disable-sync", "--disable-background-networking",
              "--disable-component-update", "--disable-quic", f"--host-resolver-rules={resolver_rules}",
              f"--disable-extensions-except={extension}", f"--load-extension={extension}"])
    sw = ctx.service_workers[0] if ctx.service_workers else ctx.wait_for_event("serviceworker", timeout=15000)
    return ctx, sw


@pytest.fixture(scope="session")
def playwright():
    """One Playwright for the whole session: a second sync_playwright() on the same thread, while
    the first still runs, is refused, so every Chromium of the session is launched from this one."""
    with sync_api.sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def browser(playwright, server_process, pages, tmp_path_factory):
    if CHROMIUM is None:
        pytest.skip("Debian's chromium is not installed (/usr/lib/chromium/chromium)")
    ext_id = extension_id()
    profile = tmp_path_factory.mktemp("chromium-profile")
    # The vendor hosts resolve to the page server; everything else that is not loopback fails fast, so
    # real pages' third-party scripts and fonts never leave the machine or slow the test.
    vendors = ("zoom.us", WATCHED_HOST, PENDING_HOST, *NEW_VENDOR_HOSTS, *NEIGHBOUR_HOSTS)  # none is HSTS-preloaded
    rules = ", ".join([f"MAP {h} 127.0.0.1:{pages.port}" for h in vendors]
                      + ["MAP * ~NOTFOUND", "EXCLUDE 127.0.0.1", "EXCLUDE localhost"])
    ctx, sw = launch_with_extension(playwright, profile, EXTENSION, rules)
    server_process.wait()
    server = server_process.base
    assert ext_id in sw.url, f"the pinned id {ext_id} is not the loaded extension's ({sw.url})"
    # The first evaluate lets the worker register its listeners before any navigation; then the
    # extension is pointed at this session's server, as a user would in the options page.
    sw.evaluate("(s) => chrome.storage.local.set({server: s})", server)
    wait_for(lambda: sw.evaluate("async () => (await chrome.storage.local.get('server')).server") == server)
    yield Browser(ctx, sw, ext_id, server)
    ctx.close()


@pytest.fixture
def fresh_pages(browser):
    """Pages opened by one test are closed after it, so tab queries stay unambiguous."""
    opened = []
    yield opened
    for p in opened:
        if not p.is_closed():
            p.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
