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
from re import _constants as C  # noqa: N812
from re import _parser as sre_parse

import regex

# A keyword shorter than this matches nearly every clause: it costs more than it saves.
MIN_KEYWORD = 2
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


def _runs_and_sets(items) -> list[frozenset[str]]:
    """The sets (each: one of these strings is in every match) that a parsed sequence implies."""
    sets: list[frozenset[str]] = []
    run: list[str] = []

    def close():
        if run:
            sets.append(frozenset(["".join(run)]))
            run.clear()

    for op, av in items:
        if op is C.LITERAL:
            run.append(chr(av))
            continue
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

    Keywords are bits of an int; a clause's keywords are the union of those of its words, and
    each distinct word is looked up once per process (policy vocabulary is small).
    """

    def __init__(self, rules):
        self.rules = list(rules)  # also keeps the patterns alive, so their ids stay theirs
        conditions: dict[int, Condition] = {}
        for rule in self.rules:
            for p in _all_patterns(rule):
                conditions[id(p)] = keywords(p)
        words = sorted({k for c in conditions.values() for s in c for k in s})
        self.bit = {w: 1 << i for i, w in enumerate(words)}
        # A keyword found at a position implies every shorter keyword that is its prefix there.
        self.implied = {w: sum(self.bit[w[:i]] for i in range(1, len(w) + 1) if w[:i] in self.bit) for w in words}
        self.masks = {pid: tuple(self._mask(s) for s in c) for pid, c in conditions.items()}
        # A keyword without whitespace lies inside one whitespace-separated word of the clause;
        # the few with a space are searched in the whole clause.
        in_word = [w for w in words if not _has_space(w)]
        spanning = [w for w in words if _has_space(w)]
        self._in_word = re.compile(f"(?=({_trie_regex(in_word)}))") if in_word else None
        self._spanning = re.compile(f"(?=({_trie_regex(spanning)}))") if spanning else None
        # The keyword set that lets each rule through, and the rules that always run.
        self.trigger = [self._trigger(rule) for rule in self.rules]
        self.always = sum(1 << i for i, t in enumerate(self.trigger) if t is None)
        self.requires = [tuple(m for p in r.requires for m in self.masks[id(p)]) for r in self.rules]
        self.patterns = [tuple(self.masks[id(p)] for p in r.patterns) for r in self.rules]
        # word -> its keyword bits | (bits of the rules it can let through) << `self.shift`:
        # one OR per word of a clause gathers both.
        self.shift = len(words)
        self._words: dict[str, int] = {}

    def _mask(self, keywords: frozenset[str]) -> int:
        return sum(self.bit[k] for k in keywords)

    def _trigger(self, rule) -> int | None:
        """One keyword set that any firing of the rule must hit: its patterns' union or a requires'."""
        options = []
        firsts = [self.masks[id(p)] for p in rule.patterns]
        if all(firsts):
            options.append(frozenset().union(*(keywords(p)[0] for p in rule.patterns)))
        options.extend(keywords(p)[0] for p in rule.requires if self.masks[id(p)])
        return self._mask(max(options, key=_score)) if options else None

    def _found(self, finder, text: str) -> int:
        mask = 0
        for w in set(finder.findall(text)):
            mask |= self.implied[w]
        return mask

    def _rules_for(self, mask: int) -> int:
        return sum(1 << i for i, t in enumerate(self.trigger) if t is not None and t & mask)

    def _word(self, word: str) -> int:
        mask = self._found(self._in_word, word)
        entry = mask | (self._rules_for(mask) << self.shift) if mask else 0
        if len(self._words) >= WORD_CACHE:
            self._words.clear()  # a bound on memory; the vocabulary refills it in a few pages
        self._words[word] = entry
        return entry

    def scan(self, body: str) -> tuple[int, int]:
        """(keywords present, rules that may fire) of one clause, both as bit masks."""
        folded = body.casefold()
        acc = 0
        if self._in_word is not None:
            cache = self._words
            for word in set(folded.split()):
                entry = cache.get(word)
                acc |= self._word(word) if entry is None else entry
        present = acc & ((1 << self.shift) - 1)
        rules = (acc >> self.shift) | self.always
        if self._spanning is not None:
            extra = self._found(self._spanning, folded)
            present |= extra
            rules |= self._rules_for(extra)
        return present, rules

    def gate(self, i: int, present: int) -> bool:
        """False when rule i cannot fire: a `requires` impossible, or no pattern possible."""
        for m in self.requires[i]:
            if not m & present:
                return False
        for condition in self.patterns[i]:
            for m in condition:
                if not m & present:
                    break
            else:
                return True
        return False

    def possible(self, pattern, present: int) -> bool:
        """False when `pattern` cannot match a clause with only these keywords."""
        for m in self.masks.get(id(pattern), ()):
            if not m & present:
                return False
        return True


def _has_space(word: str) -> bool:
    return len(word.split()) != 1 or word.strip() != word


def _all_patterns(rule):
    yield from rule.patterns
    yield from rule.requires
    yield from rule.unless
    yield from (p for p, _ in rule.escalate)
    if rule.highlight is not None:
        yield rule.highlight
