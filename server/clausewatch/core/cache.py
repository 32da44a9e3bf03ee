"""Analyses of pages seen before, keyed by a hash of the request: the same page again skips
extraction, segmentation and the rules. Bounded in entries and in (estimated) bytes."""

from __future__ import annotations

import dataclasses
import hashlib
import sys
import threading
from collections import OrderedDict

# A popup reopened, a tab reloaded, the watcher re-reading a known vendor: a few dozen pages cover
# what a user revisits; the byte bound keeps a run of huge pages from holding the memory.
MAX_ENTRIES = 64
MAX_BYTES = 48 * 1024 * 1024


def request_key(*, html: str | None, text: str | None, url: str, title: str, pdf: bytes | None = None) -> str:
    """sha256 of everything an analysis depends on besides the rules (the cache lives per rule set)."""
    h = hashlib.sha256()
    kind, content = ("pdf", pdf) if pdf is not None else ("html", html) if html is not None else ("text", text or "")
    for part in (kind, url, title, content):
        data = part if isinstance(part, bytes) else part.encode("utf-8", "surrogatepass")
        h.update(len(data).to_bytes(8, "little"))  # lengths first, so no two requests share a stream
        h.update(data)
    return h.hexdigest()


def size_of(analysis) -> int:
    """A generous estimate of what an Analysis holds in memory."""
    findings = sum(sys.getsizeof(f.quote) + sys.getsizeof(f.explanation) + 600 for f in analysis.findings)
    return sys.getsizeof(analysis.text) + 120 * len(analysis.clauses) + findings + 4096


def _copy(analysis):
    # Callers may add to the document or the lists; the cached entry must stay as it was made.
    return dataclasses.replace(analysis, document=dict(analysis.document), grade=dict(analysis.grade) if analysis.grade is not None else None,
                               findings=list(analysis.findings), clauses=list(analysis.clauses),
                               warnings=list(analysis.warnings))


class AnalysisCache:
    """A thread-safe LRU of Analysis objects (waitress serves on several threads)."""

    def __init__(self, max_entries: int = MAX_ENTRIES, max_bytes: int = MAX_BYTES):
        self.max_entries, self.max_bytes = max_entries, max_bytes
        self._items: OrderedDict[str, tuple[object, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def __len__(self) -> int:
        return len(self._items)

    @property
    def bytes(self) -> int:
        return self._bytes

    def get(self, key: str):
        with self._lock:
            item = self._items.get(key)
            if item is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
        return _copy(item[0])

    def put(self, key: str, analysis) -> None:
        size = size_of(analysis)
        if size > self.max_bytes or self.max_entries <= 0:
            return  # one page larger than the whole cache is not kept
        stored = _copy(analysis)
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= old[1]
            self._items[key] = (stored, size)
            self._bytes += size
            while len(self._items) > self.max_entries or self._bytes > self.max_bytes:
                _, (_, dropped) = self._items.popitem(last=False)
                self._bytes -= dropped

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._bytes = 0
