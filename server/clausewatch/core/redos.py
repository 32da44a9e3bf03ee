"""Catastrophic backtracking (ReDoS) check: time each pattern on adversarial strings built from it.

Reading a pattern's structure cannot prove it safe (the regex module already defuses many classic
cases, like `(a+)+$`, and backtracks badly on others, like `(a|a)+$`), so we measure. The strings
are what makes backtracking explode: the pattern's own literal words and character classes,
pumped (repeated) to clause length, followed by a near-miss tail that fails the match at the end,
so the engine tries every way to split the pump. Each pattern gets a short pump (exponential
blow-ups show at 30 characters) and a long one (polynomial ones show at clause length).

A pattern is slow when one search runs past LIMIT seconds (in CPU, half of it twice). LIMIT
matches the matcher's runtime cap for user rules (detect.USER_RULE_CLAUSE_SECONDS): a pattern that
costs 0.1 s per clause costs 30 s per 300-clause page. At 0.25 s, a quadratic test case of
tests/test_redos.py (0.12 s of CPU per clause here) passed or failed by machine speed. The built-in rules stay under a
few milliseconds on these strings, so LIMIT still has a wide margin.
"""

from __future__ import annotations

import re
import time
import unicodedata
from dataclasses import dataclass

LIMIT = 0.1
# A candidate is re-timed this many times, each search allowed this many times LIMIT of wall clock.
CONFIRMATIONS = 2
CONFIRM_WALL_FACTOR = 8
LONG = 2000
SHORT = 32
MAX_WORDS = 8
# Long pumps of single words only for the first few: a search is tried at each of their starts.
LONG_WORDS = 3
# What a character class or escape stands for in a pumped string.
ESCAPE_REPS = {"w": "a", "W": " ", "s": " ", "S": "a", "d": "1", "D": "a", "h": " ", "N": "a", "X": "a",
               "p": "a", "P": " ", "R": "\n", "t": "\t", "n": "\n", "r": "\r"}
ZERO_WIDTH = set("bBAZzGmM")
META = set(".^$*+?{}[]\\|()")
# Escapes that name a character by its code or name: \x2c, \x{2c}, \u002c, \U0000002c, \N{COMMA}, \054.
CODE_ESCAPE = re.compile(r"\\(?:x([0-9a-fA-F]{2})|x\{([0-9a-fA-F]{1,8})\}|u([0-9a-fA-F]{4})|U([0-9a-fA-F]{8})"
                         r"|N\{([^}]*)\}|(0[0-7]{0,2}|[1-7][0-7]{2}))")


def _decode(m) -> str | None:
    hexa = m.group(1) or m.group(2) or m.group(3) or m.group(4)
    try:
        if hexa:
            return chr(int(hexa, 16))
        if m.group(5) is not None:
            return unicodedata.lookup(m.group(5))
        return chr(int(m.group(6), 8))
    except (ValueError, KeyError, OverflowError):
        return None


@dataclass(frozen=True)
class Slow:
    key: str
    source: str
    seconds: float
    sample: str

    @property
    def problem(self) -> str:
        timing = f"over {self.seconds:.2f} s" if self.seconds >= LIMIT else f"{self.seconds:.2f} s"
        return (f"catastrophic backtracking: one search took {timing} on "
                f"{len(self.sample):,} characters like {self.sample[:40]!r}")

    def __str__(self) -> str:
        return f"{self.key}: {self.problem}"


def pieces(source: str) -> tuple[list[str], list[str]]:
    """The literal words (in order) and the characters that the classes and escapes stand for."""
    words: list[str] = []
    reps: list[str] = []
    word: list[str] = []
    i, n = 0, len(source)

    def close():
        if len(word) >= 2:
            words.append("".join(word))
        word.clear()

    def literal(ch: str):
        # A literal character: part of a word, or (punctuation) a unit of its own. Dropping
        # punctuation let (?:,|,)+$ pass: its pumped string never held a comma.
        if ch.isalnum() or ch in "_'’-@ ":
            word.append(ch)
        else:
            close()
            reps.append(ch)

    while i < n:
        c = source[i]
        if c == "\\" and i + 1 < n:
            e = source[i + 1]
            code = CODE_ESCAPE.match(source, i)
            if code is not None:
                # \x2c, \u002c, \N{COMMA}, \054 are a comma: judged as what they stand for.
                i = code.end()
                ch = _decode(code)
                if ch is not None:
                    literal(ch)
                continue
            i += 2
            if e in ("p", "P") and i < n and source[i] == "{":  # \p{L}
                i = source.find("}", i) + 1 or n
            if e in ESCAPE_REPS:
                close()
                reps.append(ESCAPE_REPS[e])
            elif e in ZERO_WIDTH or e.isdigit():
                close()
            else:
                literal(e)  # an escaped literal: \. \( \-
            continue
        if c == "[":
            close()
            j, depth = i + 1, 1
            if j < n and source[j] == "^":
                j += 1
            first = None
            while j < n and depth:
                if source[j] == "\\" and j + 1 < n:
                    code = CODE_ESCAPE.match(source, j)
                    if code is not None:  # [\x2c] is [,]
                        first = first or _decode(code)
                        j = code.end()
                        continue
                    first = first or ESCAPE_REPS.get(source[j + 1], source[j + 1])
                    j += 2
                    continue
                if source[j] == "[":
                    depth += 1
                elif source[j] == "]" and j > i + 1:
                    depth -= 1
                elif first is None and source[j] not in "^-:":
                    first = source[j]
                j += 1
            reps.append(first or "a")
            i = j
            continue
        if c == "(" and source[i + 1:i + 2] == "?":
            close()
            j = i + 2
            while j < n and source[j] not in ":=!)" and not (source[j] == ">" and source[j - 1] != "<"):
                j += 1
            i = j + 1 if j < n and source[j] != ")" else j
            continue
        if c == "{":
            close()
            i = (source.find("}", i) + 1) or n
            continue
        if c == ".":
            close()
            reps.append("a")
        elif c in META:
            close()
        else:
            literal(c)
        i += 1
    close()
    return list(dict.fromkeys(w.strip() for w in words if w.strip())), list(dict.fromkeys(reps))


