"""A finding, and one rule applied to one clause with every regex search under a timeout."""

from __future__ import annotations

from dataclasses import dataclass, fields

import regex

from .rules import Rule

# A search that takes this long on one clause is pathological, not slow: skip it and say so.
# Built-in rules take milliseconds (redos.py checks them at 0.1 s of CPU); the wide wall-clock
# margin keeps a busy machine from silently dropping a finding, so the same text gets the same grade.
SEARCH_TIMEOUT = 1.0


# "We will not disclose it without your consent, unless the law requires" is a promise with an
# exception, not a practice done without consent. An escalation whose match begins with a
# "without" that a not or never governs (up to six words back, no punctuation between) does not
# fire; a later match of the same escalation still may. One place for what eight rule files
# used to spell out as a look-behind, and user rules get it too.
WITHOUT = regex.compile(r"without\b", regex.IGNORECASE)
GOVERNED = regex.compile(r"\b(?:not|never)(?:[^\w.,;:]+\w+){0,6}[^\w.,;:]+\Z", regex.IGNORECASE)
GOVERNED_CHARS = 200  # six words back is far less; hostile text pays for no more than this


def _negated_without(text: str, at: int) -> bool:
    return WITHOUT.match(text, at) is not None and GOVERNED.search(text, max(0, at - GOVERNED_CHARS), at) is not None


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
        if any(not _negated_without(text, m.start()) for m in pattern.finditer(text, timeout=timeout)):
            severity = level
            break
    return span, severity
