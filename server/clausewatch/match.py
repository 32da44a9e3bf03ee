"""Run compiled rules over clauses, each regex search under a timeout, and return findings."""

from __future__ import annotations

import time
from dataclasses import dataclass, fields

from .prefilter import Prefilter
from .rules import Rule
from .segment import Clause
from .taxonomy import SEVERITY_RANK

# A search that takes this long on one clause is pathological, not slow: skip it and say so.
# Built-in rules take milliseconds (redos.py checks them at 0.25 s of CPU); the wide wall-clock
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


def apply_rule(rule: Rule, text: str, timeout: float = SEARCH_TIMEOUT, search=None):
    """Return (span, severity) when the rule fires on `text`, else None.

    `search(pattern)`, when given, stands for `pattern.search(text, timeout=timeout)`: the
    matcher's version skips patterns whose keywords are absent and remembers results per clause.
    TimeoutError propagates: the caller decides whether a slow rule is skipped or fatal.
    """
    if search is None:
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


def _patterns_of(rule: Rule):
    yield from (*rule.patterns, *rule.requires, *rule.unless, *(p for p, _ in rule.escalate))
    if rule.highlight is not None:
        yield rule.highlight


def _bits(mask: int):
    """Indices of the set bits, lowest first (rule order)."""
    while mask:
        low = mask & -mask
        yield low.bit_length() - 1
        mask ^= low


class Matcher:
    """The compiled rule set; built once per process, shared by every request."""

    def __init__(self, rules: list[Rule], timeout: float = SEARCH_TIMEOUT, prefilter: bool = True):
        self.rules = rules
        self.timeout = timeout
        # Built once here: with 100+ rules, running each rule on each clause is most of the cost.
        self.prefilter = Prefilter(rules) if prefilter else None
        # Rules share patterns (the same "unless" for definitions or opt-in): one search per clause.
        slots: dict[tuple[str, int], int] = {}
        self._slot = {id(p): slots.setdefault((p.pattern, p.flags), len(slots))
                      for r in rules for p in _patterns_of(r)}
        # Rules with the same patterns and severities fire alike on a clause: decided once.
        logic: dict[tuple, int] = {}
        self._logic = [logic.setdefault(self._signature(r), len(logic)) for r in rules]

    def _signature(self, rule: Rule) -> tuple:
        slot = self._slot
        return (tuple(slot[id(p)] for p in rule.patterns), tuple(slot[id(p)] for p in rule.requires),
                tuple(slot[id(p)] for p in rule.unless), slot[id(rule.highlight)] if rule.highlight else None,
                tuple((slot[id(p)], level) for p, level in rule.escalate), rule.severity)

    def _searcher(self, body: str, present: int | None):
        """pattern -> match or None on this clause: skipped when impossible, searched once."""
        memo: dict[int, object] = {}
        slot, pre, timeout = self._slot, self.prefilter, self.timeout

        def search(pattern):
            key = slot.get(id(pattern), -1 - id(pattern))
            if key in memo:
                found = memo[key]
                if isinstance(found, TimeoutError):
                    raise found
                return found
            if present is not None and not pre.possible(pattern, present):
                found = None
            else:
                try:
                    found = pattern.search(body, timeout=timeout)
                except TimeoutError as exc:
                    memo[key] = exc
                    raise
            memo[key] = found
            return found

        return search

    def scan(self, text: str, clauses: list[Clause], deadline: float | None = None):
        """Findings (worst first within a clause, one per category and clause) and warnings."""
        findings: dict[tuple[str, int], Finding] = {}
        warnings: list[str] = []
        pre = self.prefilter
        for clause in clauses:
            if clause.kind == "heading":
                continue
            if deadline is not None and time.monotonic() > deadline:
                raise MatchTimeout("matching ran past its time limit")
            body = text[clause.start:clause.end]
            if pre is None:
                candidates, present = range(len(self.rules)), None
            else:
                present, mask = pre.scan(body)
                candidates = [i for i in _bits(mask) if pre.gate(i, present)]
            search = self._searcher(body, present)
            outcomes: dict[int, object] = {}
            for i in candidates:
                rule, logic = self.rules[i], self._logic[i]
                if logic in outcomes:
                    hit = outcomes[logic]
                else:
                    try:
                        hit = apply_rule(rule, body, self.timeout, search)
                    except TimeoutError:
                        hit = None
                        warnings.append(f"rule {rule.id} timed out on clause at {clause.start}; skipped")
                    outcomes[logic] = hit
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
