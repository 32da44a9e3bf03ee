"""Which vendor policy URLs have been fetched and read as a policy at least once, kept in a small
JSON file beside the history (`vendor_urls.json`).

rules/vendors.yaml is generated and shipped (tools/build_vendors.py); it marks URLs nobody has
fetched yet with `confirmed: false`. The watcher learns better on each user's machine, and records
that here rather than rewriting a file that belongs to the checkout.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
from datetime import datetime, timezone
from pathlib import Path

FILE_NAME = "vendor_urls.json"
_lock = threading.Lock()  # the schedule and an on-demand round may finish at the same moment


def path_for(data_dir: Path) -> Path:
    return Path(data_dir) / FILE_NAME


def load(data_dir: Path) -> dict[str, dict]:
    """url -> {"confirmed_at", "last_ok", "last_error"}; empty when absent or unreadable (it is a
    cache of facts the next round re-learns, so a damaged file is not worth stopping for)."""
    try:
        data = json.loads(path_for(data_dir).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data.get("urls", {}) if isinstance(data, dict) and isinstance(data.get("urls"), dict) else {}


def confirmed(data_dir: Path) -> set[str]:
    return {url for url, s in load(data_dir).items() if s.get("confirmed_at")}


def record(data_dir: Path, ok: list[str], failed: dict[str, str]) -> None:
    """Merge one round's results: `ok` URLs were fetched and read as a policy, `failed` url -> why."""
    if not ok and not failed:
        return
    now = datetime.now(timezone.utc).replace(microsecond=0).isoformat()
    with _lock:
        urls = load(data_dir)
        for url in ok:
            entry = urls.setdefault(url, {})
            entry.setdefault("confirmed_at", now)  # the first success is the confirmation
            entry["last_ok"] = now
            entry.pop("last_error", None)
        for url, why in failed.items():
            urls.setdefault(url, {})["last_error"] = why[:300]
        target = path_for(data_dir)
        target.parent.mkdir(parents=True, exist_ok=True)
        # Write beside it, then rename: a crash mid-write leaves the old file, never half a file.
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".vendor_urls.", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump({"urls": urls}, f, indent=1, sort_keys=True)
        os.replace(tmp, target)
