"""What the badge shows for a host: the vendor's grade, its age, and whether it changed since seen.

`changes` is a list: one clause-level diff (diff.diff_versions) per document that changed.
"""

from __future__ import annotations

from flask import url_for

from ..core.score import MEANING


def _letter(grade) -> str:
    # store.version() merges the stored summary into the row, so "grade" is the whole grade object.
    return grade["grade"] if isinstance(grade, dict) else grade


def site_status(services, host: str) -> dict:
    vendor = services.vendors.for_host(host)
    if vendor is None:
        return {"host": host, "vendor": None, "status": "unknown", "grade": None}
    store = services.store
    documents, changes = [], []
    for doc in store.latest_for_vendor(vendor.id):
        latest = store.version(version_id=doc["latest_id"])
        # "Since you last looked": the version the user last saw, or, before they ever looked, the
        # first one clausewatch recorded (the badge showed that one's grade).
        seen = doc["seen_version_id"] or doc["first_id"]
        diff = store.diff(seen, doc["latest_id"])  # computed once per pair and kept (store.py)
        # A new version whose clauses all read the same (case, quote marks, numbering) is no news.
        changed = bool(diff and (diff["added"] or diff["changed"] or diff["removed"]))
        documents.append({
            "doc_type": doc["doc_type"], "url": doc["url"], "grade": _letter(latest["grade"]),
            "analysed_at": latest["first_seen"], "report_url": url_for("report.view", report_id=latest["report_id"],
                                                                       _external=True),
            "changed": changed,
        })
        if changed:
            changes.append({"doc_type": doc["doc_type"], "url": doc["url"], **diff})
    if not documents:
        # Read only: `requested` says whether the watcher is already on it; the badge asks for a
        # fetch with POST /api/site/fetch, and `watching` false means nobody will fetch it.
        watcher = services.watcher
        requested = bool(watcher and vendor.id in watcher.pending())
        return {"host": host, "vendor": {"id": vendor.id, "name": vendor.name}, "status": "pending",
                "requested": requested, "watching": services.settings.watch, "grade": None,
                "changed": False, "changes": [], "documents": []}
    # The badge shows the worse of the vendor's documents: one bad policy is enough to care.
    worst = max(documents, key=lambda d: d["grade"])
    return {
        "host": host, "vendor": {"id": vendor.id, "name": vendor.name}, "status": "analysed",
        "grade": {"grade": worst["grade"], "meaning": MEANING[worst["grade"]]},
        "analysed_at": max(d["analysed_at"] for d in documents),
        "report_url": worst["report_url"],
        "changed": any(d["changed"] for d in documents), "changes": changes, "documents": documents,
    }
