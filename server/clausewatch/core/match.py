"""A finding, and one rule applied to one clause with every regex search under a timeout."""

from __future__ import annotations

from dataclasses import dataclass, fields

from .rules import Rule

# A search that takes this long on one clause is pathological, not slow: skip it and say so.
# Built-in rules take milliseconds (redos.py checks them at 0.1 s of CPU); the wide wall-clock
# margin keeps a busy machine from silently dropping a finding, so the same text gets the same grade.
SEARCH_TIMEOUT = 1.0


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
        # Every field is a str or an int: no need for asdict's recursive deep copy (9 ms a page).
        return {name: getattr(self, name) for name in FINDING_FIELDS}


FINDING_FIELDS = tuple(f.name for f in fields(Finding))


def apply_rule(rule: Rule, text: str, timeout: float = SEARCH_TIMEOUT):
    """Return (span, severity) when the rule fires on `text`, else None.

    TimeoutError propagates: the caller decides whether a slow rule is skipped or fatal.
    """
    def search(pattern):
        return pattern.search(text, timeout=timeout)

    first = None
    for pattern in rule.patterns:
        m = search(pattern)
        if m and (first is None or m.start() < first.start()):
            first = m
    if first is None:
        return None
    if not all(search(p) for p in rule.requires):
        return None
    if any(search(p) for p in rule.unless):
        return None
    span = first.span()
    if rule.highlight is not None:
        h = search(rule.highlight)
        if h and h.end() > h.start():
            span = h.span()
    severity = rule.severity
    for pattern, level in rule.escalate:
        if search(pattern):
            severity = level
            break
    return span, severity
