"""Run compiled rules over clauses, each regex search under a timeout, and return findings."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass

from .rules import Rule
from .segment import Clause
from .taxonomy import SEVERITY_RANK

# A search that takes this long on one clause is pathological, not slow: skip it and say so.
SEARCH_TIMEOUT = 0.25


class MatchTimeout(RuntimeError):
    """The whole matching pass ran past its deadline."""


@dataclass(slots=True)
class Finding:
    id: str
    category: str
    severity: str
    polarity: str
    title: str
    explanation: str
    quote: str
    match: str
    rule: str
    start: int
    end: int
    match_start: int
    match_end: int

    def to_dict(self) -> dict:
        return asdict(self)


def _search(pattern, text, timeout):
    return pattern.search(text, timeout=timeout)


def apply_rule(rule: Rule, text: str, timeout: float = SEARCH_TIMEOUT):
    """Return (span, severity) when the rule fires on `text`, else None.

    TimeoutError propagates: the caller decides whether a slow rule is skipped or fatal.
    """
    first = None
    for pattern in rule.patterns:
        m = _search(pattern, text, timeout)
        if m and (first is None or m.start() < first.start()):
            first = m
    if first is None:
        return None
    if not all(_search(p, text, timeout) for p in rule.requires):
        return None
    if any(_search(p, text, timeout) for p in rule.unless):
        return None
    span = first.span()
    if rule.highlight is not None:
        h = _search(rule.highlight, text, timeout)
        if h and h.end() > h.start():
            span = h.span()
    severity = rule.severity
    for pattern, level in rule.escalate:
        if _search(pattern, text, timeout):
            severity = level
            break
    return span, severity


class Matcher:
    """The compiled rule set; built once per process, shared by every request."""

    def __init__(self, rules: list[Rule], timeout: float = SEARCH_TIMEOUT):
        self.rules = rules
        self.timeout = timeout

    def scan(self, text: str, clauses: list[Clause], deadline: float | None = None):
        """Findings (worst first within a clause, one per category and clause) and warnings."""
        findings: dict[tuple[str, int], Finding] = {}
        warnings: list[str] = []
        for clause in clauses:
            if clause.kind == "heading":
                continue
            if deadline is not None and time.monotonic() > deadline:
                raise MatchTimeout("matching ran past its time limit")
            body = text[clause.start:clause.end]
            for rule in self.rules:
                try:
                    hit = apply_rule(rule, body, self.timeout)
                except TimeoutError:
                    warnings.append(f"rule {rule.id} timed out on clause at {clause.start}; skipped")
                    continue
                if hit is None:
                    continue
                (s, e), severity = hit
                key = (rule.category, clause.start)
                old = findings.get(key)
                if old is not None and SEVERITY_RANK[old.severity] <= SEVERITY_RANK[severity]:
                    continue
                findings[key] = Finding(
                    id=f"{rule.id}@{clause.start}", category=rule.category, severity=severity,
                    polarity=rule.polarity, title=rule.title, explanation=rule.message,
                    quote=body, match=body[s:e], rule=rule.id, start=clause.start, end=clause.end,
                    match_start=clause.start + s, match_end=clause.start + e,
                )
        ordered = sorted(findings.values(), key=lambda f: (f.start, SEVERITY_RANK[f.severity], f.category))
        return ordered, warnings
