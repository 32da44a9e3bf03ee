"""The real server process, as `clausewatch serve` starts it, over real HTTP on loopback."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from conftest import FIXTURES, TEST_EXTENSION_ID

ORIGIN = f"chrome-extension://{TEST_EXTENSION_ID}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(port, path, body=None, origin=ORIGIN, method=None, host=None):
    headers = {"Content-Type": "application/json"}
    if origin:
        headers["Origin"] = origin
    if host:
        headers["Host"] = host
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


@pytest.fixture
def server(tmp_path):
    port = free_port()
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data"), "XDG_CONFIG_HOME": str(tmp_path / "config"),
           "CLAUSEWATCH_EXTENSION_IDS": TEST_EXTENSION_ID}
    exe = Path(sys.executable).with_name("clausewatch")
    proc = subprocess.Popen([str(exe), "serve", "--port", str(port), "--no-watch"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            if request(port, "/api/health", origin=None)[0] == 200:
                break
        except OSError:
            time.sleep(0.05)
    else:
        proc.kill()
        proc.wait()
        pytest.fail("server did not answer /api/health: " + proc.stdout.read())
    yield port, tmp_path, proc
    proc.terminate()
    proc.wait(timeout=10)
    proc.stdout.close()


def test_serves_analysis_over_http_and_keeps_history_in_platformdirs(server):
    port, tmp, _ = server
    html = (FIXTURES / "zoom_terms_2023.html").read_text(encoding="utf-8")
    status, data = request(port, "/api/analyze", {"url": "https://meetly.example/terms", "html": html})
    assert status == 200
    assert "ai_training" in {f["category"] for f in data["findings"]}
    assert (tmp / "data" / "clausewatch" / "history.sqlite3").is_file()
    status, hist = request(port, "/api/history")
    assert status == 200 and len(hist["documents"]) == 1


def test_refuses_web_origins_and_foreign_hosts_over_http(server):
    port, _, _ = server
    assert request(port, "/api/history", origin="https://evil.example")[0] == 403
    assert request(port, "/api/history", origin=None)[0] == 403
    assert request(port, "/api/history", host="attacker.example")[0] == 403
    status, err = request(port, "/api/analyze", {"html": 12})
    assert status == 400 and err["error"]["code"] == "bad_field"


def test_listens_on_loopback_only(server):
    port, _, proc = server
    # Every listening socket of ours on that port is bound to 127.0.0.1, never 0.0.0.0 or ::.
    lines = Path("/proc/net/tcp").read_text().splitlines()[1:] + Path("/proc/net/tcp6").read_text().splitlines()[1:]
    bound = [line.split()[1] for line in lines if line.split()[3] == "0A" and line.split()[1].endswith(f":{port:04X}")]
    assert bound == [f"0100007F:{port:04X}"]
