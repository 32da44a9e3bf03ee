"""The vendor watcher: fetch known vendors' terms and privacy pages, analyse them, keep each version.

So the badge is fresh for a vendor the user has not opened, and a quiet change is caught. It fetches
only the URLs of the vendors file, through fetch.py's caps, a few at a time; `settings.watch = False`
(CLAUSEWATCH_WATCH=0, `serve --no-watch`) turns off the schedule and on-demand fetches alike.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from .extract import ExtractionError
from .fetch import CONCURRENCY, FetchError, fetch
from .match import MatchTimeout

log = logging.getLogger(__name__)
# A vendor whose fetch was tried (and maybe failed: offline, blocked) is not retried before this.
RETRY_SECONDS = 15 * 60
# The schedule wakes this often to look for vendors whose last check is older than watch_hours.
WAKE_SECONDS = 15 * 60
# Give the server time to come up before the first round.
FIRST_DELAY_SECONDS = 30


@dataclass(frozen=True, slots=True)
class Job:
    vendor: str
    doc_type: str
    url: str


@dataclass(slots=True)
class Outcome:
    job: Job
    status: str            # "first" (no earlier version), "changed", "unchanged" or "failed"
    report_id: str | None = None
    error: str | None = None


class Watcher:
    def __init__(self, services):
        self.services = services
        self._queue: queue.Queue[str] = queue.Queue()
        self._lock = threading.Lock()
        self._pending: set[str] = set()
        self._attempted: dict[str, float] = {}
        self._worker: threading.Thread | None = None
        self._scheduler: threading.Thread | None = None
        self._stop = threading.Event()
        # Pages are fetched a few at a time but analysed one at a time: the extraction workers are
        # shared with the user's own requests, which must not wait behind a whole round.
        self._analysing = threading.Lock()

    # -- what to fetch ---------------------------------------------------------------------------

    def jobs(self, vendor_ids=None) -> list[Job]:
        vendors = self.services.vendors
        if vendor_ids:
            unknown = [v for v in vendor_ids if vendors.get(v) is None]
            if unknown:
                raise ValueError(f"unknown vendor{'s' if len(unknown) > 1 else ''}: {', '.join(unknown)}")
            chosen = [vendors.get(v) for v in vendor_ids]
        else:
            chosen = vendors.items
        return [Job(v.id, doc_type, url) for v in chosen for doc_type in ("terms", "privacy")
                for url in getattr(v, doc_type)]

    # -- one round -------------------------------------------------------------------------------

    def fetch_one(self, job: Job) -> Outcome:
        s = self.services
        try:
            page = fetch(job.url, timeout=s.settings.fetch_timeout, max_bytes=s.settings.fetch_max_bytes)
            is_html = not page.content_type.lower().startswith("text/plain")
            with self._analysing:
                analysis = s.analyzer.analyze(html=page.text if is_html else None,
                                              text=None if is_html else page.text, url=job.url, gate=True)
            if analysis.status != "analysed":  # not English or not a policy: no grade to keep (screen.py)
                return Outcome(job, "failed", error=analysis.screening["message"])
            stored = s.store.record(analysis, url=job.url, vendor=job.vendor, doc_type=job.doc_type, source="watch")
        except (FetchError, ExtractionError, MatchTimeout) as exc:
            # The URL and the reason only: page text never goes to the log.
            log.warning("watch: %s %s: %s", job.vendor, job.doc_type, exc)
            return Outcome(job, "failed", error=str(exc))
        status = "first" if stored["previous_version_id"] is None and stored["new"] else (
            "changed" if stored["new"] else "unchanged")
        return Outcome(job, status, report_id=stored["report_id"])

    def run_round(self, vendor_ids=None, progress=None) -> list[Outcome]:
        """Fetch, analyse and store every policy of the vendors (all by default), a few at a time.
        `progress(outcome)` is called as each one finishes."""
        jobs = self.jobs(vendor_ids)
        for v in {j.vendor for j in jobs}:
            with self._lock:
                self._attempted[v] = time.monotonic()
        outcomes = []
        with ThreadPoolExecutor(max_workers=CONCURRENCY, thread_name_prefix="clausewatch-watch") as pool:
            for future in as_completed([pool.submit(self.fetch_one, j) for j in jobs]):
                outcome = future.result()
                outcomes.append(outcome)
                if progress:
                    progress(outcome)
        log.info("watch: %d fetched, %d changed, %d failed", len(outcomes),
                 sum(o.status == "changed" for o in outcomes), sum(o.status == "failed" for o in outcomes))
        return outcomes

    # -- on demand -------------------------------------------------------------------------------

    def request(self, vendor_id: str) -> bool:
        """Queue a fetch of one vendor's policies without waiting; True if it was queued now."""
        if not self.services.settings.watch or self.services.vendors.get(vendor_id) is None:
            return False
        with self._lock:
            tried = self._attempted.get(vendor_id)
            if vendor_id in self._pending or (tried is not None and time.monotonic() - tried < RETRY_SECONDS):
                return False
            self._pending.add(vendor_id)
            if self._worker is None or not self._worker.is_alive():
                self._worker = threading.Thread(target=self._work, name="clausewatch-on-demand", daemon=True)
                self._worker.start()
        self._queue.put(vendor_id)
        return True

    def _work(self) -> None:
        while not self._stop.is_set():
            try:
                vendor_id = self._queue.get(timeout=1)
            except queue.Empty:
                continue
            try:
                self.run_round([vendor_id])
            except Exception:  # a bug in one round must not end the worker
                log.exception("watch: on-demand fetch of %s failed", vendor_id)
            finally:
                with self._lock:
                    self._pending.discard(vendor_id)

    def pending(self) -> set[str]:
        with self._lock:
            return set(self._pending)

    # -- on a schedule ---------------------------------------------------------------------------

    def due(self) -> list[str]:
        """Vendors not checked (by the watcher or the user) within watch_hours, nor tried lately."""
        hours = self.services.settings.watch_hours
        cutoff = (datetime.now(timezone.utc) - timedelta(hours=hours)).replace(microsecond=0).isoformat()
        out = []
        for v in self.services.vendors.items:
            with self._lock:
                tried = self._attempted.get(v.id)
            if tried is not None and time.monotonic() - tried < min(hours * 3600, RETRY_SECONDS * 4):
                continue
            checked = self.services.store.vendor_checked_at(v.id)
            if checked is None or checked < cutoff:
                out.append(v.id)
        return out

    def start(self) -> None:
        """Run the schedule in a daemon thread: it ends with the server."""
        if self._scheduler is not None:
            return
        self._scheduler = threading.Thread(target=self._schedule, name="clausewatch-schedule", daemon=True)
        self._scheduler.start()

    def _schedule(self) -> None:
        if self._stop.wait(FIRST_DELAY_SECONDS):
            return
        wake = max(5.0, min(WAKE_SECONDS, self.services.settings.watch_hours * 3600 / 4))
        while not self._stop.is_set():
            try:
                due = self.due()
                if due:
                    self.run_round(due)
            except Exception:
                log.exception("watch: scheduled round failed")
            self._stop.wait(wake)

    def stop(self) -> None:
        self._stop.set()
