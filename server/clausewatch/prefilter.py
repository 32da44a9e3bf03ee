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
# Marks on a keyword: every match has it at the start (end) of a word, so "clos" as a word start
# is not met by "disclose". Control characters, which no pattern's literal text holds.
WORD_START, WORD_END = "\x02", "\x03"
MARKS = {WORD_START, WORD_END}
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


# What is known about the text on one side of a position in a match: NO, nothing; EDGE, the
# neighbouring character is \W or the text ends there; BOUND, a \b is there (so the same holds
# when the character on the other side is a word character). Ordered: the meet of two is the min.
NO, BOUND, EDGE = 0, 1, 2
# Work allowed for reading what follows a position: past it, "nothing known" (always safe).
LOOK_BUDGET = 64
_WORD = regex.compile(r"\w", regex.V1)
# Inline flags that change what \w and \b mean (ASCII, LOCALE, Unicode word boundaries).
_WORD_FLAGS = re.compile(r"\(\?[a-zA-Z^-]*[aLw]")


def _is_word(ch: str) -> bool:
    return _WORD.match(ch) is not None


def _nonword_char(op, av) -> bool:
    """True when the item consumes exactly one character and it is always \\W.

    Safe under full case folding: no \\W character casefolds to, or from, a word character
    (tests/test_prefilter.py checks all of Unicode).
    """
    if op is C.LITERAL:
        return not _is_word(chr(av))
    if op is C.IN:
        return bool(av) and all(
            (o is C.CATEGORY and a in (C.CATEGORY_NOT_WORD, C.CATEGORY_SPACE))
            or (o is C.LITERAL and not _is_word(chr(a))) for o, a in av)
    return False


def _repeat(av):
    lo, hi, body = av
    return lo, hi, list(body)


def _end_state(items, before: int) -> int:
    """What is known of the character before the position right after `items` matched."""
    state = before
    for op, av in items:
        state = _after(op, av, state)
    return state


def _body_start(body, before: int, hi) -> int:
    """The state an iteration of a repeated body can start in: before, or after an iteration."""
    start = before
    if hi == 1:
        return start
    for _ in range(3):
        new = min(start, _end_state(body, start))
        if new == start:
            break
        start = new
    else:
        start = NO
    return start


def _after(op, av, state: int) -> int:
    if _nonword_char(op, av):
        return EDGE
    if op is C.AT:
        if av is C.AT_BOUNDARY:
            return state if state == EDGE else BOUND
        if av in (C.AT_BEGINNING, C.AT_BEGINNING_STRING):
            return EDGE
        return NO
    if op in (C.ASSERT, C.ASSERT_NOT):
        return state  # zero width
    if op is C.SUBPATTERN:
        return _end_state(av[-1], state)
    if op is C.ATOMIC_GROUP:
        return _end_state(av, state)
    if op is C.BRANCH:
        return min(_end_state(alt, state) for alt in av[1])
    if op in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT):
        lo, hi, body = _repeat(av)
        if hi == 0:
            return state
        end = _end_state(body, _body_start(body, state, hi))
        return end if lo >= 1 else min(state, end)
    return NO  # any other consuming item: a word character may be the last one


def _start_state(items, budget: list[int]) -> int:
    """What is known of the character after a position that `items` (what follows) start at."""
    for i, (op, av) in enumerate(items):
        budget[0] -= 1
        if budget[0] < 0:
            return NO
        if _nonword_char(op, av):
            return EDGE
        if op is C.AT:
            if av is C.AT_BOUNDARY:
                return BOUND
            if av in (C.AT_END, C.AT_END_STRING):
                return EDGE
            return NO
        if op in (C.ASSERT, C.ASSERT_NOT):
            continue
        rest = items[i + 1:]
        if op is C.SUBPATTERN:
            return _start_state(list(av[-1]) + rest, budget)
        if op is C.ATOMIC_GROUP:
            return _start_state(list(av) + rest, budget)
        if op is C.BRANCH:
            return min(_start_state(list(alt) + rest, budget) for alt in av[1])
        if op in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT):
            lo, hi, body = _repeat(av)
            if hi == 0:
                continue
            first = _start_state(body + rest, budget)
            return first if lo >= 1 else min(first, _start_state(rest, budget))
        return NO
    return NO  # the end of the pattern: anything may follow


def _mark(word: str, before: int, after: int) -> str:
    """The keyword with WORD_START / WORD_END when a match has it at the start / end of a word."""
    if word and _is_word(word[0]) and before in (EDGE, BOUND):
        word = WORD_START + word
    if word and _is_word(word[-1]) and after in (EDGE, BOUND):
        word = word + WORD_END
    return word


