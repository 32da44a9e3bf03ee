"""The `clausewatch` command as a user runs it: analyze, rules check, eval."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from clausewatch.cli import main
from conftest import FIXTURES

ZOOM = FIXTURES / "zoom_terms_2023.html"


def test_analyze_prints_a_readable_report():
    result = CliRunner().invoke(main, ["analyze", str(ZOOM)])
    assert result.exit_code == 0, result.output
    assert "ai_training" in result.output and "[CRITICAL]" in result.output
    assert "grade " in result.output.splitlines()[1]
    assert "»" in result.output  # the triggering phrase is marked inside the clause


def test_analyze_json_and_stdin_agree():
    as_file = json.loads(CliRunner().invoke(main, ["analyze", str(ZOOM), "--json"]).output)
    as_stdin = json.loads(CliRunner().invoke(main, ["analyze", "-", "--json"], input=ZOOM.read_text()).output)
    assert [f["category"] for f in as_file["findings"]] == [f["category"] for f in as_stdin["findings"]]
    assert as_file["grade"]["grade"] == as_stdin["grade"]["grade"]


def test_analyze_plain_text_and_a_page_without_text():
    ok = CliRunner().invoke(main, ["analyze", "-", "--text"], input="Any dispute shall be resolved by final and binding arbitration.")
    assert ok.exit_code == 0 and "arbitration" in ok.output
    empty = CliRunner().invoke(main, ["analyze", "-"], input="<html><body><script>x()</script></body></html>")
    assert empty.exit_code == 1 and "no readable text" in empty.output


def test_rules_check_passes_on_the_shipped_rules():
    result = CliRunner().invoke(main, ["rules", "check"])
    assert result.exit_code == 0, result.output
    assert result.output.strip().endswith("0 problems")


def test_rules_check_fails_on_a_rule_whose_example_does_not_match(tmp_path, monkeypatch):
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "bad.yaml").write_text(
        "category: data_sale\nmessage: m\npatterns: ['\\bsell\\b']\n"
        "examples:\n  match: ['we sell', 'we sell it', 'they buy']\n  no_match: ['a', 'b', 'c']\n")
    monkeypatch.setenv("CLAUSEWATCH_RULES_DIR", str(rules))
    result = CliRunner().invoke(main, ["rules", "check"])
    assert result.exit_code == 1
    assert "bad.yaml: examples.match: does not match: 'they buy'" in result.output


def write_jsonl(path: Path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")


def test_eval_figures_follow_the_documented_shape(tmp_path, analyzer):
    rows = [
        {"id": "1", "text": "any dispute shall be resolved by binding arbitration .", "labels": ["a"]},
        {"id": "2", "text": "these terms are governed by the laws of the state of new york .", "labels": ["law"]},
        {"id": "3", "text": "we love our users .", "labels": []},
        {"id": "4", "text": "you may close your account whenever you like .", "labels": ["ter"]},
    ]
    for r in rows:
        r.update(source="test", doc="x", lang="en", scheme="claudette")
    path = tmp_path / "tiny.jsonl"
    write_jsonl(path, rows)
    result = CliRunner().invoke(main, ["eval", str(path), "--json"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output)
    assert set(figures) == {"labels", "macro_f1", "micro_f1", "sentences", "seconds"}
    assert figures["sentences"] == 4
    supported = [v["f1"] for v in figures["labels"].values() if v["support"] > 0]
    assert figures["macro_f1"] == pytest.approx(sum(supported) / len(supported), abs=1e-4)
    for label, v in figures["labels"].items():
        assert set(v) >= {"p", "r", "f1", "support"}
        assert v["support"] == sum(label in r["labels"] for r in rows)
    table = CliRunner().invoke(main, ["eval", str(path)]).output
    assert "macro-F1" in table and "micro-F1" in table


def test_eval_refuses_a_file_that_is_not_jsonl(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "x", "labels": []}\nnot json\n')
    result = CliRunner().invoke(main, ["eval", str(bad)])
    assert result.exit_code == 1 and "bad.jsonl:2" in result.output


def test_the_installed_console_script_runs():
    exe = Path(sys.executable).with_name("clausewatch")
    out = subprocess.run([str(exe), "--help"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0
    for command in ("serve", "analyze", "rules", "eval"):
        assert command in out.stdout
