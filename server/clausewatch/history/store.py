"""The local history: every analysed document version, its clauses and findings, in one SQLite file."""

from __future__ import annotations

import json
import secrets
import shutil
import sqlite3
import threading
import time
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urlsplit

from .diff import ALGO, clause_hash, diff_versions

# 1: the first release. 2: clauses carry a normalised hash (the clause-level diff pairs identical
# clauses by it), a vendor's documents are keyed per policy URL (vendors list several), and a
# document knows its current version (after a revert that is an older row).
SCHEMA_VERSION = 2
SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL UNIQUE,          -- canonical URL, or vendor:<id>:<terms|privacy>:<canonical URL>
    url TEXT NOT NULL,
    vendor TEXT,
    doc_type TEXT,
    title TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    seen_version_id INTEGER,           -- the version the user last looked at
    current_version_id INTEGER         -- the text as last fetched or seen (a revert reuses an old version)
);
CREATE TABLE IF NOT EXISTS versions (
    id INTEGER PRIMARY KEY,
    document_id INTEGER NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    report_id TEXT NOT NULL UNIQUE,
    content_hash TEXT NOT NULL,
    text TEXT NOT NULL,
    grade TEXT NOT NULL,
    summary TEXT NOT NULL,             -- JSON: the analysis' document and grade objects
    source TEXT NOT NULL,              -- "user" (the extension or CLI) or "watch" (the vendor fetcher)
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    UNIQUE (document_id, content_hash)
);
CREATE TABLE IF NOT EXISTS clauses (
    version_id INTEGER NOT NULL REFERENCES versions(id) ON DELETE CASCADE,
    idx INTEGER NOT NULL,
    start INTEGER NOT NULL,
    end INTEGER NOT NULL,
    kind TEXT NOT NULL,
    hash TEXT NOT NULL DEFAULT '',     -- diff.clause_hash: case, spacing and numbering do not count
    PRIMARY KEY (version_id, idx)
);
CREATE TABLE IF NOT EXISTS findings (
    version_id INTEGER NOT NULL REFERENCES versions(id) ON DELETE CASCADE,
    data TEXT NOT NULL                 -- JSON of one finding, as the API returns it
);
CREATE INDEX IF NOT EXISTS findings_version ON findings(version_id);
CREATE INDEX IF NOT EXISTS documents_vendor ON documents(vendor, doc_type);
CREATE INDEX IF NOT EXISTS versions_document ON versions(document_id, id);
"""


# Clause-level diffs as computed once (diff.diff_versions): a hostile version pair can cost a
# second to compare, and the reader view, the badge and the popup all ask for the same pairs.
# A cache beside the schema, not part of it: created on every open, dropped rows recompute, and
# `algo` (diff.ALGO) retires rows that an older diff.py wrote.
DIFFS = """
CREATE TABLE IF NOT EXISTS diffs (
    old_id INTEGER NOT NULL REFERENCES versions(id) ON DELETE CASCADE,
    new_id INTEGER NOT NULL REFERENCES versions(id) ON DELETE CASCADE,
    algo TEXT NOT NULL,
    data TEXT NOT NULL,                -- JSON of the diff, without "since" (that moves as versions are seen)
    PRIMARY KEY (old_id, new_id)
);
CREATE INDEX IF NOT EXISTS diffs_new ON diffs(new_id);
"""


class StoreError(RuntimeError):
    """The database cannot be used as it is; the message says what to do."""


def now() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


def _canonical(url: str) -> str:
    parts = urlsplit(url or "")
    host = (parts.hostname or "").removeprefix("www.")
    if not host:
        return url or "(no url)"
    return f"{host}{parts.path.rstrip('/') or '/'}"


def document_key(url: str, vendor: str | None = None, doc_type: str | None = None) -> str:
    """Versions of one document share a key: the vendor's policy at that URL, else the URL without
    noise. The URL stays in a vendor's key because a vendor may list several terms pages."""
    if vendor and doc_type:
        return f"vendor:{vendor}:{doc_type}:{_canonical(url).lower()}"
    return _canonical(url)


