"""The pure pipeline: extract -> segment -> detect -> score. No Flask, no SQLite."""

from __future__ import annotations

import hashlib
import logging
import os
import time
from collections import Counter
from dataclasses import dataclass, field

import regex

from .cache import AnalysisCache, request_key
from .extract import Extracted, extract_html, extract_text
from .detect import Detector
from .limits import Budget, check_clause_count, check_text_length, current_budget
from .match import Finding
from .score import grade
from .segment import Clause, segment

# A handful of very common words per language is enough to tell the languages we have data for.
STOPWORDS = {
    "en": {"the", "and", "of", "to", "you", "we", "your", "is", "or", "that"},
    "de": {"der", "die", "und", "das", "sie", "wir", "nicht", "ist", "oder", "mit"},
    "it": {"il", "di", "che", "e", "la", "per", "non", "gli", "della", "sono"},
    "pl": {"i", "w", "na", "nie", "się", "z", "do", "jest", "że", "lub"},
    "fr": {"le", "la", "les", "et", "des", "vous", "nous", "est", "pas", "pour"},
    "es": {"el", "la", "de", "que", "y", "los", "las", "para", "usted", "por"},
}
WORD = regex.compile(r"\p{L}+")
log = logging.getLogger(__name__)


@dataclass(slots=True)
class Analysis:
    text: str
    clauses: list[Clause]
    findings: list[Finding]
    grade: dict
    document: dict
    warnings: list[str] = field(default_factory=list)


def content_hash(text: str) -> str:
    # Whitespace alone is no change of the document.
    return hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest()


def guess_language(text: str) -> str:
    # Each distinct word counted once, then looked up per language (not every word per language).
    counts = Counter(w.lower() for w in WORD.findall(text[:20000]))
    scores = {lang: sum(counts[w] for w in stop) for lang, stop in STOPWORDS.items()}
    best = max(scores, key=scores.get)
    return best if scores[best] >= 3 else "und"


class Analyzer:
    def __init__(self, detector: Detector, max_seconds: float | None = None):
        self.detector = detector
        self.max_seconds = max_seconds
        self.cache = AnalysisCache()  # per rule set: a new Analyzer starts empty
        # The server swaps in a time-capped extractor and a text-length cap (limits.cap_extraction).
        self.extract_html = extract_html
        self.max_chars: int | None = None
        # CPU seconds one analysis may spend (limits.Budget); None (the CLI, evaluation) is no cap.
        self.cpu_seconds: float | None = None

    def analyze(self, *, html: str | None = None, text: str | None = None, url: str = "",
                title: str = "") -> Analysis:
        # The same page again (a reopened popup, a reload, the watcher) is answered from memory.
        key = request_key(html=html, text=text, url=url, title=title)
        cached = self.cache.get(key)
        if cached is not None:
            return cached
        analysis = self._analyze(html=html, text=text, url=url, title=title)
        self.cache.put(key, analysis)
        return analysis

    def _analyze(self, *, html: str | None, text: str | None, url: str, title: str) -> Analysis:
        started = time.monotonic()
        # The server's request budget when there is one (it also covers the diff), else our own.
        budget = current_budget.get() or (Budget(self.cpu_seconds, self.max_seconds) if self.cpu_seconds else None)
        check = budget.check if budget is not None else None
        if self.max_chars is not None and text is not None:
            check_text_length(text, self.max_chars)  # before any work on it, not after extraction
        token = current_budget.set(budget)  # the extraction pool charges its worker's CPU to it
        try:
            extracted: Extracted = (self.extract_html(html, url or None) if html is not None
                                    else extract_text(text or ""))
        finally:
            current_budget.reset(token)
        if self.max_chars is not None:
            check_text_length(extracted.text, self.max_chars)
        if check:
            check("reading the page")
        clauses = segment(extracted.text, extracted.blocks)
        if self.max_chars is not None:  # the server's caps (limits.cap_extraction), not the CLI's
            check_clause_count(len(clauses))
        if check:
            check("splitting clauses")
        deadline = started + self.max_seconds if self.max_seconds else None
        findings, warnings = self.detector.scan(extracted.text, clauses, deadline=deadline, check=check)
        document = {
            "url": url,
            "title": title or extracted.title,
            "language": guess_language(extracted.text),
            "words": len(extracted.text.split()),
            "clauses": sum(1 for c in clauses if c.kind != "heading"),
            "content_hash": content_hash(extracted.text),
            "extraction": extracted.method,
        }
        return Analysis(extracted.text, clauses, findings, grade(findings), document, warnings)

    @classmethod
    def from_settings(cls, settings) -> "Analyzer":
        from .rules import load_rules
        rules, _warnings = load_rules(settings.rules_dir, settings.user_rules_dir)
        return cls(Detector(rules, load_encoder()), max_seconds=settings.analysis_seconds)

    @property
    def rules(self):
        return self.detector.rules


def load_encoder():
    """The clause encoder, or None (rules alone) when turned off or when its files fail their check."""
    # CLAUSEWATCH_NO_MODEL=1 measures the rules alone (bench/accuracy.md reports both).
    if os.environ.get("CLAUSEWATCH_NO_MODEL"):
        return None
    from .encoder import ClauseEncoder, ModelError
    try:
        return ClauseEncoder()
    except ModelError as exc:
        log.warning("running on the rules alone: %s", exc)
        return None
