"""Run each rule's own examples (its tests) and lint it; shared by `clausewatch rules check` and pytest."""

from __future__ import annotations

from .match import apply_rule
from .rules import Rule


def check_rule(rule: Rule, backtracking: bool = False) -> list[str]:
    """Problems with one rule, each a sentence naming the file; empty when the rule is sound.

    `backtracking` also times the patterns for ReDoS (redos.py, a few seconds for all rules); user
    rules were already timed when they were loaded, and a slow one was not loaded.
    """
    problems = []
    if backtracking and not rule.user:
        from .redos import slow_patterns
        problems += slow_patterns(rule)
    for example in rule.examples_match:
        if apply_rule(rule, example) is None:
            problems.append(f"{rule.path}: examples.match: does not match: {example!r}")
    for example in rule.examples_no_match:
        if apply_rule(rule, example) is not None:
            problems.append(f"{rule.path}: examples.no_match: matches: {example!r}")
    sources = [p.pattern for p in rule.patterns]
    for dup in {s for s in sources if sources.count(s) > 1}:
        problems.append(f"{rule.path}: patterns: {dup!r} is listed twice")
    return problems