def version_of(analysis, report_id: str) -> dict:
    """An analysis in the shape of a stored version (Store.version), built in memory: what the
    history keeps of it, and what the diff of a fresh answer reads instead of reading it back."""
    text = analysis.text
    return {"report_id": report_id, "content_hash": analysis.document["content_hash"], "text": text,
            "findings": [f.to_dict() for f in analysis.findings],
            "clauses": [{"idx": i, "start": c.start, "end": c.end, "kind": c.kind,
                         "hash": clause_hash(text[c.start:c.end])} for i, c in enumerate(analysis.clauses)]}


def reset(path: Path) -> Path:
    """Move a database (with its WAL and shared-memory files) aside, never deleting it; return the
    backup's path. The next Store(path) starts an empty history."""
    path = Path(path)
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S")
    backup = path.with_name(f"{path.name}.backup-{stamp}")
    n = 1
    while backup.exists():
        n += 1
        backup = path.with_name(f"{path.name}.backup-{stamp}-{n}")
    for suffix in ("", "-wal", "-shm"):
        src = Path(str(path) + suffix)
        if src.exists():
            shutil.move(src, Path(str(backup) + suffix))
    return backup


def _remove(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(str(path) + suffix).unlink(missing_ok=True)


def _scrub_copy(copy: Path, document_id: int, gone) -> None:
    """Delete a document from a migration copy too: by id (a migration keeps ids), and by key or
    URL (a document deleted before this scrub existed may have left its id free). A copy that
    cannot be opened as a database is removed: kept, it would keep the deleted text."""
    try:
        db = sqlite3.connect(copy, isolation_level=None)
        try:
            db.execute("PRAGMA secure_delete=ON")
            db.execute("PRAGMA foreign_keys=ON")
            key, url = (gone["key"], gone["url"]) if gone is not None else (None, None)
            db.execute("DELETE FROM documents WHERE id=? OR key=? OR url=?", (document_id, key, url))
            db.execute("VACUUM")  # rebuilds the file from live rows only, freelist included
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            db.close()
    except sqlite3.DatabaseError:
        _remove(copy)


class Store:
    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._check_schema()

    def connect(self) -> sqlite3.Connection:
        """One connection per thread: waitress serves requests on a pool of threads."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=True)
            conn.row_factory = sqlite3.Row
            # WAL: a commit is one append to the log, so a process killed mid-write leaves the
            # last committed state; NORMAL sync is enough for that (it only risks power loss).
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            conn.execute("PRAGMA foreign_keys=ON")
            # A deleted history is overwritten, not just unlinked: "delete" means the text is gone.
            conn.execute("PRAGMA secure_delete=ON")
            self._local.conn = conn
        return conn

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    def _check_schema(self):
        way_out = "Run `clausewatch history --reset` to move it aside (it is kept as a backup) and start afresh."
        try:
            # Look before touching: switching to WAL rewrites the header, so a file that is not ours
            # is inspected read-only and left exactly as it was.
            version = self._inspect(way_out) if self.path.exists() and self.path.stat().st_size else 0
            conn = self.connect()
            if version == 0:
                conn.executescript("BEGIN IMMEDIATE;" + SCHEMA + f"PRAGMA user_version={SCHEMA_VERSION}; COMMIT;")
            elif version < SCHEMA_VERSION:
                self._migrate(conn, version)
            conn.executescript(DIFFS)
        except sqlite3.DatabaseError as exc:
            self.close()
            raise StoreError(f"{self.path} is not a usable clausewatch database ({exc}). Nothing was changed. "
                             f"{way_out}") from None

    def _inspect(self, way_out: str) -> int:
        """The schema version of an existing file, or StoreError; opens it read-only."""
        conn = sqlite3.connect(self.path.resolve().as_uri() + "?mode=ro", uri=True)
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise StoreError(f"{self.path} was written by a newer clausewatch (schema {version}, this one "
                                 f"knows {SCHEMA_VERSION}). Nothing was changed. Upgrade clausewatch, or: {way_out}")
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            if version == 0 and tables:
                raise StoreError(f"{self.path} is an SQLite file, but not a clausewatch history "
                                 f"(it holds {', '.join(sorted(tables))}). Nothing was changed. {way_out}")
            problems = [r[0] for r in conn.execute("PRAGMA quick_check")]
            if problems != ["ok"]:
                raise StoreError(f"{self.path} is damaged ({'; '.join(problems[:3])}). Nothing was changed. "
                                 f"{way_out}")
            return version
        finally:
            conn.close()

    def _migrate(self, conn, version: int) -> None:
        """Upgrade in place, in one transaction, after a consistent copy of the old file is made."""
        backup = self.path.with_name(f"{self.path.name}.v{version}.bak")
        with sqlite3.connect(backup) as copy:
            conn.backup(copy)
        copy.close()
        conn.execute("BEGIN IMMEDIATE")
        try:
            if version < 2:
                conn.execute("ALTER TABLE clauses ADD COLUMN hash TEXT NOT NULL DEFAULT ''")
                for v in conn.execute("SELECT id, text FROM versions").fetchall():
                    rows = conn.execute("SELECT idx, start, end FROM clauses WHERE version_id=?", (v["id"],))
                    conn.executemany("UPDATE clauses SET hash=? WHERE version_id=? AND idx=?",
                                     [(clause_hash(v["text"][r["start"]:r["end"]]), v["id"], r["idx"])
                                      for r in rows.fetchall()])
                for d in conn.execute("SELECT id, url, vendor, doc_type FROM documents "
                                      "WHERE vendor IS NOT NULL AND doc_type IS NOT NULL").fetchall():
                    conn.execute("UPDATE documents SET key=? WHERE id=?",
                                 (document_key(d["url"], d["vendor"], d["doc_type"]), d["id"]))
                conn.execute("CREATE INDEX IF NOT EXISTS versions_document ON versions(document_id, id)")
                conn.execute("ALTER TABLE documents ADD COLUMN current_version_id INTEGER")
                conn.execute("UPDATE documents SET current_version_id=(SELECT MAX(id) FROM versions "
                             "WHERE document_id=documents.id)")
            conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def record(self, analysis, *, url: str, vendor: str | None = None, doc_type: str | None = None,
               source: str = "user") -> dict:
        """Store one analysed version (the same text twice is one version) and return
        {report_id, version_id, document_id, previous_version_id, new} where previous is the version
        the user last saw (for the user; before their first visit, the first one recorded) or the
        current one before this (for the watcher)."""
        key = document_key(url, vendor, doc_type)
        stamp = now()
        doc = analysis.document
        conn = self.connect()
        conn.execute("BEGIN IMMEDIATE")
        try:
            row = conn.execute("SELECT id, seen_version_id FROM documents WHERE key=?", (key,)).fetchone()
            if row is None:
                cur = conn.execute("INSERT INTO documents(key, url, vendor, doc_type, title, created_at) "
                                   "VALUES (?,?,?,?,?,?)", (key, url, vendor, doc_type, doc.get("title", ""), stamp))
                document_id, seen = cur.lastrowid, None
            else:
                document_id, seen = row["id"], row["seen_version_id"]
                conn.execute("UPDATE documents SET url=?, title=COALESCE(NULLIF(?, ''), title) WHERE id=?",
                             (url, doc.get("title", ""), document_id))
            latest = conn.execute("SELECT current_version_id AS id FROM documents WHERE id=?",
                                  (document_id,)).fetchone()
            existing = conn.execute("SELECT id, report_id FROM versions WHERE document_id=? AND content_hash=?",
                                    (document_id, doc["content_hash"])).fetchone()
            if existing:
                version_id, report_id, new = existing["id"], existing["report_id"], False
                conn.execute("UPDATE versions SET last_seen=? WHERE id=?", (stamp, version_id))
            else:
                version_id, report_id, new = self._insert_version(conn, document_id, analysis, source, stamp), None, True
                report_id = conn.execute("SELECT report_id FROM versions WHERE id=?", (version_id,)).fetchone()[0]
            previous = seen if source == "user" else latest["id"]
            if source == "user" and seen is None:
                # First visit of a policy the watcher already kept: compare with the first version
                # recorded, as the badge did (site.py), so the two never disagree.
                previous = conn.execute("SELECT MIN(id) FROM versions WHERE document_id=?", (document_id,)).fetchone()[0]
            conn.execute("UPDATE documents SET current_version_id=? WHERE id=?", (version_id, document_id))
            if source == "user":
                conn.execute("UPDATE documents SET seen_version_id=? WHERE id=?", (version_id, document_id))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return {"report_id": report_id, "version_id": version_id, "document_id": document_id,
                "previous_version_id": previous if previous != version_id else None, "new": new}

    def _insert_version(self, conn, document_id, analysis, source, stamp) -> int:
        summary = json.dumps({"document": analysis.document, "grade": analysis.grade})
        kept = version_of(analysis, secrets.token_urlsafe(12))
        cur = conn.execute(
            "INSERT INTO versions(document_id, report_id, content_hash, text, grade, summary, source, first_seen, "
            "last_seen) VALUES (?,?,?,?,?,?,?,?,?)",
            (document_id, kept["report_id"], kept["content_hash"], kept["text"],
             analysis.grade["grade"], summary, source, stamp, stamp))
        version_id = cur.lastrowid
        conn.executemany("INSERT INTO clauses(version_id, idx, start, end, kind, hash) VALUES (?,?,?,?,?,?)",
                         [(version_id, c["idx"], c["start"], c["end"], c["kind"], c["hash"]) for c in kept["clauses"]])
        conn.executemany("INSERT INTO findings(version_id, data) VALUES (?,?)",
                         [(version_id, json.dumps(f)) for f in kept["findings"]])
        return version_id

    def version(self, *, report_id: str | None = None, version_id: int | None = None) -> dict | None:
        conn = self.connect()
        column, value = ("report_id", report_id) if report_id is not None else ("id", version_id)
        row = conn.execute(f"SELECT v.*, d.url, d.vendor, d.doc_type, d.key FROM versions v "
                           f"JOIN documents d ON d.id = v.document_id WHERE v.{column}=?", (value,)).fetchone()
        if row is None:
            return None
        out = dict(row)
        out.update(json.loads(out.pop("summary")))
        out["findings"] = [json.loads(r[0]) for r in
                           conn.execute("SELECT data FROM findings WHERE version_id=? ORDER BY rowid", (row["id"],))]
        out["clauses"] = [dict(r) for r in conn.execute(
            "SELECT idx, start, end, kind, hash FROM clauses WHERE version_id=? ORDER BY idx", (row["id"],))]
        return out

    def history(self, vendor: str | None = None) -> list[dict]:
        rows = self.connect().execute(
            "SELECT d.id, d.key, d.url, d.vendor, d.doc_type, d.title, d.seen_version_id, d.current_version_id, "
            "COUNT(v.id) AS versions, MAX(v.last_seen) AS last_seen FROM documents d "
            "LEFT JOIN versions v ON v.document_id = d.id WHERE ? IS NULL OR d.vendor = ? "
            "GROUP BY d.id ORDER BY last_seen DESC", (vendor, vendor))
        out = []
        for row in rows:
            item = dict(row)
            item["versions"] = [dict(v) for v in self.connect().execute(
                "SELECT id, report_id, content_hash, grade, source, first_seen, last_seen FROM versions "
                "WHERE document_id=? ORDER BY id", (row["id"],))]
            out.append(item)
        return out

    def delete(self, document_id: int | None = None) -> int:
        """Delete one document with all its versions, or everything; returns documents deleted.

        A delete is a delete: deleted rows are overwritten (secure_delete), the WAL that still held
        them is checkpointed and truncated, and the copies kept when the schema was upgraded
        (history.sqlite3.v1.bak, which held every document) lose the document too."""
        conn = self.connect()
        conn.execute("BEGIN IMMEDIATE")
        try:
            if document_id is None:
                n, gone = conn.execute("DELETE FROM documents").rowcount, None
            else:
                gone = conn.execute("SELECT key, url FROM documents WHERE id=?", (document_id,)).fetchone()
                n = conn.execute("DELETE FROM documents WHERE id=?", (document_id,)).rowcount
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        self._truncate_wal(conn)
        for copy in self.path.parent.glob(self.path.name + ".v*.bak"):
            if document_id is None:
                _remove(copy)  # "delete everything" includes the copies
            else:
                _scrub_copy(copy, document_id, gone)
        return n

    @staticmethod
    def _truncate_wal(conn) -> None:
        # The WAL still holds the deleted pages until a checkpoint copies the zeroed ones back; a
        # reader in another thread can hold it up for a moment, so it is tried a few times.
        for _ in range(20):
            if conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0] == 0:
                return
            time.sleep(0.05)

    def diff(self, old_id: int | None, new_id: int, check=None, new: dict | None = None) -> dict | None:
        """The diff between two stored versions, computed once and then read back (None: no old one).
        `check` is the request's budget (diff.Cost): past it the diff is told in part, and kept so.
        `new`: the newer version as the caller already holds it (version_of), so a fresh answer
        is not read back from the database it was just written to."""
        if old_id is None or old_id == new_id:
            return None
        conn = self.connect()
        row = conn.execute("SELECT d.data, v.last_seen FROM diffs d JOIN versions v ON v.id = d.old_id "
                           "WHERE d.old_id=? AND d.new_id=? AND d.algo=?", (old_id, new_id, ALGO)).fetchone()
        if row is not None:
            return {"since": row["last_seen"], **json.loads(row["data"])}
        old = self.version(version_id=old_id)
        if new is None:
            new = self.version(version_id=new_id)
        if old is None or new is None:
            return None
        out = diff_versions(old, new, check=check)
        data = json.dumps({k: v for k, v in out.items() if k != "since"})
        # Both versions may have been deleted meanwhile: then there is nothing to keep it for.
        conn.execute("INSERT OR REPLACE INTO diffs(old_id, new_id, algo, data) SELECT ?, ?, ?, ? "
                     "WHERE EXISTS (SELECT 1 FROM versions WHERE id=?) AND EXISTS (SELECT 1 FROM versions WHERE id=?)",
                     (old_id, new_id, ALGO, data, old_id, new_id))
        return out

    def versions_of(self, document_id: int) -> list[int]:
        return [r[0] for r in self.connect().execute("SELECT id FROM versions WHERE document_id=? ORDER BY id",
                                                     (document_id,))]

    def latest_for_vendor(self, vendor: str) -> list[dict]:
        """The newest version of each of the vendor's documents, with the one the user last saw."""
        rows = self.connect().execute(
            "SELECT d.id AS document_id, d.doc_type, d.url, d.seen_version_id, d.current_version_id AS latest_id, "
            "(SELECT MIN(id) FROM versions WHERE document_id=d.id) AS first_id "
            "FROM documents d WHERE d.vendor=? ORDER BY d.doc_type, d.id", (vendor,))
        return [dict(r) for r in rows if r["latest_id"] is not None]

    def vendor_checked_at(self, vendor: str) -> str | None:
        """When any of the vendor's documents was last fetched or seen (None: never)."""
        return self.connect().execute(
            "SELECT MAX(v.last_seen) FROM documents d JOIN versions v ON v.id = d.current_version_id "
            "WHERE d.vendor=?", (vendor,)).fetchone()[0]

    def mark_seen(self, vendor: str) -> int:
        conn = self.connect()
        return conn.execute(
            "UPDATE documents SET seen_version_id=current_version_id WHERE vendor=?", (vendor,)).rowcount
