"""The clause-level diff: what counts as no change, a change, an addition and a removal."""

from __future__ import annotations

import json

import pytest

from clausewatch.history.diff import diff_versions, normalise, word_edits
from conftest import FIXTURES

BASE = """1. Acceptance
By using the "Services" you agree to these Terms.
We may terminate your account at any time.
Questions can be sent to legal@example.com.

2. Content
10.2 You keep the rights to your content.
We may use your content to improve the Services.
These Terms are governed by the laws of the State of California.
"""


def version(analyzer, text: str, n: int = 1) -> dict:
    """A stored-version-like dict straight from the analyser (no database)."""
    a = analyzer.analyze(text=text)
    return {"text": a.text, "report_id": f"r{n}", "last_seen": f"2026-01-0{n}T00:00:00+00:00",
            "content_hash": a.document["content_hash"],
            "clauses": [{"start": c.start, "end": c.end, "kind": c.kind} for c in a.clauses],
            "findings": [f.to_dict() for f in a.findings]}


def counts(d: dict) -> tuple[int, int, int]:
    return len(d["added"]), len(d["changed"]), len(d["removed"])


NO_CHANGE = [
    ("whitespace", BASE.replace("We may terminate", "We  may\tterminate").replace("\n2.", "\n\n\n2.")),
    ("case and curly quotes", BASE.replace("We may use your content", "WE MAY USE YOUR CONTENT")
     .replace('"Services"', "\u201cServices\u201d")),
    ("two clauses swap places", BASE.replace("We may terminate your account at any time.\nQuestions can be sent to "
                                             "legal@example.com.", "Questions can be sent to legal@example.com.\n"
                                                                  "We may terminate your account at any time.")),
    ("a whole section moves", "\n\n".join(reversed(BASE.strip().split("\n\n"))) + "\n"),
    ("quotes added around a defined term", BASE.replace('"Services"', "Services")),
    ("a section renumbered", BASE.replace("10.2 You keep", "10.3 You keep")),
]


@pytest.mark.parametrize("name,text", NO_CHANGE, ids=[n for n, _ in NO_CHANGE])
def test_layout_order_and_numbering_alone_are_no_change(analyzer, name, text):
    d = diff_versions(version(analyzer, BASE, 1), version(analyzer, text, 2))
    assert counts(d) == (0, 0, 0), json.dumps(d, indent=1)[:2000]
    assert d["unchanged"] >= 6 and d["summary"] == "No clause changed."


CHANGES = [
    # (name, new text, (added, changed, removed))
    ("a reworded clause is one change",
     BASE.replace("We may terminate your account at any time.",
                  "We may suspend or terminate your account at any time, for any reason, without notice."), (0, 1, 0)),
    ("a clause added", BASE.replace("Questions can", "We may sell your personal information to data brokers.\n"
                                                      "Questions can"), (1, 0, 0)),
    ("a clause removed", BASE.replace("We may terminate your account at any time.\n", ""), (0, 0, 1)),
    ("an unrelated clause in place of another is an add and a remove, not a change",
     BASE.replace("Questions can be sent to legal@example.com.", "Any dispute shall be resolved by binding arbitration."),
     (1, 0, 1)),
]


@pytest.mark.parametrize("name,text,expected", CHANGES, ids=[c[0] for c in CHANGES])
def test_changes_are_told_clause_by_clause(analyzer, name, text, expected):
    d = diff_versions(version(analyzer, BASE, 1), version(analyzer, text, 2))
    assert counts(d) == expected, json.dumps(d, indent=1)[:2000]


def test_an_added_ai_training_clause_is_added_with_its_finding_and_comes_first(analyzer):
    new = BASE.replace("Questions can", "Our offices are open on weekdays.\nQuestions can") + (
        "We may use your content to train our artificial intelligence models and to improve the Services.\n")
    d = diff_versions(version(analyzer, BASE, 1), version(analyzer, new, 2))
    assert counts(d) == (2, 0, 0)
    first = d["added"][0]
    assert first["category"] == "ai_training" and first["severity"] == "critical"
    assert [(f["category"], f["severity"]) for f in first["findings"]] == [("ai_training", "critical")]
    assert "train our artificial intelligence models" in first["clause"]
    assert {"category", "severity", "title", "quote"} <= first["findings"][0].keys()
    assert "ai_training (critical)" in first["summary"] and first["summary"].startswith("added: §10.2 “We may use")
    assert d["added"][1]["findings"] == [] and d["added"][1]["category"] is None
    assert d["findings_added"][0]["category"] == "ai_training"
    assert d["summary"].startswith("2 clauses added (1 with findings: ai_training)")
    assert d["since"] == "2026-01-01T00:00:00+00:00" and d["previous_report_id"] == "r1"


