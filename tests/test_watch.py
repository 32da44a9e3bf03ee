"""The vendor watcher against a local HTTP server: v1 then v2 of a vendor's terms (the Zoom story),
/api/site marking the change, export of the diff, the CLI, and the fetcher's caps."""

from __future__ import annotations

import html
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from click.testing import CliRunner

from clausewatch.vendors.fetch import FetchError, fetch
from conftest import EXT_ORIGIN, FIXTURES

PAGES = {
    "v1": (FIXTURES / "vendor_v1.html").read_bytes(),
    "v2": (FIXTURES / "vendor_v2.html").read_bytes(),
    "privacy": b"<html><body><main><h1>Meetly Privacy Policy</h1><p>We collect your email address to run "
               b"your account.</p><p>We do not sell your personal information.</p></main></body></html>",
}


class Site:
    """What the local vendor serves, and what it saw."""

    def __init__(self):
        self.terms = "v1"
        self.agents: list[str] = []
        self.active = 0
        self.most_active = 0
        self.lock = threading.Lock()


def make_handler(site: Site):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def send(self, body: bytes, ctype="text/html; charset=utf-8", status=200, length=True):
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            if length:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def redirect(self, where):
            self.send_response(302)
            self.send_header("Location", where)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_GET(self):
            site.agents.append(self.headers.get("User-Agent", ""))
            path = self.path
            if path == "/terms":
                return self.send(PAGES[site.terms])
            if path == "/privacy":
                return self.send(PAGES["privacy"])
            if path == "/big":  # says how big it is
                return self.send(b"<p>" + b"a" * (3 * 1024 * 1024) + b"</p>")
            if path == "/big-unannounced":  # does not
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.end_headers()
                for _ in range(64):
                    self.wfile.write(b"b" * 65536)
                return None
            if path == "/slow":
                time.sleep(2.5)
                try:
                    return self.send(b"<p>late</p>")
                except OSError:  # the client gave up, as it should
                    return None
            if path == "/drip":
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.end_headers()
                try:
                    for _ in range(100):
                        self.wfile.write(b"x")
                        self.wfile.flush()
                        time.sleep(0.1)
                except OSError:
                    pass
                return None
            if path == "/to-file":
                return self.redirect("file:///etc/passwd")
            if path == "/to-ftp":
                return self.redirect("ftp://127.0.0.1/terms")
            if path.startswith("/loop"):
                n = int(path[5:] or 0)
                return self.redirect(f"/loop{n + 1}")
            if path == "/moved":
                return self.redirect("/terms")
            if path == "/octet-html":  # a server that labels every file as bytes
                return self.send(b"<!-- saved --><!DOCTYPE html><p>We may sell your data.</p>",
                                 ctype="application/octet-stream")
            if path == "/octet-zip":
                return self.send(b"PK\x03\x04 not a page", ctype="application/octet-stream")
            if path == "/image":
                return self.send(b"\x89PNG....", ctype="image/png")
            if path == "/hold":
                with site.lock:
                    site.active += 1
                    site.most_active = max(site.most_active, site.active)
                time.sleep(0.3)
                with site.lock:
                    site.active -= 1
                return self.send(b"<p>held</p>")
            return self.send(b"not here", ctype="text/plain", status=404)
    return Handler


@pytest.fixture
def vendor_site():
    site = Site()
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(site))
    server.daemon_threads = False  # server_close() then waits for every handler: no socket outlives the test
    server.handle_error = lambda request, address: None  # a client that gave up (the caps) is expected
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    site.base = f"http://127.0.0.1:{server.server_address[1]}"
    yield site
    server.shutdown()
    server.server_close()


@pytest.fixture
def vendors_file(tmp_path, vendor_site):
    path = tmp_path / "vendors.yaml"
    path.write_text(f"""vendors:
  - id: meetly
    name: Meetly
    domains: [meetly.example]
    terms: ['{vendor_site.base}/terms']
    privacy: ['{vendor_site.base}/privacy']
""", encoding="utf-8")
    return path


