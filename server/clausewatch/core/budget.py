"""What one analysis may cost: a CPU budget per request, and caps on text length and clauses.

The defaults here are plain numbers; the server's settings (settings.py, read from the
environment once) pass other values down. The worker pool that enforces the extraction time cap
lives in the web layer (web/extraction_pool.py): the CLI and the tests of the pure pipeline
extract in-process.
"""

from __future__ import annotations

import contextvars
import time

from .extract import ExtractionError

MAX_TEXT_CHARS = 1_000_000  # 10x the longest real policy we know
# CPU one analysis may spend, extraction in its worker included. The longest real policy we know
# costs about 0.1 s; bench/adversarial.md has what hostile pages cost under this cap. Decoding,
# storing and answering a page cost up to half a second more, outside this budget.
REQUEST_CPU_SECONDS = 1.0
# 10x the clauses of the longest real policy we know; 400 KB of "1. " made 65,000 of them.
MAX_CLAUSES = 20_000


class LimitExceeded(ExtractionError):
    """A cap was hit; `code` and `status` are what the API answers."""

    code, status = "limit_exceeded", 503


# The extraction worker pool's (web/extraction_pool.py); here so every answer code is in one table.
class ExtractionTimeout(LimitExceeded):
    code, status = "extraction_timeout", 503


class ExtractionFailed(LimitExceeded):
    code, status = "extraction_failed", 422


class Busy(LimitExceeded):
    code, status = "busy", 503


class TextTooLong(LimitExceeded):
    code, status = "text_too_long", 413


class TooManyClauses(LimitExceeded):
    code, status = "too_many_clauses", 413


class OverBudget(LimitExceeded):
    code, status = "analysis_timeout", 503


class Budget:
    """What one request may spend: CPU seconds (this thread's, plus what its extraction worker
    charges) and a wall-clock deadline as a hang guard. CPU, not wall time, is the measure, so a
    busy machine does not fail sound requests; `check` raises OverBudget naming the stage."""

    def __init__(self, cpu_seconds: float | None = None, wall_seconds: float | None = None):
        self.cpu_seconds = REQUEST_CPU_SECONDS if cpu_seconds is None else cpu_seconds
        self._cpu_start = time.thread_time()
        self._charged = 0.0
        self.deadline = time.monotonic() + wall_seconds if wall_seconds else None

    def charge(self, cpu: float) -> None:
        """CPU spent for this request elsewhere (the extraction worker)."""
        self._charged += cpu

    def spent(self) -> float:
        return time.thread_time() - self._cpu_start + self._charged

    def left(self) -> float:
        return self.cpu_seconds - self.spent()

    def check_cpu(self, stage: str) -> None:
        """The CPU part alone: for work after a finished step that a busy machine merely slowed."""
        if self.spent() > self.cpu_seconds:
            raise OverBudget(f"this page costs more than {self.cpu_seconds:g} s of CPU to analyse "
                             f"(stopped while {stage}); nothing was stored")

    def check(self, stage: str) -> None:
        self.check_cpu(stage)
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise OverBudget(f"analysing this page took too long (stopped while {stage}); nothing was stored")


# The budget of the request this thread is serving, for the extraction pool (which the Analyzer
# calls through a plain extract_html(html, url) signature).
current_budget: contextvars.ContextVar[Budget | None] = contextvars.ContextVar("clausewatch_budget", default=None)


def check_text_length(text: str, limit: int = MAX_TEXT_CHARS) -> None:
    if len(text) > limit:
        raise TextTooLong(f"the page's text is {len(text):,} characters; clausewatch reads at most {limit:,}")


def check_clause_count(n: int, limit: int = MAX_CLAUSES) -> None:
    if n > limit:
        raise TooManyClauses(f"the page splits into {n:,} clauses; clausewatch reads at most {limit:,}")