def _sample(items: list[str], k: int) -> list[str]:
    if len(items) <= k:
        return items
    step = (len(items) - 1) / (k - 1)
    return [items[round(i * step)] for i in range(k)]


def adversarial(source: str) -> list[str]:
    """Strings that make a backtracking engine work hardest on this pattern, short ones first."""
    words, reps = pieces(source)
    words = _sample(words, MAX_WORDS)
    base = list(dict.fromkeys(reps + ["a", " ", "a "]))
    pairs = [a + " " + b + " " for a, b in zip(words, words[1:])]
    walk = " ".join(words)
    last = words[-1] if words else "a"
    # A near miss at the end: punctuation, a space (what \S and literal runs cannot match), a word
    # character after the last word, and the whole walk cut short.
    tails = ["!", " ", last + "_x", walk + "\u0000"]
    # Short pumps of every unit (cheap; exponential blow-ups show here), long pumps of the classes,
    # word pairs and the whole walk (polynomial ones need length, and long searches cost time).
    plan = [(SHORT, base + [w + " " for w in words] + pairs + ([walk + " "] if walk else []), tails),
            (LONG, base + [w + " " for w in words[:LONG_WORDS]] + pairs + ([walk + " "] if walk else []), tails[:3])]
    out = []
    for length, units, ends in plan:
        for unit in units:
            body = unit * (length // len(unit) + 1)
            for tail in ends:
                out.append(body[:length] + tail)
    return list(dict.fromkeys(out))


def _cpu_seconds(pattern, sample: str, limit: float) -> float:
    """CPU time of one search in this thread: other processes on a busy machine do not count."""
    started = time.thread_time()
    try:
        # The wall-clock timeout only bounds the wait; the verdict is on CPU time.
        pattern.search(sample, timeout=limit * CONFIRM_WALL_FACTOR)
    except TimeoutError:
        pass
    return time.thread_time() - started


def slowest(pattern, key: str = "pattern", limit: float = LIMIT) -> Slow | None:
    """The first adversarial search on `pattern` (compiled) that runs past `limit`, else None.

    A wall-clock pass finds candidates fast; each candidate is then timed again in CPU time, and
    only a search that is slow every time counts, so a loaded machine does not flag a sound pattern.
    """
    for sample in adversarial(pattern.pattern):
        started = time.perf_counter()
        try:
            pattern.search(sample, timeout=limit)
        except TimeoutError:
            pass
        if time.perf_counter() - started <= limit / 2:
            continue
        cpu = [_cpu_seconds(pattern, sample, limit) for _ in range(CONFIRMATIONS)]
        # Half the limit in CPU alone is past the limit in wall time on any busy machine, and the
        # pumped strings here are no longer than a clause; sound patterns take milliseconds on
        # them, so the margin stays wide both ways.
        if min(cpu) > limit / 2:
            return Slow(key, pattern.pattern, min(cpu), sample)
    return None


def rule_patterns(rule) -> list[tuple[str, object]]:
    """(key, compiled pattern) for every pattern a rule runs, keyed as in its YAML file."""
    out = [(f"patterns[{i}]", p) for i, p in enumerate(rule.patterns)]
    out += [(f"requires[{i}]", p) for i, p in enumerate(rule.requires)]
    out += [(f"unless[{i}]", p) for i, p in enumerate(rule.unless)]
    if rule.highlight is not None:
        out.append(("highlight", rule.highlight))
    out += [(f"escalate[{i}].pattern", p) for i, (p, _sev) in enumerate(rule.escalate)]
    return out


def first_slow(rule, limit: float = LIMIT) -> Slow | None:
    """The rule's first pattern that backtracks catastrophically, else None (stops there: cheap)."""
    for key, pattern in rule_patterns(rule):
        slow = slowest(pattern, key, limit)
        if slow is not None:
            return slow
    return None


def slow_patterns(rule, limit: float = LIMIT) -> list[str]:
    """Problems (each naming the file and key) for the rule's patterns that backtrack catastrophically."""
    problems = []
    for key, pattern in rule_patterns(rule):
        slow = slowest(pattern, key, limit)
        if slow is not None:
            problems.append(f"{rule.path}: {slow}")
    return problems
