"""What changed between two versions of a document, told by the findings each carries."""

from __future__ import annotations

from .taxonomy import SEVERITY_RANK


def _key(finding: dict) -> tuple[str, str]:
    return finding["category"], " ".join(finding["quote"].lower().split())


def diff_versions(old: dict | None, new: dict) -> dict | None:
    """Added and removed findings between two stored versions (None when there is no older one)."""
    if old is None:
        return None
    before = {_key(f): f for f in old["findings"]}
    after = {_key(f): f for f in new["findings"]}
    added = [after[k] for k in after.keys() - before.keys()]
    removed = [before[k] for k in before.keys() - after.keys()]
    worst_first = lambda f: (f["polarity"] == "protection", SEVERITY_RANK[f["severity"]], f["start"])
    return {
        "since": old["last_seen"],
        "previous_report_id": old["report_id"],
        "text_changed": old["content_hash"] != new["content_hash"],
        "added": sorted(added, key=worst_first),
        "removed": sorted(removed, key=worst_first),
        "changed": [],
    }
