"""Keywords that every match of a pattern must contain, found in a clause in one pass.

A rule can only fire on a clause that holds one of its patterns' keywords (and one of each
`requires` pattern's), so most (rule, clause) pairs are skipped without running a regex. The
keywords are derived from the patterns themselves, so a rule author declares nothing.

Why it never changes a result: a keyword is a maximal run of literal characters that the parse
tree says every match contains. Clauses are compared casefolded, so a keyword counts as present
whenever the IGNORECASE (full case folding) regex could match it, and sometimes when it could not;
the prefilter can only run a rule that then does not fire, never skip one that would.
Patterns we cannot read with certainty (regex-only syntax) get no keywords: always run.
"""

from __future__ import annotations

import functools
import re
import warnings
from functools import reduce
from operator import or_
from re import _constants as C  # noqa: N812
from re import _parser as sre_parse

import regex

# A keyword shorter than this matches nearly every clause: it costs more than it saves.
MIN_KEYWORD = 2
# A run of literal text with alternatives ('collect(?:s|ed)') is kept as at most this many strings.
MAX_CHOICES = 64
# Characters that only appear in a "literal" when sre and the regex module read the pattern
# differently (V1 nested sets, fuzzy `{e<=1}`): such a pattern gets no keywords.
SUSPECT = set("[]{}")
Condition = tuple[frozenset[str], ...]  # all of these sets must each have one keyword present
# Share (%) of paragraphs holding each of the commonest words of terms_corpus (Open Terms Archive),
# counted once: only used to prefer rare keywords ("gps" over "data" in 'gps\W+data').
COMMON = {w: int(n) for w, n in (item.split(":") for item in """
the:53 to:52 and:48 of:45 or:41 you:35 in:32 your:29 for:29 that:25 we:24 with:23 information:22 any:21
may:20 by:20 use:20 is:19 our:19 services:19 on:19 as:18 not:17 be:17 data:16 if:16 are:16 other:15
this:15 will:13 from:13 such:12 personal:12 have:11 service:11 content:10 us:10 terms:10 including:10
privacy:10 these:9 at:9 an:9 about:8 account:8 third:8 can:8 all:8 which:8 provide:8 it:7 party:7
when:7 do:7 access:7 applicable:7 policy:6 user:6 legal:6 also:6 under:6 rights:6 users:6 time:6 law:5
right:5 using:5 through:5 its:5 please:5 agreement:5 collect:5 how:4 more:4 provided:4 shall:4
without:4 no:4 out:4 agree:4 available:4 parties:4 otherwise:4 products:4 section:4 their:4 contact:4
make:4 where:4 purposes:4 customer:4 support:4 only:4 email:4 certain:4 address:4 used:4 policies:4
process:4 example:4 request:4 notice:4 help:4 subject:4 processing:3 but:3 website:3 has:3 must:3
site:3 following:3 business:3 limited:3 advertising:3 security:3 so:3 laws:3 share:3 include:3
cookies:3 device:3 company:3 related:3 based:3 responsible:3 some:3 consent:3 order:3 required:3
means:3 payment:3 platform:3 who:3 apply:3 does:3 those:3 app:3 protection:3 part:3 set:3 they:3
necessary:3 purpose:3 additional:3 non:3 features:2 conditions:2 within:2 via:2 see:2 receive:2 name:2
connection:2 websites:2 below:2 whether:2 each:2 sites:2 specific:2 unless:2 accordance:2 one:2
relevant:2 comply:2 software:2 number:2 settings:2 ads:2 made:2 like:2 after:2 them:2 between:2
described:2 activity:2
""".split())}
# Distinct words remembered with their keywords; cleared when full so memory stays bounded.
WORD_CACHE = 200_000


def _literal_choices(op, av) -> list[str] | None:
    """The strings one parsed item matches when it is plain literal text, else None."""
    if op is C.LITERAL:
        return [chr(av)]
    if op is C.IN and all(o is C.LITERAL for o, _ in av):
        return [chr(a) for _, a in av]  # sre turns (?:d|e) into [de]
    if op is C.BRANCH:
        out = []
        for alt in av[1]:
            if not all(o is C.LITERAL for o, _ in alt):
                return None
            out.append("".join(chr(a) for _, a in alt))
        return out  # sre factors (?:share|send) into s(?:hare|end): put the prefix back
    return None


def _lead(alt) -> str:
    """The literal characters an alternative starts with."""
    chars = []
    for op, av in alt:
        if op is not C.LITERAL:
            break
        chars.append(chr(av))
    return "".join(chars)