def _runs_and_sets(items, before: int = NO, follow=()) -> list[frozenset[str]]:
    """The sets (each: one of these strings is in every match) that a parsed sequence implies.

    `before` is what is known of the character before the sequence, `follow` what comes after
    it in the pattern: they tell whether a keyword must start or end a word.
    """
    items = list(items)
    follow = list(follow)
    sets: list[frozenset[str]] = []
    run: list[str] = []  # the strings the literal text read so far can be (one of them is there)
    run_before = NO  # the state before the run's first character
    run_open = True  # False once the run goes on into a branch: its end is not a word end
    state = before

    def close(at: int):
        if run and any(run):
            after = _start_state(items[at:] + follow, [LOOK_BUDGET]) if run_open else NO
            sets.append(frozenset(_mark(k, run_before, after) for k in run))
        run.clear()

    for i, (op, av) in enumerate(items):
        choices = _literal_choices(op, av)
        if choices is not None:
            if len(run) * len(choices) > MAX_CHOICES:
                run_open = False
                close(i)
            if not run:
                run_before, run_open = state, True
            run[:] = [a + b for a in (run or [""]) for b in choices]
            state = _after(op, av, state) if op is not C.BRANCH else min(
                (EDGE if not _is_word(c[-1]) else NO) if c else state for c in choices)
            continue
        rest = items[i + 1:] + follow
        if op is C.BRANCH and run and len(run) * len(av[1]) <= MAX_CHOICES:
            # Each alternative starts with its own literal text: the run goes on into it.
            run[:] = [a + _lead(alt) for a in run for alt in av[1]]
            run_open = False
        close(i)
        if op is C.BRANCH:
            union: set[str] = set()
            for alt in av[1]:
                best = _best(_runs_and_sets(alt, state, rest))
                if best is None:
                    union = set()
                    break
                union |= best
            if union:
                sets.append(frozenset(union))
        elif op is C.SUBPATTERN:
            sets.extend(_runs_and_sets(av[-1], state, rest))
        elif op is C.ATOMIC_GROUP:
            sets.extend(_runs_and_sets(av, state, rest))
        elif op in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT):
            lo, hi, body = _repeat(av)
            if lo >= 1:
                # After one iteration come the others (up to hi - 1 more), then the rest.
                again = [(C.MAX_REPEAT, (0, hi - 1, body))] if hi != 1 else []
                sets.extend(_runs_and_sets(body, _body_start(body, state, hi), again + rest))
        # Anything else (classes, anchors, lookarounds, backreferences) adds nothing and ends the run.
        state = _after(op, av, state)
    close(len(items))
    return sets


def plain(keyword: str) -> str:
    """The keyword without its word-start and word-end marks."""
    return keyword.strip(WORD_START + WORD_END)


@functools.lru_cache(maxsize=None)
def _share(keyword: str) -> float:
    """Rough percentage of policy paragraphs that hold the keyword: picks the rarest keyword set."""
    word = plain(keyword)
    starts, ends = keyword.startswith(WORD_START), keyword.endswith(WORD_END)
    known = [share for w, share in COMMON.items()
             if (w.startswith(word) if starts else w.endswith(word) if ends else word in w)
             and (not ends or w.endswith(word))]
    if known:
        return max(known)
    return 4 / len(word) / (1 + starts + ends)  # a keyword tied to a word edge is met less often


def _score(keywords: frozenset[str]) -> tuple:
    # Higher is better: a rarer set lets fewer clauses through to the regexes.
    return (-sum(_share(k.casefold()) for k in keywords), min(len(plain(k)) for k in keywords))


def _best(sets: list[frozenset[str]]) -> frozenset[str] | None:
    usable = [s for s in sets if min(len(plain(k)) for k in s) >= MIN_KEYWORD]
    return max(usable, key=_score) if usable else None


def keywords(pattern: regex.Pattern) -> Condition:
    """Casefolded keyword sets that a match of `pattern` must each hit; () when none are known.

    A keyword starts with WORD_START when every match has it at the start of a word (after \\b,
    \\W or ^ in the pattern), and ends with WORD_END when every match has it at the end of one.
    """
    edges = not pattern.flags & (regex.ASCII | regex.LOCALE | regex.WORD)
    return _keywords(pattern.pattern, bool(pattern.flags & regex.VERBOSE), edges)