@pytest.fixture
def watched(settings, vendors_file):
    from clausewatch.web.app import create_app
    settings.watch = True
    settings.fetch_allow_private = True  # the vendor site of these tests is on loopback
    settings.vendors_file = vendors_file
    app = create_app(settings)
    return app, app.extensions["clausewatch"]


def site_status(client, host="meetly.example"):
    r = client.get(f"/api/site?host={host}", headers={"Origin": EXT_ORIGIN})
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def test_the_watcher_fetches_v1_then_v2_and_the_site_is_marked_changed(watched, vendor_site):
    app, services = watched
    client = app.test_client()
    first = services.watcher.run_round(["meetly"])
    assert sorted(o.status for o in first) == ["first", "first"]
    assert all("clausewatch/" in a for a in vendor_site.agents)
    status = site_status(client)
    assert status["status"] == "analysed" and status["changed"] is False and status["changes"] == []

    assert [o.status for o in services.watcher.run_round(["meetly"])] == ["unchanged", "unchanged"]
    vendor_site.terms = "v2"
    by_type = {o.job.doc_type: o.status for o in services.watcher.run_round(["meetly"])}
    assert by_type == {"terms": "changed", "privacy": "unchanged"}

    status = site_status(client)
    assert status["changed"] is True and status["grade"]["grade"] in "CDE"
    [change] = status["changes"]
    assert change["doc_type"] == "terms"
    added = change["added"][0]
    assert added["category"] == "ai_training" and added["severity"] == "critical" and added["section"] == "§10.2"
    assert any(f["category"] == "ai_training" and f["quote"] for f in added["findings"])
    licence = change["changed"][0]
    assert licence["category"] == "content_license" and "perpetual" in licence["new"]
    assert change["summary"].startswith("2 clauses added")

    # The user looks: the mark goes away until the next change.
    r = client.post("/api/site/seen", json={"host": "meetly.example"}, headers={"Origin": EXT_ORIGIN})
    assert r.status_code == 200 and r.get_json()["marked"] == 2
    assert site_status(client)["changed"] is False


def test_a_new_version_that_reads_the_same_does_not_mark_the_site(watched, vendor_site):
    app, services = watched
    services.watcher.run_round(["meetly"])
    PAGES["v1-shouting"] = PAGES["v1"].replace(b"Questions about these Terms", b"QUESTIONS ABOUT THESE TERMS")
    vendor_site.terms = "v1-shouting"
    assert {o.job.doc_type: o.status for o in services.watcher.run_round(["meetly"])}["terms"] == "changed"
    status = site_status(app.test_client())
    assert status["changed"] is False and status["changes"] == []


def test_analyze_reports_changes_against_what_this_user_saw(watched, vendor_site):
    """The user reads v1 in the browser; the watcher later stores v2; the user's next visit gets the diff."""
    app, services = watched
    client = app.test_client()
    url = f"{vendor_site.base}/terms"
    post = lambda html: client.post("/api/analyze", headers={"Origin": EXT_ORIGIN},
                                    json={"url": url, "html": html.decode()}).get_json()
    assert post(PAGES["v1"])["changes"] is None
    vendor_site.terms = "v2"
    services.watcher.run_round(["meetly"])
    data = post(PAGES["v2"])
    assert data["changes"]["added"][0]["category"] == "ai_training"
    assert [c["category"] for c in data["changes"]["changed"]][:1] == ["content_license"]
    assert post(PAGES["v2"])["changes"] is None  # seen now


def ask_fetch(client, host="meetly.example"):
    r = client.post("/api/site/fetch", json={"host": host}, headers={"Origin": EXT_ORIGIN})
    return r.status_code, r.get_json()


def test_reading_a_sites_status_never_fetches(watched, vendor_site):
    """GET /api/site only reads: asking about a vendor with no version yet queues nothing."""
    app, services = watched
    client = app.test_client()
    for _ in range(3):
        status = site_status(client)
        assert status["status"] == "pending" and status["requested"] is False and status["watching"] is True
    # A fetch the GETs had queued would still be pending, or done and seen by the vendor's site.
    assert services.watcher.pending() == set() and vendor_site.agents == []


