"""Run compiled rules over clauses, each regex search under a timeout, and return findings."""

from __future__ import annotations

import functools
import logging
import re
import time
from dataclasses import dataclass, fields

import regex

from .prefilter import Prefilter
from .rules import Rule
from .segment import Clause
from .taxonomy import SEVERITY_RANK

log = logging.getLogger(__name__)

# A search that takes this long on one clause is pathological, not slow: skip it and say so.
# Built-in rules take milliseconds (redos.py checks them at 0.25 s of CPU); the wide wall-clock
# margin keeps a busy machine from silently dropping a finding, so the same text gets the same grade.
SEARCH_TIMEOUT = 1.0
# In a pattern's source: escapes that may name any character, and ranges with a non-ASCII end.
# Such a pattern could stand for a character that folds to several (ß), so it never gets a twin.
OPAQUE_SOURCE = re.compile(r"\\[xuUN0-7]|[^\x00-\x7f]-|-[^\x00-\x7f]")


@functools.cache
def expanding() -> re.Pattern:
    """Characters whose full case folding is more than one character (ß -> ss, ﬆ -> st, İ).

    Full case folding (regex.V1 | IGNORECASE) differs from simple case folding only where the
    text or the pattern holds one of these: then "ss" matches "ß". Elsewhere the two agree, and
    simple folding searches 2 to 30 times faster. Astral characters all count, to be safe.
    """
    chars = {c for c in map(chr, range(0x10000)) if len(c.casefold()) > 1}
    try:
        from regex import _regex
        chars.update(c for c in _regex.get_expand_on_folding() if len(c) == 1)
    except (ImportError, AttributeError):
        pass
    return re.compile("[" + "".join(re.escape(c) for c in sorted(chars) if c < "\U00010000")
                      + "\U00010000-\U0010ffff]")


def simple_twin(pattern):
    """`pattern` with simple case folding: the same matches on text that `expanding()` does not
    hit. The pattern itself when it is not case-insensitive or might hold an expanding character."""
    if not pattern.flags & regex.FULLCASE or not pattern.flags & regex.IGNORECASE:
        return pattern
    source = pattern.pattern
    if not isinstance(source, str) or expanding().search(source) or OPAQUE_SOURCE.search(source):
        return pattern
    try:
        twin = regex.compile("(?-f)" + source, pattern.flags)
    except (regex.error, ValueError, TypeError):
        return pattern
    return pattern if twin.flags & regex.FULLCASE else twin


# A user rule that spends more CPU than this on one clause is switched off for good (with a
# warning): redos.py's load-time check cannot prove a pattern fast, and one slow rule would
# otherwise cost this much on every clause of every page. Built-in rules take microseconds.
USER_RULE_CLAUSE_SECONDS = 0.1


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

    The plain reading of a rule, for `rules check` and the tests; `Matcher` decides the same on
    shared, memoised searches (tests/test_match.py holds the two to the same answers).
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


