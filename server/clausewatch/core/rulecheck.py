"""Run each rule's own examples (its tests), check that every entry is needed by one of them, and
lint the rule; shared by `clausewatch rules check` and pytest."""

from __future__ import annotations

from dataclasses import replace

from .match import apply_rule
from .rules import Rule

# Which examples can show that an entry is needed: deleting a pattern can only make a match example
# stop matching, deleting an `unless` entry only make a no_match example match.
ENTRY_EXAMPLES = (("patterns", "examples_match", "examples.match"),
                  ("unless", "examples_no_match", "examples.no_match"))


def rule_problems(rule: Rule, backtracking: bool = False) -> list[str]:
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
    return problems + unneeded_entries(rule)


def unneeded_entries(rule: Rule) -> list[str]:
    """Patterns and `unless` entries that no example needs, and escalations that no match example
    triggers. Deleting such an entry would change no example's outcome, so the examples could not
    catch its loss (one pattern of no-deletion carried half its recall, and deleting it broke no test)."""
    problems = []
    for key, attribute, examples_key in ENTRY_EXAMPLES:
        entries, examples = getattr(rule, key), getattr(rule, attribute)
        fired = [apply_rule(rule, e) is not None for e in examples]
        for i, pattern in enumerate(entries):
            without = replace(rule, **{key: entries[:i] + entries[i + 1:]})
            if all((apply_rule(without, e) is not None) == f for e, f in zip(examples, fired)):
                problems.append(_unneeded(rule, f"{key}[{i}]", pattern, f"no {examples_key} sentence changes without it"))
    hits = [e for e in rule.examples_match if apply_rule(rule, e) is not None]
    for i, (pattern, _) in enumerate(rule.escalate):
        # The first escalation that matches sets the severity: one shadowed on every example by an
        # earlier one is not exercised either.
        if not any(pattern.search(e) and not any(p.search(e) for p, _ in rule.escalate[:i]) for e in hits):
            problems.append(_unneeded(rule, f"escalate[{i}]", pattern, "no examples.match sentence triggers it"))
    return problems


def _unneeded(rule: Rule, where: str, pattern, why: str) -> str:
    return (f"{rule.path}: {where}: no example needs it ({why}; add one that only it decides, "
            f"or delete it): {pattern.pattern[:60]!r}")
