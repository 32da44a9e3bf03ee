"""The server's extraction worker pool: HTML is read in killable worker processes with a time cap.

Why a worker process: trafilatura and lxml run in C and in long pure-Python loops that no thread
can interrupt. Measured on 2 cores: 5 MB of paragraphs take 34 s to extract, 5 MB of one sentence
10 s, and segmenting 5 MB of text another 10 s. A request must not hold a server thread (and the
GIL) that long, so the server extracts in a small pool of worker processes; one that runs past
EXTRACT_SECONDS is killed and replaced, and the request gets a 503 `extraction_timeout`. Workers
also let two extractions run on two cores. The request's CPU budget and the text and clause caps
are core/budget.py's; `cap_extraction` sets them from the settings.

The workers deny themselves the network (an audit hook refuses every socket), so a bug in a
parser can never make analysis fetch anything.

The CLI and the tests of the pure pipeline extract in-process; `cap_extraction` is for the server.
"""

from __future__ import annotations

import atexit
import functools
import logging
import multiprocessing
import os
import queue
import sys
import threading
import time

from ..core.budget import Budget, Busy, ExtractionFailed, ExtractionTimeout, LimitExceeded, current_budget
from ..core.extract import ExtractionError, extract_html

log = logging.getLogger(__name__)

EXTRACT_SECONDS = 8.0  # settings.extract_seconds (CLAUSEWATCH_EXTRACT_SECONDS) passes another
# Waiting for a free worker (other requests are extracting) and for a new worker to import.
QUEUE_SECONDS = 60.0
STARTUP_SECONDS = 60.0


def _process_cpu(pid: int) -> float | None:
    """CPU seconds (user + system) of another process, from /proc; None where there is no /proc."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None


def deny_network() -> None:
    """From now on, this process cannot open, connect or resolve a socket (audit hooks stay)."""
    blocked = ("socket.connect", "socket.bind", "socket.getaddrinfo", "socket.gethostbyname",
               "socket.sendto", "urllib.Request")

    def hook(event, _args):
        if event in blocked:
            raise PermissionError(f"clausewatch extraction may not use the network ({event})")
    sys.addaudithook(hook)


def _serve(requests, replies) -> None:
    """The worker's loop: (html, url) in, ("ok", Extracted) | ("no_text", msg) | ("error", msg) out."""
    deny_network()
    replies.send("ready")
    while True:
        try:
            html, url = requests.recv()
        except (EOFError, OSError):
            return  # the server went away
        try:
            replies.send(("ok", extract_html(html, url)))
        except ExtractionError as exc:
            replies.send(("no_text", exc))  # the exception itself: a PDF's error carries its code
        except Exception as exc:  # noqa: BLE001 - any parser failure is this page's problem only
            replies.send(("error", type(exc).__name__))  # its message may quote the page: not logged


class _Worker:
    def __init__(self, ctx):
        # One-way pipes (os.pipe), not socketpairs: the server opens no socket for analysis.
        req_r, self.requests = ctx.Pipe(duplex=False)
        self.replies, rep_w = ctx.Pipe(duplex=False)
        self.proc = ctx.Process(target=_serve, args=(req_r, rep_w), daemon=True, name="clausewatch-extract")
        self.proc.start()
        req_r.close()
        rep_w.close()
        self.ready = False

    def wait_ready(self) -> None:
        if self.ready:
            return
        if not self.replies.poll(STARTUP_SECONDS) or self.replies.recv() != "ready":
            raise ExtractionFailed("the extraction worker did not start")
        self.ready = True

    def kill(self) -> None:
        self.proc.kill()
        self.proc.join(5)
        self.requests.close()
        self.replies.close()