def test_an_unknown_vendor_is_fetched_on_demand_once(watched, vendor_site):
    app, services = watched
    client = app.test_client()
    assert site_status(client)["status"] == "pending"
    assert ask_fetch(client) == (200, {"vendor": "meetly", "requested": True, "watching": True})
    assert ask_fetch(client)[1]["requested"] is False  # already queued or just tried
    assert services.watcher.request("meetly") is False
    deadline = time.monotonic() + 30
    while site_status(client)["status"] != "analysed":
        assert time.monotonic() < deadline, "the on-demand fetch did not finish"
        time.sleep(0.1)
    assert len([a for a in vendor_site.agents]) == 2


def test_watching_off_means_no_fetch_at_all(settings, vendors_file, vendor_site):
    from clausewatch.web.app import create_app
    settings.watch = False
    settings.vendors_file = vendors_file
    app = create_app(settings)
    client = app.test_client()
    status = site_status(client)
    assert status["status"] == "pending" and status["requested"] is False and status["watching"] is False
    assert ask_fetch(client)[1] == {"vendor": "meetly", "requested": False, "watching": False}
    assert ask_fetch(client, "evil.example")[0] == 404  # only a known vendor is ever fetched
    time.sleep(0.3)
    assert vendor_site.agents == []


def test_the_diff_exports_as_one_inert_html_file_and_as_json(watched, vendor_site):
    app, services = watched
    client = app.test_client()
    services.watcher.run_round(["meetly"])
    vendor_site.terms = "v2"
    services.watcher.run_round(["meetly"])
    report_id = site_status(client)["changes"][0]["report_id"]
    nav = {"Sec-Fetch-Mode": "navigate", "Sec-Fetch-Site": "none"}
    view = client.get(f"/report/{report_id}", headers=nav).get_data(as_text=True)
    assert f"/report/{report_id}/export.html" in view and f"/report/{report_id}/export.json" in view
    assert "Changed since" in view and "ai_training" in view and "<ins>perpetual," in view

    r = client.get(f"/report/{report_id}/export.html", headers=nav)
    assert r.status_code == 200 and "attachment" in r.headers["Content-Disposition"]
    page = r.get_data(as_text=True)
    assert "<style>" in page and ".grade-E" in page and "Changed since" in page
    for outside in ("<link", "src=", "href=\"/", "href=\"http", "<form", "<script", "url("):
        assert outside not in page, outside
    # The file carries its own policy: only its one inlined stylesheet applies, wherever it is opened.
    assert f'content="{r.headers["Content-Security-Policy"]}"' in html.unescape(page)
    assert "style-src 'sha256-" in r.headers["Content-Security-Policy"]

    r = client.get(f"/report/{report_id}/export.json", headers=nav)
    data = json.loads(r.get_data(as_text=True))
    assert data["document"]["vendor"] == "meetly" and data["changes"]["added"][0]["category"] == "ai_training"
    assert "perpetual" in data["text"]

    # Same guard as the reader view: a web page cannot pull the export.
    r = client.get(f"/report/{report_id}/export.json", headers={"Origin": "https://evil.example"})
    assert r.status_code == 403


def test_the_cli_watches_and_prints_the_history(vendors_file, vendor_site, tmp_path, monkeypatch):
    from clausewatch.cli import main
    monkeypatch.setenv("CLAUSEWATCH_VENDORS_FILE", str(vendors_file))
    monkeypatch.setenv("CLAUSEWATCH_FETCH_ALLOW_PRIVATE", "1")
    monkeypatch.setenv("CLAUSEWATCH_DATA_DIR", str(tmp_path / "cli-data"))
    runner = CliRunner()
    r = runner.invoke(main, ["watch", "meetly"])
    assert r.exit_code == 0, r.output
    assert "2 first, 0 changed, 0 unchanged, 0 failed" in r.output
    vendor_site.terms = "v2"
    r = runner.invoke(main, ["watch"])
    assert "1 changed" in r.output
    r = runner.invoke(main, ["history", "meetly"])
    assert r.exit_code == 0, r.output
    assert "meetly terms" in r.output and "(2 versions)" in r.output
    assert "added: §10.2 “You agree that Meetly may access" in r.output and "ai_training (critical)" in r.output
    assert "changed: §10.4" in r.output and "content_license (medium → high)" in r.output
    r = runner.invoke(main, ["watch", "nosuchvendor"])
    assert r.exit_code != 0 and "unknown vendor: nosuchvendor" in r.output


