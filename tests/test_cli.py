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


MULTI = """Terms of Service

1. Any dispute arising out of these Terms will be resolved by final and binding arbitration.
2. Any claim relating to the Services shall be settled by binding arbitration in San Francisco.
3. All disputes between you and us will be resolved through binding individual arbitration.
4. We may terminate your account at any time, for any reason, without notice.
5. We do not sell your personal information.
6. These Terms are governed by the laws of the State of California.
"""


def analyze_text(*args, text=MULTI):
    result = CliRunner().invoke(main, ["analyze", "-", "--text", *args], input=text)
    assert result.exit_code == 0, result.output
    return result.output


def test_the_summary_comes_first_with_counts_by_severity_and_right_plurals():
    lines = analyze_text().splitlines()
    assert lines[1].startswith("grade ")
    assert lines[2] == "5 risky clauses (3 high, 1 medium, 1 low) · 1 protection"
    assert "1 protections" not in "\n".join(lines) and "1 clauses" not in "\n".join(lines)


def test_findings_are_grouped_by_category_with_one_explanation_per_group():
    out = analyze_text()
    assert out.count("(arbitration, 3 clauses)") == 1
    assert out.count("decided by a private arbitrator") == 1  # not once per clause
    assert out.count("“") == 6  # every clause is still quoted: 5 risks, 1 protection
    # risks worst first, protections last
    assert out.index("[HIGH]") < out.index("[MEDIUM]") < out.index("[LOW]") < out.index("[protection]")


def test_limit_quotes_n_per_group_and_counts_the_rest():
    out = analyze_text("--limit", "1")
    assert "… and 2 more" in out and out.count("“") == 4


def test_min_severity_keeps_risks_at_or_above_it_and_the_whole_pages_summary():
    out = analyze_text("--min-severity", "high")
    assert "[HIGH]" in out and "[MEDIUM]" not in out and "[LOW]" not in out and "[protection]" not in out
    assert "5 risky clauses" in out and "showing 3 findings of severity high or worse" in out
    data = json.loads(analyze_text("--min-severity", "medium", "--json"))
    assert {f["severity"] for f in data["findings"]} == {"high", "medium"}
    assert data["grade"]["risks"] == 5


def test_rule_ids_and_positions_only_with_explain():
    plain, explained = analyze_text(), analyze_text("--explain")
    for internal in ("rule ", "chars ", "p=", "prob"):
        assert internal not in plain
    assert "rule arbitration" in explained and "chars " in explained


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
    assert "Traceback" not in empty.output


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
