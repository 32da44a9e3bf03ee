"""The answers that carry no grade (not English, not a policy), kept in memory for the reader view.

Such a page is not put in the history: nothing was analysed, and the history is what clausewatch
keeps about the user's reading. The popup still links a reader view that says why there is no
grade, so the last few answers live here, by a random id, until the server stops.
"""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict

MAX_NOTICES = 64


class Notices:
    def __init__(self, size: int = MAX_NOTICES):
        self.size = size
        self._items: OrderedDict[str, dict] = OrderedDict()
        self._lock = threading.Lock()

    def remember(self, analysis, url: str) -> str:
        report_id = "n-" + secrets.token_urlsafe(12)  # never a store report id (those have no "n-")
        notice = {"url": url, "status": analysis.status, "document": dict(analysis.document),
                  **analysis.screening}
        with self._lock:
            self._items[report_id] = notice
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return report_id

    def get(self, report_id: str) -> dict | None:
        with self._lock:
            return self._items.get(report_id)


_notices = Notices()


def notices() -> Notices:
    return _notices