def _runs_and_sets(items) -> list[frozenset[str]]:
    """The sets (each: one of these strings is in every match) that a parsed sequence implies."""
    sets: list[frozenset[str]] = []
    run: list[str] = []  # the strings the literal text read so far can be (one of them is there)

    def close():
        if run and any(run):
            sets.append(frozenset(run))
        run.clear()

    for op, av in items:
        choices = _literal_choices(op, av)
        if choices is not None:
            if len(run) * len(choices) > MAX_CHOICES:
                close()
            run[:] = [a + b for a in (run or [""]) for b in choices]
            continue
        if op is C.BRANCH and run and len(run) * len(av[1]) <= MAX_CHOICES:
            # Each alternative starts with its own literal text: the run goes on into it.
            run[:] = [a + _lead(alt) for a in run for alt in av[1]]
        close()
        if op is C.BRANCH:
            union: set[str] = set()
            for alt in av[1]:
                best = _best(_runs_and_sets(alt))
                if best is None:
                    union = set()
                    break
                union |= best
            if union:
                sets.append(frozenset(union))
        elif op is C.SUBPATTERN:
            sets.extend(_runs_and_sets(av[-1]))
        elif op is C.ATOMIC_GROUP:
            sets.extend(_runs_and_sets(av))
        elif op in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT):
            if av[0] >= 1:
                sets.extend(_runs_and_sets(av[2]))
        # Anything else (classes, anchors, lookarounds, backreferences) adds nothing and ends the run.
    close()
    return sets


@functools.lru_cache(maxsize=None)
def _share(keyword: str) -> float:
    """Rough percentage of policy paragraphs that hold the keyword: picks the rarest keyword set."""
    known = [share for word, share in COMMON.items() if keyword in word]
    return max(known) if known else 4 / len(keyword)


def _score(keywords: frozenset[str]) -> tuple:
    # Higher is better: a rarer set lets fewer clauses through to the regexes.
    return (-sum(_share(k.casefold()) for k in keywords), min(len(k) for k in keywords))


def _best(sets: list[frozenset[str]]) -> frozenset[str] | None:
    usable = [s for s in sets if min(len(k) for k in s) >= MIN_KEYWORD]
    return max(usable, key=_score) if usable else None


def keywords(pattern: regex.Pattern) -> Condition:
    """Casefolded keyword sets that a match of `pattern` must each hit; () when none are known."""
    return _keywords(pattern.pattern, bool(pattern.flags & regex.VERBOSE))


@functools.lru_cache(maxsize=4096)
def _keywords(source: str, verbose: bool) -> Condition:
    try:
        with warnings.catch_warnings():
            # sre warns where the regex module reads a pattern differently ("possible nested set").
            warnings.simplefilter("error")
            parsed = sre_parse.parse(source, re.VERBOSE if verbose else 0)
    except (re.error, ValueError, TypeError, OverflowError, RecursionError, Warning):
        return ()  # regex-module syntax (\p{L}, (?V1), nested sets): no keywords, always run
    sets = [s for s in _runs_and_sets(list(parsed)) if min(len(k) for k in s) >= MIN_KEYWORD]
    if any(SUSPECT & set(k) for s in sets for k in s):
        return ()
    folded = {frozenset(k.casefold() for k in s) for s in sets}
    return tuple(sorted(folded, key=_score, reverse=True))


def _trie_regex(words: list[str]) -> str:
    """One alternation shaped as a trie: at each position it returns the longest keyword there."""
    trie: dict = {}
    for w in words:
        node = trie
        for ch in w:
            node = node.setdefault(ch, {})
        node[""] = True

    def emit(node) -> str:
        end = "" in node
        branches = [re.escape(ch) + emit(child) for ch, child in sorted(node.items()) if ch != ""]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if end else body

    return emit(trie)


