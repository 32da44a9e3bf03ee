"""A delete is a delete: after deleting one document, its text is in no file of the data folder,
the migration copy, the WAL and the stored diffs included (every byte of every file is searched)."""

from __future__ import annotations

import json
import sqlite3

from conftest import EXT_ORIGIN
from test_store import V1_SCHEMA

H = {"Origin": EXT_ORIGIN}
GONE = "Zebracorn-4471 may sell your data to brokers"
KEPT = "Quokkafish-9020 may sell your data to brokers"


def _policy(marker: str, extra: str = "") -> str:
    """A short privacy policy holding `marker`: the API stores only what reads as terms or a policy."""
    return (f"{marker}. We collect your personal information when you create an account. "
            "We may share your personal data with third parties for advertising. "
            f"You agree that any dispute will be settled by binding arbitration.{extra}")


def _files_holding(folder, marker: str) -> list[str]:
    needles = [marker.encode("utf-8"), marker.encode("utf-16-le")]
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*")
                  if p.is_file() and any(n in p.read_bytes() for n in needles))


def _v1_history(path, analyzer, text, url):
    """A history as the first release wrote it (schema 1), holding one document."""
    a = analyzer.analyze(text=text, url=url)
    with sqlite3.connect(path) as db:
        db.executescript(V1_SCHEMA)
        db.execute("INSERT INTO documents VALUES (1, ?, ?, NULL, NULL, 'T', 'x', 1)", (url.split("//")[1], url))
        db.execute("INSERT INTO versions VALUES (1, 1, 'rep1', ?, ?, ?, ?, 'user', 'x', 'x')",
                   (a.document["content_hash"], a.text, a.grade["grade"],
                    json.dumps({"document": a.document, "grade": a.grade})))
        db.executemany("INSERT INTO clauses VALUES (1, ?, ?, ?, ?)",
                       [(i, c.start, c.end, c.kind) for i, c in enumerate(a.clauses)])
    db.close()


def test_deleting_one_document_leaves_its_text_in_no_file(settings, analyzer):
    from clausewatch.services import Services
    from clausewatch.web.app import create_app
    from clausewatch.history.store import Store
    from clausewatch.vendors.catalog import load_vendors
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    _v1_history(settings.db_path, analyzer, _policy(GONE, " Version one."), "https://gone.example/terms")
    store = Store(settings.db_path)  # migrates, keeping history.sqlite3.v1.bak
    client = create_app(settings, Services(settings=settings, analyzer=analyzer, store=store,
                                           vendors=load_vendors(settings.vendors_path))).test_client()
    # A second version (so a diff quoting both is stored) and another document that must stay.
    for body in ({"url": "https://gone.example/terms", "text": _policy(GONE, " Version two, reworded.")},
                 {"url": "https://kept.example/terms", "text": _policy(KEPT)}):
        r = client.post("/api/analyze", headers=H, json=body)
        assert r.status_code == 200 and r.get_json()["status"] == "analysed"  # graded, so stored
    folder = settings.data_dir
    assert "history.sqlite3.v1.bak" in _files_holding(folder, GONE)
    docs = {d["url"]: d["id"] for d in client.get("/api/history", headers=H).get_json()["documents"]}
    r = client.delete(f"/api/history?document={docs['https://gone.example/terms']}", headers=H)
    assert r.status_code == 200 and r.get_json() == {"deleted": 1}
    assert _files_holding(folder, GONE) == []
    assert "history.sqlite3" in _files_holding(folder, KEPT)
    assert [d["url"] for d in client.get("/api/history", headers=H).get_json()["documents"]] == \
        ["https://kept.example/terms"]