# -- the fetcher's caps --------------------------------------------------------------------------

def test_fetch_follows_http_redirects_and_names_itself(vendor_site):
    page = fetch(f"{vendor_site.base}/moved", allow_private=True)
    assert page.final_url.endswith("/terms") and "Meetly Terms of Service" in page.text
    assert "sell your data" in fetch(f"{vendor_site.base}/octet-html", allow_private=True).text
    assert vendor_site.agents[-1].startswith("clausewatch/")


CAPS = [
    # (path, keyword arguments, what the error says)
    ("/big", {"max_bytes": 1024 * 1024}, "cap"),
    ("/big-unannounced", {"max_bytes": 1024 * 1024}, "cap"),
    ("/slow", {"timeout": 1.0}, "1 s"),
    ("/drip", {"timeout": 1.0}, "longer than 1 s"),
    ("/to-file", {}, "only http and https"),
    ("/to-ftp", {}, "only http and https"),
    ("/loop", {"max_redirects": 3}, "more than 3 redirects"),
    ("/image", {}, "not a web page"),
    ("/octet-zip", {}, "not a web page"),
    ("/missing", {}, "HTTP 404"),
]


@pytest.mark.parametrize("path,kwargs,says", CAPS, ids=[c[0] for c in CAPS])
def test_fetch_caps(vendor_site, path, kwargs, says):
    with pytest.raises(FetchError) as err:
        fetch(vendor_site.base + path, allow_private=True, **kwargs)
    assert says in str(err.value)


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://127.0.0.1/x", "javascript:alert(1)", "http://"])
def test_fetch_refuses_other_schemes(url):
    with pytest.raises(FetchError):
        fetch(url)


def test_fetch_makes_at_most_three_requests_at_a_time(vendor_site):
    threads = [threading.Thread(target=fetch, args=(vendor_site.base + "/hold",), kwargs={"allow_private": True})
               for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(vendor_site.agents) == 10 and vendor_site.most_active == 3


def test_the_schedule_fetches_vendors_not_checked_lately_and_only_those(watched, vendor_site, monkeypatch):
    from clausewatch.vendors import watcher
    app, services = watched
    monkeypatch.setattr(watcher, "FIRST_DELAY_SECONDS", 0)
    assert services.watcher.due() == ["meetly"]  # never checked
    services.watcher.start()
    try:
        deadline = time.monotonic() + 20
        while site_status(app.test_client())["status"] != "analysed":
            assert time.monotonic() < deadline, "the scheduled round did not run"
            time.sleep(0.1)
        assert services.watcher.due() == []  # checked just now
        assert services.store.vendor_checked_at("meetly") is not None
    finally:
        services.watcher.stop()


def test_a_public_page_may_not_redirect_the_watcher_onto_this_machine(monkeypatch):
    """Seen from a public vendor URL, a redirect to loopback or a private address is refused."""
    from clausewatch.vendors import fetch as fetch_module
    calls = []

    def fake(url, deadline, max_bytes, timeout, **_kw):
        calls.append(url)
        return 302, "http://192.168.1.1/admin", "", b""
    monkeypatch.setattr(fetch_module, "_one_request", fake)
    monkeypatch.setattr(fetch_module, "_is_local", lambda host: host.startswith(("192.168.", "127.")))
    with pytest.raises(FetchError) as err:
        fetch_module.fetch("https://vendor.example/terms")
    assert "to a local address" in str(err.value) and calls == ["https://vendor.example/terms"]


@pytest.mark.parametrize("host,local", [("127.0.0.1", True), ("localhost", True), ("10.1.2.3", True),
                                        ("192.168.0.1", True), ("::1", True), ("169.254.1.1", True),
                                        ("8.8.8.8", False), ("2606:4700::1111", False)])
def test_what_counts_as_local(host, local):
    from clausewatch.vendors.fetch import _is_local
    assert _is_local(host) is local