@functools.lru_cache(maxsize=4096)
def _keywords(source: str, verbose: bool, edges: bool = True) -> Condition:
    try:
        with warnings.catch_warnings():
            # sre warns where the regex module reads a pattern differently ("possible nested set").
            warnings.simplefilter("error")
            parsed = sre_parse.parse(source, re.VERBOSE if verbose else 0)
        sets = _runs_and_sets(list(parsed))
    except (re.error, ValueError, TypeError, OverflowError, RecursionError, Warning):
        return ()  # regex-module syntax (\p{L}, (?V1), nested sets): no keywords, always run
    if not edges or _WORD_FLAGS.search(source):
        # \w or \b means something else here (ASCII, locale, Unicode word boundaries).
        sets = [frozenset(plain(k) for k in s) for s in sets]
    sets = [s for s in sets if min(len(plain(k)) for k in s) >= MIN_KEYWORD]
    if any((SUSPECT | MARKS) & set(plain(k)) for s in sets for k in s):
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
            for p in rule.all_patterns():
                conditions[id(p)] = keywords(p)
        # The keyword set that lets each rule through (None: the rule always runs).
        triggers = [self._trigger(rule) for rule in self.rules]
        sets = sorted({s for c in conditions.values() for s in c} | {t for t in triggers if t is not None},
                      key=sorted)
        self.cond = {s: 1 << j for j, s in enumerate(sets)}
        # One more bit: a word of the clause ends like the first word of a keyword with a space.
        self._span_bit = 1 << len(sets)
        self.shift = len(sets) + 1
        self.need = {pid: sum(self.cond[s] for s in set(c)) for pid, c in conditions.items()}
        # Per keyword as written (with its word-edge marks): the conditions it meets and the rules
        # it lets through, as one int.
        bits: dict[str, int] = {}
        for s, bit in self.cond.items():
            for k in s:
                bits[k] = bits.get(k, 0) | bit
        for i, t in enumerate(triggers):
            for k in t or ():
                bits[k] = bits.get(k, 0) | (1 << i << self.shift)
        words = sorted({plain(k) for k in bits})
        # The finder returns the longest keyword at a position, which implies every shorter
        # keyword that is its prefix there: unmarked ones at once (_entry), marked ones once their
        # word edges are checked (_edged: the keyword, must start a word, must end one, bits).
        self._entry = {w: 0 for w in words}
        self._edged: dict[str, tuple] = {}
        for w in words:
            edged = []
            for n in range(1, len(w) + 1):
                head = w[:n]
                self._entry[w] |= bits.get(head, 0)
                for form in (WORD_START + head, head + WORD_END, WORD_START + head + WORD_END):
                    if form in bits:
                        edged.append((head, form[0] == WORD_START, form[-1] == WORD_END, bits[form]))
            if edged:
                self._edged[w] = tuple(edged)
        self.always = sum(1 << i for i, t in enumerate(triggers) if t is None)
        # Per rule, per pattern: the conditions that pattern and every `requires` need together.
        # The rule can fire on a clause only if one of them is met.
        self.gates = []
        for r in self.rules:
            required = reduce(or_, (self.need[id(p)] for p in r.requires), 0)
            self.gates.append(tuple(required | self.need[id(p)] for p in r.patterns))
        # A keyword without whitespace lies inside one whitespace-separated word of the clause;
        # the few with a space are searched in the whole clause.
        in_word = [w for w in words if not _has_space(w)]
        spanning = [w for w in words if _has_space(w)]
        self._in_word = re.compile(f"(?=({_trie_regex(in_word)}))") if in_word else None
        self._spanning = re.compile(f"(?=({_trie_regex(spanning)}))") if spanning else None
        # A keyword with a space needs its first word and that space: a cheap test first. When
        # that is "word ", a word of the clause ends with "word": its entry carries _span_bit.
        heads = {w[:w.index(" ") + 1] if " " in w.strip() else w for w in spanning}
        self._tails = tuple(sorted(h[:-1] for h in heads if h[-1] == " " and not _has_space(h[:-1])))
        self._heads = tuple(sorted(h for h in heads if h[:-1] not in self._tails))
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
        """Conditions met and rules let through (shifted) by the keywords found in `text`.

        A keyword marked as a word start counts only where the character before it is not a
        word character (or at the start of `text`, a whitespace-separated word or the clause);
        likewise for word ends. Tested on the casefolded text: casefolding never turns a word
        character into a non-word one or back, so this is what the pattern's \\b or \\W saw.
        """
        entry, plain_entry, edged = 0, self._entry, self._edged
        if text.isalpha():
            # Letters only (all word characters): a word starts at 0 and ends at the end, only.
            for w in set(finder.findall(text)):
                entry |= plain_entry[w]
                marks = edged.get(w)
                if marks is not None:
                    for head, start, end, found in marks:
                        if (text == head if start and end else text.startswith(head) if start
                                else text.endswith(head)):
                            entry |= found
            return entry
        size = len(text)
        for m in finder.finditer(text):
            w = m.group(1)
            entry |= plain_entry[w]
            marks = edged.get(w)
            if marks is not None:
                p = m.start()
                starts = p == 0 or not _is_word(text[p - 1])
                for head, start, end, found in marks:
                    if (starts or not start) and (not end or p + len(head) == size
                                                  or not _is_word(text[p + len(head)])):
                        entry |= found
        return entry

    def _word(self, word: str) -> int:
        entry = self._found(self._in_word, word) if self._in_word is not None else 0
        if self._tails and word.endswith(self._tails):
            entry |= self._span_bit
        return entry

    def scan(self, body: str) -> tuple[int, int]:
        """(conditions met, rules that may fire) of one clause, both as bit masks."""
        folded = body.casefold()
        acc = reduce(or_, map(self._words.__getitem__, folded.split()), 0)
        if self._spanning is not None and (acc & self._span_bit or any(h in folded for h in self._heads)):
            acc |= self._found(self._spanning, folded)
        return acc & self._low, (acc >> self.shift) | self.always

    def gate(self, i: int, met: int) -> bool:
        """False when rule i cannot fire: a `requires` impossible, or no pattern possible."""
        return any(met & gate == gate for gate in self.gates[i])

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