class Matcher:
    """The compiled rule set; built once per process, shared by every request."""

    def __init__(self, rules: list[Rule], timeout: float = SEARCH_TIMEOUT, prefilter: bool = True,
                 simple_fold: bool = True):
        self.rules = rules
        self.timeout = timeout
        self.switched_off = 0  # bits of user rules that blew their per-clause budget (_switch_off)
        # Clauses without an expanding character are searched with simple case folding (same
        # matches, much faster); simple_fold=False keeps full folding everywhere (tests compare).
        self._expanding = expanding() if simple_fold else None
        # Built once here: with 100+ rules, running each rule on each clause is most of the cost.
        self.prefilter = Prefilter(rules) if prefilter else None
        # Rules share patterns (the same "unless" for definitions or opt-in): one search per clause.
        slots: dict[tuple[str, int], int] = {}
        self._slot = {id(p): slots.setdefault((p.pattern, p.flags), len(slots))
                      for r in rules for p in r.all_patterns()}
        # Per slot: the pattern, and the prefilter conditions a clause must meet for it to match.
        self._pattern = [None] * len(slots)
        self._twin = [None] * len(slots)  # compiled on first use: most are, and compiling costs
        self._need = [0] * len(slots)
        for r in rules:
            for p in r.all_patterns():
                self._pattern[self._slot[id(p)]] = p
                if self.prefilter is not None:
                    self._need[self._slot[id(p)]] = self.prefilter.need[id(p)]
        # Rules with the same patterns and severities fire alike on a clause: decided once.
        logic: dict[tuple, int] = {}
        self._plan = [self._signature(r) for r in rules]
        self._logic = [logic.setdefault(plan, len(logic)) for plan in self._plan]
        # Checked before a rule is tried, as most candidates fail it (Prefilter.gates); without a
        # prefilter every clause meets every condition, so a zero per pattern lets each rule through.
        self._gates = self.prefilter.gates if self.prefilter is not None else [(0,) * len(r.patterns) for r in rules]

    def _switch_off(self, i: int, spent: float, warnings: list[str]) -> None:
        self.switched_off |= 1 << i
        rule = self.rules[i]
        message = (f"user rule disabled: {rule.path}: it took {spent:.2f} s of CPU on one clause "
                   f"(at most {USER_RULE_CLAUSE_SECONDS:g} s); fix its patterns and restart clausewatch")
        warnings.append(message)
        log.warning(message)

    def prepare(self) -> "Matcher":
        """Compile every simple-folding twin now instead of on first use (0.6 s of CPU for the
        built-in rules): for a warm-up, so that a measurement or a first page does not pay it."""
        for s, pattern in enumerate(self._pattern):
            if self._twin[s] is None:
                self._twin[s] = simple_twin(pattern)
        return self

    def _signature(self, rule: Rule) -> tuple:
        """The rule as slots: (patterns, requires, unless, highlight or -1, escalate, severity)."""
        slot = self._slot
        return (tuple(slot[id(p)] for p in rule.patterns), tuple(slot[id(p)] for p in rule.requires),
                tuple(slot[id(p)] for p in rule.unless), slot[id(rule.highlight)] if rule.highlight else -1,
                tuple((slot[id(p)], level) for p, level in rule.escalate), rule.severity)

    def _searcher(self, body: str, met: int):
        """slot -> match or None on this clause: skipped when impossible, searched once.

        A search that timed out raises again for every rule that asks for it on this clause.
        """
        memo: dict[int, object] = {}
        need, timeout = self._need, self.timeout
        simple = self._expanding is not None and (body.isascii() or not self._expanding.search(body))
        patterns = self._twin if simple else self._pattern

        def search(s):
            found = memo.get(s, memo)
            if found is memo:
                n = need[s]
                if met & n != n:
                    found = None
                else:
                    pattern = patterns[s]
                    if pattern is None:
                        pattern = patterns[s] = simple_twin(self._pattern[s])
                    try:
                        found = pattern.search(body, timeout=timeout)
                    except TimeoutError as exc:
                        found = exc
                memo[s] = found
            if found is not None and found.__class__ is TimeoutError:
                raise found
            return found

        return search

    def _decider(self, met: int, search):
        """plan -> (span, severity) or None: apply_rule on slots, with the same searches in the
        same order (so the same timeouts), minus those the prefilter rules out."""
        need = self._need

        def decide(plan):
            pattern_slots, requires, unless, highlight, escalate, severity = plan
            first = None
            for s in pattern_slots:
                n = need[s]
                if met & n == n:
                    m = search(s)
                    if m is not None and (first is None or m.start() < first.start()):
                        first = m
            if first is None:
                return None
            for s in requires:
                if search(s) is None:
                    return None
            for s in unless:
                n = need[s]
                if met & n == n and search(s) is not None:
                    return None
            span = first.span()
            if highlight >= 0:
                h = search(highlight)
                if h is not None and h.end() > h.start():
                    span = h.span()
            for s, level in escalate:
                n = need[s]
                if met & n == n and search(s) is not None:
                    return span, level
            return span, severity

        return decide

    def scan(self, text: str, clauses: list[Clause], deadline: float | None = None, check=None):
        """Findings (worst first within a clause, one per category and clause) and warnings.
        `check` (the request's CPU budget, limits.Budget.check) is called per clause and raises."""
        findings: dict[tuple[str, int], Finding] = {}
        warnings: list[str] = []
        pre, rules, plans, logics = self.prefilter, self.rules, self._plan, self._logic
        gates = self._gates
        everything = (1 << len(rules)) - 1
        for clause in clauses:
            if clause.kind == "heading":
                continue
            if deadline is not None and time.monotonic() > deadline:
                raise MatchTimeout("matching ran past its time limit")
            if check is not None:
                check("matching rules")
            body = text[clause.start:clause.end]
            if pre is None:
                met, mask = -1, everything  # -1 meets every condition: nothing is skipped
            else:
                met, mask = pre.scan(body)
            mask &= ~self.switched_off
            decide = None  # made for the first rule that can fire: most clauses have none
            outcomes: dict[int, object] = {}
            while mask:
                low = mask & -mask
                mask ^= low
                i = low.bit_length() - 1
                for gate in gates[i]:
                    if met & gate == gate:
                        break
                else:
                    continue  # decide() would search nothing and return None
                if decide is None:
                    decide = self._decider(met, self._searcher(body, met))
                logic = logics[i]
                if logic in outcomes:
                    hit = outcomes[logic]
                else:
                    spent = time.thread_time()
                    try:
                        hit = decide(plans[i])
                    except TimeoutError:
                        hit = None
                        warnings.append(f"rule {rules[i].id} timed out on clause at {clause.start}; skipped")
                    spent = time.thread_time() - spent
                    if rules[i].user and spent > USER_RULE_CLAUSE_SECONDS:
                        self._switch_off(i, spent, warnings)
                    outcomes[logic] = hit
                if hit is None:
                    continue
                rule = rules[i]
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
