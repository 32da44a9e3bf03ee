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
from urllib.parse import urlsplit
from datetime import datetime, timedelta, timezone

from ..core.analyze import READING_ROUNDS
from ..core.extract import ExtractionError
from ..core.match import MatchTimeout
from . import confirmed_urls
from .fetch import CONCURRENCY, NETWORK_ERRORS, FetchError, fetch, reachable

log = logging.getLogger(__name__)
# A vendor whose fetch was tried (and maybe failed: offline, blocked) is not retried before this.
RETRY_SECONDS = 15 * 60
# The schedule wakes this often to look for vendors whose last check is older than watch_hours.
WAKE_SECONDS = 15 * 60
# Give the server time to come up before the first round.
FIRST_DELAY_SECONDS = 30
# Offline, a laptop on a train: hundreds of fetches that each wait for a timeout help nobody.
# A round of this many fetches or more starts with a quick connection to a few vendor hosts...
PROBE_MIN_JOBS = 6
PROBE_HOSTS = 3
PROBE_SECONDS = 3.0
# ...and stops when this many fetches in a row fail at the network level before any succeeds.
ABORT_AFTER = 6
# After each round in which nothing could be reached, the schedule waits twice as long as before.
BACKOFF_FIRST_SECONDS = WAKE_SECONDS
BACKOFF_MAX_SECONDS = 8 * 3600
OK = ("first", "changed", "unchanged")


@dataclass(frozen=True, slots=True)
class Job:
    vendor: str
    doc_type: str
    url: str


@dataclass(slots=True)
class Outcome:
    job: Job
    status: str            # "first" (no earlier version), "changed", "unchanged", "failed", or
                           # "skipped" (not tried: the network was down)
    report_id: str | None = None
    error: str | None = None
    network: bool = False  # failed before any answer came (refused, reset, no route, no DNS)


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
        self._offline_rounds = 0        # rounds in a row in which no vendor host could be reached
        self._resume_at = 0.0           # time.monotonic() before which the schedule does not fetch

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

    def fetch_one(self, job: Job, abort: threading.Event | None = None) -> Outcome:
        s = self.services
        if abort is not None and abort.is_set():
            return Outcome(job, "skipped", error="not tried: the network seems down")
        try:
            page = fetch(job.url, timeout=s.settings.fetch_timeout, max_bytes=s.settings.fetch_max_bytes,
                         allow_private=s.settings.fetch_allow_private)
            is_html = not page.content_type.lower().startswith("text/plain")
            with self._analysing:
                # A long policy is read over several rounds of the model's per-request budget,
                # as the extension does it.
                for _ in range(READING_ROUNDS):
                    analysis = s.analyzer.analyze(html=page.text if is_html else None,
                                                  text=None if is_html else page.text, url=job.url, gate=True)
                    if analysis.status != "reading":
                        break
            if analysis.status == "reading":
                return Outcome(job, "failed", error="the policy is too long to read in full")
            if analysis.status != "analysed":  # not English or not a policy: no grade to keep (screen.py)
                return Outcome(job, "failed", error=analysis.screening["message"])
            stored = s.store.record(analysis, url=job.url, vendor=job.vendor, doc_type=job.doc_type, source="watch")
        except (FetchError, ExtractionError, MatchTimeout) as exc:
            # The URL and the reason only: page text never goes to the log. One line per URL is
            # for debugging; the round logs one summary line (run_round).
            log.debug("watch: %s %s: %s", job.vendor, job.doc_type, exc)
            # fetch.py raises FetchError "from None" but keeps the socket error as its context.
            network = isinstance(exc, FetchError) and isinstance(exc.__context__, NETWORK_ERRORS)
            return Outcome(job, "failed", error=str(exc), network=network)
        status = "first" if stored["previous_version_id"] is None and stored["new"] else (
            "changed" if stored["new"] else "unchanged")
        return Outcome(job, status, report_id=stored["report_id"])

    def run_round(self, vendor_ids=None, progress=None) -> list[Outcome]:
        """Fetch, analyse and store every policy of the vendors (all by default), a few at a time.
        `progress(outcome)` is called as each one finishes. Logs one line for the whole round."""
        jobs = self.jobs(vendor_ids)
        started = time.monotonic()
        for v in {j.vendor for j in jobs}:
            with self._lock:
                self._attempted[v] = started
        if len(jobs) >= PROBE_MIN_JOBS and not probe(jobs):
            outcomes = [Outcome(j, "skipped", error="not tried: no vendor host answered a connection") for j in jobs]
            for o in outcomes:
                if progress:
                    progress(o)
        else:
            outcomes = self._fetch_all(jobs, progress)
        self._after_round(outcomes, time.monotonic() - started)
        return outcomes

    def _fetch_all(self, jobs: list[Job], progress) -> list[Outcome]:
        abort = threading.Event()
        outcomes: list[Outcome] = []
        with ThreadPoolExecutor(max_workers=CONCURRENCY, thread_name_prefix="clausewatch-watch") as pool:
            for future in as_completed([pool.submit(self.fetch_one, j, abort) for j in jobs]):
                outcome = future.result()
                outcomes.append(outcome)
                if not abort.is_set() and _looks_offline(outcomes):
                    abort.set()  # the fetches not yet started return "skipped" at once
                if progress:
                    progress(outcome)
        return outcomes

    def _after_round(self, outcomes: list[Outcome], seconds: float) -> None:
        failed = [o for o in outcomes if o.status == "failed"]
        ok = [o for o in outcomes if o.status in OK]
        confirmed_urls.record(self.services.settings.data_dir, [o.job.url for o in ok],
                            {o.job.url: o.error or "" for o in failed})
        offline = bool(outcomes) and not ok and all(o.network or o.status == "skipped" for o in outcomes)
        with self._lock:
            self._offline_rounds = self._offline_rounds + 1 if offline else 0
            wait = backoff_seconds(self._offline_rounds)
            self._resume_at = time.monotonic() + wait
        log.info("watch: %s", round_summary(outcomes, seconds, wait))

    def backoff(self) -> tuple[int, float]:
        """(offline rounds in a row, seconds until the schedule fetches again)."""
        with self._lock:
            return self._offline_rounds, max(0.0, self._resume_at - time.monotonic())

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
                due = self.due() if self.backoff()[1] == 0 else []
                if due:
                    self.run_round(due)
            except Exception:
                log.exception("watch: scheduled round failed")
            self._stop.wait(wake)

    def stop(self) -> None:
        self._stop.set()


