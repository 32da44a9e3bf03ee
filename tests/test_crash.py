"""Crash safety: SIGKILL the real `clausewatch serve` while clients stream analyses, restart, and find
every acknowledged version intact and the interrupted one whole or absent; a damaged or newer history
is refused with a way out (`clausewatch history --reset`), never silently wiped."""

from __future__ import annotations

import http.client
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from conftest import TEST_EXTENSION_ID

ORIGIN = f"chrome-extension://{TEST_EXTENSION_ID}"
EXE = str(Path(sys.executable).with_name("clausewatch"))
TEXTS = [
    "\n".join([f"Terms of the service, edition {i}."]
              + [f"{k}. We may terminate account {i}-{k} at any time, for any reason, without notice." for k in range(40)]
              + [f"We may sell the personal information of user {i} to data brokers.",
                 "Any dispute shall be resolved by binding arbitration."])
    for i in range(120)
]


def free_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def env_for(tmp: Path) -> dict:
    return {**os.environ, "XDG_DATA_HOME": str(tmp / "data"), "XDG_CONFIG_HOME": str(tmp / "config"),
            "CLAUSEWATCH_EXTENSION_IDS": TEST_EXTENSION_ID, "CLAUSEWATCH_WATCH": "0"}


def db_path(tmp: Path) -> Path:
    return tmp / "data" / "clausewatch" / "history.sqlite3"


def call(port, path, body=None, timeout=30):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=json.dumps(body).encode() if body else None,
                                 headers={"Content-Type": "application/json", "Origin": ORIGIN})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return r.status, json.loads(r.read())


def start(tmp: Path):
    port = free_port()
    proc = subprocess.Popen([EXE, "serve", "--port", str(port), "--no-watch"], env=env_for(tmp),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail("the server exited: " + proc.stdout.read())
        try:
            if call(port, "/api/health")[0] == 200:
                return port, proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    pytest.fail("the server did not answer /api/health")


def stop(proc):
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    proc.stdout.close()


@pytest.fixture(scope="module")
def expected(analyzer):
    """Per content hash: the stored text, clauses and findings a whole version of that text has."""
    out = {}
    for text in TEXTS:
        a = analyzer.analyze(text=text)
        out[a.document["content_hash"]] = (a.text, len(a.clauses), len(a.findings))
    return out


def stream_until_killed(port, proc, first: int, acked: dict, rng: random.Random) -> int:
    """Eight clients post new texts; the server is SIGKILLed at a random moment. Returns the next text."""
    lock = threading.Lock()
    cursor = [first]
    errors = []
    killed = threading.Event()

    def client():
        while True:
            with lock:
                i = cursor[0]
                cursor[0] += 1
            if i >= len(TEXTS):
                return
            try:
                status, data = call(port, "/api/analyze", {"url": f"https://s{i % 7}.example/terms", "text": TEXTS[i]})
            except (OSError, http.client.HTTPException) as exc:
                if not killed.is_set():  # a failure before the kill is a real one
                    errors.append(repr(exc))
                return  # the server is gone
            if status == 200:
                with lock:
                    acked[data["report_id"]] = i
    threads = [threading.Thread(target=client) for _ in range(8)]
    for t in threads:
        t.start()
    # Kill once a dozen more versions are in, at a random point of the stream of writes.
    target = len(acked) + 12
    while len(acked) < target and proc.poll() is None:
        time.sleep(0.01)
    time.sleep(rng.uniform(0.0, 0.5))
    killed.set()
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    for t in threads:
        t.join()
    assert errors == []
    return cursor[0]


def check_history(path: Path, acked: dict, expected: dict) -> int:
    db = sqlite3.connect(path)
    try:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        rows = db.execute("SELECT v.id, v.report_id, v.content_hash, v.text, "
                          "(SELECT COUNT(*) FROM clauses c WHERE c.version_id = v.id), "
                          "(SELECT COUNT(*) FROM findings f WHERE f.version_id = v.id) FROM versions v").fetchall()
    finally:
        db.close()
    stored = {r[1]: r for r in rows}
    missing = [rid for rid in acked if rid not in stored]
    assert missing == [], f"{len(missing)} acknowledged versions lost"
    for _, report_id, content_hash, text, n_clauses, n_findings in rows:
        # Whole or absent: a version is never there without all its text, clauses and findings.
        assert (text, n_clauses, n_findings) == expected[content_hash], report_id
    return len(rows)


@pytest.mark.slow
def test_sigkill_while_storing_loses_nothing_committed(tmp_path, expected):
    rng = random.Random(5)
    acked: dict[str, int] = {}
    next_text, counts = 0, []
    for _ in range(3):
        port, proc = start(tmp_path)
        try:
            before = len(acked)
            next_text = stream_until_killed(port, proc, next_text, acked, rng)
        finally:
            stop(proc)
        # Restart: the database opens, nothing acknowledged is lost, nothing is half-written.
        stored = check_history(db_path(tmp_path), acked, expected)
        counts.append((before, len(acked), stored))
        assert stored >= len(acked)
    port, proc = start(tmp_path)
    try:
        status, hist = call(port, "/api/history")
        assert status == 200 and sum(len(d["versions"]) for d in hist["documents"]) == counts[-1][2]
    finally:
        stop(proc)
    print("crash rounds (acknowledged before, acknowledged after, stored after restart):", counts)


def _garbage(path: Path):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"not a database: the disk ate it\n" * 300)


def _future(path: Path):
    path.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE documents (id INTEGER PRIMARY KEY)")
        db.execute("PRAGMA user_version=99")
    db.close()


@pytest.mark.parametrize("make,says", [(_garbage, "not a usable clausewatch database"), (_future, "newer clausewatch")],
                         ids=["corrupt", "future schema"])
def test_a_bad_history_stops_the_server_with_a_way_out_and_reset_keeps_a_backup(tmp_path, make, says):
    path = db_path(tmp_path)
    make(path)
    original = path.read_bytes()
    env = env_for(tmp_path)
    served = subprocess.run([EXE, "serve", "--port", str(free_port()), "--no-watch"], env=env,
                            capture_output=True, text=True, timeout=60)
    assert served.returncode != 0 and says in served.stderr and "clausewatch history --reset" in served.stderr
    listed = subprocess.run([EXE, "history"], env=env, capture_output=True, text=True, timeout=60)
    assert listed.returncode != 0 and says in listed.stderr
    assert path.read_bytes() == original  # nothing was touched

    declined = subprocess.run([EXE, "history", "--reset"], env=env, input="n\n", capture_output=True, text=True,
                              timeout=60)
    assert declined.returncode != 0 and path.read_bytes() == original

    reset = subprocess.run([EXE, "history", "--reset"], env=env, input="y\n", capture_output=True, text=True,
                           timeout=60)
    assert reset.returncode == 0, reset.stderr
    backups = list(path.parent.glob("history.sqlite3.backup-*"))
    assert len(backups) == 1 and backups[0].read_bytes() == original and str(backups[0]) in reset.stdout
    port, proc = start(tmp_path)
    try:
        assert call(port, "/api/history") == (200, {"documents": []})
    finally:
        stop(proc)
