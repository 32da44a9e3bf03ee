"""The pure pipeline: extract -> screen -> segment -> detect -> score. No Flask, no SQLite."""

from __future__ import annotations

import hashlib
import logging
import time
from collections import OrderedDict
from dataclasses import dataclass, field

from .cache import AnalysisCache, request_key
from .detect import MAX_MODEL_CLAUSES, Detector
from .extract import Extracted, extract_html, extract_text
from .budget import MAX_CLAUSES, Budget, check_clause_count, check_text_length, current_budget
from .match import Finding
from .score import grade
from .screen import screen
from .segment import Clause, segment

log = logging.getLogger(__name__)

# How often a caller asks again while an analysis says "reading". Every request reads at least one
# clause and the model reads at most detect.MAX_MODEL_CLAUSES of a page, so the count is bounded
# anyway; this is the safety net (the extension keeps the same number in background/server.js).
READING_ROUNDS = 64
READING_PAGES = 8


@dataclass(slots=True)
class Analysis:
    text: str
    clauses: list[Clause]
    findings: list[Finding]
    grade: dict | None  # None when the page was not graded (see `status`)
    document: dict
    warnings: list[str] = field(default_factory=list)
    # "analysed", or why there is no grade: "unsupported_language" | "not_a_policy" (screen.py), or
    # "reading": the request's model budget ran out; the same request again reads on (detect.Reading)
    status: str = "analysed"
    screening: dict = field(default_factory=dict)
    progress: dict | None = None  # {"read": clauses, "of": clauses} while status is "reading"


def content_hash(text: str) -> str:
    # Whitespace alone is no change of the document.
    return hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest()


