"""Load rule files (one YAML file per rule), validate them, compile their patterns once."""

from __future__ import annotations

import errno
import logging
import os
import stat
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
# Keys whose value is one plain string (patterns and the rest are checked by _patterns).
STRING_KEYS = ("id", "category", "severity", "title", "message")
# A user rule file is a few hundred bytes; the largest built-in one is under 4 KB. A bigger one, or
# more of them, is a mistake or an attack (a 100 MB file took 77 s to load and grew past 4 GB).
MAX_USER_RULE_BYTES = 64 * 1024
MAX_USER_RULES = 500


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
            raise RuleError(path, f"{key}[{i}]", f"bad regex: {exc}") from None
    return compiled


def _examples(path, data) -> tuple[list[str], list[str]]:
    examples = data.get("examples")
    if not isinstance(examples, dict) or not all(isinstance(k, str) for k in examples):
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
    if not all(isinstance(k, str) for k in data):
        raise RuleError(path, "(file)", "every key must be a plain string")
    unknown = set(data) - KEYS
    if unknown:
        raise RuleError(path, sorted(unknown)[0], f"unknown key (known: {', '.join(sorted(KEYS))})")
    for key in REQUIRED:
        if key not in data:
            raise RuleError(path, key, "is required")
    # Strict types before any use: a list as `category` crashed the lookup (and the server's start).
    for key in STRING_KEYS:
        if key in data and data[key] is not None and not isinstance(data[key], str):
            raise RuleError(path, key, "must be a plain string")
    rule_id = data.get("id", Path(path).stem)
    if rule_id != Path(path).stem:
        raise RuleError(path, "id", "must equal the file name")
    category = CATEGORIES.get(data["category"])
    if category is None:
        raise RuleError(path, "category", "is not a category id of TAXONOMY.md")
    severity = data.get("severity", category.severity)
    if severity not in SEVERITIES:
        raise RuleError(path, "severity", f"must be one of {', '.join(SEVERITIES)}")
    message = data["message"]
    if not isinstance(message, str) or not message.strip():
        raise RuleError(path, "message", "must be a plain-language sentence")
    escalate = []
    if not isinstance(data.get("escalate") or [], list):
        raise RuleError(path, "escalate", "must be a list")
    for i, item in enumerate(data.get("escalate") or []):
        if not isinstance(item, dict) or set(item) != {"pattern", "severity"} or \
                not isinstance(item["severity"], str) or item["severity"] not in SEVERITIES:
            raise RuleError(path, f"escalate[{i}]", "must be {pattern: ..., severity: critical|high|medium|low}")
        escalate.append((_patterns(path, f"escalate[{i}].pattern", item["pattern"])[0], item["severity"]))
    highlight = _patterns(path, "highlight", data.get("highlight"))
    if len(highlight) > 1:
        raise RuleError(path, "highlight", "must be one pattern")
    match, no_match = _examples(path, data)
    references = data.get("references") or []
    if not isinstance(references, list) or not all(isinstance(r, str) for r in references):
        raise RuleError(path, "references", "must be a list of strings")
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


def user_rule_files(directory: Path) -> list[Path]:
    """*.yaml under the user's rules folder, without following a symbolic link to a folder (a
    link could lead anywhere: /, /proc). What each name is (file, FIFO, link) is checked on open."""
    out = []
    for root, dirs, files in os.walk(directory, followlinks=False):
        dirs.sort()
        # A folder (or a link to one) named x.yaml is listed too: it is refused with a warning.
        out += [Path(root) / f for f in files + dirs if f.endswith(".yaml") and f != "vendors.yaml"]
    return sorted(out)


class _NoAliasLoader(yaml.SafeLoader):
    """safe_load without anchors' aliases: a rule needs none, and a few lines of nested aliases
    (a "billion laughs") expand to gigabytes."""

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            raise yaml.composer.ComposerError(None, None, "aliases (*name) are not allowed in rule files",
                                              self.peek_event().start_mark)
        return super().compose_node(parent, index)