def backoff_seconds(offline_rounds: int) -> float:
    """0 after a round that reached anyone; then 15 min, 30 min, 1 h, ... up to 8 h."""
    if offline_rounds <= 0:
        return 0.0
    return float(min(BACKOFF_MAX_SECONDS, BACKOFF_FIRST_SECONDS * 2 ** (offline_rounds - 1)))


def _looks_offline(outcomes: list[Outcome]) -> bool:
    """ABORT_AFTER network failures and not one success so far: the rest would fail the same way."""
    return (not any(o.status in OK for o in outcomes)
            and sum(o.network for o in outcomes) >= ABORT_AFTER)


def probe(jobs: list[Job], timeout: float = PROBE_SECONDS) -> bool:
    """Whether a TCP connection opens to any of a few of the round's own hosts (no other host is
    contacted: the watcher talks to vendors only). One that answers is enough."""
    seen: list[tuple[str, int]] = []
    for j in jobs:
        parts = urlsplit(j.url)
        try:
            target = (parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80))
        except ValueError:
            continue
        if target[0] and target not in seen:
            seen.append(target)
        if len(seen) == PROBE_HOSTS:
            break
    if not seen:
        return True  # nothing to probe: let the fetches speak
    return reachable(seen, timeout)


def round_summary(outcomes: list[Outcome], seconds: float, wait: float) -> str:
    """One line for a whole round: counts, one example failure, and the backoff if offline."""
    counts = {s: sum(o.status == s for o in outcomes) for s in (*OK, "failed", "skipped")}
    line = f"{len(outcomes)} policies in {seconds:.0f} s: " + ", ".join(f"{n} {s}" for s, n in counts.items() if n)
    example = next((o for o in outcomes if o.status == "failed"), None)
    if example:
        line += f"; e.g. {example.job.vendor} {example.job.doc_type}: {example.error}"
    if wait:
        line += f"; nothing reachable, next try in {wait / 60:.0f} min"
    return line
