"""The SQLite history: versions, what "previous" means, real deletion, migration, and refusing to wipe."""

from __future__ import annotations

import json
import sqlite3
import threading

import pytest

from clausewatch.history.diff import diff_versions
from clausewatch.history.store import SCHEMA_VERSION, Store, StoreError, reset

V1 = "These terms are governed by the laws of Delaware.\nWe may terminate your account at any time.\n"
V2 = V1 + "We may sell your personal information to data brokers.\n"
URL = "https://meetly.example/terms"


@pytest.fixture
def store(tmp_path):
    return Store(tmp_path / "history.sqlite3")


def record(store, analyzer, text, source="user", vendor=None, doc_type=None, url=URL):
    return store.record(analyzer.analyze(text=text, url=url), url=url, vendor=vendor, doc_type=doc_type, source=source)


def test_same_text_is_one_version_a_changed_text_a_new_one(store, analyzer):
    a = record(store, analyzer, V1)
    b = record(store, analyzer, V1.replace("  ", " ").replace("laws of", "laws  of"))  # spacing only
    c = record(store, analyzer, V2)
    assert a["new"] and not b["new"] and c["new"]
    assert a["report_id"] == b["report_id"] != c["report_id"]
    docs = store.history()
    assert len(docs) == 1 and [v["id"] for v in docs[0]["versions"]] == [a["version_id"], c["version_id"]]


def test_previous_is_the_version_the_user_saw_and_for_the_watcher_the_current_one(store, analyzer):
    kw = {"vendor": "meetly", "doc_type": "terms"}
    seen = record(store, analyzer, V1, **kw)                       # the user reads v1
    fetched = record(store, analyzer, V2, source="watch", **kw)    # the watcher finds v2
    assert fetched["previous_version_id"] == seen["version_id"]
    again = record(store, analyzer, V2 + "Contact us by post.\n", source="watch", **kw)
    assert again["previous_version_id"] == fetched["version_id"]
    back = record(store, analyzer, V2 + "Contact us by post.\n", **kw)  # the user now reads it
    assert back["previous_version_id"] == seen["version_id"] and not back["new"]


def test_a_first_visit_after_the_watcher_compares_with_the_first_version_recorded(store, analyzer):
    kw = {"vendor": "meetly", "doc_type": "terms"}
    one = record(store, analyzer, V1, source="watch", **kw)
    record(store, analyzer, V2, source="watch", **kw)
    visit = record(store, analyzer, V2, **kw)
    assert visit["previous_version_id"] == one["version_id"] and not visit["new"]
    assert record(store, analyzer, V2, **kw)["previous_version_id"] is None  # seen now


def test_a_revert_makes_the_old_version_current_again(store, analyzer):
    kw = {"vendor": "meetly", "doc_type": "terms", "source": "watch"}
    one = record(store, analyzer, V1, **kw)
    record(store, analyzer, V2, **kw)
    reverted = record(store, analyzer, V1, **kw)
    assert reverted["version_id"] == one["version_id"] and not reverted["new"]
    [doc] = store.latest_for_vendor("meetly")
    assert doc["latest_id"] == one["version_id"] and doc["first_id"] == one["version_id"]


def test_a_vendor_keeps_one_document_per_policy_url(store, analyzer):
    record(store, analyzer, V1, vendor="meetly", doc_type="terms", url="https://meetly.example/terms")
    record(store, analyzer, V2, vendor="meetly", doc_type="terms", url="https://meetly.example/legal/eu-terms")
    record(store, analyzer, V1, vendor="meetly", doc_type="terms", url="https://www.meetly.example/terms/")
    assert len(store.latest_for_vendor("meetly")) == 2
    assert store.vendor_checked_at("meetly") is not None and store.vendor_checked_at("other") is None


def test_stored_versions_diff_clause_by_clause(store, analyzer):
    a = record(store, analyzer, V1)
    b = record(store, analyzer, V2)
    old, new = store.version(version_id=a["version_id"]), store.version(version_id=b["version_id"])
    assert all(len(c["hash"]) == 16 for c in new["clauses"])
    d = diff_versions(old, new)
    assert [i["category"] for i in d["added"]] == ["data_sale"] and d["changed"] == d["removed"] == []


def test_delete_really_removes_the_text_from_the_files(store, analyzer, tmp_path):
    marker = "Zanzibarquux clause that must vanish."
    record(store, analyzer, V1 + marker + "\n")
    other = record(store, analyzer, V2, url="https://other.example/terms")
    raw = lambda: b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("history.sqlite3"))
    assert marker.encode() in raw()
    doc = next(d for d in store.history() if d["url"] == URL)
    assert store.delete(doc["id"]) == 1
    assert marker.encode() not in raw()
    assert store.version(report_id=other["report_id"]) is not None
    assert store.delete() == 1 and store.history() == []


