"""The `clausewatch` command as a user runs it: analyze, rules check, eval."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from clausewatch.cli import main
from clausewatch.core.taxonomy import SEVERITIES
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


# The detector is a model whose severities can change with retraining: these tests hold the
# terminal report to the --json answer for the same input, so they test the CLI, not the model.
SUMMARY = re.compile(r"(\d+) risky (clauses?)(?: \((.+)\))? · (\d+) (protections?)")
WORDS = re.compile(r"(\d+) (words?) in (\d+) (clauses?)")
GROUP = re.compile(r"\[(CRITICAL|HIGH|MEDIUM|LOW|protection)\] (.+) \((\w+), (\d+) (clauses?)\)")
ONE_CLAUSE = "Any dispute shall be resolved by final and binding arbitration."


def analyze_json(*args, text=MULTI):
    return json.loads(analyze_text("--json", *args, text=text))


def plural_right(n: str, word: str) -> bool:
    return word.endswith("s") == (int(n) != 1)


def key_of(f: dict) -> str:
    """The label the report gives a finding: its severity, or protection."""
    return "protection" if f["polarity"] == "protection" else f["severity"]


def expected_groups(findings: list[dict]) -> list[tuple[str, str, int]]:
    """(label, category, clauses) per category, as the report must order them: risks worst first,
    then protections. Ties (same label) may come in either order, so they are compared as sets."""
    by_category: dict[str, list[dict]] = {}
    for f in findings:
        by_category.setdefault(f["category"], []).append(f)
    rank = {k: n for n, k in enumerate([*SEVERITIES, "protection"])}
    out = [(min((key_of(f) for f in fs), key=rank.__getitem__), c, len(fs)) for c, fs in by_category.items()]
    return sorted(out, key=lambda g: rank[g[0]])


def shown_groups(out: str) -> list[tuple[str, str, int]]:
    heads = [GROUP.fullmatch(line) for line in out.splitlines() if line.startswith("[")]
    assert all(heads), out
    for m in heads:
        assert plural_right(m[4], m[5]), m[0]
    return [(m[1].lower() if m[1] != "protection" else m[1], m[3], int(m[4])) for m in heads]


def same_groups(shown, expected) -> bool:
    """Equal, and in the same order up to ties of the same label."""
    if sorted(shown) != sorted(expected):
        return False
    return [g[0] for g in shown] == [g[0] for g in expected]


@pytest.mark.parametrize("text", [MULTI, ONE_CLAUSE], ids=["six-clauses", "one-clause"])
def test_the_summary_comes_first_with_counts_by_severity_and_right_plurals(text):
    lines = analyze_text(text=text).splitlines()
    data = analyze_json(text=text)
    g, doc = data["grade"], data["document"]
    assert lines[1] == f"grade {g['grade']} ({g['meaning']})"
    summary = SUMMARY.fullmatch(lines[2])
    assert summary, lines[2]
    risks, risk_word, by_severity, protections, protection_word = summary.groups()
    assert int(risks) == g["risks"] and int(protections) == g["protections"]
    assert plural_right(risks, risk_word) and plural_right(protections, protection_word)
    # "(4 high, 1 low)": the severities that occur, worst first, with the JSON's counts
    want = [f"{g['by_severity'][sev]} {sev}" for sev in SEVERITIES if g["by_severity"].get(sev)]
    assert (by_severity.split(", ") if by_severity else []) == want
    assert sum(g["by_severity"].values()) == g["risks"]
    words = WORDS.fullmatch(lines[3])
    assert words, lines[3]
    assert int(words[1]) == doc["words"] and int(words[3]) == doc["clauses"]
    assert plural_right(words[1], words[2]) and plural_right(words[3], words[4])
    # and the counts the JSON gives are those of its own findings
    assert g["risks"] == sum(f["polarity"] == "risk" for f in data["findings"])
    assert g["protections"] == sum(f["polarity"] == "protection" for f in data["findings"])
    assert not re.search(r"\b1 (?:risky clauses|clauses|protections|words|findings)\b", "\n".join(lines))


def test_findings_are_grouped_by_category_with_one_explanation_per_group():
    out = analyze_text()
    findings = analyze_json()["findings"]
    assert findings, "MULTI is six clauses of terms: nothing found would test no grouping"
    expected = expected_groups(findings)
    shown = shown_groups(out)
    # one group per category of the JSON findings, with its clause count, risks worst first, protections last
    assert same_groups(shown, expected), (shown, expected)
    flat = " ".join(out.split())  # the explanations are wrapped to the terminal's width
    for _label, category, _n in expected:
        explanation = " ".join(next(f for f in findings if f["category"] == category)["explanation"].split())
        sharing = sum(1 for _l, c, _m in expected
                      if " ".join(next(f for f in findings if f["category"] == c)["explanation"].split()) == explanation)
        assert flat.count(explanation) == sharing, category  # once per group, not once per clause
    assert out.count("“") == len(findings)  # every clause is still quoted


def test_limit_quotes_n_per_group_and_counts_the_rest():
    out = analyze_text("--limit", "1")
    groups = expected_groups(analyze_json()["findings"])
    assert any(n > 1 for _l, _c, n in groups), "MULTI has three arbitration clauses: nothing to limit"
    assert out.count("“") == len(groups)  # one quote per group
    assert sorted(int(n) for n in re.findall(r"… and (\d+) more", out)) == sorted(n - 1 for _l, _c, n in groups if n > 1)


@pytest.mark.parametrize("floor", SEVERITIES)
def test_min_severity_keeps_risks_at_or_above_it_and_the_whole_pages_summary(floor):
    full = analyze_json()
    kept = [f for f in full["findings"]
            if f["polarity"] == "risk" and SEVERITIES.index(f["severity"]) <= SEVERITIES.index(floor)]
    # --json: exactly the findings at or above the floor, protections left out; the grade is the whole page's
    data = analyze_json("--min-severity", floor)
    # in the report's order (grouped by category, worst first), so compared as a set
    assert sorted(f["id"] for f in data["findings"]) == sorted(f["id"] for f in kept)
    assert len(data["findings"]) == len(kept)
    assert data["grade"] == full["grade"] and data["document"] == full["document"]
    # the report: the same findings, grouped; the summary still counts the whole page
    out = analyze_text("--min-severity", floor)
    assert out.splitlines()[:4] == analyze_text().splitlines()[:4]
    assert same_groups(shown_groups(out), expected_groups(kept))
    assert "[protection]" not in out and out.count("“") == len(kept)
    showing = f"showing {len(kept)} finding{'' if len(kept) == 1 else 's'} of severity {floor} or worse"
    assert (showing in out) == (len(kept) < len(full["findings"]))
    if full["findings"] and not kept:
        assert f"No risky clauses of severity {floor} or worse." in out


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


@pytest.mark.parametrize("name, rule, reported", [
    ("bad", "category: data_sale\nmessage: m\npatterns: ['\\bsell\\b']\n"
            "examples:\n  match: ['we sell', 'we sell it', 'they buy']\n  no_match: ['a', 'b', 'c']\n",
     "bad.yaml: examples.match: does not match: 'they buy'"),
    # every example passes, but the second pattern could be deleted without any of them noticing
    ("loose", "category: data_sale\nmessage: m\npatterns: ['\\bsell\\b', '\\bsell\\w*\\W+data\\b']\n"
              "examples:\n  match: ['we sell', 'we sell data', 'we sell it']\n  no_match: ['a', 'b', 'c']\n",
     "loose.yaml: patterns[1]: no example needs it"),
])
def test_rules_check_fails_on_a_rule_its_examples_do_not_test(tmp_path, monkeypatch, name, rule, reported):
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / f"{name}.yaml").write_text(rule)
    monkeypatch.setenv("CLAUSEWATCH_RULES_DIR", str(rules))
    result = CliRunner().invoke(main, ["rules", "check"])
    assert result.exit_code == 1
    assert reported in result.output
    assert result.output.strip().endswith("1 problems")


@pytest.mark.parametrize("layout", ["missing", "empty", "only vendors.yaml", "only a user rule"])
def test_rules_check_fails_when_no_built_in_rule_loads(tmp_path, monkeypatch, layout):
    """An install that lost its rules must not pass as "0 rules, 0 examples, 0 problems"."""
    rules, user = tmp_path / "rules", tmp_path / "user"
    if layout != "missing":
        rules.mkdir()
    if layout == "only vendors.yaml":
        (rules / "vendors.yaml").write_text("version: 1\nvendors: []\n")
    if layout == "only a user rule":
        user.mkdir()
        (user / "mine.yaml").write_text(
            "category: data_sale\nmessage: m\npatterns: ['\\bsell\\b']\n"
            "examples:\n  match: ['we sell', 'we sell it', 'sell now']\n  no_match: ['a', 'b', 'c']\n")
    monkeypatch.setenv("CLAUSEWATCH_RULES_DIR", str(rules))
    monkeypatch.setenv("CLAUSEWATCH_USER_RULES_DIR", str(user))
    result = CliRunner().invoke(main, ["rules", "check"])
    assert result.exit_code == 1, result.output
    assert f"no built-in rule found in {rules}" in result.output


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
    assert set(figures) == {"labels", "macro_f1", "micro_f1", "critical_high", "sentences", "seconds"}
    assert set(figures["critical_high"]) == {"shown", "right", "precision"}
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