def test_a_finding_added_on_a_reworded_clause_is_on_the_changed_pair(analyzer):
    new = BASE.replace("We may use your content to improve the Services.",
                       "We may use your content to train our artificial intelligence models and to improve the Services.")
    d = diff_versions(version(analyzer, BASE, 1), version(analyzer, new, 2))
    assert counts(d) == (0, 1, 0)
    change = d["changed"][0]
    assert change["old"] == "We may use your content to improve the Services."
    assert "artificial intelligence" in change["new"]
    assert [f["category"] for f in change["findings_added"]] == ["ai_training"] and change["findings_removed"] == []
    assert any(op == "+" and "train our artificial intelligence models" in words for op, words in change["edits"])
    assert " ".join(w for op, w in change["edits"] if op != "-") == change["new"]
    assert "finding added: ai_training (critical)" in change["summary"]


def test_the_vendor_fixtures_tell_the_zoom_story(analyzer):
    """v2 adds the AI-training clause (first) and widens the licence clause (a change, not delete+add)."""
    old = analyzer.analyze(html=(FIXTURES / "vendor_v1.html").read_text(encoding="utf-8"))
    new = analyzer.analyze(html=(FIXTURES / "vendor_v2.html").read_text(encoding="utf-8"))
    as_version = lambda a, n: {"text": a.text, "report_id": f"r{n}", "last_seen": "x", "content_hash": "h%d" % n,
                               "clauses": [{"start": c.start, "end": c.end, "kind": c.kind} for c in a.clauses],
                               "findings": [f.to_dict() for f in a.findings]}
    d = diff_versions(as_version(old, 1), as_version(new, 2))
    # Re-wrapped and re-spaced paragraphs (the introduction, section 1) are no change.
    assert counts(d) == (2, 2, 0), d["summary"]
    assert d["added"][0]["category"] == "ai_training" and d["added"][0]["section"] == "§10.2"
    # The licence clause first (it carries a finding), then the footer's new year.
    assert [c["category"] for c in d["changed"]] == ["content_license", None]
    assert d["changed"][1]["new"] == "Copyright 2023 Meetly, Inc."
    licence = d["changed"][0]
    assert "non-exclusive, worldwide" in licence["old"] and "perpetual, worldwide" in licence["new"]
    assert licence["severity"] == "high" and licence["section"] == "§10.4"
    assert [(f["category"], f["severity"]) for f in licence["findings_added"]] == [("content_license", "high")]
    assert [(f["category"], f["severity"]) for f in licence["findings_removed"]] == [("content_license", "medium")]
    assert "content_license (medium → high)" in licence["summary"]
    # At the finding level the broader licence is neither a new finding nor a lost one.
    assert "content_license" not in {f["category"] for f in d["findings_added"] + d["findings_removed"]}
    assert d["findings_added"][0]["category"] == "ai_training"
    assert d["removed"] == []


def test_the_service_generated_data_clause_is_no_content_licence(analyzer):
    report = analyzer.analyze(html=(FIXTURES / "vendor_v2.html").read_text(encoding="utf-8"))
    on_it = {f.category for f in report.findings if "Service Generated Data" in f.quote}
    assert "ai_training" in on_it and "content_license" not in on_it


def test_normalise_and_word_edits():
    assert normalise("  10.2  We\u2019ll  Keep\n\u201cIT\u201d. ") == "we'll keep it."
    assert normalise("(a) We may") == normalise("(b) we  may") == "we may"
    assert word_edits("a b c", "a x c") == [["=", "a"], ["-", "b"], ["+", "x"], ["=", "c"]]


def test_no_older_version_is_no_diff(analyzer):
    assert diff_versions(None, version(analyzer, BASE)) is None


REAL_PAIRS = [
    # (older, newer): the same policy recorded at two dates (Open Terms Archive, ../shared/data)
    ("Tp-link/Terms of Service.md", "TP-Link/Terms of Service.md"),        # 2022-10 -> 2024-09
    ("Google/Privacy Policy.md", "Gmail/Privacy Policy.md"),              # 2026-06 (EU) -> 2026-07
]


@pytest.mark.parametrize("old,new", REAL_PAIRS, ids=["tp-link terms", "google privacy"])
def test_real_versions_diff_sensibly(analyzer, shared_data, old, new):
    base = shared_data / "terms_corpus" / "contrib"
    a = version(analyzer, (base / old).read_text(encoding="utf-8"), 1)
    b = version(analyzer, (base / new).read_text(encoding="utf-8"), 2)
    d = diff_versions(a, b)
    n_new = sum(c["kind"] != "heading" for c in b["clauses"])
    # Most of a policy survives a revision; what changed is told clause by clause, alike pairs only.
    assert d["unchanged"] > 0.75 * n_new and d["unchanged"] + len(d["added"]) + len(d["changed"]) == n_new
    assert all(c["similarity"] >= 0.35 for c in d["changed"])
    print(d["summary"])
    for item in (d["added"] + d["changed"] + d["removed"])[:8]:
        print("  ", item["summary"][:200])
    if d["removed"] and any(f["polarity"] == "protection" for i in d["removed"] for f in i["findings"]):
        # A protection that went away leads the removals.
        assert any(f["polarity"] == "protection" for f in d["removed"][0]["findings"])