def _yaml(path: Path, source: str, user: bool):
    try:
        return yaml.load(source, Loader=_NoAliasLoader)  # noqa: S506 - a SafeLoader without aliases
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        # PyYAML's own message quotes the offending line: never for a user's file (SECURITY.md).
        problem = "" if user else f": {getattr(exc, 'problem', None) or exc}".replace("\n", " ")
        raise RuleError(path, "(yaml)", f"not valid YAML{where}{problem}") from None
    except RecursionError:
        raise RuleError(path, "(yaml)", "nested too deeply") from None


def read_user_file(path: Path) -> str:
    """The text of a user rule file: a regular file of ours, never a link, FIFO, device or folder.

    O_NOFOLLOW: a link to /etc/shadow is not read (its first line used to be quoted in a warning),
    nor one to /dev/zero (which grew past 4 GB). O_NONBLOCK: opening a FIFO does not wait for a
    writer (start-up used to hang). fstat on the open file, so what is checked is what is read.
    """
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        why = "is a symbolic link (not followed)" if exc.errno == errno.ELOOP else \
            f"cannot be opened ({errno.errorcode.get(exc.errno, exc.errno)})"
        raise RuleError(path, "(file)", why) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise RuleError(path, "(file)", "is not a regular file")
        if info.st_size > MAX_USER_RULE_BYTES:
            raise RuleError(path, "(file)", f"is {info.st_size:,} bytes; a rule file may have {MAX_USER_RULE_BYTES:,}")
        data = os.read(fd, MAX_USER_RULE_BYTES + 1)  # the size may have grown since fstat
        if len(data) > MAX_USER_RULE_BYTES:
            raise RuleError(path, "(file)", f"is over {MAX_USER_RULE_BYTES:,} bytes")
    finally:
        os.close(fd)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RuleError(path, "(file)", f"is not UTF-8 text (byte {exc.start})") from None


def load_file(path: Path, user: bool = False) -> Rule:
    source = read_user_file(Path(path)) if user else Path(path).read_text(encoding="utf-8")
    return parse_rule(Path(path), _yaml(Path(path), source, user), user=user)


def _load_user_rule(path: Path, seen: dict[str, str]) -> Rule:
    from .redos import first_slow
    try:
        rule = load_file(path, user=True)
    except RuleError:
        raise
    except Exception as exc:  # noqa: BLE001 - a user's file never stops the server; its text is not quoted
        raise RuleError(path, "(file)", f"cannot be loaded ({type(exc).__name__})") from None
    if rule.id in seen:
        raise RuleError(path, "id", f"is already a rule ({seen[rule.id]})")
    # A user rule that backtracks catastrophically would stall every analysis (redos.py).
    slow = first_slow(rule)
    if slow is not None:
        raise RuleError(path, slow.key, slow.problem)
    return rule


def load_rules(builtin: Path, user_dir: Path | None = None) -> tuple[list[Rule], list[str]]:
    """Built-in rules must all load (an error raises); a broken user rule is skipped with a warning."""
    rules = [load_file(p) for p in rule_files(builtin)]
    seen: dict[str, str] = {}
    for rule in rules:
        if rule.id in seen:
            raise RuleError(rule.path, "id", f"duplicate of {seen[rule.id]}")
        seen[rule.id] = rule.path
    warnings: list[str] = []
    paths: list[Path] = []
    try:
        if user_dir and Path(user_dir).is_dir():
            paths = user_rule_files(user_dir)
    except OSError as exc:
        warnings.append(f"user rules not read: {user_dir}: {type(exc).__name__}")
    if len(paths) > MAX_USER_RULES:
        warnings.append(f"user rules: only the first {MAX_USER_RULES} of {len(paths)} files in {user_dir} are read")
        paths = paths[:MAX_USER_RULES]
    for path in paths:
        try:
            rule = _load_user_rule(path, seen)
        except RuleError as exc:
            warnings.append(f"user rule disabled: {exc}")
            continue
        seen[rule.id] = rule.path
        rules.append(rule)
    for w in warnings:
        log.warning(w)
    return rules, warnings