class Prefilter:
    """Keyword conditions of every pattern of a rule set, and a cheap way to find them in a clause.

    Each distinct keyword set is a condition, one bit of an int, met when one of its keywords is
    in the clause. A pattern needs all of its conditions: one AND tells whether it can match. Each
    distinct word of a clause is looked up once per process (policy vocabulary is small), and gives
    the conditions it meets and the rules it can let through, so a clause costs one OR per word.
    """

    def __init__(self, rules):
        self.rules = list(rules)  # also keeps the patterns alive, so their ids stay theirs
        conditions: dict[int, Condition] = {}
        for rule in self.rules:
            for p in _all_patterns(rule):
                conditions[id(p)] = keywords(p)
        # The keyword set that lets each rule through (None: the rule always runs).
        triggers = [self._trigger(rule) for rule in self.rules]
        words = sorted({k for c in conditions.values() for s in c for k in s})
        index = {w: i for i, w in enumerate(words)}
        sets = sorted({s for c in conditions.values() for s in c} | {t for t in triggers if t is not None},
                      key=sorted)
        self.cond = {s: 1 << j for j, s in enumerate(sets)}
        self.shift = len(sets)
        self.need = {pid: sum(self.cond[s] for s in set(c)) for pid, c in conditions.items()}
        # Per keyword: the conditions it meets and the rules it lets through. A keyword found at a
        # position implies every shorter keyword that is its prefix there.
        meets = [0] * len(words)
        for s, bit in self.cond.items():
            for k in s:
                meets[index[k]] |= bit
        lets = [0] * len(words)
        for i, t in enumerate(triggers):
            for k in t or ():
                lets[index[k]] |= 1 << i
        self._entry = {w: 0 for w in words}
        for w in words:
            for n in range(1, len(w) + 1):
                if w[:n] in index:
                    self._entry[w] |= meets[index[w[:n]]] | (lets[index[w[:n]]] << self.shift)
        self.always = sum(1 << i for i, t in enumerate(triggers) if t is None)
        self.requires = [reduce(or_, (self.need[id(p)] for p in r.requires), 0) for r in self.rules]
        self.patterns = [tuple(self.need[id(p)] for p in r.patterns) for r in self.rules]
        # A keyword without whitespace lies inside one whitespace-separated word of the clause;
        # the few with a space are searched in the whole clause.
        in_word = [w for w in words if not _has_space(w)]
        spanning = [w for w in words if _has_space(w)]
        self._in_word = re.compile(f"(?=({_trie_regex(in_word)}))") if in_word else None
        self._spanning = re.compile(f"(?=({_trie_regex(spanning)}))") if spanning else None
        # A keyword with a space needs its first word and that space: a cheap test first.
        self._heads = tuple(sorted({w[:w.index(" ") + 1] if " " in w.strip() else w for w in spanning}))
        self._low = (1 << self.shift) - 1
        self._words = _Words(self._word)

    def _trigger(self, rule) -> frozenset[str] | None:
        """One keyword set that any firing of the rule must hit: its patterns' union or a requires'."""
        options = []
        firsts = [keywords(p) for p in rule.patterns]
        if all(firsts):
            options.append(frozenset().union(*(c[0] for c in firsts)))
        options.extend(keywords(p)[0] for p in rule.requires if keywords(p))
        return max(options, key=_score) if options else None

    def _found(self, finder, text: str) -> int:
        """Conditions met and rules let through (shifted) by the keywords found in `text`."""
        entry = 0
        for w in set(finder.findall(text)):
            entry |= self._entry[w]
        return entry

    def _word(self, word: str) -> int:
        return self._found(self._in_word, word) if self._in_word is not None else 0

    def scan(self, body: str) -> tuple[int, int]:
        """(conditions met, rules that may fire) of one clause, both as bit masks."""
        folded = body.casefold()
        acc = reduce(or_, map(self._words.__getitem__, folded.split()), 0)
        if self._spanning is not None and any(h in folded for h in self._heads):
            acc |= self._found(self._spanning, folded)
        return acc & self._low, (acc >> self.shift) | self.always

    def gate(self, i: int, met: int) -> bool:
        """False when rule i cannot fire: a `requires` impossible, or no pattern possible."""
        if met & self.requires[i] != self.requires[i]:
            return False
        return any(met & need == need for need in self.patterns[i])

    def possible(self, pattern, met: int) -> bool:
        """False when `pattern` cannot match a clause that meets only these conditions."""
        need = self.need.get(id(pattern), 0)
        return met & need == need


class _Words(dict):
    """word -> its entry, computed on first sight; cleared when full so memory stays bounded."""

    def __init__(self, compute):
        super().__init__()
        self._compute = compute

    def __missing__(self, word: str) -> int:
        entry = self._compute(word)
        if len(self) >= WORD_CACHE:
            self.clear()  # a bound on memory; the vocabulary refills it in a few pages
        self[word] = entry
        return entry


def _has_space(word: str) -> bool:
    return len(word.split()) != 1 or word.strip() != word


def _all_patterns(rule):
    yield from rule.patterns
    yield from rule.requires
    yield from rule.unless
    yield from (p for p, _ in rule.escalate)
    if rule.highlight is not None:
        yield rule.highlight
