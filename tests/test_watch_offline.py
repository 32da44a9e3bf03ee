"""The vendor watcher when the network is down: it probes before a big round, stops a round that
only meets network errors, backs off round after round, logs one line a round, and records which
URLs were fetched. Real sockets on loopback only: a port nobody listens on, a server that hangs up
on every connection, and a server that answers."""

from __future__ import annotations

import logging
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from clausewatch.vendors import confirmed_urls
from clausewatch.vendors import watcher
from conftest import FIXTURES

TERMS = (FIXTURES / "vendor_v1.html").read_bytes()


class HangUp:
    """Takes each request and drops the connection without an answer, as a dead proxy does."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted += 1
            conn.settimeout(2)
            try:
                conn.recv(4096)  # the request, or b"" from a probe that only connects
            except OSError:
                pass
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            conn.close()  # linger 0: a reset, not a polite close

    def close(self):
        self.sock.close()


def make_answering(status: int):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            body = TERMS if status == 200 else b"not here"
            self.send_response(status)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
    return Handler


@pytest.fixture
def answering():
    servers = []

    def start(status=200):
        server = ThreadingHTTPServer(("127.0.0.1", 0), make_answering(status))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return server.server_address[1]
    yield start
    for s in servers:
        s.shutdown()
        s.server_close()


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def watcher_for(settings, tmp_path, port: int, vendors: int = 20):
    """A watcher over `vendors` made-up vendors, each with terms and privacy at 127.0.0.1:port."""
    from clausewatch.web.app import create_app
    lines = ["vendors:"]
    for i in range(vendors):
        lines += [f"  - id: v{i}", f"    name: V{i}", f"    domains: [v{i}.example]",
                  f"    terms: ['http://127.0.0.1:{port}/terms/{i}']",
                  f"    privacy: ['http://127.0.0.1:{port}/privacy/{i}']"]
    path = tmp_path / f"vendors-{port}.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    settings.watch, settings.vendors_file, settings.fetch_timeout = True, path, 5.0
    # These vendors are on loopback, which the fetcher refuses unless opted in (as tests/test_watch.py
    # does): without it every fetch would fail on the address, not on the network under test.
    settings.fetch_allow_private = True
    return create_app(settings).extensions["clausewatch"].watcher


def round_lines(caplog):
    # what a server log shows at its level (INFO); DEBUG adds one line per URL for whoever asks
    return [r.getMessage() for r in caplog.records if r.name == "clausewatch.vendors.watcher" and r.levelno >= logging.INFO]


def test_a_refused_network_skips_the_round_after_a_quick_probe_and_backs_off(settings, tmp_path, caplog):
    caplog.set_level(logging.DEBUG, logger="clausewatch.vendors.watcher")
    w = watcher_for(settings, tmp_path, closed_port())
    outcomes = w.run_round()
    assert len(outcomes) == 40 and {o.status for o in outcomes} == {"skipped"}
    assert w.backoff()[0] == 1 and 0 < w.backoff()[1] <= watcher.BACKOFF_FIRST_SECONDS
    [line] = round_lines(caplog)  # one line for 40 URLs
    assert "40 skipped" in line and "next try in 15 min" in line
    w.run_round()
    assert w.backoff()[0] == 2 and w.backoff()[1] > watcher.BACKOFF_FIRST_SECONDS
    assert confirmed_urls.load(settings.data_dir) == {}  # nothing was tried, nothing is recorded


def test_a_round_that_only_meets_hang_ups_stops_early(settings, tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="clausewatch.vendors.watcher")
    server = HangUp()
    try:
        w = watcher_for(settings, tmp_path, server.port)
        outcomes = w.run_round()
    finally:
        server.close()
    failed = [o for o in outcomes if o.status == "failed"]
    assert all(o.network for o in failed) and len(failed) >= watcher.ABORT_AFTER
    assert sum(o.status == "skipped" for o in outcomes) > 0
    # the probe, the failures that decided it, and the fetches already under way: never all 40
    assert server.accepted <= watcher.PROBE_HOSTS + watcher.ABORT_AFTER + 3 * 2
    assert w.backoff()[0] == 1
    [line] = round_lines(caplog)
    assert "failed" in line and "next try" in line


def test_pages_that_fail_one_by_one_are_not_an_outage(settings, tmp_path, caplog, answering):
    """A site that answers 404 is reachable: no early stop, no backoff, and still one log line."""
    caplog.set_level(logging.DEBUG, logger="clausewatch.vendors.watcher")
    w = watcher_for(settings, tmp_path, answering(404), vendors=5)
    outcomes = w.run_round()
    assert [o.status for o in outcomes] == ["failed"] * 10 and not any(o.network for o in outcomes)
    assert w.backoff() == (0, 0.0)
    [line] = round_lines(caplog)
    assert "10 failed" in line and "HTTP 404" in line and "next try" not in line
    assert all(s.get("last_error") and "confirmed_at" not in s for s in confirmed_urls.load(settings.data_dir).values())


def test_coming_back_online_resets_the_backoff_and_confirms_the_urls(settings, tmp_path, answering):
    offline = watcher_for(settings, tmp_path, closed_port(), vendors=3)
    offline.run_round()
    assert offline.backoff()[0] == 1
    port = answering(200)
    online = watcher_for(settings, tmp_path, port, vendors=3)
    online._offline_rounds = offline._offline_rounds  # the same history of failures, now online
    statuses = {o.status for o in online.run_round()}
    assert statuses == {"first"} and online.backoff() == (0, 0.0)
    confirmed = confirmed_urls.confirmed(settings.data_dir)
    assert confirmed == {f"http://127.0.0.1:{port}/{d}/{i}" for d in ("terms", "privacy") for i in range(3)}


@pytest.mark.parametrize("rounds, seconds", [(0, 0), (1, 900), (2, 1800), (3, 3600), (5, 4 * 3600),
                                             (6, 8 * 3600), (40, 8 * 3600)])
def test_backoff_doubles_up_to_a_cap(rounds, seconds):
    assert watcher.backoff_seconds(rounds) == seconds


def test_the_cli_says_nothing_was_fetched_and_exits_non_zero(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from clausewatch.cli import main
    port = closed_port()
    path = tmp_path / "vendors.yaml"
    path.write_text("vendors:\n" + "".join(
        f"  - {{id: v{i}, name: V{i}, domains: [v{i}.example], terms: ['http://127.0.0.1:{port}/t{i}'],"
        f" privacy: ['http://127.0.0.1:{port}/p{i}']}}\n" for i in range(4)), encoding="utf-8")
    monkeypatch.setenv("CLAUSEWATCH_VENDORS_FILE", str(path))
    monkeypatch.setenv("CLAUSEWATCH_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("CLAUSEWATCH_FETCH_ALLOW_PRIVATE", "1")  # loopback vendors: the closed port is what fails
    r = CliRunner().invoke(main, ["watch", "--json"])
    assert r.exit_code == 1
    import json
    data = json.loads(r.stdout)
    assert data["counts"]["skipped"] == 8