def test_concurrent_writers_lose_nothing(store, analyzer, tmp_path):
    analyses = [analyzer.analyze(text=f"Clause number {i} of the test.\nWe may terminate accounts.\n")
                for i in range(40)]
    errors = []

    def work(chunk):
        try:
            for i in chunk:
                store.record(analyses[i], url=f"https://s{i % 4}.example/terms")
        except Exception as exc:  # pragma: no cover - shown by the assert
            errors.append(exc)
    threads = [threading.Thread(target=work, args=(range(k, 40, 8),)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sum(len(d["versions"]) for d in store.history()) == 40
    assert store.connect().execute("PRAGMA integrity_check").fetchone()[0] == "ok"


# -- the file itself: never silently wiped ------------------------------------------------------

V1_SCHEMA = """
CREATE TABLE documents (id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, url TEXT NOT NULL, vendor TEXT,
    doc_type TEXT, title TEXT NOT NULL DEFAULT '', created_at TEXT NOT NULL, seen_version_id INTEGER);
CREATE TABLE versions (id INTEGER PRIMARY KEY, document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    report_id TEXT NOT NULL UNIQUE, content_hash TEXT NOT NULL, text TEXT NOT NULL, grade TEXT NOT NULL,
    summary TEXT NOT NULL, source TEXT NOT NULL, first_seen TEXT NOT NULL, last_seen TEXT NOT NULL,
    UNIQUE (document_id, content_hash));
CREATE TABLE clauses (version_id INTEGER NOT NULL REFERENCES versions(id) ON DELETE CASCADE, idx INTEGER NOT NULL,
    start INTEGER NOT NULL, end INTEGER NOT NULL, kind TEXT NOT NULL, PRIMARY KEY (version_id, idx));
CREATE TABLE findings (version_id INTEGER NOT NULL REFERENCES versions(id) ON DELETE CASCADE, data TEXT NOT NULL);
CREATE INDEX findings_version ON findings(version_id);
CREATE INDEX documents_vendor ON documents(vendor, doc_type);
PRAGMA user_version=1;
"""


def test_a_schema_1_history_is_migrated_in_place_after_a_backup(tmp_path, analyzer):
    path = tmp_path / "history.sqlite3"
    a = analyzer.analyze(text=V2, url=URL)
    with sqlite3.connect(path) as db:
        db.executescript(V1_SCHEMA)
        db.execute("INSERT INTO documents VALUES (1, 'vendor:meetly:terms', ?, 'meetly', 'terms', 'T', 'x', 1)", (URL,))
        db.execute("INSERT INTO versions VALUES (1, 1, 'rep1', ?, ?, ?, ?, 'user', 'x', 'x')",
                   (a.document["content_hash"], a.text, a.grade["grade"],
                    json.dumps({"document": a.document, "grade": a.grade})))
        db.executemany("INSERT INTO clauses VALUES (1, ?, ?, ?, ?)",
                       [(i, c.start, c.end, c.kind) for i, c in enumerate(a.clauses)])
        db.executemany("INSERT INTO findings VALUES (1, ?)", [(json.dumps(f.to_dict()),) for f in a.findings])
    db.close()
    store = Store(path)
    conn = store.connect()
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert (tmp_path / "history.sqlite3.v1.bak").is_file()
    v = store.version(report_id="rep1")
    assert v["text"] == a.text and len(v["findings"]) == len(a.findings) and all(c["hash"] for c in v["clauses"])
    [doc] = store.latest_for_vendor("meetly")
    assert doc["latest_id"] == 1 and doc["seen_version_id"] == 1
    # The user's next visit of the same policy continues that document.
    again = store.record(a, url=URL, vendor="meetly", doc_type="terms")
    assert again["version_id"] == 1 and not again["new"]
    # Deleting the whole history deletes that copy too.
    store.delete()
    assert not (tmp_path / "history.sqlite3.v1.bak").exists()


def _future(path):
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE documents (id INTEGER PRIMARY KEY)")
        db.execute(f"PRAGMA user_version={SCHEMA_VERSION + 7}")
    db.close()


def _foreign(path):
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE recipes (id INTEGER PRIMARY KEY, name TEXT)")
    db.close()


def _garbage(path):
    path.write_bytes(b"this is not a database, it is a shopping list\n" * 200)


def _damaged(path):
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE t (x TEXT)")
        db.executemany("INSERT INTO t VALUES (?)", [("x" * 500,)] * 200)
        db.execute("PRAGMA user_version=2")
    db.close()
    data = bytearray(path.read_bytes())
    data[4096 * 2:4096 * 2 + 300] = b"\xff" * 300  # scribble over a b-tree page
    path.write_bytes(bytes(data))


BAD_FILES = [("newer schema", _future, "newer clausewatch"), ("not ours", _foreign, "not a clausewatch history"),
             ("not SQLite", _garbage, "not a usable clausewatch database"), ("damaged", _damaged, "")]


@pytest.mark.parametrize("name,make,says", BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_a_bad_file_is_refused_with_a_way_out_and_left_as_it_was(tmp_path, name, make, says):
    path = tmp_path / "history.sqlite3"
    make(path)
    before = path.read_bytes()
    with pytest.raises(StoreError) as err:
        Store(path)
    assert says in str(err.value) and "clausewatch history --reset" in str(err.value)
    assert path.read_bytes() == before
    backup = reset(path)
    assert backup.read_bytes() == before and not path.exists()
    fresh = Store(path)
    assert fresh.history() == [] and fresh.connect().execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_delete_through_the_api_removes_the_text_from_disk(client, ext, settings):
    marker = "Quokkafrobnicate clause for the api test."
    for url in ("https://a.example/terms", "https://b.example/terms"):
        r = client.post("/api/analyze", headers=ext, json={"url": url, "text": V1 + marker + "\n"})
        assert r.status_code == 200
    raw = lambda: b"".join(p.read_bytes() for p in settings.db_path.parent.glob("history.sqlite3*"))
    assert raw().count(marker.encode()) >= 2
    docs = client.get("/api/history", headers=ext).get_json()["documents"]
    first = next(d for d in docs if d["url"] == "https://a.example/terms")
    assert client.delete(f"/api/history?document={first['id']}", headers=ext).get_json() == {"deleted": 1}
    assert [d["url"] for d in client.get("/api/history", headers=ext).get_json()["documents"]] == [
        "https://b.example/terms"]
    assert client.delete("/api/history", headers=ext).get_json() == {"deleted": 1}
    assert marker.encode() not in raw()
    assert client.delete("/api/history", headers={"Origin": "https://evil.example"}).status_code == 403
