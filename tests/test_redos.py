"""No ReDoS: every pattern is timed on adversarial strings built from it (redos.py); a user rule
that backtracks catastrophically is disabled with a warning naming its file, and analysis goes on."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import pytest
import regex
from click.testing import CliRunner

from clausewatch.core import redos
from clausewatch.settings import Settings
from clausewatch.core.rules import FLAGS, load_rules

BUILTIN = Settings().rules_dir
RULES, _ = load_rules(BUILTIN)

# Each of these takes seconds (or forever) on some string of a few dozen to 2,000 characters.
CATASTROPHIC = [
    r"(a|a)+$",                                  # overlapping alternatives: exponential
    r"(\w|\w\w)+$",
    r"(\w+\s?)*$",                               # nested quantifiers over the same characters
    r"\bwe\W+(?:\w+\W*)+sell\b",                 # "we ... sell" written the naive way
    r"\byou\W+(?:\w+|\W+)+\W+agree\b",
    r'^\W*["“]?[\w\W]{1,40}?["”]?\W+(?:means|refers\W+to)\b',  # a definition guard: quadratic in \W
]
# Written the way DEVELOPERS.md asks: bounded, lazy gaps between words. None may be flagged.
SAFE = [
    r"\bsell\w*\W+(?:\w+\W+){0,5}?(?:personal\W+)?(?:data|information)\b",
    r"\b(?:binding|mandatory)\W+arbitration\b",
    r"\byou\W+(?:\w+\W+){0,4}?(?:grant|give)\b(?:\W+\w+){0,40}?\W+licen[cs]es?\b",
    r"\b(?:automatically|auto\W*)\W*(?:\w+\W+){0,2}?renew\w*\b",
    r"[\p{L}--[a-z]]+\d{2,}",                    # V1 set syntax that Python's re cannot read
]


@pytest.mark.parametrize("source", CATASTROPHIC)
def test_catastrophic_patterns_are_flagged_quickly(source):
    slow = redos.slowest(regex.compile(source, FLAGS), "patterns[0]")
    assert slow is not None, source
    assert "catastrophic backtracking" in str(slow) and str(slow).startswith("patterns[0]: ")


@pytest.mark.parametrize("source", SAFE)
def test_bounded_patterns_pass(source):
    assert redos.slowest(regex.compile(source, FLAGS)) is None


def test_adversarial_strings_come_from_the_pattern():
    words, reps = redos.pieces(r"\bwe\W+(?:may\W+)?(?:sell|rent)\W+[“\"]?your\b\d")
    assert words == ["we", "may", "sell", "rent", "your"]
    assert set(reps) >= {" ", "“", "1"}
    samples = redos.adversarial(r"\bwe\W+(?:\w+\W*)+sell\b")
    assert any(s.startswith("we sell we sell") for s in samples)      # the pumped walk
    assert any(s.endswith("sell_x") for s in samples)                 # near miss: \b fails at the end
    assert max(map(len, samples)) >= redos.LONG


# Every built-in rule must pass. (The definition guard many rules shared, `^\W*[“"'‘]?[\w\W]{1,40}?...`,
# took 0.5-5 s on a clause of 2,000 quote marks or spaces until this check flagged it.)
@pytest.mark.parametrize("rule", RULES, ids=[r.id for r in RULES])
def test_builtin_rules_do_not_backtrack_catastrophically(rule):
    assert redos.slow_patterns(rule) == []


EVIL_RULE = {
    "category": "data_sale", "message": "They may sell your data.",
    "patterns": [r"\bwe\W+(?:\w+\W*)+sell\b"],
    "examples": {"match": ["we will sell it", "we sell data", "we may sell data"],
                 "no_match": ["nothing here", "they buy", "we buy"]},
}
GOOD_RULE = {**EVIL_RULE, "patterns": [r"\bwe\W+(?:\w+\W+){0,3}?sell\b"]}


def _write(directory: Path, name: str, rule: dict) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.yaml"
    path.write_text(json.dumps(rule), encoding="utf-8")  # JSON is YAML
    return path


def test_slow_user_rule_is_disabled_with_a_warning_naming_the_file(tmp_path, caplog):
    user = tmp_path / "user-rules"
    evil = _write(user, "my-evil-rule", EVIL_RULE)
    _write(user, "my-good-rule", GOOD_RULE)
    with caplog.at_level(logging.WARNING):
        rules, warnings = load_rules(BUILTIN, user)
    ids = {r.id for r in rules}
    assert "my-good-rule" in ids and "my-evil-rule" not in ids
    assert len(warnings) == 1 and str(evil) in warnings[0] and "patterns[0]" in warnings[0]
    assert "catastrophic backtracking" in warnings[0] and "disabled" in warnings[0]
    assert str(evil) in caplog.text


def test_a_slow_user_rule_does_not_stall_the_server(settings, monkeypatch, tmp_path):
    """The user's config dir holds an evil rule: the server starts, analyses a clause built to
    trip it, and answers at once."""
    from conftest import EXT_ORIGIN
    from clausewatch.web.app import create_app
    _write(settings.user_rules_dir, "my-evil-rule", EVIL_RULE)
    app = create_app(settings)
    assert "my-evil-rule" not in {r.id for r in app.extensions["clausewatch"].analyzer.rules}
    text = "We " + "may " * 400 + "sellx. We may sell your personal information to data brokers."
    r = app.test_client().post("/api/analyze", headers={"Origin": EXT_ORIGIN}, content_type="application/json",
                               data=json.dumps({"url": "https://a.example/t", "text": text}))
    assert r.status_code == 200
    assert "data_sale" in {f["category"] for f in r.get_json()["findings"]}


def test_rules_check_times_the_patterns(tmp_path, monkeypatch):
    """`clausewatch rules check` reports a slow built-in pattern (exit 1) and a disabled user rule."""
    from clausewatch.cli import main
    builtin, user = tmp_path / "rules", tmp_path / "user"
    builtin.mkdir()
    shutil.copy(BUILTIN / "disputes" / "arbitration-binding.yaml", builtin / "arbitration-binding.yaml")
    monkeypatch.setenv("CLAUSEWATCH_RULES_DIR", str(builtin))
    monkeypatch.setenv("CLAUSEWATCH_USER_RULES_DIR", str(user))
    ok = CliRunner().invoke(main, ["rules", "check"])
    assert ok.exit_code == 0, ok.output
    evil_user = _write(user, "mine", EVIL_RULE)
    warned = CliRunner().invoke(main, ["rules", "check"])
    assert warned.exit_code == 0 and str(evil_user) in warned.output and "catastrophic" in warned.output
    evil_builtin = _write(builtin, "slow-one", EVIL_RULE)
    failed = CliRunner().invoke(main, ["rules", "check"])
    assert failed.exit_code == 1
    assert f"{evil_builtin}: patterns[0]: catastrophic backtracking" in failed.output