class Analyzer:
    def __init__(self, detector: Detector, max_seconds: float | None = None):
        self.detector = detector
        self.max_seconds = max_seconds
        self.cache = AnalysisCache()  # per rule set: a new Analyzer starts empty
        # The server swaps in a time-capped extractor and its caps (web/extraction_pool.cap_extraction).
        self.extract_html = extract_html
        self.max_chars: int | None = None
        self.max_clauses = MAX_CLAUSES
        # CPU seconds one analysis may spend (budget.Budget); None (the CLI, evaluation) is no cap.
        self.cpu_seconds: float | None = None
        # Tokens the model may read per request (ClauseEncoder.cost); None (the CLI, evaluation)
        # reads the page whole. The server sets it (web/extraction_pool.cap_extraction).
        self.model_budget: int | None = None
        # Pages part read (status "reading"), by request key: the next request reads on without
        # extracting, screening and splitting the page again. A few pages: one per open tab at most.
        self._reading: OrderedDict[str, tuple] = OrderedDict()

    @property
    def rules(self):
        return self.detector.rules

    def analyze(self, *, html: str | None = None, text: str | None = None, url: str = "",
                title: str = "", pdf: bytes | None = None, gate: bool = False) -> Analysis:
        """`gate`: a page the user or the watcher opened is graded only when it is in English and
        is terms or a policy (screen.py); evaluation and benchmarks grade every text they give."""
        # The same page again (a reopened popup, a reload, the watcher) is answered from memory.
        key = request_key(html=html, text=text, url=url, title=title, pdf=pdf) + ("/gate" if gate else "")
        cached = self.cache.get(key)
        if cached is not None:
            return cached
        analysis = self._analyze(html=html, text=text, url=url, title=title, pdf=pdf, gate=gate, key=key)
        if analysis.status != "reading":  # a part read is asked again, and must read on
            self.cache.put(key, analysis)
        return analysis

    def _analyze(self, *, html: str | None, text: str | None, url: str, title: str, pdf: bytes | None = None,
                 gate: bool = False, key: str = "") -> Analysis:
        started = time.monotonic()
        # The server's request budget when there is one (it also covers the diff), else our own.
        budget = current_budget.get() or (Budget(self.cpu_seconds, self.max_seconds) if self.cpu_seconds else None)
        begun = self._reading.pop(key, None)
        if begun is not None:  # read on: the page was extracted, screened, split and hashed last time
            return self._detect(key, *begun, url=url, title=title, started=started, budget=budget)
        check = budget.check if budget is not None else None
        cpu_check = budget.check_cpu if budget is not None else None
        if self.max_chars is not None and text is not None:
            check_text_length(text, self.max_chars)  # before any work on it, not after extraction
        # PDF bytes go through extract_html too (extract.py hands them to pdf.py), so they are read
        # in the server's killable, time-capped extraction worker like any page.
        source = pdf if pdf is not None else html
        token = current_budget.set(budget)  # the extraction pool charges its worker's CPU to it
        try:
            extracted: Extracted = (self.extract_html(source, url or None) if source is not None
                                    else extract_text(text or ""))
        finally:
            current_budget.reset(token)
        if self.max_chars is not None:
            check_text_length(extracted.text, self.max_chars)
        if check:
            check("reading the page")
        # Not English, or not terms at all: no grade to give (screen.py), so no detection either.
        screening = screen(extracted.text, extracted.blocks, title or extracted.title)
        if gate and not screening.passed:
            return Analysis(extracted.text, [], [], None, self._document(extracted, [], url, title, screening.language),
                            status=screening.status, screening=screening.to_dict())
        clauses = segment(extracted.text, extracted.blocks)
        if self.max_chars is not None:  # the server's caps (cap_extraction), not the CLI's
            check_clause_count(len(clauses), self.max_clauses)
        if check:
            check("splitting clauses")
        return self._detect(key, extracted, screening, clauses, url=url, title=title, started=started, budget=budget)

    def _detect(self, key: str, extracted: Extracted, screening, clauses: list[Clause], document: dict | None = None,
                *, url: str, title: str, started: float, budget: Budget | None) -> Analysis:
        """Detection and the answer; `document` is kept from the request that began a page read in parts."""
        deadline = started + self.max_seconds if self.max_seconds else None
        reading = self.detector.read(extracted.text, clauses, model_budget=self.model_budget, deadline=deadline,
                                     check=budget.check if budget else None,
                                     cpu_check=budget.check_cpu if budget else None)
        if document is None:
            document = self._document(extracted, clauses, url, title, screening.language)
        if not reading.complete:
            self._reading[key] = (extracted, screening, clauses, document)
            while len(self._reading) > READING_PAGES:
                self._reading.popitem(last=False)
            return Analysis(extracted.text, clauses, [], None, document, reading.warnings, status="reading",
                            screening=screening.to_dict(), progress={"read": reading.read, "of": reading.of})
        return Analysis(extracted.text, clauses, reading.findings, grade(reading.findings), document,
                        reading.warnings, screening=screening.to_dict())

    @staticmethod
    def _document(extracted: Extracted, clauses: list[Clause], url: str, title: str, language: str) -> dict:
        return {
            "url": url,
            "title": title or extracted.title,
            "language": language,
            "words": len(extracted.text.split()),
            "clauses": sum(1 for c in clauses if c.kind != "heading"),
            "content_hash": content_hash(extracted.text),
            "extraction": extracted.method,
        }

    @classmethod
    def load(cls, rules_dir, user_rules_dir=None, *, use_model: bool = True, model_threads: int | None = None,
             model_max_clauses: int = MAX_MODEL_CLAUSES, max_seconds: float | None = None) -> "Analyzer":
        """The rules of `rules_dir` (and the user's), with the clause encoder unless `use_model` is
        False or its files fail their check. services.build_analyzer passes the settings' values."""
        from .rules import load_rules
        rules, _warnings = load_rules(rules_dir, user_rules_dir)
        encoder = load_encoder(model_threads) if use_model else None
        return cls(Detector(rules, encoder, max_model_clauses=model_max_clauses), max_seconds=max_seconds)


def load_encoder(threads: int | None = None):
    """The clause encoder, or None (rules alone) when its files fail their check."""
    from .encoder import ClauseEncoder, ModelError
    try:
        return ClauseEncoder(threads=threads)
    except ModelError as exc:
        log.warning("running on the rules alone: %s", exc)
        return None