class ExtractionPool:
    """At most `size` worker processes, started on first use, each doing one extraction at a time."""

    def __init__(self, size: int | None = None, seconds: float = EXTRACT_SECONDS):
        self.size = size or max(1, min(4, os.cpu_count() or 1))
        self.seconds = seconds
        self._ctx = multiprocessing.get_context("spawn")  # never fork a process that runs threads
        self._idle: queue.LifoQueue[_Worker] = queue.LifoQueue()
        self._lock = threading.Lock()
        self._all: set[_Worker] = set()

    def _acquire(self) -> _Worker:
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            pass
        with self._lock:
            if len(self._all) < self.size:
                worker = _Worker(self._ctx)
                self._all.add(worker)
                return worker
        try:
            return self._idle.get(timeout=QUEUE_SECONDS)
        except queue.Empty:
            raise Busy("the server is busy extracting other pages; try again") from None

    def _discard(self, worker: _Worker) -> None:
        with self._lock:
            self._all.discard(worker)
        worker.kill()

    def warm(self) -> None:
        """Start one worker now, so the first page does not wait for a process to import."""
        worker = self._acquire()
        try:
            worker.wait_ready()
        except BaseException:
            self._discard(worker)
            raise
        self._idle.put(worker)

    def extract_html(self, html: str, url: str | None = None, seconds: float | None = None):
        seconds = self.seconds if seconds is None else seconds
        budget = current_budget.get()
        worker = self._acquire()
        try:
            worker.wait_ready()
            worker.requests.send((html, url))
            used = self._wait(worker, seconds, budget)
            status, value = worker.replies.recv()
        except BaseException as exc:
            # Timed out, died (a crash in C, out of memory) or interrupted: never reuse it.
            self._discard(worker)
            if isinstance(exc, LimitExceeded):
                raise
            if isinstance(exc, (EOFError, OSError)):
                raise ExtractionFailed("the page could not be read (the extraction worker failed)") from None
            raise
        if budget is not None:
            budget.charge(used)
        self._idle.put(worker)
        if status == "ok":
            return value
        if status == "no_text":
            raise value if isinstance(value, ExtractionError) else ExtractionError(value)
        log.warning("extraction failed: %s", value)  # the exception's type only, never page text
        raise ExtractionFailed("the page could not be read")

    @staticmethod
    def _wait(worker: _Worker, seconds: float, budget: Budget | None) -> float:
        """Wait for the worker's answer; stop it past `seconds` or past the request's CPU budget.
        Returns the CPU it spent on this page."""
        start_cpu = _process_cpu(worker.proc.pid)
        deadline = time.monotonic() + seconds
        step = 0.01
        while not worker.replies.poll(step):
            step = min(step * 2, 0.1)
            cpu = _process_cpu(worker.proc.pid)
            used = cpu - start_cpu if cpu is not None and start_cpu is not None else 0.0
            if budget is not None and used > budget.left():
                raise ExtractionTimeout(f"reading the page cost more than {budget.cpu_seconds:g} s of CPU; "
                                        "it was stopped")
            if time.monotonic() > deadline:
                raise ExtractionTimeout(f"reading the page took longer than {seconds:g} s; it was stopped")
        cpu = _process_cpu(worker.proc.pid)
        return cpu - start_cpu if cpu is not None and start_cpu is not None else 0.0

    def close(self) -> None:
        with self._lock:
            workers, self._all = list(self._all), set()
        for worker in workers:
            worker.kill()


_pool: ExtractionPool | None = None
_pool_lock = threading.Lock()


def shared_pool() -> ExtractionPool:
    """One pool per process: every app (and every test's app) shares its warm workers."""
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ExtractionPool()
            atexit.register(_pool.close)
        return _pool


def cap_extraction(analyzer, settings, pool: ExtractionPool | None = None):
    """Make `analyzer` extract HTML in worker processes and refuse oversized text, with the caps of
    `settings`. Returns it. A pool given here keeps its own time cap (tests make short ones); the
    shared pool serves every app of the process, so each app passes its own."""
    analyzer.extract_html = (pool.extract_html if pool is not None else
                             functools.partial(shared_pool().extract_html, seconds=settings.extract_seconds))
    analyzer.max_chars = settings.max_text_chars
    analyzer.max_clauses = settings.max_clauses
    analyzer.cpu_seconds = settings.request_cpu_seconds
    analyzer.model_budget = settings.model_tokens
    return analyzer
