"""Load without loss: 16 concurrent clients send 2,000 analyse requests of real pages over real HTTP
to the server as `clausewatch serve` starts it; 0 errors, and afterwards the history holds exactly
the versions that were sent, no more and no fewer.

CLAUSEWATCH_LOAD_REQUESTS sets the count: 600 by default so the suite stays fast;
`CLAUSEWATCH_LOAD_REQUESTS=2000 ./dev test tests/test_load.py -s` is the full run. The figures (requests per second, p50
and p95 latency) are printed; run with -s to see them. This tests correctness, not speed.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import subprocess
import sys
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from conftest import EXT_ORIGIN, FIXTURES, SHARED_DATA, TEST_EXTENSION_ID

pytestmark = pytest.mark.slow

# 2,000 is the figure of issue 6 (about 2.5 min on 2 busy cores); CI runs fewer to stay well inside its budget.
REQUESTS = int(os.environ.get("CLAUSEWATCH_LOAD_REQUESTS", "600"))
CLIENTS = 16
URLS = 40          # documents
VERSIONS = 5       # distinct versions of each; every version is sent several times


def real_pages() -> list[str]:
    """The shared corpus's pages when it is there (up to 20, under 1 MB), else our fixtures."""
    pages = []
    shared = SHARED_DATA / "pages"
    if shared.is_dir():
        for path in sorted(shared.rglob("*.html"))[:20]:
            if path.stat().st_size < 1_000_000:
                pages.append(path.read_text(encoding="utf-8", errors="replace"))
    pages += [p.read_text(encoding="utf-8") for p in sorted(FIXTURES.glob("*.html"))]
    return pages


def version_of(page: str, doc: int, version: int) -> str:
    """The page with a clause of its own: each (document, version) has a different text. The clause
    is policy language ("personal data"), so it never tips a short page (extract_hydrated.html, two
    clauses) under the policy check: a page screened out is answered but not stored, and every
    version sent must be stored."""
    clause = (f"<p>Amendment {doc}.{version}: we may share your personal data with partner number "
              f"{doc * 100 + version} for marketing purposes.</p>")
    return page.replace("</body>", clause + "</body>") if "</body>" in page else page + clause


def _free_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def served(tmp_path):
    port = _free_port()
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data"), "XDG_CONFIG_HOME": str(tmp_path / "config"),
           "CLAUSEWATCH_EXTENSION_IDS": TEST_EXTENSION_ID}
    log = open(tmp_path / "server.log", "w")
    proc = subprocess.Popen([str(Path(sys.executable).with_name("clausewatch")), "serve", "--port", str(port),
                             "--no-watch"], env=env, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        try:
            conn.request("GET", "/api/health")
            if conn.getresponse().status == 200:
                break
        except OSError:
            time.sleep(0.1)
        finally:
            conn.close()
    else:
        proc.kill()
        pytest.fail("server did not start")
    yield port, tmp_path
    proc.terminate()
    proc.wait(timeout=30)
    log.close()


def test_concurrent_clients_lose_nothing(served):
    port, tmp = served
    pages = real_pages()
    rng = random.Random(6)
    plan = [(doc, rng.randrange(VERSIONS)) for doc in range(URLS) for _ in range(REQUESTS // URLS)]
    plan += [(rng.randrange(URLS), rng.randrange(VERSIONS)) for _ in range(REQUESTS - len(plan))]
    rng.shuffle(plan)
    bodies = {(d, v): json.dumps({"url": f"https://site{d}.example/terms", "title": f"Terms {d}",
                                  "html": version_of(pages[d % len(pages)], d, v)}).encode()
              for d, v in set(plan)}
    local = threading.local()
    connections: list[http.client.HTTPConnection] = []
    results: list[tuple[int, int, float, str | None, tuple[int, int]]] = []
    lock = threading.Lock()

    def send(item):
        conn = getattr(local, "conn", None)
        if conn is None:
            conn = local.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            with lock:
                connections.append(conn)
        started = time.perf_counter()
        try:
            conn.request("POST", "/api/analyze", body=bodies[item],
                         headers={"Origin": EXT_ORIGIN, "Content-Type": "application/json"})
            r = conn.getresponse()
            data = r.read()
            status = r.status
            content_hash = json.loads(data)["document"]["content_hash"] if status == 200 else data[:200].decode()
        except (OSError, http.client.HTTPException) as exc:
            conn.close()
            local.conn = None
            status, content_hash = -1, repr(exc)
        with lock:
            results.append((status, 0, time.perf_counter() - started, content_hash, item))

    started = time.perf_counter()
    with ThreadPoolExecutor(CLIENTS) as clients:
        list(clients.map(send, plan))
    wall = time.perf_counter() - started
    for conn in connections:
        conn.close()

    errors = [(s, h) for s, _, _, h, _ in results if s != 200]
    latencies = sorted(t for _, _, t, _, _ in results)
    p50, p95 = latencies[len(latencies) // 2], latencies[int(len(latencies) * 0.95)]
    print(f"\nload: {len(results)} requests from {CLIENTS} clients in {wall:.1f} s = {len(results) / wall:.1f} req/s; "
          f"p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms; {len(bodies)} distinct versions of {URLS} documents; "
          f"{len(errors)} errors")
    assert len(results) == REQUESTS
    assert errors == []

    # The same version always got the same hash, and different versions different hashes.
    hashes_of: dict[tuple[int, int], set[str]] = defaultdict(set)
    for _, _, _, content_hash, item in results:
        hashes_of[item].add(content_hash)
    assert all(len(h) == 1 for h in hashes_of.values())
    sent: dict[str, set[str]] = defaultdict(set)
    for (doc, _v), hashes in hashes_of.items():
        sent[f"site{doc}.example/terms"] |= hashes

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request("GET", "/api/history", headers={"Origin": EXT_ORIGIN})
    documents = json.loads(conn.getresponse().read())["documents"]
    conn.close()
    stored = {d["key"]: {v["content_hash"] for v in d["versions"]} for d in documents}
    counts = {d["key"]: len(d["versions"]) for d in documents}
    assert stored == sent                                       # exactly the versions sent, per document
    assert counts == {k: len(v) for k, v in sent.items()}       # each version once

    import sqlite3
    db = sqlite3.connect(tmp / "data" / "clausewatch" / "history.sqlite3")
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    db.close()
