"""Load rule files (one YAML file per rule), validate them, compile their patterns once."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

import regex
import yaml

from .taxonomy import CATEGORIES, SEVERITIES

log = logging.getLogger(__name__)

# V1 gives set operations and proper Unicode case folding; IGNORECASE because the benchmark text
# is lowercased while real pages are not.
FLAGS = regex.V1 | regex.IGNORECASE
KEYS = {"id", "category", "severity", "title", "message", "patterns", "requires", "unless",
        "highlight", "escalate", "references", "examples"}
REQUIRED = ("category", "message", "patterns", "examples")
MIN_EXAMPLES = 3


class RuleError(ValueError):
    """A rule file that cannot be used; the message names the file and the key."""

    def __init__(self, path: Path | str, key: str, problem: str):
        super().__init__(f"{path}: {key}: {problem}")
        self.path, self.key, self.problem = str(path), key, problem


@dataclass(slots=True)
class Rule:
    id: str
    category: str
    severity: str
    polarity: str
    title: str
    message: str
    patterns: list[regex.Pattern]
    requires: list[regex.Pattern]
    unless: list[regex.Pattern]
    highlight: regex.Pattern | None
    escalate: list[tuple[regex.Pattern, str]]
    examples_match: list[str]
    examples_no_match: list[str]
    path: str
    references: list[str] = field(default_factory=list)
    user: bool = False

    def all_patterns(self):
        """Every compiled pattern the rule may search: patterns, requires, unless, escalate, highlight."""
        yield from (*self.patterns, *self.requires, *self.unless, *(p for p, _ in self.escalate))
        if self.highlight is not None:
            yield self.highlight


def _patterns(path, key, value, required=False) -> list[regex.Pattern]:
    if value is None:
        value = []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(p, str) and p for p in value):
        raise RuleError(path, key, "must be a non-empty string or a list of them")
    if required and not value:
        raise RuleError(path, key, "needs at least one pattern")
    compiled = []
    for i, source in enumerate(value):
        try:
            compiled.append(regex.compile(source, FLAGS))
        except regex.error as exc:
            raise RuleError(path, f"{key}[{i}]", f"bad regex {source!r}: {exc}") from None
    return compiled


def _examples(path, data) -> tuple[list[str], list[str]]:
    examples = data.get("examples")
    if not isinstance(examples, dict):
        raise RuleError(path, "examples", "must be a mapping with 'match' and 'no_match' lists")
    out = []
    for key in ("match", "no_match"):
        items = examples.get(key)
        if not isinstance(items, list) or not all(isinstance(s, str) and s.strip() for s in items):
            raise RuleError(path, f"examples.{key}", "must be a list of sentences")
        if len(items) < MIN_EXAMPLES:
            raise RuleError(path, f"examples.{key}", f"needs at least {MIN_EXAMPLES} examples, has {len(items)}")
        out.append(items)
    unknown = set(examples) - {"match", "no_match"}
    if unknown:
        raise RuleError(path, "examples", f"unknown keys {sorted(unknown)}")
    return out[0], out[1]


def parse_rule(path: Path, data: object, user: bool = False) -> Rule:
    if not isinstance(data, dict):
        raise RuleError(path, "(file)", "must hold one YAML mapping")
    unknown = set(data) - KEYS
    if unknown:
        raise RuleError(path, sorted(unknown)[0], f"unknown key (known: {', '.join(sorted(KEYS))})")
    for key in REQUIRED:
        if key not in data:
            raise RuleError(path, key, "is required")
    rule_id = data.get("id", Path(path).stem)
    if rule_id != Path(path).stem:
        raise RuleError(path, "id", f"{rule_id!r} must equal the file name {Path(path).stem!r}")
    category = CATEGORIES.get(data["category"])
    if category is None:
        raise RuleError(path, "category", f"{data['category']!r} is not an id of TAXONOMY.md")
    severity = data.get("severity", category.severity)
    if severity not in SEVERITIES:
        raise RuleError(path, "severity", f"{severity!r} is not one of {', '.join(SEVERITIES)}")
    message = data["message"]
    if not isinstance(message, str) or not message.strip():
        raise RuleError(path, "message", "must be a plain-language sentence")
    escalate = []
    for i, item in enumerate(data.get("escalate") or []):
        if not isinstance(item, dict) or set(item) != {"pattern", "severity"} or item["severity"] not in SEVERITIES:
            raise RuleError(path, f"escalate[{i}]", "must be {pattern: ..., severity: critical|high|medium|low}")
        escalate.append((_patterns(path, f"escalate[{i}].pattern", item["pattern"])[0], item["severity"]))
    highlight = _patterns(path, "highlight", data.get("highlight"))
    if len(highlight) > 1:
        raise RuleError(path, "highlight", "must be one pattern")
    match, no_match = _examples(path, data)
    references = data.get("references") or []
    if not isinstance(references, list):
        raise RuleError(path, "references", "must be a list")
    return Rule(
        id=rule_id, category=category.id, severity=severity, polarity=category.polarity,
        title=str(data.get("title") or category.title), message=" ".join(message.split()),
        patterns=_patterns(path, "patterns", data["patterns"], required=True),
        requires=_patterns(path, "requires", data.get("requires")),
        unless=_patterns(path, "unless", data.get("unless")),
        highlight=highlight[0] if highlight else None, escalate=escalate,
        examples_match=match, examples_no_match=no_match, path=str(path),
        references=[str(r) for r in references], user=user,
    )


def rule_files(directory: Path) -> list[Path]:
    # vendors.yaml lives beside the rules but is data of another kind.
    return sorted(p for p in Path(directory).rglob("*.yaml") if p.name != "vendors.yaml")


def load_file(path: Path, user: bool = False) -> Rule:
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise RuleError(path, "(yaml)", str(exc).replace("\n", " ")) from None
    return parse_rule(Path(path), data, user=user)


def load_rules(builtin: Path, user_dir: Path | None = None) -> tuple[list[Rule], list[str]]:
    """Built-in rules must all load (an error raises); a broken user rule is skipped with a warning."""
    rules = [load_file(p) for p in rule_files(builtin)]
    seen: dict[str, str] = {}
    for rule in rules:
        if rule.id in seen:
            raise RuleError(rule.path, "id", f"duplicate of {seen[rule.id]}")
        seen[rule.id] = rule.path
    warnings: list[str] = []
    if user_dir and Path(user_dir).is_dir():
        from .redos import first_slow
        for path in rule_files(user_dir):
            try:
                rule = load_file(path, user=True)
                if rule.id in seen:
                    raise RuleError(path, "id", f"{rule.id!r} is already a rule ({seen[rule.id]})")
                # A user rule that backtracks catastrophically would stall every analysis (redos.py).
                slow = first_slow(rule)
                if slow is not None:
                    raise RuleError(path, slow.key, slow.problem)
            except RuleError as exc:
                warnings.append(f"user rule disabled: {exc}")
                continue
            seen[rule.id] = rule.path
            rules.append(rule)
    for w in warnings:
        log.warning(w)
    return rules, warnings
